"""Delimited text as it arrives: the encoding decided over the whole file, line endings, headers
that are not headers, and headers of any length — each with a true message."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ristra.cli.main import main
from ristra.ingest.sources import UnreadableFile
from ristra.services.imports import import_file, validate
from ristra.services.workspace import Workspace
from support.corpus import HEADER, csv_text, row, valid_rows, write_csv


def _cities(workspace: Workspace, result: object) -> list[str]:
    path = workspace.snapshots.path(result.manifest)  # type: ignore[attr-defined]
    return [r[0] for r in duckdb.connect().execute(
        "SELECT residence_city FROM read_parquet(?) ORDER BY application_id", [str(path)]).fetchall()]


def _munoz_file(path: Path, rows: int, bad_row: int) -> Path:
    """UTF-8 rows of "Muñoz" with one stray byte (a Windows-1252 "ñ") in row ``bad_row``."""
    data = [row(i, residence_city="Muñoz") for i in range(rows)]
    text = csv_text(data).encode("utf-8")
    lines = text.split(b"\n")
    lines[bad_row - 1] = lines[bad_row - 1].replace("Muñoz".encode(), b"Mu\xf1oz")
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize(("rows", "bad_row"), [(5, 3), (3000, 2990)], ids=["early", "late"])
def test_a_stray_byte_in_utf8_is_an_issue_on_its_row(tmp_path: Path, workspace: Workspace, rows: int,
                                                     bad_row: int) -> None:
    result = import_file(workspace, "applications", _munoz_file(tmp_path / "a.csv", rows, bad_row))
    assert not result.imported
    assert result.report.encoding == "utf-8"
    assert [(i.row, i.column, i.code) for i in result.report.issues] == [(bad_row, None, "encoding")]
    assert "UTF-8" in result.report.issues[0].message


def test_a_stray_byte_never_crashes_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _munoz_file(tmp_path / "a.csv", 4, 2)
    code = main(["--data-dir", str(tmp_path / "d"), "import", "applications", str(path), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert "internal error" not in captured.err
    assert [(i["row"], i["code"]) for i in json.loads(captured.out)] == [(2, "encoding")]


def test_a_stray_byte_in_the_header(tmp_path: Path, workspace: Workspace) -> None:
    text = csv_text([row(1, residence_city="Muñoz")]).encode().replace(b"program", b"progr\xe4m", 1)
    path = tmp_path / "a.csv"
    path.write_bytes(text)
    report = validate(workspace, "applications", path)
    assert (1, None, "encoding") in [(i.row, i.column, i.code) for i in report.issues]


def test_a_single_byte_file_is_decoded_whole(tmp_path: Path, workspace: Workspace) -> None:
    """No UTF-8 character anywhere and Windows-1252 bytes late in the file: Windows-1252."""
    rows = [row(i) for i in range(3000)]
    rows[2990] = row(2990, residence_city="Española")
    path = write_csv(tmp_path / "a.csv", rows, encoding="cp1252")
    result = import_file(workspace, "applications", path)
    assert result.imported, result.report.issues
    assert result.report.encoding == "cp1252"
    assert "Española" in _cities(workspace, result)


def test_utf8_stays_utf8(tmp_path: Path, workspace: Workspace) -> None:
    rows = [row(i, residence_city="Muñoz") for i in range(3)]
    result = import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows))
    assert result.imported
    assert _cities(workspace, result) == ["Muñoz"] * 3


def test_utf16_with_a_bad_surrogate_is_an_issue(tmp_path: Path, workspace: Workspace) -> None:
    text = csv_text([row(1), row(2, residence_city="Taos")]).encode("utf-16")
    marker = "Taos".encode("utf-16-le")
    path = tmp_path / "a.csv"
    path.write_bytes(text.replace(marker, b"\x00\xd8" + marker[2:]))  # a lone high surrogate
    report = validate(workspace, "applications", path)
    assert [(i.row, i.code) for i in report.issues] == [(3, "encoding")]
    assert "UTF-16" in report.issues[0].message


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_gets_a_true_message(tmp_path: Path, workspace: Workspace, codec: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(csv_text(valid_rows(2)).encode(codec))
    with pytest.raises(UnreadableFile, match="UTF-16 text without a byte-order mark"):
        validate(workspace, "applications", path)


@pytest.mark.parametrize("first", ["\r\n", "\n"], ids=["CRLF first", "LF first"])
def test_mixed_line_endings_are_read(tmp_path: Path, workspace: Workspace, first: str) -> None:
    lines = csv_text([row(i, residence_city="Las\nCruces" if i == 7 else "Taos") for i in range(300)])
    records = lines.replace("Las\nCruces", "Las\x00Cruces").split("\n")[:-1]
    other = "\n" if first == "\r\n" else "\r\n"
    text = "".join(r + (first if i % 2 else other) for i, r in enumerate(records)).replace("\x00", "\n")
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode())
    result = import_file(workspace, "applications", path)
    assert result.imported, result.report.issues
    assert result.manifest is not None
    assert result.manifest.row_count == 300
    assert sorted(set(_cities(workspace, result))) == ["Las\nCruces", "Taos"]


def test_mixed_line_endings_with_a_bad_value_name_its_row(tmp_path: Path, workspace: Workspace) -> None:
    records = csv_text([row(i, cycle="20x6" if i == 5 else "2016") for i in range(20)]).split("\n")[:-1]
    path = tmp_path / "a.csv"
    path.write_bytes("".join(r + ("\r\n" if i % 3 else "\n") for i, r in enumerate(records)).encode())
    report = validate(workspace, "applications", path)
    assert [(i.row, i.column, i.code) for i in report.issues] == [(7, "cycle", "bad_year")]


_RECORD = ["Maria", "SECRETGonzalez", "1990-04-01", "maria.gonzalez@example.org", "87106", "white", "female"]


@pytest.mark.parametrize("first_line", [
    _RECORD,
    [f"A{1:07d}", "P0000001", "female", "yes", "white", "1991", "NM", "35001", "Albuquerque", "87106", "2017",
     "MD", "yes", "2015-07-01", "true", "true", "2015-10-01", "false", "", "false", "false", "false"],
], ids=["a person's record", "a data row of the dataset"])
def test_a_first_line_that_is_data_is_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 first_line: list[str]) -> None:
    path = write_csv(tmp_path / "a.csv", [first_line, first_line], header=first_line)
    code = main(["--data-dir", str(tmp_path / "d"), "validate", "applications", str(path), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    issues = json.loads(captured.out)
    assert [(i["row"], i["column"], i["code"]) for i in issues] == [(1, None, "no_header")]
    everything = captured.out + captured.err
    for cell in first_line:
        if len(cell) > 3:
            assert cell not in everything
            assert cell.lower() not in everything.lower()


def test_unknown_header_cells_are_echoed_only_when_they_look_like_names(tmp_path: Path,
                                                                         workspace: Workspace) -> None:
    header = (*HEADER, "Favourite Colour", "maria@example.org", "1990-04-01", "87106")
    path = write_csv(tmp_path / "a.csv", [[*row(1), "teal", "x", "y", "z"]], header)
    report = validate(workspace, "applications", path)
    unknown = [i for i in report.issues if i.code == "unknown_column"]
    assert sorted(i.column or "" for i in unknown) == ["", "", "", "favourite_colour"]
    text = " ".join(i.message for i in report.issues)
    assert "maria" not in text
    assert "1990-04-01" not in text
    assert "87106" not in text
    assert "column 24 of the header" in text


def test_a_header_longer_than_the_sniffing_sample_is_read_whole(tmp_path: Path, workspace: Workspace) -> None:
    extra = [f"an_extra_column_from_the_export_{i:04d}" for i in range(1900)]  # 70 000 characters
    path = write_csv(tmp_path / "a.csv", [[*row(1), *("" for _ in extra)]], (*HEADER, *extra))
    map_path = tmp_path / "m.yaml"
    map_path.write_text("ignore: [" + ", ".join(extra) + "]\n", encoding="utf-8")
    result = import_file(workspace, "applications", path, map_path)
    assert result.imported, result.report.issues[:3]


def test_a_20000_column_header_is_refused_clearly(tmp_path: Path, workspace: Workspace) -> None:
    header = tuple(f"c{i}" for i in range(20_000))
    path = write_csv(tmp_path / "a.csv", [["1"] * 20_000], header)
    report = validate(workspace, "applications", path)
    assert [(i.row, i.code) for i in report.issues] == [(1, "too_many_columns")]
    assert "20,000 columns" in report.issues[0].message
