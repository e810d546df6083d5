"""Many count requests over one dataset compiled into one query.

Contract
--------
* A :class:`CubeQuery` collects *dimensions* (category rules, race schemes, grouping columns and
  computed values such as survival times), *measures* (conditions counted with ``count_if``),
  *grouping sets* (the dimension combinations requests need) and *extents* (min/max of date
  columns). :meth:`CubeQuery.compile` returns one SQL statement with ``?`` parameters:

  1. lookup CTEs for the rules (:mod:`.lookups`), over key tables the caller creates once per
     dataset (:attr:`CompiledCube.key_tables`); where a key table is built from the vocabularies
     or from a snapshot's stored place keys, the rows also count the values it lacks (``"miss"``,
     :meth:`CompiledCube.misses`);
  2. ``rows``: one scan of the dataset computing every dimension and measure per row;
  3. ``cube``: one aggregation over *all* dimensions together (few groups: category levels and
     years), with ``count(*)``, every ``count_if`` and the extents;
  4. ``GROUPING SETS`` over the cube, summing the counts: one marginal table per grouping set.

  With computed values (survival times: nearly one group per row) there is no small cube. The
  category rules of a grouping set (TRUE / FALSE / NULL) are then *pivoted*: the rows are grouped
  by the set's other dimensions only, and each combination of rule values becomes a ``count_if``
  column — a few thousand groups with a few dozen columns instead of a hundred thousand groups
  per category. :meth:`CompiledCube.decode` turns the columns back into rows, so the
  tables are the same.

* :meth:`CompiledCube.decode` turns the result rows into a :class:`CubeResult`, from which each
  request reads its table with :meth:`CubeResult.table` — ``{dimension values: counts}`` where
  counts are ``(n, count of measure 1, …)`` in the order asked. Data NULLs are values (``None``)
  distinct from the roll-up, because grouping is decoded from ``GROUPING()``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ristra.core.categories import SqlFragment
from ristra.core.metrics.columns import GroupingColumn
from ristra.core.metrics.conditions import Always, Condition
from ristra.core.metrics.errors import InvalidSpecification
from ristra.core.metrics.groupings import RuleDimension, SchemeDimension
from ristra.core.metrics.sql.lookups import KeyTable, RowCompiler
from ristra.core.metrics.sql.set_columns import SetColumns, concatenate, masked
from ristra.core.metrics.sql.source import Source
from ristra.core.sql_dialect import Dialect

__all__ = ["CompiledCube", "CubeDimension", "CubeQuery", "CubeResult", "Pivot", "SetColumns", "SqlBuilder",
           "ValueDimension", "dimension_key", "dimension_value", "masked"]

MAX_DIMENSIONS = 60
ROWS, CUBE = '"rows"', '"cube"'

MISS, COUNT, TRUE_SQL = '"miss"', '"n"', "TRUE"


def _total(dialect: Dialect, column: str) -> str:
    """The sum of a count column, as a 64-bit integer."""
    return dialect.cast(f"sum({column})", dialect.bigint)


def _count(j: int) -> str:
    """The count column of measure ``j``."""
    return f'"c{j}"'


def _measure(j: int) -> str:
    """The per-row column of measure ``j``."""
    return f'"m{j}"'


#: SQL written in the dialect it is given (plans hold these, never SQL text).
SqlBuilder = Callable[[Dialect], SqlFragment]


@dataclass(frozen=True, eq=False)
class ValueDimension:
    """A computed per-row value to group by (e.g. days from hire to exit): ``sql`` writes it in a
    dialect over the dataset's ``columns``, ``python`` computes the same in Python; ``origin`` is
    the definition it came from (for other evaluators)."""

    key: str
    sql: SqlBuilder
    python: Callable[[Mapping[str, object]], object]
    columns: tuple[str, ...] = ()
    origin: object = None

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
    wheres: list[SqlBuilder] = field(default_factory=list)
    unrestricted: bool = False
    scopes: list[SqlBuilder] = field(default_factory=list)
    unscoped: bool = False

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

    def columns_read(self) -> dict[str, set[str]]:
        """The canonical columns each dataset contributes to this query (for benchmarks and audits)."""
        from ristra.core.categories import DERIVED

        def raw(column: str) -> tuple[str, ...]:
            return DERIVED[column].inputs[self.source.dataset] if column in DERIVED else (column,)

        own: set[str] = set()
        for dim in self.dimensions.values():
            if isinstance(dim, RuleDimension):
                names: tuple[str, ...] = tuple(dim.rule.columns)
            elif isinstance(dim, SchemeDimension):
                names = dim.columns
            elif isinstance(dim, GroupingColumn):
                names = (dim.source,)
            else:
                names = dim.columns
            own.update(c for name in names for c in raw(name))
        own.update(c for m in self.measures for c in m.columns())
        own.update(self.extents)
        result: dict[str, set[str]] = {}
        for dataset, columns in self.source.columns:
            result.setdefault(dataset, set()).update(columns)
        if self.source.prelude is None:
            result.setdefault(self.source.dataset, set()).update(own)
        else:  # the prelude's relation adds columns to the dataset's own; those come from the dataset
            spells = {c for c in own if c.startswith(("rank_start_", "promoted_"))}
            result.setdefault(self.source.dataset, set()).update(own - spells)
        return result

    def restrict(self, where: SqlBuilder | None) -> None:
        """Rows outside every asker's ``where`` may be skipped (None: every row is needed)."""
        if where is None:
            self.unrestricted = True
        elif where not in self.wheres:
            self.wheres.append(where)

    def within(self, scope: SqlBuilder | None) -> None:
        """Every row an asker reads satisfies ``scope`` (over the dataset's own columns; None:
        any row may be read). Over a joined relation the query skips other rows before joining."""
        if scope is None:
            self.unscoped = True
        elif scope not in self.scopes:
            self.scopes.append(scope)

    def compile(self, dialect: Dialect, exact: bool = False, stored: frozenset[str] = frozenset()) -> CompiledCube:
        """The SQL statement in ``dialect`` and the layout needed to decode its rows (``exact``: see
        :meth:`~.lookups.RowCompiler.joins`; ``stored``: the place families whose keys the
        source dataset's snapshot stores, see :class:`~.lookups.RowCompiler`).

        Without computed values the rows are first aggregated over every dimension at once (few
        groups), and the grouping sets are taken from that small cube; with computed values
        (survival times, nearly one group per row) the grouping sets are taken from the rows.
        """
        if len(self.dimensions) > MAX_DIMENSIONS:
            raise InvalidSpecification(
                f"too many dimensions in one query over {self.source.dataset} ({len(self.dimensions)} > "
                f"{MAX_DIMENSIONS}); ask for fewer categories or grouping columns at once")
        condition = None
        wheres = list(dict.fromkeys(w(dialect) for w in self.wheres))
        scopes = list(dict.fromkeys(sc(dialect) for sc in self.scopes))
        if wheres and not self.unrestricted:
            condition = SqlFragment("(" + " OR ".join(f"coalesce({w.sql}, FALSE)" for w in wheres) + ")",
                                    tuple(v for w in wheres for v in w.params))
            if self.source.prelude is not None and scopes and not self.unscoped:
                # implied by the condition, and over the dataset's columns only: DuckDB applies it
                # to the dataset's rows before the prelude's join
                condition = SqlFragment(f"({' OR '.join(sc.sql for sc in scopes)}) AND {condition.sql}",
                                        tuple(v for sc in scopes for v in sc.params) + condition.params)
        rows = RowCompiler(self.source.dataset, dialect, stored)
        keys = list(self.dimensions)
        dim_sql: list[SqlFragment] = []
        for key in keys:
            dim = self.dimensions[key]
            if isinstance(dim, RuleDimension):
                dim_sql.append(rows.boolean(dim.rule))
            elif isinstance(dim, SchemeDimension):
                dim_sql.append(rows.in_family("ethnicity", dim.sql(dialect), set(dim.columns)))
            elif isinstance(dim, GroupingColumn):
                dim_sql.append(rows.derived(dim.name) if dim.derived
                               else SqlFragment(dim.sql(f'"src".{dialect.quote(dim.source)}', dialect)))
            else:
                dim_sql.append(dim.sql(dialect))
        measure_sql = [m.sql(dialect) for m in self.measures]
        d = [f'"d{i}"' for i in range(len(keys))]
        selected = [f"({f.sql}) AS {d[i]}" for i, f in enumerate(dim_sql)]
        selected += [f'({f.sql}) AS "m{j}"' for j, f in enumerate(measure_sql)]
        selected += [f'"src".{dialect.quote(c)} AS "e{k}"' for k, c in enumerate(self.extents)]
        misses = rows.misses_sql(exact)
        if misses is not None:
            selected.append(f'({misses}) AS "miss"')
        if not selected:
            selected = ["1 AS one"]
        ctes = rows.ctes(exact)
        where = SqlFragment(f" WHERE {condition.sql}", condition.params) if condition else SqlFragment("")
        row_params = tuple(v for f in (*dim_sql, *measure_sql) for v in f.params) + where.params
        row_cte = SqlFragment(
            f'"rows" AS (SELECT {", ".join(selected)} FROM {dialect.quote(self.source.name)} AS "src" '
            f'{rows.joins(exact)}{where.sql})', row_params)
        direct = any(isinstance(dim, ValueDimension) for dim in self.dimensions.values())
        counts = ['count(*) AS "n"'] + [f'{dialect.count_if(_measure(j))} AS "c{j}"' for j in range(len(self.measures))]
        counts += [f'min("e{k}") AS "lo{k}", max("e{k}") AS "hi{k}"' for k in range(len(self.extents))]
        sums = [f'{_total(dialect, COUNT)} AS "n"']
        sums += [f'{_total(dialect, _count(j))} AS "c{j}"' for j in range(len(self.measures))]
        sums += [f'min("lo{k}") AS "lo{k}", max("hi{k}") AS "hi{k}"' for k in range(len(self.extents))]
        if misses is not None:
            counts.append(f'{dialect.count_if(MISS)} AS "miss"')
            sums.append(f'{_total(dialect, MISS)} AS "miss"')
        sets = self.grouping_sets or [()]
        parts = [*([self.source.prelude.sql(dialect)] if self.source.prelude is not None else []), *ctes, row_cte]
        pivot = Pivot.plan(keys, sets, self.dimensions) if direct else None
        if pivot is not None:
            parts.append(pivot.final(dialect, d, keys, len(self.measures), len(self.extents), misses is not None))
        else:
            group = dialect.group_by_all(d) if d else ""
            parts.append(SqlFragment(f'"cube" AS (SELECT {", ".join([*d, *counts])} FROM "rows" {group})'))
            parts.append(SqlFragment(f'"result" AS ({_grouping_sets(d, keys, sets, sums, CUBE)})'))
        sql = ("WITH " + ", ".join(p.sql for p in parts)
               + f' SELECT *, {"0" if exact else rows.collisions_sql()} AS "collisions" FROM "result"')
        params = tuple(v for p in parts for v in p.params)
        return CompiledCube(SqlFragment(sql, params), tuple(keys), tuple(self.measures), tuple(self.extents),
                            tuple(sets), pivot, tuple(rows.key_tables(exact)))


def _grouping_sets(d: Sequence[str], keys: Sequence[str], sets: Sequence[tuple[str, ...]],
                   aggregates: Sequence[str], source: str) -> str:
    """``SELECT GROUPING(...) AS g, dims, aggregates FROM source GROUP BY GROUPING SETS (...)``
    over the dimensions ``d`` (named by ``keys``)."""
    if not d:
        return f'SELECT 0 AS "g", {", ".join(aggregates)} FROM {source}'
    set_sql = ", ".join("(" + ", ".join(d[keys.index(k)] for k in s) + ")" for s in sets)
    return (f'SELECT GROUPING({", ".join(d)}) AS "g", {", ".join([*d, *aggregates])} FROM {source} '
            f"GROUP BY GROUPING SETS ({set_sql})")


#: The values of a rule dimension and the SQL test for each (see :class:`Pivot`).
TRUTH: tuple[tuple[bool | None, str], ...] = ((True, "IS TRUE"), (False, "IS FALSE"), (None, "IS NULL"))


@dataclass(frozen=True)
class Pivot:
    """The layout of a query whose rule dimensions are pivoted into columns (module docstring).

    ``grouped`` are the dimensions still grouped by (in key order); ``splits`` gives, per grouping
    set, its pivoted keys and its grouped keys; ``blocks`` lists the distinct pivoted key tuples,
    each with ``3 ** len`` value combinations (in :data:`TRUTH` order) of ``1 + measures``
    count columns named ``p<block>_<combo>_<i>``.
    """

    grouped: tuple[str, ...]
    splits: Mapping[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]]
    blocks: tuple[tuple[str, ...], ...]

    @classmethod
    def plan(cls, keys: Sequence[str], sets: Sequence[tuple[str, ...]],
             dimensions: Mapping[str, CubeDimension]) -> Pivot:
        def pivoted(k: str) -> bool:
            return isinstance(dimensions[k], RuleDimension)
        splits = {s: (tuple(k for k in s if pivoted(k)), tuple(k for k in s if not pivoted(k))) for s in sets}
        grouped = tuple(k for k in keys if any(k in r for _, r in splits.values()))
        blocks = tuple(dict.fromkeys(p for p, _ in splits.values()))
        return cls(grouped, splits, blocks)

    @staticmethod
    def combos(width: int) -> list[tuple[tuple[bool | None, str], ...]]:
        return list(itertools.product(TRUTH, repeat=width))

    def final(self, dialect: Dialect, d: Sequence[str], keys: Sequence[str], n_measures: int, n_extents: int,
              misses: bool = False) -> SqlFragment:
        """The ``"result"`` CTE over ``"rows"`` in ``dialect`` (``misses``: count the rows' ``"miss"`` too)."""
        aggregates = []
        for b, block in enumerate(self.blocks):
            for c, combo in enumerate(self.combos(len(block))):
                test = " AND ".join(f"{d[keys.index(k)]} {sql}" for k, (_, sql) in zip(block, combo, strict=True))
                people = _pivot_count(dialect, block, combo, d, keys) or dialect.count_if(test or "TRUE")
                aggregates.append(f'{people} AS "p{b}_{c}_0"')
                aggregates += [f'{dialect.count_if(f"{_measure(j)} AND {test or TRUE_SQL}")} AS "p{b}_{c}_{1 + j}"'
                               for j in range(n_measures)]
        aggregates += [f'min("e{k}") AS "lo{k}", max("e{k}") AS "hi{k}"' for k in range(n_extents)]
        if misses:
            aggregates.append(f'{dialect.count_if(MISS)} AS "miss"')
        grouped_d = [d[keys.index(k)] for k in self.grouped]
        grouped_sets = list(dict.fromkeys(r for _, r in self.splits.values()))
        return SqlFragment(f'"result" AS ({_grouping_sets(grouped_d, self.grouped, grouped_sets, aggregates, ROWS)})')

    def decode(self, grouping_set: tuple[str, ...], arrays: Mapping[str, np.ndarray[Any, Any]],
               keys: Sequence[str], n_measures: int) -> SetColumns:
        """One grouping set's table from the pivoted result: a row per grouped value and rule
        combination with at least one person."""
        block, grouped = self.splits[grouping_set]
        n = len(self.grouped)
        mask = sum(1 << (n - 1 - i) for i, k in enumerate(self.grouped) if k not in grouped)
        rows = np.flatnonzero(np.ma.getdata(arrays["g"]).astype(np.int64) == mask)
        # plain arrays and their masks, indexed once (indexing masked arrays is slow)
        grouped_values = {k: (np.ma.getdata(arrays[f"d{keys.index(k)}"])[rows],
                              np.ma.getmaskarray(arrays[f"d{keys.index(k)}"])[rows]) for k in grouped}
        b = self.blocks.index(block)
        values: list[list[np.ma.MaskedArray[Any, Any]]] = [[] for _ in grouping_set]
        counts = []
        for c, combo in enumerate(self.combos(len(block))):
            columns = [_counts(arrays[f"p{b}_{c}_{i}"], rows) for i in range(1 + n_measures)]
            keep = np.flatnonzero(columns[0] > 0)
            size = keep.size
            counts.append(np.column_stack([column[keep] for column in columns]))
            truth = dict(zip(block, (v for v, _ in combo), strict=True))
            for i, k in enumerate(grouping_set):
                if k in truth:
                    v = truth[k]
                    values[i].append(np.ma.MaskedArray(np.full(size, bool(v)), mask=np.full(size, v is None)))
                else:
                    data, missing = grouped_values[k]
                    values[i].append(np.ma.MaskedArray(data[keep], mask=missing[keep]))
        return SetColumns(tuple(concatenate(v) for v in values),
                          np.concatenate(counts).reshape(-1, 1 + n_measures))


def _counts(column: np.ndarray[Any, Any], rows: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """A fetched count column at ``rows``, NULL (no row counted) as 0."""
    data: np.ndarray[Any, np.dtype[np.int64]] = np.ma.getdata(column)[rows].astype(np.int64)
    if np.ma.is_masked(column):
        data[np.ma.getmaskarray(column)[rows]] = 0
    return data


def _pivot_count(dialect: Dialect, block: tuple[str, ...], combo: Sequence[tuple[bool | None, str]],
                 d: Sequence[str], keys: Sequence[str]) -> str | None:
    """The people count of one value of a single pivoted rule, from aggregates over the rule's
    column itself: TRUE = ``count_if(d)``, FALSE = ``count(d) - count_if(d)``, NULL =
    ``count(*) - count(d)`` — identities over the same rows that need no per-row test (DuckDB
    computes each distinct aggregate once). None for blocks of several rules (tested per row)."""
    if len(block) != 1:
        return None
    column, value = d[keys.index(block[0])], combo[0][0]
    if value is True:
        return dialect.count_if(column)
    if value is False:
        return f"(count({column}) - {dialect.count_if(column)})"
    return f"(count(*) - count({column}))"


@dataclass(frozen=True)
class CompiledCube:
    """A compiled cube query and its layout."""

    query: SqlFragment
    keys: tuple[str, ...]
    measures: tuple[Condition, ...]
    extents: tuple[str, ...]
    grouping_sets: tuple[tuple[str, ...], ...]
    pivot: Pivot | None = None
    #: Tables :attr:`query` reads that the caller must create first (:class:`~.lookups.KeyTable`).
    key_tables: tuple[KeyTable, ...] = ()

    def collisions(self, arrays: Mapping[str, np.ndarray[Any, Any]]) -> int:
        """How many lookup rows shared a hash (nonzero: compile with ``exact`` and run again)."""
        values = np.ma.filled(np.ma.asarray(arrays["collisions"]), 0)
        return int(values.max()) if values.size else 0

    def misses(self, arrays: Mapping[str, np.ndarray[Any, Any]]) -> bool:
        """Whether a row found no row in a key table built from the vocabularies or from stored
        place keys (then compile with ``exact`` and run again). Every row is counted in some group of every grouping set,
        so one group with a miss is enough to know."""
        if "miss" not in arrays:
            return False
        values = np.ma.filled(np.ma.asarray(arrays["miss"]), 0)
        return bool(values.size and values.max() > 0)

    def decode(self, arrays: Mapping[str, np.ndarray[Any, Any]]) -> CubeResult:
        """The result of :attr:`query`, fetched column by column (``fetchnumpy()``)."""
        sets: dict[tuple[str, ...], SetColumns] = {}
        if self.pivot is not None:
            for grouping_set in self.grouping_sets:
                sets[grouping_set] = self.pivot.decode(grouping_set, arrays, self.keys, len(self.measures))
        else:
            g = np.ma.getdata(arrays["g"]).astype(np.int64)
            names = ["n", *(f"c{j}" for j in range(len(self.measures)))]
            counts = np.column_stack([np.ma.filled(np.ma.asarray(arrays[c]), 0).astype(np.int64) for c in names])
            for grouping_set in self.grouping_sets:
                rows = g == self._mask(grouping_set)
                values = tuple(np.ma.asarray(arrays[f"d{self.keys.index(k)}"])[rows] for k in grouping_set)
                sets[grouping_set] = SetColumns(values, counts[rows])
        extents: dict[str, tuple[object, object]] = {}
        for k, column in enumerate(self.extents):
            los: list[Any] = [_day(v) for v in np.ma.asarray(arrays[f"lo{k}"]).tolist() if v is not None]
            his: list[Any] = [_day(v) for v in np.ma.asarray(arrays[f"hi{k}"]).tolist() if v is not None]
            extents[column] = (min(los) if los else None, max(his) if his else None)
        return CubeResult(sets, self.measures, extents)

    def _mask(self, grouping_set: tuple[str, ...]) -> int:
        n = len(self.keys)
        return sum(1 << (n - 1 - i) for i, k in enumerate(self.keys) if k not in grouping_set)


def _day(value: object) -> object:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class CubeResult:
    """The marginal tables of one cube query (see the module docstring)."""

    sets: Mapping[tuple[str, ...], SetColumns]
    measures: tuple[Condition, ...]
    extents: Mapping[str, tuple[object, object]]

    def _index(self, measures: Sequence[Condition]) -> list[int]:
        return [0] + [1 + self.measures.index(m) if not isinstance(m, Always) else 0 for m in measures]

    def table(self, keys: Sequence[str], measures: Sequence[Condition] = ()) -> dict[tuple[object, ...], tuple[int, ...]]:
        """``{values of keys: (n, count of each measure)}`` for a grouping set that was asked for."""
        return self.sets[tuple(keys)].table(self._index(measures))

    def columns(self, keys: Sequence[str], measures: Sequence[Condition] = ()) -> SetColumns:
        """The same table column by column."""
        found = self.sets[tuple(keys)]
        return SetColumns(found.values, found.counts[:, self._index(measures)])

    def extent(self, column: str) -> tuple[dt.date | None, dt.date | None]:
        lo, hi = self.extents.get(column, (None, None))
        return (lo if isinstance(lo, dt.date) else None, hi if isinstance(hi, dt.date) else None)
