"""The admissions funnel (counts at each stage and conversion from the stage before) and the
selection-rate comparison at each selection stage (the four-fifths rule).

Methods (docs/methods.md): conversions are shares with Wilson intervals ("Proportions");
selection rates, impact ratios, Fisher's exact test, chi-square where every expected count is at
least 5, Holm's correction across groups, and Mantel–Haenszel across the strata of ``by``
("Selection-rate comparison"). A conversion counts applications that reached both the stage and
the stage before it, over those that reached the stage before.
"""

from __future__ import annotations

import math
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
    level_totals,
    overlap_notes,
    shares,
    warnings_for,
)
from ristra.core.metrics.plans.representation import split_by
from ristra.core.metrics.results import FunnelRow, MetricResult, Row, SelectionRow, SnapshotRef
from ristra.core.metrics.specs import APPLICATION_STAGES, SELECTION_STAGES, FunnelSpec, SelectionRatioSpec
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.stats import FourFifthsAnalysis, four_fifths_analyses, mantel_haenszel
from ristra.core.stats.selection import reference_rule

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
class _ApplicationsPlan(SingleAsk, Generic[SpecT]):
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
        self.ask = Ask(dataset_source("applications"), (*columns, *self.grouping.dimensions("applications")),
                       MEASURES)


@dataclass
class FunnelPlan(_ApplicationsPlan[FunnelSpec]):

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        cells = []
        for by, levels in split_by(table, len(spec.by), g).items():
            for level, counts in levels.items():
                for i, stage in enumerate(APPLICATION_STAGES):
                    prev = APPLICATION_STAGES[i - 1] if i else None
                    denominator = stage_count(counts, prev) if prev else None
                    cells.append((by, level, stage, stage_count(counts, stage), prev, denominator,
                                  pair_count(counts, stage)))
        s = shares([(c[6], c[5] or 0) for c in cells], spec.confidence)
        rows: list[Row] = []
        for i, (by, level, stage, count, prev, denominator, _) in enumerate(cells):
            first = prev is None
            rows.append(FunnelRow(g.id, by_values(spec.by, by), level, stage, count, prev, denominator,
                                  None if first else s.share[i], None if first else s.lower[i],
                                  None if first else s.upper[i], s.small[i] if not first else count < 30))
        totals = level_totals(table, g, range(len(spec.by), len(self.ask.dims)))
        method = ("stage conversion = reached both stages / reached the stage before, with Wilson interval "
                  "(docs/methods.md: Proportions)")
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version, method,
                            tuple(warnings_for(g, "applications", totals)), overlap_notes(g))


def _selection_rows(analysis: FourFifthsAnalysis, category: str, stage: str, scope: str,
                    by: tuple[tuple[str, object], ...], mh: dict[str, tuple[float, float, float, float, int]],
                    notes: dict[str, str], family: str) -> list[Row]:
    rows: list[Row] = []
    for group in analysis.groups:
        c = group.comparison
        m = mh.get(group.label)
        chi = c.chi_square.pearson.p_value if c.chi_square.pearson is not None else None
        extra = [notes[group.label]] if group.label in notes else []
        if not group.in_family:
            extra.append("unknown membership: compared on its own line, outside the multiplicity family")
        if analysis.reference_small:
            extra.append(f"the reference group has fewer than {analysis.min_reference_size} people at the stage "
                         "before (no known group has that many)")
        note = "; ".join(dict.fromkeys([*c.notes, *extra])) or None
        tested = c.fisher is not None and group.in_family
        rows.append(SelectionRow(
            category, stage, scope, by, group.label, analysis.reference_label, c.group.k, c.group.n, c.group.share,
            c.group.lower, c.group.upper, c.reference.k, c.reference.n, c.reference.share, c.rate_ratio.ratio,
            c.rate_ratio.lower, c.rate_ratio.upper, c.below_four_fifths,
            c.fisher.p_value if c.fisher is not None else None,
            None if math.isnan(group.p_value_holm) else group.p_value_holm,
            group.reject_holm if tested else None, chi,
            m[0] if m else None, m[1] if m else None, m[2] if m else None, m[3] if m else None, m[4] if m else None,
            c.small_number, note, group.in_family, family if group.in_family else None,
            analysis.family_size if group.in_family else None, analysis.reference_small,
            c.ratio_below_threshold))
    return rows


def _family(stage: str, scope: str, by: tuple[tuple[str, object], ...]) -> str:
    where = ", ".join(f"{k} {v}" for k, v in by) if by else "pooled over the strata"
    return f"Holm over the known groups compared with the reference at {stage}, {where}"


@dataclass
class SelectionRatioPlan(_ApplicationsPlan[SelectionRatioSpec]):

    def __post_init__(self) -> None:
        super().__post_init__()
        self.grouping.require_disjoint("the selection ratio")

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        strata = split_by(table, len(spec.by), g)
        jobs: list[tuple[str, str, tuple[object, ...], dict[str, tuple[int, int]]]] = []
        per_stage = {}
        for stage in spec.stages:
            base = SELECTION_STAGES[stage]
            per_stratum = {by: {lv: (pair_count(c, stage), stage_count(c, base)) for lv, c in levels.items()}
                           for by, levels in strata.items()}
            per_stage[stage] = per_stratum
            if spec.by:
                jobs += [(stage, "stratum", by, groups) for by, groups in per_stratum.items()]
            jobs.append((stage, "pooled", (), {
                lv: (sum(s[lv][0] for s in per_stratum.values()), sum(s[lv][1] for s in per_stratum.values()))
                for lv in g.levels}))
        unknown = tuple(lv for lv in g.levels if g.is_unknown(lv))
        analyses = four_fifths_analyses([groups for *_, groups in jobs], alpha=spec.alpha,
                                        confidence=spec.confidence, threshold=spec.threshold, unknown=unknown,
                                        min_reference_size=spec.min_reference_size)
        rows: list[Row] = []
        for (stage, scope, by, _), analysis in zip(jobs, analyses, strict=True):
            if scope == "stratum":
                by_pairs = by_values(spec.by, by)
                rows += _selection_rows(analysis, g.id, stage, scope, by_pairs, {}, {}, _family(stage, scope, by_pairs))
                continue
            per_stratum = per_stage[stage]
            mh: dict[str, tuple[float, float, float, float, int]] = {}
            notes: dict[str, str] = {}
            if spec.by and len(per_stratum) > 1:
                ref = analysis.reference_label
                for group in analysis.groups:
                    tables = [[[s[group.label][0], s[group.label][1] - s[group.label][0]],
                               [s[ref][0], s[ref][1] - s[ref][0]]] for s in per_stratum.values()]
                    result = mantel_haenszel(tables, spec.confidence)
                    mh[group.label] = (result.odds_ratio, result.lower, result.upper, result.p_value, result.strata_used)
                    if result.note:
                        notes[group.label] = f"Mantel–Haenszel: {result.note}"
            rows += _selection_rows(analysis, g.id, stage, "pooled", (), mh, notes, _family(stage, "pooled", ()))
        totals = level_totals(table, g, range(len(spec.by), len(self.ask.dims)))
        method = ("four-fifths rule: impact ratio with Miettinen–Nurminen score interval, Fisher's exact test, chi-square where every "
                  "expected count is at least 5, Holm across groups, Mantel–Haenszel across strata "
                  "(docs/methods.md: Selection-rate comparison)")
        notes_out = (f"{reference_rule(spec.min_reference_size)}; chosen in each stratum and pooled "
                     "(29 CFR 1607.4(D)); Mantel–Haenszel compares each group with the pooled reference group",)
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version, method,
                            tuple(warnings_for(g, "applications", totals)), notes_out)
