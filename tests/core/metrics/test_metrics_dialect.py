"""The SQL plans compile, through the DuckDB dialect, to exactly the statements they compiled to
before the dialect existed (``fixtures/duckdb_sql.json.gz``, captured from that code); and every
construct of DuckDB's own comes from the dialect (compiled through a dialect that marks each one,
no unmarked one is left)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ristra.core.sql_dialect import DUCKDB, DuckDBDialect
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


@dataclass(frozen=True)
class MarkingDialect(DuckDBDialect):
    """DuckDB's SQL with every construct the dialect writes renamed ``<construct>``: what is left
    unmarked in a statement was written by a builder without asking the dialect."""

    name: str = "marking"
    text: str = "<text>"
    boolean: str = "<boolean>"
    bigint: str = "<bigint>"
    integer: str = "<integer>"
    date: str = "<date>"

    def cast(self, expr: str, type_name: str) -> str:
        return f"<cast>({expr}, {type_name})"

    def array_of(self, type_name: str) -> str:
        return f"<array>({type_name})"

    def array_parameter(self, type_name: str) -> str:
        return f"<array parameter>(?, {type_name})"

    def list_literal(self, items: Sequence[str]) -> str:
        return f"<list>({', '.join(items)})"

    def list_length(self, items: str) -> str:
        return f"<length>({items})"

    def list_element(self, items: str, position: int) -> str:
        return f"<element>({items}, {position})"

    def list_contains(self, items: str, value: str) -> str:
        return f"<contains>({items}, {value})"

    def list_has_any(self, items: str, wanted: str) -> str:
        return f"<has any>({items}, {wanted})"

    def list_has_all(self, items: str, wanted: str) -> str:
        return f"<has all>({items}, {wanted})"

    def list_intersect(self, items: str, other: str) -> str:
        return f"<intersect>({items}, {other})"

    def list_filter_by_bits(self, items: str, mask: str) -> str:
        return f"<subset>({items}, {mask})"

    def unnest(self, items: str) -> str:
        return f"<unnest>({items})"

    def integer_range(self, start: int, stop: int, alias: str, column: str) -> str:
        return f"<range>({start}, {stop}, {alias}, {column})"

    def map_lookup(self, keys: str, values: str, key: str) -> str:
        return f"<map lookup>({keys}, {values}, {key})"

    def count_if(self, condition: str) -> str:
        return f"<count if>({condition})"

    def filtered(self, aggregate: str, condition: str) -> str:
        return f"<filtered>({aggregate}, {condition})"

    def group_by_all(self, columns: Sequence[str]) -> str:
        return f"<group by>({', '.join(columns)})"

    def hash(self, columns: Sequence[str]) -> str:
        return f"<hash>({', '.join(columns)})"

    def year(self, day: str) -> str:
        return f"<year>({day})"

    def days_between(self, later: str, earlier: str) -> str:
        return f"<days>({later}, {earlier})"

    def keep_first(self, select: str, partition: str, order: str) -> str:
        return f"<first>({select}, {partition}, {order})"

    def create_temp_table(self, name: str, select: str) -> str:
        return f"<temp table>({name}, {select})"


#: DuckDB's own constructs (and the type names), which only the dialect may write.
DUCKDB_ONLY = re.compile(r"count_if\(|GROUP BY ALL|list_\w+\(|\bunnest\(|\blen\(|::|\bhash\(|map_extract_value|"
                         r"\bMAP\(|QUALIFY|FILTER \(WHERE|\byear\(|\brange\(|CREATE TEMP|\bCAST\(|\[|"
                         r"\b(VARCHAR|BOOLEAN|BIGINT|INTEGER|DATE)\b|\blambda\b")


def test_every_duckdb_construct_comes_from_the_dialect() -> None:
    marking = MarkingDialect()
    statements = compiled_statements(lambda query, exact, stored: query.compile(marking, exact, stored), EXTRA,
                                     marking)
    unmarked = sorted({m.group(0) for s in statements for m in DUCKDB_ONLY.finditer(s["sql"])})
    assert unmarked == []
