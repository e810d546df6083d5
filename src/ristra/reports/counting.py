"""Sections made of counts the metrics engine answers directly: ``table`` (rows: each category's
levels and their total; columns: measures, optionally by year and by a column's values) and
``breakdown`` (rows: values of a column; columns: one category's levels and their total).

Each binder states the :class:`~ristra.core.metrics.plans.Ask` values it needs (the engine
merges every ask over one dataset into one query) and then builds the section's
:class:`~ristra.reports.sections.SectionTable` values from the answers: counts with their additive
structure (each category's levels sum to its total; ``total_of`` columns sum their parts; a
breakdown's total row sums its rows and its total column the levels), derived rates and shares
with the counts they come from, and the meaning of every count (:mod:`.measures`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ristra.core.datasets import dataset
from ristra.core.metrics.columns import GroupingColumn, grouping_column
from ristra.core.metrics.conditions import AllOf, Always, CodeIn, Condition, FlagsTrue, both
from ristra.core.metrics.groupings import Grouping
from ristra.core.metrics.plans import Answers, Ask
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.tables import DerivedCell, Sum, Table
from ristra.reports.measures import MEASURES, Atom, Meaning, Measure, meaning, measure_atoms
from ristra.reports.sections import (
    TOTAL_LEVEL,
    Cell,
    ComputedSection,
    SectionTable,
    code_label,
    known_levels,
    level_label,
    merged_note,
    ordered,
    share_label,
)
from ristra.reports.templates import ColumnSpec, Section


def where_condition(where: Sequence[tuple[str, tuple[str, ...]]]) -> Condition:
    """The condition of a section's ``where`` filter (flags required true, codes or text in a list)."""
    parts: list[Condition] = []
    for column, values in where:
        parts.append(FlagsTrue((column,)) if values == ("true",) else CodeIn(column, values))
    if not parts:
        return Always()
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def vocabulary_of(dataset_name: str, column: str) -> tuple[str, ...]:
    ds = dataset(dataset_name)
    if column in ds.column_names and ds.column(column).vocabulary is not None:
        return ds.column(column).allowed_values
    return ()


@dataclass
class _Counts:
    """One ask's answer aggregated to ``{(year, by value, level): counts}``."""

    ask: Ask
    grouping: Grouping
    n_lead: int
    cells: dict[tuple[object, ...], list[int]] = field(default_factory=dict)

    def fill(self, answers: Answers) -> None:
        for key, counts in answers.table(self.ask).items():
            lead = key[: self.n_lead]
            level = self.grouping.level(key[self.n_lead:])
            for k in (lead + (level,), lead + (None,)):
                acc = self.cells.setdefault(k, [0] * len(counts))
                for i, v in enumerate(counts):
                    acc[i] += v

    def row(self, lead: tuple[object, ...], level: str | None) -> Sequence[int]:
        """The counts at ``lead`` and ``level`` (zeros where nobody is)."""
        return self.cells.get(lead + (level,)) or [0] * (1 + len(self.ask.measures))

    def lead_values(self, position: int) -> list[object]:
        return list(dict.fromkeys(k[position] for k in self.cells))


class MeasureIndex:
    """Positions of measure conditions in an ask's counts (``counts[0]`` is every row)."""

    def __init__(self, where: Condition, measures: Sequence[Measure]) -> None:
        conditions: list[Condition] = []
        for m in measures:
            for c in (both(where, m.condition), both(where, m.minus) if m.minus is not None else None):
                if c is not None and c not in conditions:
                    conditions.append(c)
        self.where = where
        self.conditions = tuple(conditions)

    def count(self, measure: Measure, counts: Sequence[int]) -> int:
        """The measure's count (minus its ``minus`` part) from one ask's counts."""
        total = int(counts[1 + self.conditions.index(both(self.where, measure.condition))])
        if measure.minus is not None:
            total -= int(counts[1 + self.conditions.index(both(self.where, measure.minus))])
        return total


@dataclass(frozen=True)
class _Column:
    spec: ColumnSpec
    year: object
    value: object
    has_value: bool
    label: str


class CountTableBinder:
    """A ``table`` section (see the module docstring)."""

    def __init__(self, section: Section, groupings: Sequence[Grouping]) -> None:
        self.section = section
        self.groupings = tuple(groupings)
        self.dataset = section.dataset
        self.where = where_condition(section.where)
        self.measures = {c.id: MEASURES[c.metric] for c in section.columns}
        self.index = MeasureIndex(self.where, list(self.measures.values()))
        self.year: GroupingColumn | None = grouping_column(self.dataset, section.years.column) if section.years else None
        self.shapes = list(dict.fromkeys((c.by, self._yearly(c)) for c in section.columns))
        self.counts: dict[tuple[str, str | None, bool], _Counts] = {}
        for g in self.groupings:
            for by, yearly in self.shapes:
                dims = [*([self.year] if yearly and self.year else []),
                        *([grouping_column(self.dataset, by)] if by else [])]
                ask = Ask(dataset_source(self.dataset), (*dims, *g.dimensions(self.dataset)), self.index.conditions)
                self.counts[(g.id, by, yearly)] = _Counts(ask, g, len(dims))

    def _yearly(self, spec: ColumnSpec) -> bool:
        return self.year is not None and spec.per_year

    def asks(self) -> list[Ask]:
        return [c.ask for c in self.counts.values()]

    def specs(self) -> list[Any]:
        return []

    def _columns(self, first: str) -> list[_Column]:
        years: list[object] = []
        yearly = next((key for key in self.counts if key[0] == first and key[2]), None)
        if yearly is not None:
            found = [y for y in ordered(self.counts[yearly].lead_values(0)) if y is not None]
            years = found[-self.section.years.recent:] if self.section.years and self.section.years.recent else found
        blocks: list[tuple[object, list[ColumnSpec]]] = [(y, [c for c in self.section.columns if self._yearly(c)])
                                                         for y in years]
        blocks.append((None, [c for c in self.section.columns if not self._yearly(c)]))
        columns: list[_Column] = []
        for year, specs in blocks:
            prefix = f"{year}: " if year is not None else ""
            for spec in specs:
                if spec.by is None:
                    columns.append(_Column(spec, year, None, False, prefix + spec.label))
                    continue
                counts = self.counts[(first, spec.by, self._yearly(spec))]
                position = 1 if self._yearly(spec) else 0
                values = ordered(counts.lead_values(position), vocabulary_of(self.dataset, spec.by))
                for value in values:
                    if any(self._count(first, spec, y, value, None) for y in (years if self._yearly(spec) else [None])):
                        columns.append(_Column(spec, year, value, True, f"{prefix}{spec.label}: {code_label(value)}"))
        return columns

    def _count(self, gid: str, spec: ColumnSpec, year: object, value: object, level: str | None) -> int:
        yearly = self._yearly(spec)
        counts = self.counts[(gid, spec.by, yearly)]
        lead = (*((year,) if yearly else ()), *((value,) if spec.by else ()))
        return self.index.count(self.measures[spec.id], counts.row(lead, level))

    def build(self, answers: Answers, results: Mapping[Any, Any]) -> ComputedSection:
        for each in self.counts.values():
            each.fill(answers)
        columns = self._columns(self.groupings[0].id)
        if not columns:
            return ComputedSection(self.section, (), ("No data in the current snapshot for this table.",))
        rows: list[tuple[str, str]] = []
        grid: list[list[int]] = []
        meanings: dict[Cell, Meaning] = {}
        row_sums: list[Sum] = []
        for g in self.groupings:
            first = len(rows)
            for level in (*g.levels, None):
                r = len(rows)
                rows.append((g.label, level_label(g, level) if level else TOTAL_LEVEL))
                grid.append([self._count(g.id, col.spec, col.year, col.value, level) for col in columns])
                for c, col in enumerate(columns):
                    meanings[(r, c)] = self._meaning(col, g.id if level else None, level)
            row_sums.append(Sum(len(rows) - 1, tuple(range(first, len(rows) - 1))))
        table = Table(title=self.section.title, row_dims=("Category", "Membership"), row_labels=tuple(rows),
                      col_dim="Measure", col_labels=tuple(col.label for col in columns), counts=_rows(grid),
                      row_sums=tuple(row_sums), col_sums=self._col_sums(columns),
                      derived=self._rates(columns, grid), key=self.section.id,
                      notes=(*self.section.notes, *dict.fromkeys(n for g in self.groupings for n in merged_note(g))))
        formats = {d.column: "percent" for d in table.derived}
        return ComputedSection(self.section, (SectionTable(table, meanings, formats),))

    def _meaning(self, col: _Column, gid: str | None, level: str | None) -> Meaning:
        atoms = measure_atoms(self.measures[col.spec.id], self.where)
        by: dict[str, object] = {}
        if self.year is not None and col.year is not None:
            by[self.year.name] = col.year
        if col.has_value and col.spec.by:
            by[col.spec.by] = col.value
        return meaning(self.dataset, atoms, gid, level, by)

    def _col_sums(self, columns: Sequence[_Column]) -> tuple[Sum, ...]:
        sums = []
        for c, col in enumerate(columns):
            if col.spec.total_of:
                parts = tuple(i for i, other in enumerate(columns)
                              if other.year == col.year and other.spec.id in col.spec.total_of)
                if parts:
                    sums.append(Sum(c, parts))
        return tuple(sums)

    def _rates(self, columns: Sequence[_Column], grid: Sequence[Sequence[int]]) -> tuple[DerivedCell, ...]:
        def matches(name: str, col: _Column) -> bool:
            spec_id, _, value = name.partition(":")
            return col.spec.id == spec_id and (not value or (col.has_value and str(col.value) == value))

        cells = []
        years = list(dict.fromkeys(c.year for c in columns))
        for year in years:
            block = [i for i, c in enumerate(columns) if c.year == year]
            for rate in self.section.rates:
                label = f"{year}: {rate.label}" if year is not None else rate.label
                numerator = [i for i in block if any(matches(n, columns[i]) for n in rate.numerator)]
                denominator = [i for i in block if matches(rate.denominator, columns[i])]
                if len(denominator) != 1 or not numerator:
                    continue
                for r, row in enumerate(grid):
                    den = row[denominator[0]]
                    value = sum(row[i] for i in numerator) / den if den else None
                    sources = tuple((r, i) for i in (*numerator, denominator[0]))
                    cells.append(DerivedCell(r, label, "rate", value, sources))
        return tuple(cells)


class BreakdownBinder:
    """A ``breakdown`` section: one table per category (see the module docstring)."""

    def __init__(self, section: Section, groupings: Sequence[Grouping]) -> None:
        self.section = section
        self.groupings = tuple(groupings)
        self.dataset = section.dataset
        self.where = where_condition(section.where)
        self.measure = MEASURES[section.metric]
        self.index = MeasureIndex(self.where, [self.measure])
        self.by = grouping_column(self.dataset, section.rows_by)
        self.counts = {g.id: _Counts(Ask(dataset_source(self.dataset), (self.by, *g.dimensions(self.dataset)),
                                         self.index.conditions), g, 1) for g in self.groupings}

    def asks(self) -> list[Ask]:
        return [c.ask for c in self.counts.values()]

    def specs(self) -> list[Any]:
        return []

    def _values(self) -> tuple[list[object], bool]:
        first = self.counts[self.groupings[0].id]
        values = ordered(first.lead_values(0), vocabulary_of(self.dataset, self.by.source))
        if self.by.kind == "year":
            years = [v for v in values if v is not None]
            recent = self.section.years.recent if self.section.years else None
            shown = years[-recent:] if recent else years
            return shown, len(shown) == len(values)
        return [v for v in values if self.index.count(self.measure, first.row((v,), None))], True

    def build(self, answers: Answers, results: Mapping[Any, Any]) -> ComputedSection:
        for each in self.counts.values():
            each.fill(answers)
        values, complete = self._values()
        if not values:
            return ComputedSection(self.section, (), ("No data in the current snapshot for this table.",))
        atoms = measure_atoms(self.measure, self.where)
        plans = []
        for g in self.groupings:
            counts = self.counts[g.id]
            levels: list[str | None] = [*g.levels, None]
            grid = [[self.index.count(self.measure, counts.row((v,), lv)) for lv in levels]
                    for v in values]
            grid.append([sum(row[c] for row in grid) for c in range(len(levels))])
            meanings: dict[Cell, Meaning] = {}
            total_atoms: frozenset[Atom] = atoms if complete else atoms | {("in", self.by.name, *map(str, values))}
            for c, lv in enumerate(levels):
                gid = g.id if lv else None
                for r, v in enumerate(values):
                    meanings[(r, c)] = meaning(self.dataset, atoms, gid, lv, {self.by.name: v})
                meanings[(len(values), c)] = meaning(self.dataset, total_atoms, gid, lv)
            table = Table(
                title=f"{self.section.title}: {g.label}", row_dims=(code_label(self.by.name),),
                row_labels=tuple((code_label(v),) for v in values) + ((self.section.rows_total,),),
                col_dim=g.label, col_labels=tuple(level_label(g, lv) if lv else TOTAL_LEVEL for lv in levels),
                counts=_rows(grid), row_sums=(Sum(len(values), tuple(range(len(values)))),),
                col_sums=(Sum(len(levels) - 1, tuple(range(len(levels) - 1))),),
                derived=self._shares(g, grid), key=f"{self.section.id}.{g.id}",
                notes=(*self.section.notes, *merged_note(g)))
            plans.append(SectionTable(table, meanings, {d.column: "percent" for d in table.derived}, g.id, g.label))
        return ComputedSection(self.section, tuple(plans))

    def _shares(self, g: Grouping, grid: Sequence[Sequence[int]]) -> tuple[DerivedCell, ...]:
        known = [g.levels.index(lv) for lv in known_levels(g)]
        targets = [g.levels.index(g.positive)] if g.positive else known
        cells = []
        for target in targets:
            label = share_label(g) if g.positive else f"Share {level_label(g, g.levels[target])} (of known)"
            for r, row in enumerate(grid):
                den = sum(row[i] for i in known)
                cells.append(DerivedCell(r, label, "share", row[target] / den if den else None,
                                         tuple((r, i) for i in known)))
        return tuple(cells)


def _rows(grid: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(row) for row in grid)
