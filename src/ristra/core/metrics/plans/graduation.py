"""Students: graduation within 4, 5 and 6 years and attrition, by matriculation cohort.
Residents and fellows: completion and attrition, by the year the appointment started.

Outcomes (rates over everyone in the cohort and level, Wilson intervals — docs/methods.md,
"Proportions"):

* students — ``graduated_within_<k>``: a graduation date whose calendar year is at most k after
  the matriculation year; ``graduated``: status graduated (to date); ``attrition``: status
  withdrawn or dismissed (to date); ``enrolled``: still enrolled or on leave. A
  ``graduated_within_<k>`` row is ``complete`` when the data reach the end of year
  matriculation_year + k (the latest graduation or status date in the data); otherwise the cohort
  has not been followed long enough and the rate is a lower bound.
* trainees — ``completed``, ``attrition`` (withdrawn or dismissed), ``transferred`` and
  ``in_training`` (active or on leave); ``complete`` when nobody in the cohort is still in training.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.conditions import CodeIn, Condition, WithinYears
from ristra.core.metrics.plans.base import (
    Answers,
    Ask,
    Context,
    SingleAsk,
    bound_values,
    by_values,
    compatible_unknowns,
    level_totals,
    overlap_notes,
    shares,
    unknown_bounds_note,
    warnings_for,
)
from ristra.core.metrics.plans.representation import split_by
from ristra.core.metrics.results import GraduationRow, MetricResult, Row
from ristra.core.metrics.specs import GraduationSpec
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.stats.unknowns import Bounds, rate_bounds


def outcomes(spec: GraduationSpec) -> tuple[tuple[str, Condition], ...]:
    """The outcome names and the condition counted for each."""
    if spec.dataset == "students":
        return (
            *((f"graduated_within_{k}", WithinYears("matriculation_year", "graduation_date", k)) for k in spec.within),
            ("graduated", CodeIn("status", ("graduated",))),
            ("attrition", CodeIn("status", ("withdrawn", "dismissed"))),
            ("enrolled", CodeIn("status", ("enrolled", "leave"))),
        )
    return (
        ("completed", CodeIn("status", ("completed",))),
        ("attrition", CodeIn("status", ("withdrawn", "dismissed"))),
        ("transferred", CodeIn("status", ("transferred",))),
        ("in_training", CodeIn("status", ("active", "leave"))),
    )


@dataclass
class GraduationPlan(SingleAsk):
    spec: GraduationSpec
    context: Context

    def __post_init__(self) -> None:
        spec = self.spec
        self.grouping = self.context.grouping(spec.category)
        self.grouping.require(spec.dataset)
        self.ref = self.context.require(spec.dataset, spec.metric)
        self.outcomes = outcomes(spec)
        self.names = (spec.cohort, *spec.by)
        columns = [grouping_column(spec.dataset, c) for c in self.names]
        extents = ("graduation_date", "status_date") if spec.dataset == "students" else ()
        self.ask = Ask(dataset_source(spec.dataset), (*columns, *self.grouping.dimensions(spec.dataset)),
                       tuple(c for _, c in self.outcomes), extents)

    def _as_of(self, answers: Answers) -> dt.date | None:
        ends = [answers.extent(self.ask, c)[1] for c in self.ask.extents]
        found = [d for d in ends if d is not None]
        return max(found) if found else None

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        groups = split_by(table, len(self.names), g)
        as_of = self._as_of(answers)
        in_training = {by: sum(c[4] for c in levels.values()) for by, levels in groups.items()} \
            if spec.dataset == "trainees" else {}
        cells = []
        bounds: list[Bounds | None] = []
        for by, levels in groups.items():
            cohort = by[0]
            for level, counts in levels.items():
                unknown = [levels[u] for u in compatible_unknowns(g, level)]
                for j, (name, _) in enumerate(self.outcomes):
                    if name.startswith("graduated_within_"):
                        k = int(name.rsplit("_", 1)[1])
                        complete = (isinstance(cohort, int) and as_of is not None
                                    and dt.date(cohort + k, 12, 31) <= as_of)
                    elif spec.dataset == "trainees":
                        complete = in_training.get(by, 0) == 0
                    else:
                        complete = True
                    cells.append((by, level, name, counts[1 + j], counts[0], complete))
                    bounds.append(None if g.is_unknown(level) else rate_bounds(
                        counts[1 + j], counts[0], sum(u[1 + j] for u in unknown), sum(u[0] for u in unknown)))
        s = shares([(c[3], c[4]) for c in cells], spec.confidence)
        rows: list[Row] = [
            GraduationRow(spec.dataset, g.id, by_values(self.names, by), level, name, count, total, s.share[i],
                          s.lower[i], s.upper[i], complete, s.small[i], *bound_values(bounds[i]))
            for i, (by, level, name, count, total, complete) in enumerate(cells)
        ]
        totals = level_totals(table, g, range(len(self.names), len(self.ask.dims)))
        notes = [*overlap_notes(g), *unknown_bounds_note(
            g, "rate_unknown_low counts the people of unknown membership in the cohort who had the outcome out of "
               "the level and the others in, rate_unknown_high the reverse")]
        if spec.dataset == "students":
            notes.append(f"follow-up ends {as_of.isoformat() if as_of else 'unknown'} (the latest graduation or "
                         "status date); rows with complete = false are lower bounds")
        method = "rate over the cohort with Wilson interval (docs/methods.md: Proportions)"
        parameters = (("as_of", as_of.isoformat() if as_of else None),) if spec.dataset == "students" else ()
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version, method,
                            tuple(warnings_for(g, spec.dataset, totals)), tuple(notes), parameters)
