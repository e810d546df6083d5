"""Sections bound to the metrics engine: ``path`` (state population → senior leadership),
``funnel`` (application stages with conversion and selection-rate ratios) and ``retention``
(Kaplan–Meier retention at yearly horizons).

Each binder asks for the engine's metric specifications (one per category), then turns each
:class:`~ristra.core.metrics.results.MetricResult` into a table of counts — every level of the
category and their total — with the statistics as derived cells that name the counts they come
from, so a statistic is withheld whenever one of its counts is suppressed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ristra.core.metrics.conditions import Always, Condition, FlagsTrue
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans.path import STAGES
from ristra.core.metrics.results import FunnelRow, MetricResult, PathRow, SelectionRow, SurvivalRow
from ristra.core.metrics.specs import (
    APPLICATION_STAGES,
    SELECTION_STAGES,
    FunnelSpec,
    MetricSpec,
    PathSpec,
    RetentionSpec,
    SelectionRatioSpec,
)
from ristra.core.stats.contingency import fisher_exact_tests
from ristra.core.stats.multiplicity import holm
from ristra.core.tables import DerivedCell, Sum, Table
from ristra.reports.measures import Meaning, atoms_of, meaning
from ristra.reports.sections import (
    TOTAL_LEVEL,
    Cell,
    ComputedSection,
    SectionTable,
    level_label,
    merged_note,
    share_label,
)
from ristra.reports.templates import Section

STAGE_CONDITIONS: Mapping[str, tuple[str, Condition]] = {stage: (ds, c) for stage, _, ds, c in STAGES}
FUNNEL_LABELS = {"applied": "Applied", "completed": "Completed", "interviewed": "Interviewed",
                 "offered": "Offered a place", "matriculated": "Matriculated"}
INTERVAL = "95% interval of the share"
NO_TIME_AT_RISK = "Records with no time at risk in the data window (a start on its last day) are left out."


def _rate(count: int, base: int) -> float | None:
    return count / base if base else None


def _finite(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def _level_meanings(dataset: str, condition: Condition, grouping: Grouping, row: int,
                    out: dict[Cell, Meaning]) -> None:
    atoms = atoms_of(condition)
    for c, level in enumerate((*grouping.levels, None)):
        out[(row, c)] = meaning(dataset, atoms, grouping.id if level else None, level)


class _MetricBinder:
    def __init__(self, section: Section, groupings: Sequence[Grouping]) -> None:
        self.section = section
        self.groupings = tuple(groupings)

    def asks(self) -> list[Any]:
        return []

    def specs(self) -> list[MetricSpec]:
        raise NotImplementedError

    def columns(self, g: Grouping) -> tuple[str, ...]:
        return (*(level_label(g, lv) for lv in g.levels), TOTAL_LEVEL)


class PathBinder(_MetricBinder):
    """The path of each category, stage by stage (see the module docstring)."""

    def specs(self) -> list[MetricSpec]:
        return [PathSpec(g.id) for g in self.groupings]

    def build(self, answers: Any, results: Mapping[MetricSpec, MetricResult]) -> ComputedSection:
        plans, notes = [], []
        for g in self.groupings:
            result = results[PathSpec(g.id)]
            rows: list[tuple[str]] = []
            grid: list[list[int]] = []
            derived: list[DerivedCell] = []
            meanings: dict[Cell, Meaning] = {}
            index: dict[str, int] = {}
            for row in result.rows:
                assert isinstance(row, PathRow)
                if row.count is None or row.known is None:
                    notes.append(f"{g.label}, {row.stage_label}: {row.note or 'no data'}.")
                    continue
                r = len(rows)
                yes, known = round(row.count), round(row.known)
                unknown = int(row.unknown or 0)
                grid.append([yes, known - yes, *(() if g.unknown_merged else (unknown,)), known + unknown])
                rows.append((row.stage_label,))
                index[row.stage] = r
                sources: tuple[Cell, ...] = ((r, 0), (r, 1))
                derived.append(DerivedCell(r, share_label(g), "share", _finite(row.share), sources))
                if row.lower is not None and row.upper is not None:
                    derived.append(DerivedCell(r, INTERVAL, "interval", (row.lower, row.upper), sources))
                if row.stage != "state_population":
                    _level_meanings(*STAGE_CONDITIONS[row.stage], g, r, meanings)
                    derived.append(DerivedCell(r, "Ratio to the state population", "ratio",
                                               _finite(row.ratio_to_state), sources))
                    prev = index.get(row.previous_stage or "")
                    if prev is not None and row.previous_stage != "state_population":
                        derived.append(DerivedCell(r, "Ratio to the stage before", "ratio",
                                                   _finite(row.ratio_to_previous),
                                                   (*sources, (prev, 0), (prev, 1))))
            table = Table(title=f"{self.section.title}: {g.label}", row_dims=("Stage",), row_labels=tuple(rows),
                          col_dim=g.label, col_labels=self.columns(g), counts=tuple(tuple(row) for row in grid),
                          col_sums=(Sum(len(g.levels), tuple(range(len(g.levels)))),), derived=tuple(derived),
                          key=f"{self.section.id}.{g.id}", notes=(*self.section.notes, *merged_note(g)))
            formats = {share_label(g): "percent", INTERVAL: "interval_percent", "Ratio to the state population": "ratio",
                       "Ratio to the stage before": "ratio"}
            plans.append(SectionTable(table, meanings, formats, g.id, g.label))
        return ComputedSection(self.section, tuple(plans), tuple(dict.fromkeys(notes)))


class FunnelBinder(_MetricBinder):
    """Application stages pooled over every cycle, with selection-rate ratios (four-fifths rule)."""

    def specs(self) -> list[MetricSpec]:
        return [s for g in self.groupings for s in (FunnelSpec(g.id), SelectionRatioSpec(g.id))]

    def build(self, answers: Any, results: Mapping[MetricSpec, MetricResult]) -> ComputedSection:
        plans = []
        for g in self.groupings:
            counts: dict[tuple[str, str], int] = {}
            for row in results[FunnelSpec(g.id)].rows:
                assert isinstance(row, FunnelRow)
                key = (row.stage, row.level)
                counts[key] = counts.get(key, 0) + row.count
            selection = {(r.stage, r.group): r for r in results[SelectionRatioSpec(g.id)].rows
                         if isinstance(r, SelectionRow) and r.scope == "pooled"}
            levels: list[str | None] = [*g.levels, None]
            rows: list[tuple[str, str]] = []
            grid: list[list[int]] = []
            sums: list[Sum] = []
            derived: list[DerivedCell] = []
            meanings: dict[Cell, Meaning] = {}
            at: dict[tuple[str, str | None], int] = {}
            for stage in APPLICATION_STAGES:
                first = len(rows)
                condition: Condition = Always() if stage == "applied" else FlagsTrue((stage,))
                for level in levels:
                    r = len(rows)
                    at[(stage, level)] = r
                    rows.append((FUNNEL_LABELS[stage], level_label(g, level) if level else TOTAL_LEVEL))
                    value = counts.get((stage, level), 0) if level else sum(counts.get((stage, lv), 0) for lv in g.levels)
                    grid.append([value])
                    meanings[(r, 0)] = meaning("applications", atoms_of(condition), g.id if level else None, level)
                sums.append(Sum(len(rows) - 1, tuple(range(first, len(rows) - 1))))
            for before, stage in zip(APPLICATION_STAGES, APPLICATION_STAGES[1:], strict=False):
                for level in levels:
                    r, prev = at[(stage, level)], at[(before, level)]
                    derived.append(DerivedCell(r, "Rate from the stage before", "rate",
                                               _rate(grid[r][0], grid[prev][0]), ((r, 0), (prev, 0))))
                chosen = {lv: selection.get((stage, lv)) for lv in g.levels}
                if stage not in SELECTION_STAGES or not any(chosen.values()):
                    continue
                # the reference group is chosen by the metric (highest rate among groups of at least
                # 30); the ratio and the test are recomputed from this table's own counts, so
                # each is exactly what a reader can compute from the published cells
                compared = []
                for level, picked in chosen.items():
                    if picked is None or picked.reference_group == level or picked.reference_group not in g.levels:
                        continue
                    ref = picked.reference_group
                    cells = (at[(stage, level)], at[(before, level)], at[(stage, ref)], at[(before, ref)])
                    compared.append((level, cells))
                tests = fisher_exact_tests([[[grid[a][0], grid[b][0] - grid[a][0]], [grid[c][0], grid[d][0] - grid[c][0]]]
                                            for _, (a, b, c, d) in compared])
                adjusted = holm([t.p_value for t in tests]).adjusted if tests else ()
                for (_, (a, b, c, d)), p_value in zip(compared, adjusted, strict=True):
                    mine, theirs = _rate(grid[a][0], grid[b][0]), _rate(grid[c][0], grid[d][0])
                    ratio = mine / theirs if mine is not None and theirs else None
                    sources = ((a, 0), (b, 0), (c, 0), (d, 0))
                    derived.append(DerivedCell(a, "Selection-rate ratio", "ratio", ratio, sources))
                    derived.append(DerivedCell(a, "Fisher p (Holm)", "other", _finite(p_value), sources))
            table = Table(title=f"{self.section.title}: {g.label}", row_dims=("Stage", "Membership"),
                          row_labels=tuple(rows), col_dim="Count", col_labels=("Applications",), counts=tuple(tuple(row) for row in grid),
                          row_sums=tuple(sums), derived=tuple(derived), key=f"{self.section.id}.{g.id}",
                          notes=(*self.section.notes, *merged_note(g)))
            formats = {"Rate from the stage before": "percent", "Selection-rate ratio": "ratio",
                       "Fisher p (Holm)": "pvalue"}
            plans.append(SectionTable(table, meanings, formats, g.id, g.label))
        notes = ("Rates are the stage's count divided by the stage before's, from the counts shown. Selection-rate "
                 "ratio: the group's rate divided by the reference group's (the highest rate among groups of at "
                 "least 30; four-fifths rule, 29 CFR 1607.4(D)), pooled over the cycles the table covers; Fisher's "
                 "exact test on the same counts, Holm's correction across the groups of a stage.",)
        return ComputedSection(self.section, tuple(plans), notes)


class RetentionBinder(_MetricBinder):
    """Kaplan–Meier retention of one employee population by category level."""

    def _spec(self, g: Grouping) -> RetentionSpec:
        return RetentionSpec(g.id, self.section.population, self.section.horizons)

    def specs(self) -> list[MetricSpec]:
        return [self._spec(g) for g in self.groupings]

    def _counted(self) -> tuple[str, ...]:
        """What each count column holds: people followed, separations, separations within each horizon."""
        return ("followed", "separated", *(f"separated within {h:g}" for h in self.section.horizons))

    def _meanings(self, g: Grouping) -> dict[Cell, Meaning]:
        """People followed and separations of one population: the same cells in every report."""
        out: dict[Cell, Meaning] = {}
        for r, level in enumerate((*g.levels, None)):
            for c, what in enumerate(self._counted()):
                atoms = frozenset({("retention", what, self.section.population)})
                out[(r, c)] = meaning("employees", atoms, g.id if level else None, level)
        return out

    def build(self, answers: Any, results: Mapping[MetricSpec, MetricResult]) -> ComputedSection:
        plans: list[SectionTable] = []
        notes: list[str] = []
        for g in self.groupings:
            result = results[self._spec(g)]
            # a note never carries a count the tables do not show: how many records had no time at
            # risk is left out, and the sentence is the same whether there were any
            notes.extend(n for n in result.notes if "no time at risk" not in n)
            notes.append(NO_TIME_AT_RISK)
            people: dict[str, tuple[int, int]] = {}
            estimates: dict[tuple[str, float], float | None] = {}
            within: dict[tuple[str, float], int] = {}
            logrank: float | None = None
            for row in result.rows:
                if not isinstance(row, SurvivalRow) or row.measure != "retention":
                    continue
                people[row.level] = (row.n, row.events)
                logrank = row.logrank_p if row.logrank_p is not None else logrank
                if row.horizon is not None:
                    estimates[(row.level, row.horizon)] = _finite(row.estimate)
                    within[(row.level, row.horizon)] = int(row.events_to_horizon or 0)
            horizons = self.section.horizons
            grid = [[*people.get(lv, (0, 0)), *(within.get((lv, h), 0) for h in horizons)] for lv in g.levels]
            grid.append([sum(r[i] for r in grid) for i in range(2 + len(horizons))])
            derived = []
            for r, level in enumerate(g.levels):
                for k, h in enumerate(horizons):
                    # derived from the leavers within the horizon: a few of them are suppressed with it
                    derived.append(DerivedCell(r, _horizon(h), "share", estimates.get((level, h)), ((r, 0), (r, 2 + k))))
            total = len(g.levels)
            derived.append(DerivedCell(total, "Log-rank p (known levels)", "other", _finite(logrank),
                                       tuple((r, c) for r in range(total) for c in (0, 1))))
            table = Table(title=f"{self.section.title}: {g.label}", row_dims=("Membership",),
                          row_labels=tuple((level_label(g, lv),) for lv in g.levels) + ((TOTAL_LEVEL,),),
                          col_dim="Count",
                          col_labels=("People followed", "Separations",
                                      *(f"Separations within {h:g} year{'s' if h != 1 else ''}" for h in horizons)),
                          counts=tuple(tuple(row) for row in grid),
                          row_sums=(Sum(total, tuple(range(total))),), derived=tuple(derived),
                          key=f"{self.section.id}.{g.id}", notes=(*self.section.notes, *merged_note(g)))
            formats = {_horizon(h): "percent" for h in self.section.horizons} | {"Log-rank p (known levels)": "pvalue"}
            plans.append(SectionTable(table, self._meanings(g), formats, g.id, g.label))
        return ComputedSection(self.section, tuple(plans), tuple(dict.fromkeys(notes)))


def _horizon(h: float) -> str:
    return f"Retained at {h:g} year{'s' if h != 1 else ''}"
