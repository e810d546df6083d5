"""The path: one row per stage from the state population to senior administrative staff.

Stages and who is counted (the whole of each current snapshot):

====================  ===============  =====================================================
stage                 dataset          rows counted
====================  ===============  =====================================================
state_population      (benchmark)      the census share of the category (no count of people)
applicants            applications     every application
interviewed           applications     ``interviewed``
offered               applications     ``offered``
matriculated          applications     ``matriculated``
graduates             students         ``status`` = graduated
residents_fellows     trainees         every appointment
faculty_<rank>        employees        faculty still employed (no separation date), by rank
senior_administrative employees        ``senior_administrative`` = yes, still employed
====================  ===============  =====================================================

The share is the ``yes`` share among people whose membership is known (unknowns are reported as
their own count). Ratios (docs/methods.md, "Representation ratio"): to the state, the share's
Wilson interval over the fixed census share; to the previous stage with data, the
Miettinen–Nurminen score interval — conservative here, since many stages are nested in the one
before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ristra.core.metrics.conditions import AllOf, Always, CodeIn, Condition, FlagsTrue, IsMissing
from ristra.core.metrics.errors import InvalidSpecification, NoData
from ristra.core.metrics.plans.base import (
    Answers,
    Ask,
    Context,
    level_totals,
    snapshot_refs,
    unknown_bounds_note,
    warnings_for,
)
from ristra.core.metrics.plans.representation import population_bounds
from ristra.core.metrics.results import MetricResult, PathRow, Row
from ristra.core.metrics.specs import RANK_LADDER, PathSpec
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.stats import proportion, representation_ratio_fixed, representation_ratio_sampled
from ristra.core.stats.unknowns import Bounds, benchmark_ratio_bounds, fixed_ratio_bounds, ratio_bounds


def _still_employed(*parts: Condition) -> Condition:
    return AllOf((*parts, IsMissing("separation_date")))


STAGES: tuple[tuple[str, str, str, Condition], ...] = (
    ("applicants", "Applicants", "applications", Always()),
    ("interviewed", "Interviewed", "applications", FlagsTrue(("interviewed",))),
    ("offered", "Offered a place", "applications", FlagsTrue(("offered",))),
    ("matriculated", "Matriculated", "applications", FlagsTrue(("matriculated",))),
    ("graduates", "Graduates", "students", CodeIn("status", ("graduated",))),
    ("residents_fellows", "Residents and fellows", "trainees", Always()),
    *((f"faculty_{rank}", f"Faculty: {rank.replace('_', ' ')}", "employees",
       _still_employed(CodeIn("employee_class", ("faculty",)), CodeIn("rank", (rank,)))) for rank in RANK_LADDER),
    ("senior_administrative", "Senior administrative staff", "employees",
     _still_employed(CodeIn("senior_administrative", ("yes",)))),
)
PATH_DATASETS = ("applications", "students", "trainees", "employees")


_NOTHING: tuple[None, None, None, None, None] = (None, None, None, None, None)


@dataclass
class PathPlan:
    spec: PathSpec
    context: Context

    def __post_init__(self) -> None:
        self.grouping = self.context.grouping(self.spec.category)
        if self.grouping.positive is None:
            raise InvalidSpecification(f"{self.spec.category} has no single level to follow along the path")
        available = [d for d in PATH_DATASETS if d in self.context.snapshots]
        if not available:
            raise NoData("applications", self.spec.metric)
        self.asks_by_dataset: dict[str, Ask] = {}
        for ds in available:
            if self.grouping.applies_to(ds):
                measures = tuple(dict.fromkeys(c for _, _, d, c in STAGES if d == ds))
                self.asks_by_dataset[ds] = Ask(dataset_source(ds), self.grouping.dimensions(ds), measures)

    def asks(self) -> Sequence[Ask]:
        return list(self.asks_by_dataset.values())

    def followups(self, answers: Answers) -> Sequence[Ask]:
        return []

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        benchmark = self.context.benchmark(g.benchmark_key, spec.population, spec.geography, spec.benchmark_year)
        named: tuple[str | None, int | None, str | None, float | None, float | None] = (
            (benchmark.name, benchmark.year, benchmark.ages, benchmark.share_low, benchmark.share_high)
            if benchmark is not None else _NOTHING)
        rows: list[Row] = []
        warnings: list[str] = []
        if benchmark is not None:
            rows.append(PathRow(0, "state_population", f"State population: {benchmark.label}", None, g.id,
                                benchmark.numerator, float(benchmark.denominator), 0, benchmark.share, benchmark.share,
                                benchmark.share, 1.0, 1.0, 1.0, None, None, None, None, False,
                                f"{benchmark.population}, {benchmark.geography}; {benchmark.source}",
                                None, None, None, None, None, None, *named))
        else:
            rows.append(PathRow(0, "state_population", "State population", None, g.id, None, None, None, None, None,
                                None, None, None, None, None, None, None, None, None,
                                f"no benchmark for {g.id} ({spec.population}, {spec.geography})"))
        previous: tuple[str, int, int, Bounds] | None = None
        for order, (stage, label, ds, condition) in enumerate(STAGES, start=1):
            ask = self.asks_by_dataset.get(ds)
            if ask is None:
                why = (f"category {g.id} does not apply to {ds}" if ds in self.context.snapshots
                       else f"no {ds} data has been imported")
                rows.append(PathRow(order, stage, label, ds, g.id, None, None, None, None, None, None, None, None, None,
                                    None, None, None, None, None, why))
                continue
            table = answers.table(ask)
            index = 1 + ask.measures.index(condition) if not isinstance(condition, Always) else 0
            per_level = dict.fromkeys(g.levels, 0)
            for key, counts in table.items():
                per_level[g.level(key)] += counts[index]
            yes = per_level[g.positive or ""]
            known = sum(v for lv, v in per_level.items() if not g.is_unknown(lv))
            unknown = sum(per_level.values()) - known
            bounds = population_bounds(g, {lv: (v,) for lv, v in per_level.items()}, 0)
            state_bounds = fixed_ratio_bounds(bounds, benchmark.share) if benchmark else None
            prev_bounds = ratio_bounds(bounds, previous[3]) if previous is not None else state_bounds
            state = representation_ratio_fixed(yes, known, benchmark.share, spec.confidence) if benchmark else None
            definition = (benchmark_ratio_bounds(state.group.share, benchmark.share_low, benchmark.share_high)
                          if state and benchmark else None)
            to_prev: tuple[str | None, float | None, float | None, float | None]
            if previous is not None:
                prev = representation_ratio_sampled(yes, known, previous[1], previous[2], spec.confidence)
                to_prev = (previous[0], prev.ratio, prev.estimate.lower, prev.estimate.upper)
            elif state is not None:
                to_prev = ("state_population", state.ratio, state.estimate.lower, state.estimate.upper)
            else:
                to_prev = (None, None, None, None)
            group = state.group if state else proportion(yes, known, spec.confidence)
            rows.append(PathRow(order, stage, label, ds, g.id, float(yes), float(known), unknown, group.share,
                                group.lower, group.upper, state.ratio if state else None,
                                state.estimate.lower if state else None, state.estimate.upper if state else None,
                                to_prev[0], to_prev[1], to_prev[2], to_prev[3], group.small_number,
                                None if known else "nobody of known membership", bounds.low, bounds.high,
                                state_bounds.low if state_bounds else None, state_bounds.high if state_bounds else None,
                                prev_bounds.low if prev_bounds else None, prev_bounds.high if prev_bounds else None,
                                *(named if state else _NOTHING),
                                definition.low if definition else None, definition.high if definition else None))
            previous = (stage, yes, known, bounds)
        for ds, ask in self.asks_by_dataset.items():
            warnings += warnings_for(g, ds, level_totals(answers.table(ask), g, range(len(ask.dims))))
        method = ("share of the known with Wilson interval; ratio to the fixed census share and score-interval "
                  "(Miettinen–Nurminen) ratio to the previous stage (docs/methods.md: Representation ratio)")
        notes = ("successive stages are nested or overlapping populations: the ratio intervals are conservative",
                 "faculty and senior administrative staff are those still employed (no separation date)",
                 *unknown_bounds_note(g, "share_unknown_low/high is the share of everyone at the stage with every person "
                                         "of unknown membership counted out of the group and in it; "
                                         "ratio_to_state_unknown_low/high those shares over the benchmark; "
                                         "ratio_to_previous_unknown_low/high the lowest share over the previous "
                                         "stage's highest and the reverse"),
                 *((f"benchmark: {benchmark.name} ({benchmark.year or 'undated'}; "
                    f"{'the latest' if spec.benchmark_year is None else f'nearest {spec.benchmark_year}'}); "
                    "benchmark_share_low/high count race alone and any mention, ratio_to_state_benchmark_low/high "
                    "the ratio to the state over them",) if benchmark is not None else ()))
        return MetricResult(spec.metric, spec, tuple(rows), snapshot_refs(self.context, list(self.asks_by_dataset)),
                            self.context.categories.version, method, tuple(warnings), notes)
