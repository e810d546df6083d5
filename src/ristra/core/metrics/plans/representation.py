"""Representation (counts and shares of each level), representation ratios (against the state
benchmark and the previous application stage) and trends by year.

Methods (docs/methods.md): shares with Wilson score intervals ("Proportions"); the ratio to a
census benchmark divides the share's interval by the fixed benchmark share, the ratio to the
previous stage is the Miettinen–Nurminen score interval ("Representation ratio"); trends use the
Cochran–Armitage test ("Trends over years").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.conditions import Always, Condition, FlagsTrue
from ristra.core.metrics.errors import InvalidSpecification
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans.base import (
    PERSON,
    Answers,
    Ask,
    Context,
    CountsByKey,
    SingleAsk,
    by_values,
    level_totals,
    overlap_notes,
    shares,
    sort_key,
    unknown_bounds_note,
    unknown_count,
    warnings_for,
)
from ristra.core.metrics.results import MetricResult, RatioRow, RepresentationRow, Row, TrendRow
from ristra.core.metrics.specs import (
    APPLICATION_STAGES,
    RepresentationRatioSpec,
    RepresentationSpec,
    TrendSpec,
)
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.stats import cochran_armitage, representation_ratio_fixed, representation_ratio_sampled
from ristra.core.stats.clustered import ClusteredScoreTest, clustered_score_test
from ristra.core.stats.unknowns import (
    NAN_BOUNDS,
    Bounds,
    benchmark_ratio_bounds,
    fixed_ratio_bounds,
    ratio_bounds,
    share_bounds,
)

PROPORTION_METHOD = "share with Wilson score interval (docs/methods.md: Proportions)"
TREND_REPEATS_NOTE = ("repeat applicants: trend_p (Cochran–Armitage) takes every application as an independent person; "
                      "clustered_p is the same trend tested by GEE with an independence working correlation, clustered "
                      "by person (generalized score test) — read it (docs/methods.md: Repeat applicants)")
SHARE_BOUNDS_NOTE = ("share_unknown_low counts every person of unknown membership out of the level, "
                     "share_unknown_high counts every one in it")


def level_share_bounds(grouping: Grouping, level: str, levels: dict[str, tuple[int, ...]], total: int,
                       index: int = 0) -> Bounds | None:
    """The share of ``level`` among ``total`` people with the compatible unknowns all out and all in
    (None for an unknown level)."""
    if grouping.is_unknown(level):
        return None
    joinable = unknown_count(grouping, level, levels, index)
    return share_bounds(levels[level][index], total - joinable, joinable)


def split_by(table: CountsByKey, n_by: int, grouping: Grouping) -> dict[tuple[object, ...], dict[str, tuple[int, ...]]]:
    """``{by values: {level: counts}}`` with every level present (zero counts where empty). A row
    of an overlapping grouping adds to each of its levels."""
    width = len(next(iter(table.values()))) if table else 1
    out: dict[tuple[object, ...], dict[str, tuple[int, ...]]] = {}
    for key, counts in table.items():
        by = key[:n_by]
        levels = out.setdefault(by, {lv: (0,) * width for lv in grouping.levels})
        for level in grouping.memberships(key[n_by:]):
            levels[level] = tuple(a + b for a, b in zip(levels[level], counts, strict=True))
    return dict(sorted(out.items(), key=lambda item: tuple(sort_key(v) for v in item[0])))


def people_by(table: CountsByKey, n_by: int, grouping: Grouping) -> dict[tuple[object, ...], tuple[int, int]]:
    """``{by values: (people, people of known membership)}``: each row counted once, also when an
    overlapping grouping puts it in several levels."""
    out: dict[tuple[object, ...], tuple[int, int]] = {}
    for key, counts in table.items():
        total, known = out.get(key[:n_by], (0, 0))
        out[key[:n_by]] = (total + counts[0], known + (counts[0] if grouping.is_known(key[n_by:]) else 0))
    return out


@dataclass
class RepresentationPlan(SingleAsk):
    spec: RepresentationSpec
    context: Context

    def __post_init__(self) -> None:
        self.grouping = self.context.grouping(self.spec.category)
        self.grouping.require(self.spec.dataset)
        self.ref = self.context.require(self.spec.dataset, self.spec.metric)
        by = [grouping_column(self.spec.dataset, b) for b in self.spec.by]
        self.ask = Ask(dataset_source(self.spec.dataset), (*by, *self.grouping.dimensions(self.spec.dataset)))

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        groups, people = split_by(table, len(spec.by), g), people_by(table, len(spec.by), g)
        cells = [(by, level, counts[0], *people[by]) for by, levels in groups.items() for level, counts in levels.items()]
        s = shares([(c[2], c[3]) for c in cells], spec.confidence)
        rows: list[Row] = []
        for i, (by, level, count, total, known) in enumerate(cells):
            of_known = None if g.is_unknown(level) else (count / known if known else float("nan"))
            bounds = level_share_bounds(g, level, groups[by], total)
            rows.append(RepresentationRow(spec.dataset, g.id, by_values(spec.by, by), level, count, total,
                                          s.share[i], s.lower[i], s.upper[i], known, of_known, s.small[i],
                                          bounds.low if bounds else None, bounds.high if bounds else None))
        totals = level_totals(table, g, range(len(spec.by), len(self.ask.dims)))
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version,
                            PROPORTION_METHOD, tuple(warnings_for(g, spec.dataset, totals)),
                            (*overlap_notes(g), *unknown_bounds_note(g, SHARE_BOUNDS_NOTE)))


@dataclass
class TrendPlan(SingleAsk):
    spec: TrendSpec
    context: Context

    def __post_init__(self) -> None:
        self.grouping = self.context.grouping(self.spec.category)
        self.grouping.require(self.spec.dataset)
        self.ref = self.context.require(self.spec.dataset, self.spec.metric)
        year = grouping_column(self.spec.dataset, self.spec.year_column)
        self.ask = Ask(dataset_source(self.spec.dataset), (year, *self.grouping.dimensions(self.spec.dataset)))
        self.person_ask: Ask | None = None
        if self.spec.dataset == "applications" and self.spec.repeat_applicants == "cluster":
            self.person_ask = Ask(self.ask.source, (PERSON, *self.ask.dims))

    def asks(self) -> list[Ask]:
        return [self.ask] if self.person_ask is None else [self.ask, self.person_ask]

    def clustered(self, answers: Answers) -> dict[str, ClusteredScoreTest]:
        """Each level's trend test clustered by person (applications; see
        :mod:`ristra.core.stats.clustered`): x the year, the outcome membership of the level."""
        if self.person_ask is None:
            return {}
        g = self.grouping
        cols = answers.columns(self.person_ask)
        if not len(cols.counts):
            return {}
        dated = ~np.ma.getmaskarray(cols.values[1])
        if not dated.any():
            return {}
        _, person = np.unique(np.asarray(cols.values[0].astype(str))[dated], return_inverse=True)
        years = np.asarray(cols.values[1].data[dated], dtype=np.float64)
        n = np.asarray(cols.counts[dated, 0], dtype=np.float64)
        combos: dict[tuple[object, ...], int] = {}
        rows = zip(*(v.tolist() for v in cols.values[2:]), strict=True) if len(cols.values) > 2 else iter([()] * len(n))
        codes = [combos.setdefault(values, len(combos)) for values in rows]
        combo = np.asarray(codes, dtype=np.int64)[dated]
        member = {level: np.array([level in g.memberships(values) for values in combos], dtype=bool)
                  for level in g.levels}
        return {level: clustered_score_test(person, years, n, np.where(member[level][combo], n, 0.0))
                for level in g.levels}

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        groups, people = split_by(table, 1, g), people_by(table, 1, g)
        cells = [(by[0], level, counts[0], people[by][0]) for by, levels in groups.items()
                 for level, counts in levels.items()]
        s = shares([(c[2], c[3]) for c in cells], spec.confidence)
        tests = {}
        for level in g.levels:
            series = [(c[0], c[2], c[3]) for c in cells if c[1] == level and c[0] is not None]
            if len(series) >= 2:
                years = [float(y) for y, _, _ in series]  # type: ignore[arg-type]
                tests[level] = cochran_armitage([k for _, k, _ in series], [n for _, _, n in series], years)
        clustered = self.clustered(answers)
        rows: list[Row] = []
        for i, (year, level, count, total) in enumerate(cells):
            t = tests.get(level)
            c = clustered.get(level)
            bounds = level_share_bounds(g, level, groups[(year,)], total)
            rows.append(TrendRow(spec.dataset, g.id, spec.year_column, year, level, count, total, s.share[i],
                                 s.lower[i], s.upper[i], s.small[i], t.z if t else None, t.p_value if t else None,
                                 t.slope if t else None, bounds.low if bounds else None,
                                 bounds.high if bounds else None, c.z if c else None, c.p_value if c else None,
                                 c.clusters if c else None))
        totals = level_totals(table, g, range(1, len(self.ask.dims)))
        method = f"{PROPORTION_METHOD}; Cochran–Armitage test for a linear trend (docs/methods.md: Trends over years)"
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version,
                            method, tuple(warnings_for(g, spec.dataset, totals)),
                            (*overlap_notes(g), *unknown_bounds_note(g, SHARE_BOUNDS_NOTE),
                             *((TREND_REPEATS_NOTE,) if clustered else ())))


def _known_note(known: int, unknown: int) -> str | None:
    """The note of a ratio row with nobody of known membership (None otherwise)."""
    if known:
        return None
    if unknown:
        return f"nobody of known membership ({unknown} unknown); the share and the ratio are undefined"
    return "nobody in this group; the share and the ratio are undefined"


RATIO_BOUNDS_NOTE = ("share_unknown_low/high is the share of everyone with every person of unknown membership counted "
                     "out of the group and in it, ratio_unknown_low/high the ratio to the benchmark of those shares, or "
                     "to the previous stage the lowest share over the highest previous share and the reverse")


def benchmark_note(benchmark_year: int | None, year_column: str | None, used: tuple[str, ...]) -> str:
    """The note naming the benchmarks a result used and how their year was chosen."""
    if benchmark_year is not None:
        how = f"the census or ACS release nearest {benchmark_year} (given)"
    elif year_column is not None:
        how = f"the census or ACS release nearest each row's {year_column} (ties: the later)"
    else:
        how = "the latest census or ACS release"
    return (f"benchmark: {how}: {'; '.join(used)}; benchmark_share_low/high count race alone and any mention, "
            "ratio_benchmark_low/high the ratio over them (docs/methods.md: Representation ratio)")


def population_bounds(grouping: Grouping, levels: dict[str, tuple[int, ...]], index: int) -> Bounds:
    """The positive level's share of everyone (``index``-th counts; the grouping is disjoint) with
    the unknowns who could be in it all out and all in."""
    people = sum(c[index] for c in levels.values())
    level = grouping.positive or ""
    joinable = unknown_count(grouping, level, levels, index)
    return share_bounds(levels[level][index], people - joinable, joinable) if people else NAN_BOUNDS


def previous_stage(stage: str) -> str:
    return APPLICATION_STAGES[APPLICATION_STAGES.index(stage) - 1]


def stage_condition(stage: str) -> Condition:
    return Always() if stage == "applied" else FlagsTrue((stage,))


@dataclass
class RepresentationRatioPlan(SingleAsk):
    spec: RepresentationRatioSpec
    context: Context

    def __post_init__(self) -> None:
        spec = self.spec
        self.grouping = self.context.grouping(spec.category)
        if self.grouping.positive is None:
            raise InvalidSpecification(
                f"{spec.category} has no single level to compare; use a category or a crossing of two")
        self.grouping.require(spec.dataset)
        self.ref = self.context.require(spec.dataset, spec.metric)
        by = [grouping_column(spec.dataset, b) for b in spec.by]
        self.stage = spec.stage or "all"
        self.measures: tuple[Condition, ...] = ()
        if spec.stage is not None:
            self.measures = (stage_condition(spec.stage), stage_condition(previous_stage(spec.stage)))
        self.ask = Ask(dataset_source(spec.dataset), (*by, *self.grouping.dimensions(spec.dataset)), self.measures)

    def finish(self, answers: Answers) -> MetricResult:
        g, spec = self.grouping, self.spec
        table = answers.table(self.ask)
        groups = split_by(table, len(spec.by), g)
        year_at = next((i for i, b in enumerate(spec.by) if grouping_column(spec.dataset, b).kind == "year"), None)
        notes: list[str] = []
        used: dict[str, None] = {}
        if self.context.benchmark(g.benchmark_key, spec.population, spec.geography) is None:
            notes.append(f"no state benchmark for {g.id} ({spec.population}, {spec.geography}); no ratio to the state")
        rows: list[Row] = []
        at, before = (1, 2) if spec.stage is not None else (0, 0)
        for by, levels in groups.items():
            yes = levels[g.positive or ""][at]
            known = sum(c[at] for lv, c in levels.items() if not g.is_unknown(lv))
            unknown = sum(c[at] for lv, c in levels.items() if g.is_unknown(lv))
            bounds = population_bounds(g, levels, at)
            by_pairs = by_values(spec.by, by)
            row_year = by[year_at] if year_at is not None and isinstance(by[year_at], int) else None
            year = spec.benchmark_year if spec.benchmark_year is not None else row_year
            benchmark = self.context.benchmark(g.benchmark_key, spec.population, spec.geography, year)  # type: ignore[arg-type]
            if benchmark is not None:
                used[benchmark.name] = None
                rr = representation_ratio_fixed(yes, known, benchmark.share, spec.confidence)
                label = f"{benchmark.label} ({benchmark.population}, {benchmark.geography})"
                to_state = fixed_ratio_bounds(bounds, benchmark.share)
                definition = benchmark_ratio_bounds(rr.group.share, benchmark.share_low, benchmark.share_high)
                rows.append(RatioRow(spec.dataset, g.id, by_pairs, self.stage, "state", label, yes, known, unknown,
                                     rr.group.share, rr.group.lower, rr.group.upper, benchmark.numerator,
                                     float(benchmark.denominator), benchmark.share, rr.ratio, rr.estimate.lower,
                                     rr.estimate.upper, rr.estimate.method, rr.group.small_number,
                                     _known_note(known, unknown) or rr.estimate.note, bounds.low, bounds.high,
                                     to_state.low, to_state.high, None, benchmark.name, benchmark.year,
                                     benchmark.ages, benchmark.share_low, benchmark.share_high,
                                     definition.low, definition.high))
            if spec.stage is not None:
                prev_yes = levels[g.positive or ""][before]
                prev_known = sum(c[before] for lv, c in levels.items() if not g.is_unknown(lv))
                prev_unknown = sum(c[before] for lv, c in levels.items() if g.is_unknown(lv))
                rs = representation_ratio_sampled(yes, known, prev_yes, prev_known, spec.confidence)
                to_prev = ratio_bounds(bounds, population_bounds(g, levels, before))
                assert rs.reference is not None
                rows.append(RatioRow(spec.dataset, g.id, by_pairs, self.stage, "previous_stage",
                                     previous_stage(spec.stage), yes, known, unknown, rs.group.share, rs.group.lower,
                                     rs.group.upper, float(prev_yes), float(prev_known), rs.reference.share, rs.ratio,
                                     rs.estimate.lower, rs.estimate.upper, rs.estimate.method,
                                     rs.group.small_number or rs.reference.small_number,
                                     _known_note(known, unknown) or rs.estimate.note, bounds.low, bounds.high,
                                     to_prev.low, to_prev.high, prev_unknown))
        notes += unknown_bounds_note(g, RATIO_BOUNDS_NOTE)
        if used:
            notes.append(benchmark_note(spec.benchmark_year, spec.by[year_at] if year_at is not None else None,
                                        tuple(used)))
        totals = level_totals(table, g, range(len(spec.by), len(self.ask.dims)))
        method = ("share of the known with Wilson interval; ratio to a fixed census share, or Miettinen–Nurminen score interval "
                  "against the previous stage (docs/methods.md: Representation ratio)")
        if spec.stage is not None:
            notes.append("successive stages are nested, so the score interval against the previous stage is conservative")
        return MetricResult(spec.metric, spec, tuple(rows), (self.ref,), self.context.categories.version, method,
                            tuple(warnings_for(g, spec.dataset, totals)), tuple(notes))
