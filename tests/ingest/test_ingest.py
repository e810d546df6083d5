"""Import of well-formed files: column maps, formats, canonical values, snapshots via the CLI."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ristra.cli.main import main
from ristra.core.columnmap import ColumnMapError, normalise_header, parse_column_map
from ristra.core.datasets import APPLICATIONS
from ristra.services.imports import import_file
from ristra.services.workspace import Workspace
from support.corpus import HEADER, row, valid_rows, write_csv


def _read(workspace: Workspace, manifest: object, sql: str) -> list[tuple[object, ...]]:
    path = workspace.snapshots.path(manifest)  # type: ignore[arg-type]
    con = duckdb.connect()
    con.read_parquet(str(path)).create_view("t")
    return con.execute(sql).fetchall()


BANNER_HEADER = ("Appl ID", "Person", "Gender", "Hisp", "Race Codes", "Entry Term", "Degree", "NM Resident",
                 "Applied On", "Complete", "Interviewed?", "Offer", "Declined", "Waitlist", "Enrolled", "Notes")
BANNER_MAP = """
name: banner-admissions
dataset: applications
columns:
  Appl ID: application_id
  Person: person_id
  Gender: sex
  Hisp: hispanic
  Race Codes: race
  Entry Term: cycle
  Degree: program
  NM Resident: in_state
  Applied On: application_date
  Complete: completed
  Interviewed?: interviewed
  Offer: offered
  Declined: declined
  Waitlist: waitlisted
  Enrolled: matriculated
ignore: [Notes]
values:
  sex: {W: female, MA: male}
  race: {AMIND: american_indian_alaska_native, CAUC: white}
date_format: "%m/%d/%Y"
"""


def test_column_map_translates_another_systems_export(tmp_path: Path, workspace: Workspace) -> None:
    rows = [
        ["1", "p1", "W", "Y", "AMIND|CAUC", "2024", "MD", "Y", "07/15/2023", "Y", "1", "N", "0", "false", "no", "x"],
        ["2", "p2", "F", "N", "black, white", "2024", "MD", "N", "12/01/2023", "Y", "0", "N", "0", "0", "0", ""],
        ["3", "p3", "MA", "unknown", "", "2025", "MD", "Y", "01/31/2024", "true", "Y", "Y", "N", "N", "Y", ""],
    ]
    source = write_csv(tmp_path / "banner.csv", rows, BANNER_HEADER)
    map_path = tmp_path / "banner.yaml"
    map_path.write_text(BANNER_MAP, encoding="utf-8")
    from ristra.services.imports import import_file as do_import

    result = do_import(workspace, "applications", source, map_path)
    assert result.imported, result.report.issues
    assert result.manifest is not None
    assert result.manifest.column_map == "banner-admissions"
    got = _read(workspace, result.manifest,
                "SELECT application_id, sex, hispanic, race, cycle, in_state, application_date, completed, "
                "interviewed, matriculated, birth_year FROM t ORDER BY application_id")
    assert got == [
        ("1", "female", "yes", ["american_indian_alaska_native", "white"], 2024, "yes", dt.date(2023, 7, 15),
         True, True, False, None),
        ("2", "female", "no", ["black", "white"], 2024, "no", dt.date(2023, 12, 1), True, False, False, None),
        ("3", "male", "unknown", ["unknown"], 2025, "yes", dt.date(2024, 1, 31), True, True, True, None),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"columns": {"Gender": "gender_x"}}, "not a column of applications"),
        ({"values": {"sex": {"W": "woman"}}}, "not one of"),
        ({"colums": {}}, "unknown key"),
        ({"columns": {"A": "sex", "B": "sex"}}, "both"),
        ({"values": {"program": {"x": "y"}}}, "not a coded column"),
        ({"date_format": "%H:%M"}, "date format"),
        ({"dataset": "students"}, "not 'applications'"),
        (["a", "list"], "must be a mapping"),
    ],
)
def test_column_map_errors_name_the_entry(data: object, message: str) -> None:
    with pytest.raises(ColumnMapError, match=message):
        parse_column_map(data, APPLICATIONS)


def test_bad_column_map_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "a.csv", valid_rows(2))
    bad = tmp_path / "map.yaml"
    bad.write_text("columns: [unclosed\n", encoding="utf-8")
    code = main(["--data-dir", str(tmp_path / "d"), "import", "applications", str(source), "--map", str(bad)])
    assert code == 2
    err = capsys.readouterr().err
    assert "not valid YAML at line" in err
    assert "Traceback" not in err


def test_normalise_header() -> None:
    assert normalise_header("\ufeff  Birth-Year ") == "birth_year"
    assert normalise_header("Residence  County.FIPS") == "residence_county_fips"


def test_full_pass_accepts_what_the_fast_pass_declines(tmp_path: Path, workspace: Workspace) -> None:
    rows = [row(1, sex=" F ", residence_state="nm", residence_county_fips="5001", residence_zip="87106-1234",
                race="White | Black", program=" MD ")]
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows))
    assert result.imported, result.report.issues
    assert _read(workspace, result.manifest,
                 "SELECT sex, residence_state, residence_county_fips, residence_zip, race, program FROM t") == [
        ("female", "NM", "05001", "87106", ["black", "white"], "MD")]


def test_fast_and_full_pass_write_the_same_values(tmp_path: Path, workspace: Workspace) -> None:
    rows = valid_rows(40)
    fast = import_file(workspace, "applications", write_csv(tmp_path / "fast.csv", rows))
    # a trailing space in one cell sends the whole file through the full pass
    rows[7] = row(7, program="MD ")
    full = import_file(workspace, "applications", write_csv(tmp_path / "full.csv", rows))
    assert fast.imported
    assert full.imported
    query = "SELECT * FROM t ORDER BY application_id"
    assert _read(workspace, fast.manifest, query) == _read(workspace, full.manifest, query)
    # the files have the same schema too: coded columns are plain strings in both
    schemas = [pq.read_schema(workspace.snapshots.path(r.manifest)) for r in (fast, full)]  # type: ignore[arg-type]
    assert schemas[0].equals(schemas[1], check_metadata=False), (schemas[0], schemas[1])
    assert str(schemas[0].field("sex").type) == "string"
    assert str(schemas[0].field("residence_state").type) == "string"
    # both write uncompressed pages (the metrics engine reads snapshots more than once per run)
    for r in (fast, full):
        meta = pq.ParquetFile(workspace.snapshots.path(r.manifest)).metadata  # type: ignore[arg-type]
        codecs = {meta.row_group(g).column(c).compression for g in range(meta.num_row_groups)
                  for c in range(meta.num_columns)}
        assert codecs == {"UNCOMPRESSED"}


def test_xlsx_with_real_dates_and_numbers(tmp_path: Path, workspace: Workspace) -> None:
    import xlsxwriter

    path = tmp_path / "apps.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for r, values in enumerate(valid_rows(3), start=1):
        for c, (name, value) in enumerate(zip(HEADER, values, strict=True)):
            if name in ("cycle", "birth_year"):
                sheet.write_number(r, c, int(value))
            elif name.endswith("_date") and value:
                sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_format)
            elif name in ("completed", "interviewed") and value:
                sheet.write_boolean(r, c, value == "true")
            else:
                sheet.write_string(r, c, value)
    book.close()
    result = import_file(workspace, "applications", path)
    assert result.imported, result.report.issues
    assert result.report.source_format == "xlsx"
    assert _read(workspace, result.manifest, "SELECT cycle, application_date, completed FROM t ORDER BY 1") == [
        (2016, dt.date(2015, 7, 1), True), (2017, dt.date(2015, 7, 1), True), (2018, dt.date(2015, 7, 1), True)]


def test_parquet_with_real_types(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "apps.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT 'A' || i AS application_id, 'P' || i AS person_id, 'female' AS sex, 'no' AS hispanic,
        ['white', 'asian'] AS race, 2020 AS cycle, 'MD' AS program, 'yes' AS in_state,
        DATE '2019-08-01' AS application_date, true AS completed, false AS interviewed, false AS offered,
        false AS declined, false AS waitlisted, false AS matriculated FROM range(3) t(i)) TO '{path}' (FORMAT parquet)"""
    )
    result = import_file(workspace, "applications", path)
    assert result.imported, result.report.issues
    assert _read(workspace, result.manifest, "SELECT DISTINCT race, application_date FROM t") == [
        (["asian", "white"], dt.date(2019, 8, 1))]


def test_cli_import_snapshots_and_rollback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    first = write_csv(tmp_path / "one.csv", valid_rows(3))
    second = write_csv(tmp_path / "two.csv", valid_rows(5))
    assert main([*data, "import", "applications", str(first)]) == 0
    first_id = capsys.readouterr().out.strip()
    assert main([*data, "import", "applications", str(second), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["row_count"] == 5
    assert main([*data, "snapshots", "applications", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["manifest"]["snapshot_id"], e["is_current"]) for e in listed] == [
        (second["snapshot_id"], True), (first_id, False)]
    assert main([*data, "rollback", "applications", first_id]) == 0
    capsys.readouterr()
    assert main([*data, "snapshots", "--json"]) == 0
    current = [e for e in json.loads(capsys.readouterr().out) if e["is_current"]]
    assert [e["manifest"]["snapshot_id"] for e in current] == [first_id]
    assert main([*data, "rollback", "applications", "20990101T000000.000000Z-ffffff"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main([*data, "import", "nonsense", str(first)]) == 2
    assert "choose one of" in capsys.readouterr().err


def test_second_import_of_a_dataset_is_refused_while_one_runs(tmp_path: Path, workspace: Workspace) -> None:
    from ristra.stores.snapshots import ImportInProgress

    path = write_csv(tmp_path / "a.csv", valid_rows(3))
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with workspace.snapshots.writer("applications", imported_by="other", schema_version=1) as writer:
            duckdb.connect().execute(f"COPY (SELECT 1 AS x) TO '{writer.path()}' (FORMAT parquet)")
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(10)
    try:
        with pytest.raises(ImportInProgress):
            import_file(workspace, "applications", path)
    finally:
        release.set()
        thread.join()
    assert import_file(workspace, "applications", path).imported
    assert len(workspace.snapshots.history("applications")) == 2


def test_duckdb_boolean_spellings_are_a_subset_of_the_flag_vocabulary(tmp_path: Path) -> None:
    """The fast pass reads flags as DuckDB BOOLEAN; it must never accept what the full pass refuses."""
    from ristra.core.vocabularies import FLAG

    candidates = ["true", "false", "t", "f", "1", "0", "y", "n", "yes", "no", "TRUE", "Yes", "tRuE", "x", "on",
                  "off", "2", "-1", "01", "oui", "si", "ja", "nein", "enabled", "none", "null", "T", "N"]
    path = tmp_path / "b.csv"
    path.write_text("v\n" + "\n".join(candidates) + "\n", encoding="utf-8")
    con = duckdb.connect()
    accepted = con.execute(
        "SELECT v FROM read_csv(?, header = true, auto_detect = false, columns = {'v': 'BOOLEAN'}, "
        "store_rejects = true)", [str(path)]).fetchall()
    rejected_lines = {int(r[0]) for r in con.execute("SELECT line FROM reject_errors").fetchall()}
    spellings = FLAG.spellings()
    for line, value in enumerate(candidates, start=2):
        if line not in rejected_lines:
            assert value.lower() in spellings, f"DuckDB accepts {value!r} as a boolean; the vocabulary does not"
    assert len(accepted) >= 10


def test_flag_spellings_in_a_column_map_still_apply(tmp_path: Path, workspace: Workspace) -> None:
    map_path = tmp_path / "m.yaml"
    map_path.write_text("values:\n  interviewed: {oui: 'true', non: 'false'}\n", encoding="utf-8")
    rows = [row(1, interviewed="oui"), row(2, interviewed="non"), row(3, interviewed="TRUE")]
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows), map_path)
    assert result.imported, result.report.issues
    assert _read(workspace, result.manifest, "SELECT interviewed FROM t ORDER BY application_id") == [
        (True,), (False,), (True,)]


@pytest.mark.parametrize(("column", "text", "outcome"), [
    # refused by the full pass: the fast pass must not accept them, whichever column they are in
    ("application_id", "=1+1", "formula"), ("person_id", "@SUM(1)", "formula"),
    ("residence_city", "Taos\x07", "control_character"), ("program", "M\x01D", "control_character"),
    ("residence_zip", "8710a", "bad_zip"), ("residence_zip", "871066", "bad_zip"),
    ("residence_county_fips", "3500x", "bad_fips"), ("residence_county_fips", "350011", "bad_fips"),
    # declined by the fast pass's row-wide checks, accepted (and normalised) by the full pass
    ("residence_city", "Las Cruces ", "Las Cruces"), ("program", "MD\n=x", "MD\n=x"),
    ("residence_zip", "871", "00871"), ("residence_county_fips", "5001", "05001"),
])
def test_fast_pass_row_checks_decline_what_they_cannot_decide(tmp_path: Path, workspace: Workspace, column: str,
                                                                text: str, outcome: str) -> None:
    rows = [*valid_rows(3), row(3, **{column: text}), row(4, residence_zip="87571", residence_county_fips="")]
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows))
    if result.imported:
        stored = _read(workspace, result.manifest, f"SELECT {column} FROM t WHERE application_id = 'A0000003'")
        assert stored == [(outcome,)]
    else:
        assert [(i.row, i.column, i.code) for i in result.report.issues] == [(5, column, outcome)]
