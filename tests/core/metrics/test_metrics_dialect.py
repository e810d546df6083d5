"""The SQL plans compile, through the DuckDB dialect, to exactly the statements they compiled to
before the dialect existed (``fixtures/duckdb_sql.json.gz``, captured from that code)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ristra.core.sql_dialect import DUCKDB
from support.compiled_sql import compiled_statements
from support.metrics import EXTRA

FIXTURE = Path(__file__).parent / "fixtures" / "duckdb_sql.json.gz"


@pytest.fixture(scope="module")
def recorded() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    return loaded


@pytest.fixture(scope="module")
def compiled() -> list[dict[str, Any]]:
    return compiled_statements(lambda query, exact, stored: query.compile(DUCKDB, exact, stored), EXTRA)


def test_same_statements(recorded: list[dict[str, Any]], compiled: list[dict[str, Any]]) -> None:
    assert [s["label"] for s in compiled] == [s["label"] for s in recorded]


def test_same_sql(recorded: list[dict[str, Any]], compiled: list[dict[str, Any]]) -> None:
    differing = [new["label"] for new, old in zip(compiled, recorded, strict=False) if new["sql"] != old["sql"]]
    assert differing == []


def test_same_parameters(recorded: list[dict[str, Any]], compiled: list[dict[str, Any]]) -> None:
    differing = [new["label"] for new, old in zip(compiled, recorded, strict=False) if new["params"] != old["params"]]
    assert differing == []
