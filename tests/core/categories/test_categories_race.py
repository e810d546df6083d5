"""Race reporting schemes: IPEDS-style, alone or in combination, school roll-up (SQL = Python)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.core.categories import (
    AOIC_LEVELS,
    IPEDS_LEVELS,
    NM_SCHOOL_ROLLUP,
    RollUp,
    alone_or_in_combination,
    alone_or_in_combination_sql,
    ipeds_level,
    ipeds_sql,
    summarise_alone_or_in_combination,
)
from ristra.core.vocabularies import RACE_CODES


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _load(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    con.execute("CREATE OR REPLACE TABLE p (rid INTEGER, hispanic VARCHAR, race VARCHAR[])")
    con.executemany("INSERT INTO p VALUES (?, ?, ?)", [[i, r["hispanic"], r["race"]] for i, r in enumerate(rows)])


def _column(con: duckdb.DuckDBPyConnection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return [r[0] for r in con.execute(f"SELECT {sql} FROM p ORDER BY rid", params).fetchall()]  # noqa: S608


CASES = [
    ({"hispanic": "yes", "race": ["white"]}, "hispanic"),
    ({"hispanic": "no", "race": ["white"]}, "white"),
    ({"hispanic": "unknown", "race": ["black"]}, "black"),
    ({"hispanic": "no", "race": ["black", "white"]}, "two_or_more"),
    ({"hispanic": "no", "race": ["black", "unknown"]}, "black"),
    ({"hispanic": "no", "race": []}, "unknown"),
    ({"hispanic": None, "race": None}, "unknown"),
    ({"hispanic": "declined", "race": []}, "declined"),
    ({"hispanic": "no", "race": ["declined"]}, "declined"),
    ({"hispanic": "declined", "race": ["asian"]}, "asian"),
]


def test_ipeds_known_cases(con: duckdb.DuckDBPyConnection) -> None:
    rows = [row for row, _ in CASES]
    expected = [level for _, level in CASES]
    assert [ipeds_level(r) for r in rows] == expected
    _load(con, rows)
    fragment = ipeds_sql()
    assert _column(con, fragment.sql, fragment.params) == expected
    assert set(expected) <= set(IPEDS_LEVELS)


def test_alone_or_in_combination_counts_people_more_than_once(con: duckdb.DuckDBPyConnection) -> None:
    rows = [row for row, _ in CASES]
    _load(con, rows)
    counts = Counter(level for r in rows for level in alone_or_in_combination(r))
    for level, fragment in alone_or_in_combination_sql():
        assert sum(_column(con, fragment.sql, fragment.params)) == counts[level], level
    summary = summarise_alone_or_in_combination(counts, len(rows))
    assert summary.counts["white"] == 3
    assert summary.counts["black"] == 3
    assert summary.counts["hispanic"] == 1
    # unknown/declined here mean "no known race": a declined ethnicity with no race is unknown race
    assert summary.counts["unknown"] == 3
    assert summary.counts["declined"] == 1
    assert summary.counts["asian"] == 1
    assert summary.sum_of_groups == 12
    assert summary.excess == 2
    assert summary.to_dict()["sums_exceed_total"] is True
    assert "2 more than the 10 people" in summary.note
    with pytest.raises(ValueError, match="missing"):
        summarise_alone_or_in_combination({"white": 1}, 3)
    with pytest.raises(ValueError, match="unknown"):
        summarise_alone_or_in_combination({"martian": 1}, 1)


def test_rollup(con: duckdb.DuckDBPyConnection) -> None:
    rows = [row for row, _ in CASES] + [{"hispanic": "no", "race": ["native_hawaiian_pacific_islander"]}]
    _load(con, rows)
    fragment = NM_SCHOOL_ROLLUP.sql()
    got = _column(con, fragment.sql, fragment.params)
    assert got == [NM_SCHOOL_ROLLUP.level(r) for r in rows]
    assert got[-1] == "asian_pacific_islander"
    assert "unknown" in NM_SCHOOL_ROLLUP.levels
    assert "declined" in NM_SCHOOL_ROLLUP.levels
    assert set(NM_SCHOOL_ROLLUP.labels) == set(NM_SCHOOL_ROLLUP.levels)


def test_rollup_must_map_everything_and_keep_unknowns_apart() -> None:
    groups = dict(NM_SCHOOL_ROLLUP.groups)
    del groups["two_or_more"]
    with pytest.raises(ValueError, match="unmapped"):
        RollUp("x", groups)
    groups = dict(NM_SCHOOL_ROLLUP.groups, unknown="white")
    with pytest.raises(ValueError, match="group of its own"):
        RollUp("x", groups)


people = st.lists(
    st.fixed_dictionaries(
        {
            "hispanic": st.sampled_from(["yes", "no", "unknown", "declined", None]),
            "race": st.one_of(
                st.none(), st.lists(st.sampled_from([*RACE_CODES, "unknown", "declined"]), max_size=3, unique=True)
            ),
        }
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=people)
def test_schemes_sql_equals_python(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    _load(con, rows)
    fragment = ipeds_sql()
    assert _column(con, fragment.sql, fragment.params) == [ipeds_level(r) for r in rows]
    for level, frag in alone_or_in_combination_sql():
        assert _column(con, frag.sql, frag.params) == [level in alone_or_in_combination(r) for r in rows]
    # every person lands in exactly one IPEDS group and in at least one race-or-unknown group
    assert all(set(alone_or_in_combination(r)) - {"hispanic"} for r in rows)
    assert set(AOIC_LEVELS) >= {lvl for r in rows for lvl in alone_or_in_combination(r)}
