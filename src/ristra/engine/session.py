"""An in-memory DuckDB over snapshot Parquet files, answering metric plans.

Contract
--------
* ``MetricsEngine(files)`` takes, per dataset, the snapshot it reads (:class:`SnapshotFile`:
  the :class:`~ristra.core.metrics.results.SnapshotRef`, the Parquet path and the stored place
  keys, if any). Each dataset becomes a view named after it with the canonical columns (a column
  missing from an older file reads as NULL of its declared type); nothing is written anywhere but
  the in-memory database, where the distinct keys of each lookup family are kept per dataset and
  shared by every query (:class:`~ristra.core.metrics.sql.lookups.KeyTable`, taken from the
  stored place keys where the snapshot has them; the files never change under an engine).
* :meth:`MetricsEngine.run` takes plans and returns each plan's result, in order. Asks are
  answered with one query per source and shape (:func:`query_key`), reading the rows any of
  its asks needs: survival spells of several populations share one scan, and retention spells
  join the promotion spells' query, whose relation holds every employee row. Plans that first
  ask only for date extents (the survival plans' data window) get them from a small query of
  their own, so their spells are asked with everyone's first queries; other follow-up asks are
  answered once every plan is past its first phase. Many metrics over one snapshot therefore
  share one scan.
* The connection is not shared between threads; a caller that needs concurrency holds a lock
  (the metrics service does).
"""

from __future__ import annotations

import datetime as dt
import queue
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ristra.core.categories.sql import quote_identifier
from ristra.core.datasets import dataset
from ristra.core.metrics.plans import Ask, Plan, Table
from ristra.core.metrics.results import MetricResult, SnapshotRef
from ristra.core.metrics.sql.cube import CompiledCube, CubeQuery, CubeResult, SetColumns, ValueDimension
from ristra.core.metrics.sql.lookups import KeyTable, stored_key_columns, stored_keys_relation
from ristra.core.metrics.sql.source import Source
from ristra.engine import reference_tables
from ristra.engine.connections import connect


@dataclass(frozen=True)
class SnapshotFile:
    """The snapshot a dataset is read from: its rows (``path``) and, per place family, the place
    keys the import stored with it (:mod:`ristra.ingest.place_keys`; older snapshots have none)."""

    ref: SnapshotRef
    path: Path
    place_keys: Mapping[str, Path] = field(default_factory=dict)


class _Fetched:
    """A query's fetched columns, decoded on first use: by the thread that reads the answers, so
    the thread running queries goes on to the next one at once."""

    def __init__(self, compiled: CompiledCube, arrays: dict[str, Any]) -> None:
        self.compiled, self.arrays = compiled, arrays
        self.decoded: CubeResult | None = None

    def result(self) -> CubeResult:
        if self.decoded is None:
            self.decoded = self.compiled.decode(self.arrays)
        return self.decoded


class _Answers:
    """Answers to asks: each ask's query result (decoded when first read)."""

    def __init__(self) -> None:
        self.results: dict[int, _Fetched] = {}

    def table(self, ask: Ask) -> Table:
        return self.results[id(ask)].result().table(ask.keys, ask.measures)

    def columns(self, ask: Ask) -> SetColumns:
        return self.results[id(ask)].result().columns(ask.keys, ask.measures)

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]:
        return self.results[id(ask)].result().extent(column)


class MetricsEngine:
    """See the module docstring."""

    def __init__(self, files: dict[str, SnapshotFile], *, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        self.files = dict(files)
        self.con = connect()
        # DuckDB's grouping-sets optimizer splits GROUPING SETS into one aggregation per set over
        # a materialised copy of the rows; for the survival queries (many sets, a pivoted column
        # per rule value) that copy costs more than it saves: 1.02 s -> 0.77-0.85 s per query
        # over 1.6 million faculty appointments (measured on the 10-million-application bench school,
        # 2026-11-27). Results are identical. Older
        # DuckDB releases (the dependency range starts at 1.4) may not have it.
        optimizers = {row[0] for row in self.con.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
        if "grouping_sets" in optimizers:
            self.con.execute("SET disabled_optimizers = 'grouping_sets'")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{_size(memory_limit)}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        reference_tables.load(self.con)
        self._stored: dict[str, set[str]] = {}
        schema = self._columns_of([f.path for f in self.files.values()]
                                  + [p for f in self.files.values() for p in f.place_keys.values()])
        for name, file in self.files.items():
            self._view(name, file, schema)
        self.queries_run = 0
        self.exact_reruns = 0
        self._key_tables: set[KeyTable] = set()
        self.columns_read: dict[str, set[str]] = {}

    def _columns_of(self, paths: Sequence[Path]) -> dict[str, set[str]]:
        """The top-level column names of each Parquet file, from one read of their schemas."""
        rows = self.con.execute("SELECT file_name, name, num_children FROM parquet_schema(?::VARCHAR[])",
                                [[str(p) for p in paths]]).fetchall()
        columns: dict[str, set[str]] = {str(p): set() for p in paths}
        pending: list[int] = []  # children still to come at each open level (the schema is depth-first)
        for file_name, column, children in rows:
            if not pending:  # a file's root
                current = columns.setdefault(str(file_name), set())
                if children:
                    pending.append(int(children))
                continue
            if len(pending) == 1:
                current.add(str(column))
            pending[-1] -= 1
            if children:
                pending.append(int(children))
            while pending and pending[-1] == 0:
                pending.pop()
        for path in paths:  # a file the listing did not name as given: ask it directly
            if not columns[str(path)]:
                described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()
                columns[str(path)] = {row[0] for row in described}
        return columns

    def _view(self, name: str, file: SnapshotFile, schema: dict[str, set[str]]) -> None:
        ds = dataset(name)
        if ds.restricted:  # identity datasets are read by the linkage service only
            raise PermissionError(f"dataset {name} is restricted to the linkage service")
        families = stored_key_columns(name)
        for family, keys_path in file.place_keys.items():
            if family not in families or not set(families[family]) <= schema.get(str(keys_path), set()):
                continue  # not this release's layout: the data's own keys are used
            columns = ", ".join(quote_identifier(c) for c in families[family])
            self.con.execute(f"CREATE VIEW {stored_keys_relation(name, family)} AS SELECT {columns} "
                             f"FROM read_parquet({_literal(keys_path)})")
            self._stored.setdefault(name, set()).add(family)
        present = schema.get(str(file.path), set())
        columns = [quote_identifier(c.name) if c.name in present
                   else f"CAST(NULL AS {c.storage_type}) AS {quote_identifier(c.name)}" for c in ds.columns]
        self.con.execute(f"CREATE VIEW {quote_identifier(name)} AS SELECT {', '.join(columns)} "
                         f"FROM read_parquet({_literal(file.path)})")

    @property
    def snapshots(self) -> dict[str, SnapshotRef]:
        return {name: f.ref for name, f in self.files.items()}

    def close(self) -> None:
        self.con.close()

    def answer(self, asks: Sequence[Ask], answers: _Answers | None = None,
               answered: Callable[[QueryKey], None] | None = None) -> _Answers:
        """Answer ``asks`` with one query per source and shape (:func:`query_key`;
        ``answered(key)`` is called as each is done)."""
        answers = answers or _Answers()
        by_key: dict[QueryKey, list[Ask]] = {}
        for ask in asks:  # one query per source and shape, reading the rows any of its asks needs
            by_key.setdefault(query_key(ask), []).append(ask)
        also = _merge_into_relations(by_key)
        queries: list[tuple[QueryKey, list[Ask], CubeQuery, CompiledCube]] = []
        # Survival times first: their statistics take longest, and are computed on the caller's
        # thread while the other queries run.
        for key, group in sorted(by_key.items(), key=lambda item: not item[0][1]):
            source = key[0]
            query = CubeQuery(source)
            for ask in group:
                query.add(ask.dims, ask.measures)
                query.restrict(ask.where)
                query.within(ask.scope)
                for column in ask.extents:
                    query.extent(column)
            queries.append((key, group, query, query.compile(stored=self._stored_keys(source))))
        # Every key table first: made now, before any result is handed back, they are not slowed
        # by the caller's thread finishing plans (each statement needs the GIL to start and end).
        for *_, compiled in queries:
            self._create_key_tables(compiled)
        for key, group, query, compiled in queries:
            result = self._execute(query, compiled)
            for ask in group:
                answers.results[id(ask)] = result
            if answered is not None:
                for done in (key, *also.get(key, ())):
                    answered(done)
        return answers

    def _execute(self, query: CubeQuery, compiled: CompiledCube) -> _Fetched:
        for name, columns in query.columns_read().items():
            self.columns_read.setdefault(name, set()).update(columns)
        arrays = self._fetch(compiled)
        if compiled.collisions(arrays) or compiled.misses(arrays):
            # two lookup keys share a hash, or a row's key is missing from a key table built from
            # the vocabularies or the stored place keys: join on the keys themselves, with key
            # tables made of the data's own distinct values
            compiled = query.compile(exact=True)
            arrays = self._fetch(compiled)
            self.exact_reruns += 1
        return _Fetched(compiled, arrays)

    def _stored_keys(self, source: Source) -> frozenset[str]:
        """The place families whose stored keys the source's dataset has."""
        return frozenset(self._stored.get(source.dataset, ()))

    def _create_key_tables(self, compiled: CompiledCube) -> None:
        for table in compiled.key_tables:  # each dataset's distinct keys, computed once
            if table not in self._key_tables:
                create = table.create_sql()
                self.con.execute(create.sql, list(create.params))
                self._key_tables.add(table)

    def _fetch(self, compiled: CompiledCube) -> dict[str, Any]:
        self._create_key_tables(compiled)
        arrays = self.con.execute(compiled.query.sql, list(compiled.query.params)).fetchnumpy()
        self.queries_run += 1
        return dict(arrays)

    def run(self, plans: Sequence[Plan]) -> list[MetricResult]:
        """Every plan's result (see the module docstring).

        The queries run on a worker thread (DuckDB releases the GIL), survival queries first,
        while this thread handles each plan as soon as every query it asked about is answered:
        it decodes the results, takes the plan's follow-up asks or, if there are none, finishes
        it. Once every plan is past its first phase, the follow-up queries run the same way.
        """
        first = {i: list(p.asks()) for i, p in enumerate(plans)}
        answers = _Answers()
        results: dict[int, MetricResult] = {}
        later: dict[int, list[Ask]] = {}
        # A plan that first asks only for date extents (survival: the data window) gets them from
        # a small query of their own, so that its follow-up asks join everyone's first queries.
        early = {i for i, asks in first.items() if asks and all(_extent_only(a) for a in asks)}
        if early:
            self.answer([a for i in sorted(early) for a in first[i]], answers)
            for i in sorted(early):
                first[i] = list(plans[i].followups(answers))

        def first_phase_done(i: int) -> None:
            if i in early:
                results[i] = plans[i].finish(answers)
                return
            asks = list(plans[i].followups(answers))
            if asks:
                later[i] = asks
            else:
                results[i] = plans[i].finish(answers)

        def finish(i: int) -> None:
            results[i] = plans[i].finish(answers)

        with ThreadPoolExecutor(max_workers=1) as pool:
            self._while_answering(pool, first, answers, first_phase_done)
            if later:
                self._while_answering(pool, dict(later), answers, finish)
        return [results[i] for i in range(len(plans))]

    def _while_answering(self, pool: ThreadPoolExecutor, asks_by_plan: dict[int, list[Ask]], answers: _Answers,
                         ready: Callable[[int], None]) -> None:
        """Answer every plan's asks on ``pool`` and call ``ready(i)`` here as soon as plan ``i``'s
        sources are all answered (plans without asks at once); a failed query is re-raised here."""
        asks = [a for group in asks_by_plan.values() for a in group]
        done: queue.Queue[QueryKey] = queue.Queue()
        pending = pool.submit(self.answer, asks, answers, done.put)
        for i in [i for i, group in asks_by_plan.items() if not group]:
            ready(i)
        waiting = {i: {query_key(a) for a in group} for i, group in asks_by_plan.items() if group}
        answered: set[QueryKey] = set()
        while waiting:
            try:
                answered.add(done.get(timeout=0.05))
            except queue.Empty:
                if pending.done():
                    pending.result()  # re-raises a failed query; otherwise every source is answered
                    answered.update(query_key(a) for a in asks)
            for i in [i for i, sources in waiting.items() if sources <= answered]:
                del waiting[i]
                ready(i)
        pending.result()


def _merge_into_relations(by_key: dict[QueryKey, list[Ask]]) -> dict[QueryKey, list[QueryKey]]:
    """Move the per-row asks over a dataset's own view into the query over a relation holding
    that dataset's rows one for one (:attr:`Source.row_for_row`), so the rows are read and their
    categories looked up once; returns, per relation's key, the keys it now answers too."""
    also: dict[QueryKey, list[QueryKey]] = {}
    for key in list(by_key):
        source, per_row = key
        if not per_row or source.prelude is not None:
            continue
        into = next((k for k in by_key if k[1] and k[0].row_for_row and k[0].dataset == source.dataset), None)
        if into is not None:
            by_key[into].extend(by_key.pop(key))
            also.setdefault(into, []).append(key)
    return also


def _literal(path: Path) -> str:
    """A file path as an SQL string literal (a view's definition cannot hold parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _extent_only(ask: Ask) -> bool:
    return bool(ask.extents) and not ask.dims and not ask.measures


#: Asks with the same key are answered by one query: the same source, and whether they group by a
#: computed per-row value (survival times, answered without a small cube: a query of its own).
QueryKey = tuple[Source, bool]


def query_key(ask: Ask) -> QueryKey:
    return ask.source, any(isinstance(d, ValueDimension) for d in ask.dims)


def _size(text: str) -> str:
    """A memory size such as ``2GB`` (refusing anything else, since it is written into SQL)."""
    cleaned = text.strip().upper().replace(" ", "")
    digits = cleaned.rstrip("KMGTIB")
    unit = cleaned[len(digits):]
    if not digits.replace(".", "", 1).isdigit() or unit not in ("KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"):
        raise ValueError(f"not a memory size: {text!r}")
    return f"{digits}{unit}"
