"""The engine runner: metric plans answered in two phases against any SQL connection.

Contract
--------
* A :class:`Connection` is the small part of an SQL engine the runner needs: its
  :class:`~ristra.core.sql_dialect.Dialect`, the place families whose stored keys a dataset's
  snapshot has, a statement executed with its parameters (the key tables), and a query's result
  fetched column by column (NumPy arrays, masked where NULL). :class:`ristra.engine.session.DuckDBConnection`
  is DuckDB's; a new backend is a dialect and one such module (``docs/architecture.md``).
* :meth:`Runner.answer` takes asks and answers them with one query per source and shape
  (:func:`query_key`), reading the rows any of its asks needs: survival spells of several
  populations share one scan, and retention spells join the promotion spells' query, whose
  relation holds every employee row. Every key table a batch reads is created first, once per
  connection; a query whose hashed lookups collide, or whose rows miss a key table built from the
  vocabularies or the stored place keys, is run again exactly.
* :meth:`Runner.compute` takes plans (and, optionally, asks of no plan, answered with the first
  phase) and returns every plan's result in order, with the answers. Plans that first ask only for
  date extents (the survival plans' data window) get them from a small query of their own, so
  their spells are asked with everyone's first queries; other follow-up asks are answered once
  every plan is past its first phase. Queries run on one worker thread while the caller's thread
  decodes results and finishes plans as soon as their sources are answered.
* A runner and its connection are not shared between threads; a caller that needs concurrency
  holds a lock (the metrics service does).
"""

from __future__ import annotations

import datetime as dt
import queue
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ristra.core.categories import SqlFragment
from ristra.core.metrics.plans import Ask, CountsByKey, Plan
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.sql.cube import CompiledCube, CubeQuery, CubeResult, SetColumns, ValueDimension
from ristra.core.metrics.sql.lookups import KeyTable
from ristra.core.metrics.sql.source import Source
from ristra.core.sql_dialect import Dialect


class Connection(Protocol):
    """What the runner needs of an SQL engine (see the module docstring)."""

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect the engine reads."""
        ...

    def stored_keys(self, dataset: str) -> frozenset[str]:
        """The place families whose stored keys the dataset's snapshot has (readable under
        :func:`~ristra.core.metrics.sql.lookups.stored_keys_relation`)."""
        ...

    def execute(self, statement: SqlFragment) -> None:
        """Run a statement (a key table's ``CREATE``) with its parameters."""
        ...

    def fetch_columns(self, query: SqlFragment) -> Mapping[str, Any]:
        """A query's result with its parameters, as one NumPy array per column (masked where NULL)."""
        ...

    def close(self) -> None:
        """Release the engine."""
        ...


#: Asks with the same key are answered by one query: the same source, and whether they group by a
#: computed per-row value (survival times, answered without a small cube: a query of its own).
QueryKey = tuple[Source, bool]


def query_key(ask: Ask) -> QueryKey:
    return ask.source, any(isinstance(d, ValueDimension) for d in ask.dims)


class _Fetched:
    """A query's fetched columns, decoded on first use: by the thread that reads the answers, so
    the thread running queries goes on to the next one at once."""

    def __init__(self, compiled: CompiledCube, arrays: Mapping[str, Any]) -> None:
        self.compiled, self.arrays = compiled, arrays
        self.decoded: CubeResult | None = None

    def result(self) -> CubeResult:
        if self.decoded is None:
            self.decoded = self.compiled.decode(self.arrays)
        return self.decoded


class EngineAnswers:
    """Answers to asks: each ask's query result (decoded when first read)."""

    def __init__(self) -> None:
        self.results: dict[int, _Fetched] = {}

    def table(self, ask: Ask) -> CountsByKey:
        return self.results[id(ask)].result().table(ask.keys, ask.measures)

    def columns(self, ask: Ask) -> SetColumns:
        return self.results[id(ask)].result().columns(ask.keys, ask.measures)

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]:
        return self.results[id(ask)].result().extent(column)


@dataclass(frozen=True)
class Computed:
    """Every plan's result, in order, and the answers they were computed from (which also answer
    the asks given beside the plans)."""

    results: list[MetricResult]
    answers: EngineAnswers


class Runner:
    """See the module docstring."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.queries_run = 0
        self.exact_reruns = 0
        self.columns_read: dict[str, set[str]] = {}
        self._key_tables: set[KeyTable] = set()

    def close(self) -> None:
        self.connection.close()

    # ------------------------------------------------------------------ one batch of asks

    def answer(self, asks: Sequence[Ask], answers: EngineAnswers | None = None,
               answered: Callable[[QueryKey], None] | None = None) -> EngineAnswers:
        """Answer ``asks`` with one query per source and shape (:func:`query_key`;
        ``answered(key)`` is called as each is done)."""
        answers = answers or EngineAnswers()
        dialect = self.connection.dialect
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
            stored = self.connection.stored_keys(source.dataset)
            queries.append((key, group, query, query.compile(dialect, stored=stored)))
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
            compiled = query.compile(self.connection.dialect, exact=True)
            arrays = self._fetch(compiled)
            self.exact_reruns += 1
        return _Fetched(compiled, arrays)

    def _create_key_tables(self, compiled: CompiledCube) -> None:
        for table in compiled.key_tables:  # each dataset's distinct keys, computed once
            if table not in self._key_tables:
                self.connection.execute(table.create_sql(self.connection.dialect))
                self._key_tables.add(table)

    def _fetch(self, compiled: CompiledCube) -> Mapping[str, Any]:
        self._create_key_tables(compiled)
        arrays = self.connection.fetch_columns(compiled.query)
        self.queries_run += 1
        return arrays

    # ------------------------------------------------------------------ plans, in two phases

    def run(self, plans: Sequence[Plan]) -> list[MetricResult]:
        """Every plan's result, in order (see :meth:`compute`)."""
        return self.compute(plans).results

    def compute(self, plans: Sequence[Plan], extra: Sequence[Ask] = ()) -> Computed:
        """Every plan's result and the answers, ``extra`` asks answered with the first phase (see
        the module docstring)."""
        first = {i: list(p.asks()) for i, p in enumerate(plans)}
        answers = EngineAnswers()
        results: dict[int, MetricResult] = {}
        later: dict[int, list[Ask]] = {}
        # A plan that first asks only for date extents (survival: the data window) gets them from
        # a small query of their own, so that its follow-up asks join everyone's first queries.
        early = {i for i, asks in first.items() if asks and all(_extent_only(a) for a in asks)}
        if early:
            self.answer([a for i in sorted(early) for a in first[i]], answers)
            for i in sorted(early):
                first[i] = list(plans[i].followups(answers))
        if extra:
            first[-1] = list(extra)  # asks of no plan: answered, nothing to finish

        def first_phase_done(i: int) -> None:
            if i < 0:
                return
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
        return Computed([results[i] for i in range(len(plans))], answers)

    def _while_answering(self, pool: ThreadPoolExecutor, asks_by_plan: dict[int, list[Ask]],
                         answers: EngineAnswers, ready: Callable[[int], None]) -> None:
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


def _extent_only(ask: Ask) -> bool:
    return bool(ask.extents) and not ask.dims and not ask.measures
