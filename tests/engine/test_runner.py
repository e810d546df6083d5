"""The engine runner over the Connection protocol: the same results through any connection that
implements it, the asks of no plan answered with the first phase, and the backend registry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ristra.core.categories import SqlFragment
from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.plans import Ask, plan_for
from ristra.core.metrics.results import SnapshotRef
from ristra.core.metrics.specs import RepresentationSpec, RetentionSpec
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.sql_dialect import Dialect
from ristra.engine import ENGINES, installed_engines, open_engine
from ristra.engine.runner import Runner
from ristra.engine.session import DuckDBConnection, SnapshotFile
from support.hand_school import APPLICATIONS, EMPLOYEES
from support.metrics import context_for, write_parquet

ROWS = {"applications": APPLICATIONS, "employees": EMPLOYEES}
SPECS = [RepresentationSpec("women", "applications", ("cycle",)),
         RetentionSpec("women", window_start="2015-01-01", as_of="2021-01-01")]


class Recording:
    """A connection that is only the protocol: every call recorded, answered by DuckDB's."""

    def __init__(self, inner: DuckDBConnection) -> None:
        self.inner = inner
        self.calls: list[str] = []

    @property
    def dialect(self) -> Dialect:
        return self.inner.dialect

    def stored_keys(self, dataset: str) -> frozenset[str]:
        return self.inner.stored_keys(dataset)

    def execute(self, statement: SqlFragment) -> None:
        self.calls.append("execute " + statement.sql.split(" AS ", 1)[0])
        self.inner.execute(statement)

    def fetch_columns(self, query: SqlFragment) -> Mapping[str, Any]:
        self.calls.append("fetch")
        return self.inner.fetch_columns(query)

    def close(self) -> None:
        self.calls.append("close")
        self.inner.close()


def _files(tmp: Path) -> dict[str, SnapshotFile]:
    return {name: SnapshotFile(SnapshotRef(name, f"snap-{name}", len(rows)),
                               write_parquet(tmp / f"{name}.parquet", name, rows)) for name, rows in ROWS.items()}


def test_a_runner_over_any_connection_gives_the_engines_results(tmp_path: Path) -> None:
    context = context_for(ROWS)
    files = _files(tmp_path)
    engine = open_engine("duckdb", files)
    try:
        want = [r.to_dict() for r in engine.run([plan_for(s, context) for s in SPECS])]
    finally:
        engine.close()
    connection = Recording(DuckDBConnection(files))
    runner = Runner(connection)
    try:
        got = [r.to_dict() for r in runner.run([plan_for(s, context) for s in SPECS])]
    finally:
        runner.close()
    assert got == want


def test_the_runner_makes_key_tables_then_fetches_each_query_once(tmp_path: Path) -> None:
    connection = Recording(DuckDBConnection(_files(tmp_path)))
    runner = Runner(connection)
    context = context_for(ROWS)
    runner.run([plan_for(s, context) for s in SPECS])
    runner.close()
    assert connection.calls.count("fetch") == runner.queries_run
    assert all(c.startswith("execute CREATE TEMP TABLE") for c in connection.calls if c.startswith("execute"))
    assert connection.calls[-1] == "close"


def test_asks_of_no_plan_are_answered_with_the_first_phase(tmp_path: Path) -> None:
    runner = open_engine("duckdb", _files(tmp_path))
    ask = Ask(dataset_source("applications"), (grouping_column("applications", "cycle"),))
    try:
        computed = runner.compute([plan_for(SPECS[0], context_for(ROWS))], extra=[ask])
    finally:
        runner.close()
    assert computed.answers.table(ask) == {(2024,): (5,), (2025,): (2,)}


def test_the_registry_names_duckdb_and_refuses_an_unknown_backend(tmp_path: Path) -> None:
    assert "duckdb" in installed_engines()
    assert set(installed_engines()) <= set(ENGINES)
    with pytest.raises(KeyError):
        open_engine("no-such-engine", _files(tmp_path))
