"""Compiled SQL run in DuckDB against the Python evaluator: same three-valued answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.core.categories import check, compile_rule, evaluate, membership, membership_sql
from ristra.core.vocabularies import RACE_CODES

COLUMNS = {
    "sex": "VARCHAR",
    "hispanic": "VARCHAR",
    "race": "VARCHAR[]",
    "cycle": "SMALLINT",
    "residence_city": "VARCHAR",
    "residence_county_fips": "VARCHAR",
    "completed": "BOOLEAN",
    "application_date": "DATE",
    "residence_ruca": "INTEGER",
}


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _load(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE t (rid INTEGER, {cols})")
    if rows:
        marks = ", ".join("?" for _ in range(len(COLUMNS) + 1))
        con.executemany(
            f"INSERT INTO t VALUES ({marks})",  # noqa: S608 - fixed test table
            [[i, *(row.get(c) for c in COLUMNS)] for i, row in enumerate(rows)],
        )


def _sql_results(con: duckdb.DuckDBPyConnection, rule: str) -> list[Any]:
    fragment = compile_rule(rule, "applications")
    return [r[0] for r in con.execute(f"SELECT {fragment.sql} FROM t ORDER BY rid", fragment.params).fetchall()]  # noqa: S608


ROWS: list[dict[str, Any]] = [
    {"sex": "female", "hispanic": "yes", "race": ["white"], "residence_city": " Rio Rancho", "residence_ruca": 1},
    {"sex": "male", "hispanic": "no", "race": [], "residence_city": None, "residence_ruca": 7},
    {"sex": "unknown", "hispanic": "unknown", "race": ["black", "unknown"], "residence_city": ""},
    {"sex": "declined", "hispanic": "no", "race": ["white"], "residence_city": "ALBUQUERQUE"},
    {"sex": None, "hispanic": "declined", "race": ["declined"], "residence_city": "corrales"},
    {"sex": "female", "hispanic": "no", "race": ["american_indian_alaska_native", "white"]},
    {"sex": "another", "hispanic": None, "race": None},
]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("sex == 'female'", [True, False, None, None, None, True, False]),
        ("sex != 'female'", [False, True, None, None, None, False, True]),
        ("sex is unknown", [False, False, True, True, True, False, False]),
        (
            "hispanic == 'yes' or race has_any ['american_indian_alaska_native', 'black']",
            [True, None, True, False, None, True, None],
        ),
        ("race has_any ['black']", [False, None, True, False, None, False, None]),
        ("race has_all ['american_indian_alaska_native', 'white']", [False, None, False, False, None, True, None]),
        ("race has_only ['white']", [True, None, False, True, None, False, None]),
        ("race is unknown", [False, True, False, False, True, False, True]),
        ("residence_city in ['Rio Rancho', 'Corrales']", [True, None, None, False, True, None, None]),
        ("not (residence_city in ['Rio Rancho', 'Corrales'])", [False, None, None, True, False, None, None]),
        ("residence_city not in ['albuquerque']", [True, None, None, False, True, None, None]),
        ("residence_city is known", [True, False, False, True, True, False, False]),
        ("residence_ruca >= 4", [False, True, None, None, None, None, None]),
        ("sex == 'female' and residence_ruca >= 4", [False, False, None, None, None, None, False]),
        ("sex == 'female' or residence_ruca >= 4", [True, True, None, None, None, True, None]),
    ],
)
def test_known_answers_sql_and_python(con: duckdb.DuckDBPyConnection, rule: str, expected: list[Any]) -> None:
    _load(con, ROWS)
    assert _sql_results(con, rule) == expected
    checked = check(rule, "applications")
    assert [evaluate(checked, row) for row in ROWS] == expected


def test_membership_labels(con: duckdb.DuckDBPyConnection) -> None:
    _load(con, ROWS)
    rule = "sex == 'female'"
    fragment = membership_sql(rule, "applications")
    got = [r[0] for r in con.execute(f"SELECT {fragment.sql} FROM t ORDER BY rid", fragment.params).fetchall()]  # noqa: S608
    assert got == ["yes", "no", "unknown", "unknown", "unknown", "yes", "no"]
    assert [membership(rule, row, "applications") for row in ROWS] == got
    assert fragment.to_dict()["sql"] == fragment.sql


def test_dates_and_flags(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        {"application_date": date(2019, 5, 1), "completed": True, "cycle": 2020},
        {"application_date": date(2021, 1, 1), "completed": False, "cycle": 2022},
        {"application_date": None, "completed": None, "cycle": None},
    ]
    _load(con, rows)
    for rule, expected in [
        ("application_date < '2020-01-01'", [True, False, None]),
        ("application_date in ['2021-01-01']", [False, True, None]),
        ("completed == true", [True, False, None]),
        ("completed is unknown", [False, False, True]),
        ("cycle >= 2021 or completed == true", [True, True, None]),
    ]:
        assert _sql_results(con, rule) == expected, rule
        assert [evaluate(rule, r, "applications") for r in rows] == expected, rule
    assert evaluate("application_date < '2020-01-01'", {"application_date": "2019-12-31"}, "applications") is True


def test_hostile_values_are_data(con: duckdb.DuckDBPyConnection) -> None:
    evil = "x'); DROP TABLE t; --"
    _load(con, [{"residence_city": evil}, {"residence_city": "y"}])
    rule = "residence_city == '" + evil.replace("'", "''") + "'"
    assert _sql_results(con, rule) == [True, False]
    assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)


# --------------------------------------------------------------------------- property test

_codes_sex = ["female", "male", "another"]
_codes_yn = ["yes", "no"]
_cities = ["ab", "b", "Ab"]

leaf = st.one_of(
    st.builds(lambda op, v: f"sex {op} '{v}'", st.sampled_from(["==", "!="]), st.sampled_from(_codes_sex)),
    st.builds(lambda neg, vs: f"hispanic {'not in' if neg else 'in'} {vs}", st.booleans(),
              st.lists(st.sampled_from(_codes_yn), min_size=1, max_size=2)),
    st.builds(lambda c, k: f"{c} is {'known' if k else 'unknown'}",
              st.sampled_from(list(COLUMNS)), st.booleans()),
    st.builds(lambda op, vs: f"race {op} {vs}", st.sampled_from(["has_any", "has_all", "has_only"]),
              st.lists(st.sampled_from(RACE_CODES[:3]), min_size=1, max_size=3)),
    st.builds(lambda op, v: f"cycle {op} {v}", st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
              st.integers(2018, 2022)),
    st.builds(lambda op, v: f"residence_city {op} '{v}'", st.sampled_from(["==", "!="]), st.sampled_from(_cities)),
    st.builds(lambda v: f"residence_county_fips == '{v}'", st.sampled_from(["35001", "35043"])),
    st.builds(lambda v: f"completed == {'true' if v else 'false'}", st.booleans()),
    st.builds(lambda op, d: f"application_date {op} '{d}'", st.sampled_from(["<", ">=", "=="]),
              st.sampled_from(["2019-06-01", "2020-01-01"])),
    st.builds(lambda op, v: f"residence_ruca {op} {v}", st.sampled_from(["<", ">=", "!="]), st.integers(1, 10)),
)
rules = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a} and {b})", inner, inner),
        st.builds(lambda a, b: f"({a} or {b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)
row = st.fixed_dictionaries(
    {
        "sex": st.sampled_from([*_codes_sex, "unknown", "declined", None]),
        "hispanic": st.sampled_from(["yes", "no", "unknown", "declined", None]),
        "race": st.one_of(
            st.none(),
            st.lists(st.sampled_from([*RACE_CODES[:4], "unknown", "declined"]), max_size=3, unique=True),
        ),
        "cycle": st.one_of(st.none(), st.integers(2018, 2022)),
        "residence_city": st.sampled_from([None, "", " ", "ab", " ab", "AB ", "b", "abc"]),
        "residence_county_fips": st.sampled_from([None, "", "35001", " 35043", "35043"]),
        "completed": st.sampled_from([None, True, False]),
        "application_date": st.sampled_from([None, date(2019, 6, 1), date(2020, 1, 1), date(2021, 3, 3)]),
        "residence_ruca": st.one_of(st.none(), st.integers(1, 10)),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=rules, rows=st.lists(row, min_size=1, max_size=8))
def test_sql_and_evaluator_agree(con: duckdb.DuckDBPyConnection, rule: str, rows: list[dict[str, Any]]) -> None:
    _load(con, rows)
    checked = check(rule, "applications")
    assert _sql_results(con, rule) == [evaluate(checked, r) for r in rows]
