"""Many count requests over one dataset compiled into one query.

Contract
--------
* A :class:`CubeQuery` collects *dimensions* (category rules, race schemes, grouping columns and
  computed values such as survival times), *measures* (conditions counted with ``count_if``),
  *grouping sets* (the dimension combinations requests need) and *extents* (min/max of date
  columns). :meth:`CubeQuery.compile` returns one SQL statement with ``?`` parameters:

  1. lookup CTEs for the rules (:mod:`.lookups`);
  2. ``rows``: one scan of the dataset computing every dimension and measure per row;
  3. ``cube``: one aggregation over *all* dimensions together (few groups: category levels and
     years), with ``count(*)``, every ``count_if`` and the extents;
  4. ``GROUPING SETS`` over the cube, summing the counts: one marginal table per grouping set.

* :meth:`CompiledCube.decode` turns the result rows into a :class:`CubeResult`, from which each
  request reads its table with :meth:`CubeResult.table` — ``{dimension values: counts}`` where
  counts are ``(n, count of measure 1, …)`` in the order asked. Data NULLs are values (``None``)
  distinct from the roll-up, because grouping is decoded from ``GROUPING()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ristra.core.categories import SqlFragment
from ristra.core.categories.sql import quote_identifier
from ristra.core.metrics.columns import GroupingColumn
from ristra.core.metrics.conditions import Always, Condition
from ristra.core.metrics.errors import InvalidSpecification
from ristra.core.metrics.groupings import RuleDimension, SchemeDimension
from ristra.core.metrics.sql.lookups import RowCompiler
from ristra.core.metrics.sql.source import Source

MAX_DIMENSIONS = 60


@dataclass(frozen=True, eq=False)
class ValueDimension:
    """A computed per-row value to group by (e.g. days from hire to exit): ``fragment`` is SQL
    over the dataset's columns, ``python`` the same in Python."""

    key: str
    fragment: SqlFragment
    python: Callable[[Mapping[str, object]], object]

    def value(self, row: Mapping[str, object]) -> object:
        return self.python(row)


CubeDimension = RuleDimension | SchemeDimension | GroupingColumn | ValueDimension


def dimension_key(dim: CubeDimension) -> str:
    """The identity of a dimension within a query."""
    if isinstance(dim, GroupingColumn):
        return f"column:{dim.name}"
    return dim.key


def dimension_value(dim: CubeDimension, row: Mapping[str, object]) -> object:
    """The dimension's value for one row of canonical values (the reference evaluator's path)."""
    return dim.value(row)


@dataclass
class CubeQuery:
    """Count requests over one source (a dataset's rows), merged."""

    source: Source
    dimensions: dict[str, CubeDimension] = field(default_factory=dict)
    measures: list[Condition] = field(default_factory=list)
    grouping_sets: list[tuple[str, ...]] = field(default_factory=list)
    extents: list[str] = field(default_factory=list)

    def add(self, dims: Sequence[CubeDimension], measures: Sequence[Condition] = ()) -> tuple[str, ...]:
        """Ask for the table of ``dims`` with ``measures``; returns the dimension keys."""
        keys = []
        for dim in dims:
            key = dimension_key(dim)
            self.dimensions.setdefault(key, dim)
            keys.append(key)
        for m in measures:
            if not isinstance(m, Always) and m not in self.measures:
                self.measures.append(m)
        if tuple(keys) not in self.grouping_sets:
            self.grouping_sets.append(tuple(keys))
        return tuple(keys)

    def extent(self, column: str) -> None:
        if column not in self.extents:
            self.extents.append(column)

    def compile(self) -> CompiledCube:
        """The SQL statement and the layout needed to decode its rows."""
        if len(self.dimensions) > MAX_DIMENSIONS:
            raise InvalidSpecification(
                f"too many dimensions in one query over {self.source.dataset} ({len(self.dimensions)} > {MAX_DIMENSIONS}); "
                "ask for fewer categories or grouping columns at once")
        rows = RowCompiler(self.source.dataset, self.source.name)
        keys = list(self.dimensions)
        dim_sql: list[SqlFragment] = []
        for key in keys:
            dim = self.dimensions[key]
            if isinstance(dim, RuleDimension):
                dim_sql.append(rows.boolean(dim.rule))
            elif isinstance(dim, SchemeDimension):
                dim_sql.append(rows.in_family("ethnicity", dim.fragment, set(dim.columns)))
            elif isinstance(dim, GroupingColumn):
                dim_sql.append(rows.derived(dim.name) if dim.derived else SqlFragment(dim.sql(f'"src".{dim.quoted_source}')))
            else:
                dim_sql.append(dim.fragment)
        measure_sql = [m.sql() for m in self.measures]
        d = [f'"d{i}"' for i in range(len(keys))]
        selected = [f"({f.sql}) AS {d[i]}" for i, f in enumerate(dim_sql)]
        selected += [f'({f.sql}) AS "m{j}"' for j, f in enumerate(measure_sql)]
        selected += [f'"src".{quote_identifier(c)} AS "e{k}"' for k, c in enumerate(self.extents)]
        if not selected:
            selected = ["1 AS one"]
        ctes = rows.ctes()
        row_params = tuple(v for f in (*dim_sql, *measure_sql) for v in f.params)
        row_cte = SqlFragment(
            f'"rows" AS (SELECT {", ".join(selected)} FROM {quote_identifier(self.source.name)} AS "src" {rows.joins()})',
            row_params)
        counts = ['count(*) AS "n"'] + [f'count_if("m{j}") AS "c{j}"' for j in range(len(self.measures))]
        counts += [f'min("e{k}") AS "lo{k}", max("e{k}") AS "hi{k}"' for k in range(len(self.extents))]
        group = "GROUP BY ALL" if d else ""
        cube_cte = SqlFragment(f'"cube" AS (SELECT {", ".join([*d, *counts])} FROM "rows" {group})')
        sums = ['CAST(sum("n") AS BIGINT)'] + [f'CAST(sum("c{j}") AS BIGINT)' for j in range(len(self.measures))]
        sums += [f'min("lo{k}"), max("hi{k}")' for k in range(len(self.extents))]
        sets = self.grouping_sets or [()]
        if d:
            grouping = f'GROUPING({", ".join(d)})'
            set_sql = ", ".join("(" + ", ".join(d[keys.index(k)] for k in s) + ")" for s in sets)
            final = f'SELECT {grouping} AS "g", {", ".join([*d, *sums])} FROM "cube" GROUP BY GROUPING SETS ({set_sql})'
        else:
            final = f'SELECT 0 AS "g", {", ".join(sums)} FROM "cube"'
        prelude = [self.source.prelude] if self.source.prelude is not None else []
        parts = [*prelude, *ctes, row_cte, cube_cte]
        sql = "WITH " + ", ".join(p.sql for p in parts) + " " + final
        params = tuple(v for p in parts for v in p.params)
        return CompiledCube(SqlFragment(sql, params), tuple(keys), tuple(self.measures), tuple(self.extents),
                            tuple(sets))


@dataclass(frozen=True)
class CompiledCube:
    """A compiled cube query and its layout."""

    query: SqlFragment
    keys: tuple[str, ...]
    measures: tuple[Condition, ...]
    extents: tuple[str, ...]
    grouping_sets: tuple[tuple[str, ...], ...]

    def decode(self, rows: Sequence[Sequence[Any]]) -> CubeResult:
        """The result rows of :attr:`query` as a :class:`CubeResult`."""
        n = len(self.keys)
        width = 1 + len(self.measures)
        masks = {self._mask(s): s for s in self.grouping_sets}
        tables: dict[tuple[str, ...], dict[tuple[object, ...], tuple[int, ...]]] = {s: {} for s in self.grouping_sets}
        extents: dict[str, tuple[object, object]] = {}
        for row in rows:
            g = int(row[0])
            grouping_set = masks[g]
            values = tuple(row[1 + self.keys.index(k)] for k in grouping_set)
            counts = tuple(int(v or 0) for v in row[1 + n: 1 + n + width])
            tables[grouping_set][values] = counts
            rest = row[1 + n + width:]
            for k, column in enumerate(self.extents):
                lo, hi = rest[2 * k], rest[2 * k + 1]
                old = extents.get(column, (None, None))
                extents[column] = (_min(old[0], lo), _max(old[1], hi))
        return CubeResult(tables, self.measures, extents)

    def _mask(self, grouping_set: tuple[str, ...]) -> int:
        n = len(self.keys)
        return sum(1 << (n - 1 - i) for i, k in enumerate(self.keys) if k not in grouping_set)


def _min(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _max(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


@dataclass(frozen=True)
class CubeResult:
    """The marginal tables of one cube query (see the module docstring)."""

    tables: Mapping[tuple[str, ...], Mapping[tuple[object, ...], tuple[int, ...]]]
    measures: tuple[Condition, ...]
    extents: Mapping[str, tuple[object, object]]

    def table(self, keys: Sequence[str], measures: Sequence[Condition] = ()) -> dict[tuple[object, ...], tuple[int, ...]]:
        """``{values of keys: (n, count of each measure)}`` for a grouping set that was asked for."""
        found = self.tables[tuple(keys)]
        index = [0] + [1 + self.measures.index(m) if not isinstance(m, Always) else 0 for m in measures]
        return {values: tuple(counts[i] for i in index) for values, counts in found.items()}

    def extent(self, column: str) -> tuple[dt.date | None, dt.date | None]:
        lo, hi = self.extents.get(column, (None, None))
        return (lo if isinstance(lo, dt.date) else None, hi if isinstance(hi, dt.date) else None)
