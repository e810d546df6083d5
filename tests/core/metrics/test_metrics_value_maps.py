"""Value maps (rules over one code column looked up per row) agree with ``compile_rule``."""

from __future__ import annotations

import duckdb
import pytest

from ristra.core.categories import check, columns_for, compile_rule
from ristra.core.categories.checking import ColumnInfo
from ristra.core.datasets import DATASETS
from ristra.core.metrics.sql.lookups import RowCompiler, value_map
from ristra.core.sql_dialect import DUCKDB

_COLUMN = "column_under_test"  # the column every rule is evaluated on, renamed


def _code_columns() -> list[tuple[str, ColumnInfo]]:
    found = []
    for ds in DATASETS:
        for info in columns_for(ds).values():
            if info.kind == "code" and not info.derived and len(info.codes) >= 2:
                found.append((ds, info))
    return found


def _rules(info: ColumnInfo) -> list[str]:
    a, b = info.codes[0], info.codes[1]
    c = info.name
    rules = [f"{c} == '{a}'", f"{c} != '{a}'", f"{c} in ['{a}', '{b}']", f"not ({c} in ['{a}'])",
             f"{c} == '{a}' or {c} == '{b}'", f"{c} == '{a}' and not ({c} == '{b}')"]
    rules += [f"{c} == '{code}'" for code in info.codes[2:]]
    return rules


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: tuple[object, ...],
            inputs: list[str | None]) -> list[object]:
    con.execute("CREATE OR REPLACE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(inputs)))
    return [r[0] for r in con.execute(f'SELECT ({sql}) FROM (SELECT i, v AS "{_COLUMN}" FROM t) ORDER BY i',
                                      list(params)).fetchall()]



@pytest.mark.parametrize(("dataset_name", "info"), _code_columns(), ids=lambda x: getattr(x, "name", x))
def test_value_map_equals_the_compiled_rule_for_every_code_and_null(dataset_name: str, info: ColumnInfo) -> None:
    con = duckdb.connect()
    inputs: list[str | None] = [*info.codes, *info.markers, None]
    for text in _rules(info):
        rule = check(text, dataset_name)
        mapped = value_map(rule, DUCKDB)
        assert mapped is not None, text
        assert "map_extract_value" in mapped.sql
        assert "NULLIF" not in mapped.sql
        plain = compile_rule(rule)
        rename = (f'"{info.name}"', f'"{_COLUMN}"')
        got = _values(con, mapped.sql.replace(*rename), mapped.params, inputs)
        want = _values(con, plain.sql.replace(*rename), plain.params, inputs)
        assert got == want, (text, list(zip(inputs, got, want, strict=True)))
    con.close()


def test_rules_a_map_cannot_express_are_left_to_the_compiled_sql() -> None:
    assert value_map(check("sex is unknown", "applications"), DUCKDB) is None  # TRUE for NULL: a map gives NULL
    assert value_map(check("cycle >= 2020", "applications"), DUCKDB) is None  # not a code column
    assert value_map(check("sex == 'female' or cycle >= 2020", "applications"), DUCKDB) is None  # two columns
    assert value_map(check("race has_any ['black']", "applications"), DUCKDB) is None  # a code set


def test_the_row_compiler_maps_each_code_column_of_a_mixed_rule() -> None:
    text = "sex == 'female' or (pell_recipient == 'yes' and cycle >= 2020) or sex is unknown"
    rule = check(text, "applications")
    compiled = RowCompiler("applications", DUCKDB).boolean(rule)
    assert compiled.sql.count("map_extract_value") == 2
    con = duckdb.connect()
    con.execute("CREATE TABLE applications (sex VARCHAR, pell_recipient VARCHAR, cycle SMALLINT)")
    rows = [(s, p, y) for s in ("female", "male", "unknown", None) for p in ("yes", "no", "declined", None)
            for y in (2019, 2021, None)]
    con.executemany("INSERT INTO applications VALUES (?, ?, ?)", rows)
    plain = compile_rule(rule)
    got = con.execute(f"SELECT ({compiled.sql}) FROM applications ORDER BY rowid", list(compiled.params)).fetchall()
    want = con.execute(f"SELECT ({plain.sql}) FROM applications ORDER BY rowid", list(plain.params)).fetchall()
    assert got == want
    con.close()
