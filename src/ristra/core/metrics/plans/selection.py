"""The selection-rate comparison at each selection stage (the four-fifths rule), per stratum of
``by`` and pooled, with the comparison across strata and one multiplicity family per result.

Methods (docs/methods.md, "Selection-rate comparison"): selection rates, impact ratios, Fisher's
exact test and chi-square where every expected count is at least 5 for each row; for pooled rows
with strata, Mantel–Haenszel — or the exact conditional test where the Mantel–Fleiss criterion
fails — and the Breslow–Day test of homogeneity. **The family** is every test of the result: the
Fisher test of each known group at every stage, in every stratum and pooled, and the test across
strata of each pooled comparison; unknown and declined are compared outside it. It is corrected
with Holm's procedure (default) or Benjamini–Hochberg's (``adjustment="bh"``), and stated on every
row and in the result's notes.

Repeat applicants (docs/methods.md, "Repeat applicants"): with every application counted and
``repeat_applicants="cluster"`` (default), each known row also gets the GEE score test clustered by
person (:mod:`ristra.core.stats.clustered`), and where a person has several applications in the
comparison and every expected count is at least 5 that test replaces Fisher's in the family
(``family_test``). Unknown membership: every known row carries the bounds of its rate and impact
ratio over every assignment of the unknowns (:mod:`ristra.core.stats.unknowns`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans.base import (
    PERSON,
    Answers,
    Ask,
    by_values,
    compatible_unknowns,
    level_totals,
    unknown_bounds_note,
    warnings_for,
)
from ristra.core.metrics.plans.funnel import MEASURES, ApplicationsPlan, pair_count, stage_count
from ristra.core.metrics.plans.representation import split_by
from ristra.core.metrics.results import MetricResult, Row, SelectionRow
from ristra.core.metrics.specs import SELECTION_STAGES, SelectionRatioSpec
from ristra.core.metrics.sql.cube import SetColumns
from ristra.core.stats import FourFifthsAnalysis, four_fifths_analyses
from ristra.core.stats.clustered import ClusteredScoreTest, clustered_score_test
from ristra.core.stats.multiplicity import CONTROLS, adjust
from ristra.core.stats.selection import reference_rule
from ristra.core.stats.stratified import StratifiedComparison, stratified_comparison, stratified_rule
from ristra.core.stats.unknowns import impact_ratio_bounds, rate_bounds

UNKNOWN_BOUNDS = ("rate_unknown_low counts the people of unknown membership who were selected out of the group and "
                  "the others in, rate_unknown_high the reverse; impact_unknown_low puts the selected unknowns in the "
                  "reference group and the others in the group, impact_unknown_high the reverse")


def with_unknown_bounds(row: SelectionRow, groups: Counts, unknowns: tuple[str, ...]) -> SelectionRow:
    """``row`` (a known group's) with the bounds of its rate and impact ratio over every assignment
    of the people of unknown membership who could be in the group or the reference group."""
    if not row.in_family or not unknowns:
        return row
    selected = sum(groups[u][0] for u in unknowns)
    before = sum(groups[u][1] for u in unknowns)
    rate = rate_bounds(row.selected, row.total, selected, before)
    impact = impact_ratio_bounds(row.selected, row.total, row.reference_selected, row.reference_total, selected,
                                 before)
    return dataclasses.replace(row, rate_unknown_low=rate.low, rate_unknown_high=rate.high,
                               impact_unknown_low=impact.low, impact_unknown_high=impact.high)

Counts = dict[str, tuple[int, int]]


def _row(analysis: FourFifthsAnalysis, category: str, stage: str, scope: str, by: tuple[tuple[str, object], ...],
         index: int, across: StratifiedComparison | None) -> SelectionRow:
    """The row of the ``index``-th group of ``analysis``, before the family's correction."""
    group = analysis.groups[index]
    c = group.comparison
    chi = c.chi_square.pearson.p_value if c.chi_square.pearson is not None else None
    extra = list(across.notes) if across is not None else []
    if not group.in_family:
        extra.append("unknown membership: compared on its own line, outside the multiplicity family")
    if analysis.reference_small:
        extra.append(f"the reference group has fewer than {analysis.min_reference_size} people at the stage "
                     "before (no known group has that many)")
    note = "; ".join(dict.fromkeys([*c.notes, *extra])) or None
    mh = across.mantel_haenszel if across is not None else None
    exact = across.exact if across is not None else None
    homogeneity = across.homogeneity if across is not None else None
    return SelectionRow(
        category, stage, scope, by, group.label, analysis.reference_label, c.group.k, c.group.n, c.group.share,
        c.group.lower, c.group.upper, c.reference.k, c.reference.n, c.reference.share, c.rate_ratio.ratio,
        c.rate_ratio.lower, c.rate_ratio.upper, c.below_four_fifths,
        c.fisher.p_value if c.fisher is not None else None, None, None, chi,
        mh.odds_ratio if mh else None, mh.lower if mh else None, mh.upper if mh else None,
        mh.p_value if mh else None, mh.strata_used if mh else None,
        c.small_number, note, group.in_family, None, None, analysis.reference_small, c.ratio_below_threshold,
        stratified_test=across.test if across is not None else None,
        stratified_p=across.p_value if across is not None else None,
        mantel_fleiss=across.criterion.distance if across is not None else None,
        exact_p=exact.p_value if exact else None, exact_odds_ratio=exact.odds_ratio if exact else None,
        exact_lower=exact.lower if exact else None, exact_upper=exact.upper if exact else None,
        breslow_day_statistic=homogeneity.statistic if homogeneity else None,
        breslow_day_df=homogeneity.df if homogeneity else None,
        breslow_day_p=homogeneity.p_value if homogeneity else None,
    )


def _plain(value: object) -> object:
    """A numpy scalar as the Python value a table key holds."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


class PersonTable:
    """Applications by person, ``by`` values and level (the follow-up of a selection-ratio result
    under ``repeat_applicants="cluster"``), as arrays for the clustered tests."""

    def __init__(self, cols: SetColumns, n_by: int, grouping: Grouping) -> None:
        size = len(cols.counts)
        _, codes = np.unique(np.asarray(cols.values[0].astype(str)), return_inverse=True)
        self.person = codes.astype(np.int64)

        def coded(values: tuple[np.ma.MaskedArray[Any, Any], ...]) -> tuple[np.ndarray, list[tuple[object, ...]]]:
            """Each row's code of its combination of ``values``, and the combinations (as the
            table's keys would hold them)."""
            key = np.zeros(size, dtype=np.int64)
            for v in values:
                mask = np.ma.getmaskarray(v)
                _, c = np.unique(np.asarray(np.ma.getdata(v)).astype(str), return_inverse=True)
                c = np.where(mask, 0, c.astype(np.int64) + 1)
                key = key * (int(c.max(initial=0)) + 1) + c
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            combos = [tuple(None if np.ma.getmaskarray(v)[i] else _plain(np.ma.getdata(v)[i]) for v in values)
                      for i in first.tolist()]
            return inverse.astype(np.int64).ravel(), combos

        stratum, strata = coded(cols.values[1:1 + n_by])
        self.strata = {b: stratum == i for i, b in enumerate(strata)}
        combo, combos = coded(cols.values[1 + n_by:])
        names = [grouping.level(values) for values in combos]
        self.level_code = {name: i for i, name in enumerate(dict.fromkeys(names))}
        levels = np.array([self.level_code[name] for name in names], dtype=np.int64)
        self.level = levels[combo] if size else np.array([], dtype=np.int64)
        self.counts = np.asarray(cols.counts, dtype=np.float64).reshape(size, 1 + len(MEASURES))

    def test(self, stage: str, base: str, group: str, reference: str,
             by: tuple[object, ...] | None) -> ClusteredScoreTest:
        """The clustered score test of ``group`` against ``reference`` at ``stage`` (``by`` None: pooled)."""
        index = tuple(range(self.counts.shape[1]))
        selected, before = pair_count(index, stage), stage_count(index, base)
        g, r = self.level_code.get(group, -1), self.level_code.get(reference, -1)
        mask = (self.level == g) | (self.level == r)
        if by is not None:
            mask &= self.strata.get(by, np.zeros(mask.shape, dtype=bool))
        return clustered_score_test(self.person[mask], (self.level[mask] == g).astype(np.float64),
                                    self.counts[mask, before], self.counts[mask, selected])


def with_clustered_test(row: SelectionRow, people: PersonTable | None, stage: str,
                        by: tuple[object, ...] | None) -> SelectionRow:
    """``row`` with the test clustered by person and the test its family adjusts."""
    if people is None:
        return dataclasses.replace(row, family_test="fisher")
    t = people.test(stage, SELECTION_STAGES[stage], row.group, row.reference_group, by)
    usable = t.repeats and row.chi_square_p is not None and not math.isnan(t.p_value)
    note = row.note
    if t.repeats and not usable and row.fisher_p is not None:
        extra = ("some people have several applications here, but an expected count is below 5: Fisher's test of "
                 "the applications is kept, which takes them as independent")
        note = "; ".join(x for x in (note, extra) if x)
    return dataclasses.replace(row, clustered_test=t.method, clustered_z=t.z, clustered_p=t.p_value,
                               people=t.clusters, family_test="gee_score" if usable else "fisher", note=note)


def correct_family(rows: list[SelectionRow], adjustment: str, alpha: float, statement: str) -> list[SelectionRow]:
    """``rows`` with the family's adjusted p-values, decisions and statement filled in.

    The family: the p-value of each row's ``family_test`` (``clustered_p`` for ``gee_score``, else
    ``fisher_p``) and the ``stratified_p`` of every row in the family (``in_family``) that has one; ``adjustment`` is ``holm`` or ``bh`` (:func:`~ristra.core.stats.multiplicity.adjust`).
    ``statement`` (with ``{m}`` for the number of tests) is written on every row in the family.
    """
    members: list[tuple[int, str, float]] = []
    for i, r in enumerate(rows):
        own = r.clustered_p if r.family_test == "gee_score" else r.fisher_p
        for kind, p in (("fisher", own), ("stratified", r.stratified_p)):
            if r.in_family and p is not None and not math.isnan(p):
                members.append((i, kind, p))
    correction = adjust([p for _, _, p in members], adjustment, alpha)
    found: dict[tuple[int, str], tuple[float, bool]] = {
        (i, kind): (p, rejected) for (i, kind, _), p, rejected in
        zip(members, correction.adjusted, correction.reject, strict=True)}
    m = correction.family_size
    out = []
    for i, r in enumerate(rows):
        if not r.in_family:
            out.append(dataclasses.replace(r, adjustment=adjustment))
            continue
        fisher, stratified = found.get((i, "fisher")), found.get((i, "stratified"))
        holm = adjustment == "holm"
        out.append(dataclasses.replace(
            r, family=statement.format(m=m), family_size=m, adjustment=adjustment,
            adjusted_p=fisher[0] if fisher else None, adjusted_reject=fisher[1] if fisher else None,
            holm_p=fisher[0] if fisher and holm else None, holm_reject=fisher[1] if fisher and holm else None,
            stratified_adjusted_p=stratified[0] if stratified else None,
            stratified_adjusted_reject=stratified[1] if stratified else None))
    return out


def repeats_note(spec: SelectionRatioSpec) -> str:
    """How the result allows for repeat applicants."""
    if spec.counting != "applications":
        return "one application per person: every test compares different people"
    if spec.repeat_applicants == "ignore":
        return ("repeat applicants ignored (repeat_applicants=ignore): every application is taken as an independent "
                "person")
    return ("repeat applicants: where a comparison holds several applications of one person and every expected count "
            "is at least 5, the test in the family is the GEE score test clustered by person (family_test gee_score; "
            "clustered_p), otherwise Fisher's exact test (docs/methods.md: Repeat applicants)")


def family_statement(spec: SelectionRatioSpec, category: str, stratified: bool) -> str:
    """The family of a selection-ratio result, in words, with ``{m}`` for its number of tests."""
    where = f"in every stratum of {', '.join(spec.by)} and pooled" if spec.by else "pooled"
    across = "; and the test across strata (Mantel–Haenszel or exact) of each pooled comparison" if stratified else ""
    return (f"{CONTROLS[spec.adjustment]} over the {{m}} tests of the selection-ratio result of {category}: "
            f"Fisher's exact test of each known group against the reference at {', '.join(spec.stages)}, "
            f"{where}{across}; unknown and declined are compared outside the family")


@dataclass
class SelectionRatioPlan(ApplicationsPlan[SelectionRatioSpec]):

    def __post_init__(self) -> None:
        super().__post_init__()
        self.grouping.require_disjoint("the selection ratio")
        spec = self.spec
        self.person_ask: Ask | None = None
        if spec.counting == "applications" and spec.repeat_applicants == "cluster":
            columns = [grouping_column("applications", b) for b in spec.by]
            self.person_ask = Ask(self.ask.source, (PERSON, *columns, *self.grouping.dimensions("applications")),
                                  MEASURES)

    def asks(self) -> list[Ask]:
        return [self.ask] if self.person_ask is None else [self.ask, self.person_ask]

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        strata = split_by(table, len(spec.by), g)
        jobs: list[tuple[str, str, tuple[object, ...], Counts]] = []
        per_stage: dict[str, dict[tuple[object, ...], Counts]] = {}
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
        people = PersonTable(answers.columns(self.person_ask), len(spec.by), g) if self.person_ask else None
        rows: list[SelectionRow] = []
        stratified = False
        for (stage, scope, by, groups), analysis in zip(jobs, analyses, strict=True):
            by_pairs = by_values(spec.by, by) if scope == "stratum" else ()
            per_stratum = per_stage[stage]
            across_strata = scope == "pooled" and bool(spec.by) and len(per_stratum) > 1
            stratified |= across_strata
            ref = analysis.reference_label
            for i, group in enumerate(analysis.groups):
                across = None
                if across_strata:
                    tables = [[[s[group.label][0], s[group.label][1] - s[group.label][0]],
                               [s[ref][0], s[ref][1] - s[ref][0]]] for s in per_stratum.values()]
                    across = stratified_comparison(tables, spec.confidence)
                joinable = tuple(dict.fromkeys((*compatible_unknowns(g, group.label),
                                                *compatible_unknowns(g, ref))))
                row = with_unknown_bounds(_row(analysis, g.id, stage, scope, by_pairs, i, across), groups, joinable)
                rows.append(with_clustered_test(row, people, stage, by if scope == "stratum" else None)
                            if row.in_family else row)
        statement = family_statement(spec, g.id, stratified)
        corrected: list[Row] = list(correct_family(rows, spec.adjustment, spec.alpha, statement))
        totals = level_totals(table, g, range(len(spec.by), len(self.ask.dims)))
        method = ("four-fifths rule: impact ratio with Miettinen–Nurminen score interval, Fisher's exact test, "
                  "chi-square where every expected count is at least 5; across strata Mantel–Haenszel, or the exact "
                  "conditional test where the Mantel–Fleiss criterion fails, and Breslow–Day (Tarone) homogeneity; "
                  f"{CONTROLS[spec.adjustment]} over every test of the result "
                  "(docs/methods.md: Selection-rate comparison)")
        size = next((r.family_size for r in corrected if isinstance(r, SelectionRow) and r.in_family), 0)
        notes_out = (f"{reference_rule(spec.min_reference_size)}; chosen in each stratum and pooled "
                     "(29 CFR 1607.4(D)); the comparison across strata is with the pooled reference group",
                     f"multiplicity family: {statement.format(m=size)}",
                     *((stratified_rule(),) if stratified else ()), *unknown_bounds_note(g, UNKNOWN_BOUNDS),
                     repeats_note(spec), *self.counting_notes())
        return MetricResult(spec.metric, spec, tuple(corrected), (self.ref,), self.context.categories.version, method,
                            tuple(warnings_for(g, "applications", totals)), notes_out)
