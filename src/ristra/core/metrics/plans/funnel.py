"""The admissions funnel: counts at each stage and conversion from the stage before; and the
plan shape every metric over the application stages shares (:class:`ApplicationsPlan`; the
selection-rate comparison is in :mod:`.selection`).

Methods (docs/methods.md): conversions are shares with Wilson intervals ("Proportions"). A
conversion counts applications that reached both the stage and the stage before it, over those
that reached the stage before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from ristra.core.metrics.columns import GroupingColumn, grouping_column
from ristra.core.metrics.conditions import Condition, FlagsTrue
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans.base import (
    Answers,
    Ask,
    Context,
    SingleAsk,
    by_values,
    compatible_unknowns,
    level_totals,
    overlap_notes,
    shares,
    unknown_bounds_note,
    warnings_for,
)
from ristra.core.metrics.plans.representation import split_by
from ristra.core.metrics.results import FunnelRow, MetricResult, Row, SnapshotRef
from ristra.core.metrics.specs import APPLICATION_STAGES, FunnelSpec, SelectionRatioSpec
from ristra.core.metrics.sql.source import applications_source
from ristra.core.stats.unknowns import rate_bounds

#: Measures asked of the applications: each stage flag, then each (previous stage, stage) pair.
STAGE_FLAGS: tuple[str, ...] = APPLICATION_STAGES[1:]
MEASURES: tuple[Condition, ...] = (
    *(FlagsTrue((s,)) for s in STAGE_FLAGS),
    *(FlagsTrue((a, b)) for a, b in zip(STAGE_FLAGS, STAGE_FLAGS[1:], strict=False)),
)


def stage_count(counts: tuple[int, ...], stage: str) -> int:
    """Applications at ``stage`` (``applied``: all) from counts laid out as :data:`MEASURES`."""
    return counts[0] if stage == "applied" else counts[1 + STAGE_FLAGS.index(stage)]


def pair_count(counts: tuple[int, ...], stage: str) -> int:
    """Applications at ``stage`` and at the stage before it."""
    i = APPLICATION_STAGES.index(stage)
    if i <= 1:
        return stage_count(counts, stage)
    return counts[1 + len(STAGE_FLAGS) + i - 2]


SpecT = TypeVar("SpecT", FunnelSpec, SelectionRatioSpec)


@dataclass
class ApplicationsPlan(SingleAsk, Generic[SpecT]):
    """A plan answered by one count request over the applications: every stage measure by the
    category's dimensions and the spec's ``by`` columns."""

    spec: SpecT
    context: Context

    def __post_init__(self) -> None:
        self.ref: SnapshotRef = self.context.require("applications", self.spec.metric)
        self.grouping: Grouping = self.context.grouping(self.spec.category)
        self.grouping.require("applications")
        by_names: tuple[str, ...] = self.spec.by
        columns: list[GroupingColumn] = [grouping_column("applications", b) for b in by_names]
        self.ask = Ask(applications_source(self.spec.counting, self.spec.from_cycle, self.spec.to_cycle),
                       (*columns, *self.grouping.dimensions("applications")), MEASURES)

    def counting_notes(self) -> tuple[str, ...]:
        """The note saying how applications were counted (none for every application, all cycles)."""
        spec = self.spec
        window = (f" in cycles {spec.from_cycle if spec.from_cycle is not None else '…'}–"
                  f"{spec.to_cycle if spec.to_cycle is not None else '…'}"
                  if spec.from_cycle is not None or spec.to_cycle is not None else "")
        if spec.counting == "applications":
            return (f"counted: every application{window}",) if window else ()
        which = ("earliest cycle; ties: the smallest application_id" if spec.counting == "first"
                 else "latest cycle; ties: the largest application_id")
        return (f"counted: one application per person, the {spec.counting} ({which}){window}; "
                "a person is counted once in the whole result",)


@dataclass
class FunnelPlan(ApplicationsPlan[FunnelSpec]):

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        cells = []
        bounds = []
        for by, levels in split_by(table, len(spec.by), g).items():
            for level, counts in levels.items():
                unknown = [levels[u] for u in compatible_unknowns(g, level)]
                for i, stage in enumerate(APPLICATION_STAGES):
                    prev = APPLICATION_STAGES[i - 1] if i else None
                    denominator = stage_count(counts, prev) if prev else None
                    cells.append((by, level, stage, stage_count(counts, stage), prev, denominator,
                                  pair_count(counts, stage)))
                    known = not g.is_unknown(level) and prev is not None
                    bounds.append(rate_bounds(pair_count(counts, stage), denominator or 0,
                                              sum(pair_count(u, stage) for u in unknown),
                                              sum(stage_count(u, prev) for u in unknown)) if known and prev else None)
        s = shares([(c[6], c[5] or 0) for c in cells], spec.confidence)
        rows: list[Row] = []
        for i, (by, level, stage, count, prev, denominator, _) in enumerate(cells):
            first = prev is None
            b = bounds[i]
            rows.append(FunnelRow(g.id, by_values(spec.by, by), level, stage, count, prev, denominator,
                                  None if first else s.share[i], None if first else s.lower[i],
                                  None if first else s.upper[i], s.small[i] if not first else count < 30,
                                  b.low if b else None, b.high if b else None))
        totals = level_totals(table, g, range(len(spec.by), len(self.ask.dims)))
        method = ("stage conversion = reached both stages / reached the stage before, with Wilson interval "
                  "(docs/methods.md: Proportions)")
        described = ("conversion_unknown_low counts the people of unknown membership who reached the stage out of the "
                     "level and those who stopped before it in, conversion_unknown_high the reverse")
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version, method,
                            tuple(warnings_for(g, "applications", totals)),
                            (*overlap_notes(g), *unknown_bounds_note(g, described), *self.counting_notes()))
