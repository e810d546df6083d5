"""One verdict per value: the fast pass and the full pass accept exactly the same values and
store the same thing; nothing is rounded, truncated or reinterpreted on the way to a snapshot.

A synthetic dataset with one column of every kind carries each case; every case is validated
through the fast pass (falling back to the full pass when it declines) and through the full
pass alone, and the two verdicts and the stored values are compared.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import unicodedata
from pathlib import Path

import duckdb
import pytest

from ristra.core.columnmap import IDENTITY
from ristra.core.datasets import APPLICATIONS, Column, Dataset
from ristra.core.validation_issues import FORMULA_SQL_PATTERN, looks_like_formula
from ristra.core.vocabularies import FLAG, RACE, SEX
from ristra.ingest.validation import validate_file
from ristra.services.imports import import_file
from ristra.services.workspace import Workspace
from support.corpus import HEADER, row, valid_rows, write_csv

TODAY = dt.date(2026, 6, 30)

KINDS = Dataset(
    "kinds", "one test row", ("key",), (
        Column("key", "id", "key", required=True, max_length=20),
        Column("whole", "integer", "an integer", minimum=-1000, maximum=100_000),
        Column("amount", "number", "a decimal", minimum=-10.0, maximum=1e6),
        Column("year", "year", "a year", minimum=1900, future_years=2),
        Column("day", "date", "a date"),
        Column("label", "text", "free text", max_length=30),
        Column("sex", "code", "a code", vocabulary=SEX),
        Column("race", "code_set", "a code set", vocabulary=RACE),
        Column("flag", "flag", "a flag", vocabulary=FLAG),
        Column("fips", "fips", "a county"),
        Column("zip", "zip", "a ZIP"),
        Column("state", "state", "a state"),
    ),
)
_BASE = {"key": "", "whole": "7", "amount": "0.5", "year": "2016", "day": "2015-07-01", "label": "MD",
         "sex": "female", "race": "white", "flag": "true", "fips": "35001", "zip": "87106", "state": "NM"}

#: (column, text): every form a careful tester tried, and the ordinary ones.
CASES: list[tuple[str, str]] = [
    *[("year", t) for t in ("2016", "1994.0", "2016.4", "2015.6", "2.016e3", "20_16", "0x7E0", "+2016", "-2016",
                            " 2016", "2016 ", "２０１６", "2016\u00a0", "016", "02016", "1850", "2031", "2028", "")],
    *[("whole", t) for t in ("7", "-7", "007", "7.0", "7.5", "1e3", "+7", "7_0", "0x7", "99999999999", " 7 ",
                             "1,000", "100001", "-1001", "")],
    *[("amount", t) for t in ("0.5", ".5", "-0.25", "1", "1.", "1e3", "+1", "nan", "inf", "0x10", "1,5",
                              "0.1234567890123456", "123456789012345", " 0.5", "10000000", "")],
    *[("day", t) for t in ("2015-07-01", "2015-7-1", "2015-07-01 ", " 2015-07-01", "2015-02-30", "15-07-01",
                           "1850-01-01", "2015-07-01T00:00:00", "07/01/2015", "2035-01-01", "")],
    *[("label", t) for t in ("MD", " MD ", "=1+1", " =HYPERLINK(\"x\")", " +1+cmd|' /C calc'!A0", "  @SUM(1)",
                             "\u00a0=1", "\u3000-1", "\t=x", "\tMD", "MD\n=x", "\n=x", "MD\u00a0", "\u00a0MD",
                             "M\x07D", "M\x85D", "x" * 31, "é" * 30, "-", "Muñoz", "")],
    *[("sex", t) for t in ("female", "F", " F ", "Female", "FEMALE", "fEmAlE", "x", "")],
    *[("race", t) for t in ("white", "black;white", "White | Black", "white,,asian", "nope", "")],
    *[("flag", t) for t in ("true", "T", "yes", "1", "0", "on", "2", " true", "")],
    *[("fips", t) for t in ("35001", "5001", "350011", "3500x", " 35001", "")],
    *[("zip", t) for t in ("87106", "871", "87106-1234", "8710a", "871066", "")],
    *[("state", t) for t in ("NM", "nm", " NM", "New Mexico", "")],
]


def _write(path: Path, cells: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_BASE)
        for cells_of_row in cells:
            writer.writerow([cells_of_row[c] for c in _BASE])
    return path


def _verdict(path: Path, work: Path, *, fast: bool) -> tuple[bool, tuple[tuple[object, ...], ...], list[object]]:
    work.mkdir()
    out = work / "out.parquet"
    report = validate_file(KINDS, path, workdir=work, column_map=IDENTITY, today=TODAY, output=out, fast_pass=fast)
    issues = tuple((i.row, i.column, i.code) for i in report.issues)
    stored: list[object] = []
    if report.valid:
        stored = duckdb.connect().execute("SELECT * FROM read_parquet(?) ORDER BY key", [str(out)]).fetchall()
    return report.valid, issues, stored


@pytest.mark.parametrize(("column", "text"), CASES, ids=[f"{c}={t!r}" for c, t in CASES])
def test_fast_and_full_pass_give_one_verdict(tmp_path: Path, column: str, text: str) -> None:
    cells = [{**_BASE, "key": f"K{i}"} for i in range(3)]
    cells[1][column] = text
    path = _write(tmp_path / "in.csv", cells)
    fast = _verdict(path, tmp_path / "fast", fast=True)
    full = _verdict(path, tmp_path / "full", fast=False)
    assert fast == full


_REFUSED_YEARS = ("1994.0", "2016.4", "2015.6", "2.016e3", "20_16", "0x7E0", "+2016")


@pytest.mark.parametrize("text", _REFUSED_YEARS)
@pytest.mark.parametrize("other_error", [False, True], ids=["alone", "with another error"])
def test_years_are_digits_only_whatever_else_is_in_the_file(tmp_path: Path, workspace: Workspace, text: str,
                                                           other_error: bool) -> None:
    rows = [*valid_rows(3), row(3, cycle=text)]
    if other_error:
        rows.append(row(4, program="MD "))  # declined by the fast pass: the file goes to the full pass
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows))
    assert not result.imported
    assert [(i.row, i.column, i.code) for i in result.report.issues] == [(5, "cycle", "bad_year")]


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', ' =HYPERLINK("http://x","y")',
                                  " +1+cmd|' /C calc'!A0", "  @SUM(1+1)", "\u00a0-2+3", "\t=1"])
@pytest.mark.parametrize("column", ["program", "application_id", "residence_city"])
def test_formula_check_runs_on_the_value_as_stored(tmp_path: Path, workspace: Workspace, text: str,
                                                   column: str) -> None:
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", [*valid_rows(2),
                                                                                   row(2, **{column: text})]))
    assert not result.imported
    assert [(i.row, i.column, i.code) for i in result.report.issues] == [(4, column, "formula")]


def test_the_core_formula_test_is_the_sql_one() -> None:
    """``looks_like_formula`` (for the web app) and the import's SQL give the same answer."""
    texts = ["=1", " =1", "+1", "-1", "@x", "a=1", "MD", "", " ", "\t", "\tx", "\rx", "\nx", "\n=x", "x\n=y",
             "\u00a0=1", "\u2028@x", "\x85=1", "\x1c=1", "\x0b+1", "\u200b=1", "'=1", "Muñoz"]
    texts += [ch + "=1" for ch in map(chr, range(0x3001)) if ch.isspace() or unicodedata.category(ch) == "Cf"]
    got = duckdb.connect().execute(
        "SELECT t, regexp_matches(t, ?) FROM unnest(?::VARCHAR[]) AS u(t)", [FORMULA_SQL_PATTERN, texts]
    ).fetchall()
    mismatched = [t for t, sql in got if sql != looks_like_formula(t)]
    assert not mismatched
    assert looks_like_formula("  =HYPERLINK(1)")
    assert not looks_like_formula("Category A")


ROUND_TRIP_ROWS = [
    {"key": "K1", "whole": "-42", "amount": "0.1", "year": "2016", "day": "2015-07-01", "label": "Muñoz – “Río”",
     "sex": "female", "race": "black;white", "flag": "true", "fips": "35001", "zip": "87106", "state": "NM"},
    {"key": "K2", "whole": "100000", "amount": "123456.789012345", "year": "1900", "day": "1900-01-01",
     "label": "a, \"quoted\"\nline", "sex": "male", "race": "asian", "flag": "false", "fips": "35049",
     "zip": "87501", "state": "NM"},
    {"key": "K3", "whole": "0", "amount": "-10", "year": "2028", "day": "2026-06-30", "label": "日本語テキスト",
     "sex": "unknown", "race": "american_indian_alaska_native", "flag": "false", "fips": "04001", "zip": "85001",
     "state": "AZ"},
]


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("fast", [True, False], ids=["fast pass", "full pass"])
def test_every_stored_value_reads_back_as_its_source_text(tmp_path: Path, fast: bool) -> None:
    path = _write(tmp_path / "in.csv", ROUND_TRIP_ROWS)
    out = tmp_path / "out.parquet"
    report = validate_file(KINDS, path, workdir=tmp_path, column_map=IDENTITY, today=TODAY, output=out,
                           fast_pass=fast)
    assert report.valid, report.issues
    con = duckdb.connect()
    names = [c.name for c in KINDS.columns]
    stored = con.execute(f"SELECT {', '.join(names)} FROM read_parquet(?) ORDER BY key", [str(out)]).fetchall()
    assert len(stored) == len(ROUND_TRIP_ROWS)
    for source, values in zip(ROUND_TRIP_ROWS, stored, strict=True):
        for name, value in zip(names, values, strict=True):
            if name == "amount":
                assert isinstance(value, float)
                assert math.isclose(value, float(source[name]), rel_tol=0, abs_tol=0)
                assert float(repr(value)) == float(source[name])
            else:
                assert _as_text(value) == source[name], (name, value, source[name])


def test_applications_round_trip_through_a_snapshot(tmp_path: Path, workspace: Workspace) -> None:
    """An import of the real dataset stores every cell's text exactly (from the snapshot's Parquet)."""
    rows = [row(i, residence_city=city, cycle=str(2016 + i), birth_year=str(1990 + i))
            for i, city in enumerate(["Muñoz", "Española", "Las Cruces", "Ohkay Owingeh"])]
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows))
    assert result.imported, result.report.issues
    columns = ", ".join(HEADER)
    stored = duckdb.connect().execute(
        f"SELECT {columns} FROM read_parquet(?) ORDER BY application_id",
        [str(workspace.snapshots.path(result.manifest))],  # type: ignore[arg-type]
    ).fetchall()
    for source, values in zip(rows, stored, strict=True):
        for name, text, value in zip(HEADER, source, values, strict=True):
            shown = "" if value is None else _as_text(value)
            if APPLICATIONS.column(name).kind == "flag":
                shown = "" if value is None else ("true" if value else "false")
            assert shown == text, (name, text, value)


@pytest.mark.parametrize(("column", "text", "code"), [
    *[("whole", t, "bad_integer") for t in ("7.0", "7.5", "1e3", "+7", "7_0", "0x7", "1,000", "99999999999")],
    *[("amount", t, "bad_number") for t in ("1e3", "+1", "nan", "inf", "0x10", "1,5", "1.", "0.1234567890123456")],
    *[("year", t, "bad_year") for t in (*_REFUSED_YEARS, "02016", "２０１６")],
])
@pytest.mark.parametrize("fast", [True, False], ids=["fast pass", "full pass"])
def test_numbers_are_refused_unless_written_plainly(tmp_path: Path, column: str, text: str, code: str,
                                                    fast: bool) -> None:
    cells = [{**_BASE, "key": f"K{i}"} for i in range(3)]
    cells[2][column] = text
    valid, issues, _ = _verdict(_write(tmp_path / "in.csv", cells), tmp_path / "w", fast=fast)
    assert not valid
    assert issues == ((4, column, code),)


def test_parquet_floats_keep_their_value(tmp_path: Path, workspace: Workspace) -> None:
    """pandas writes an integer column with gaps as float64: a whole float is its digits, any
    other float is refused, not rounded."""
    path = tmp_path / "a.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT 'A' || i AS application_id, 'P' || i AS person_id, 'female' AS sex, 'no' AS hispanic,
        'white' AS race, CASE WHEN i = 0 THEN NULL ELSE 1990.0 + i END::DOUBLE AS birth_year,
        2020.0::DOUBLE AS cycle, 'MD' AS program, 'yes' AS in_state, true AS completed, false AS interviewed,
        false AS offered, false AS declined, false AS waitlisted, false AS matriculated FROM range(3) t(i))
        TO '{path}' (FORMAT parquet)"""
    )
    result = import_file(workspace, "applications", path)
    assert result.imported, result.report.issues
    got = duckdb.connect().execute("SELECT birth_year, cycle FROM read_parquet(?) ORDER BY application_id",
                                   [str(workspace.snapshots.path(result.manifest))]).fetchall()  # type: ignore[arg-type]
    assert got == [(None, 2020), (1991, 2020), (1992, 2020)]
    bad = tmp_path / "b.parquet"
    duckdb.connect().execute(f"COPY (SELECT * REPLACE (2015.6::DOUBLE AS cycle) FROM read_parquet('{path}')) "
                             f"TO '{bad}' (FORMAT parquet)")
    refused = import_file(workspace, "applications", bad)
    assert {(i.column, i.code) for i in refused.report.issues} == {("cycle", "bad_year")}
