"""The bad-input corpus: every malformed file gets a clear message naming the row, the column
and the problem, exit code 1 (invalid) or 2 (unreadable), no traceback, no echo of a
sensitive value, and no change to any snapshot."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ristra.cli.main import main
from support.corpus import HEADER, row, valid_rows, write_csv


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    exit_code: int
    expected: tuple[tuple[int | None, str | None, str], ...] = ()  # (row, column, code) that must be listed
    message: str = ""  # text the error message must contain (exit 2)


def _csv(rows: list[list[str]], header: tuple[str, ...] = HEADER, **kw: str) -> Callable[[Path], Path]:
    return lambda d: write_csv(d / "input.csv", rows, header, **kw)


def _raw(content: bytes, name: str = "input.csv") -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        path = d / name
        path.write_bytes(content)
        return path

    return build


def _png(d: Path) -> Path:
    header = b"\x89PNG\r\n\x1a\n"
    chunk = b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    body = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return _raw(header + body + b"\x00" * 64)(d)


def _xlsx(d: Path, rows: list[list[str]]) -> Path:
    import xlsxwriter

    path = d / "input.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet()
    for r, values in enumerate([list(HEADER), *rows]):
        for c, value in enumerate(values):
            sheet.write_string(r, c, value)
    workbook.close()
    return path


def _truncated_xlsx(d: Path) -> Path:
    path = _xlsx(d, valid_rows(50))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _zip_bomb(d: Path) -> Path:
    path = d / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\x00" * (1 << 24)
            for _ in range(160):  # 2.7 GB of zeros, a few MB compressed
                member.write(block)
    return path


def _parquet_wrong_types(d: Path) -> Path:
    path = d / "input.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'A' || i AS application_id, 'P' || i AS person_id, 'female' AS sex, 'no' AS hispanic,
        ['white'] AS race, CASE WHEN i = 2 THEN 'nineteen-ninety' ELSE '1990' END AS cycle, 'MD' AS program,
        'yes' AS in_state, 20230101 AS application_date, true AS completed, false AS interviewed, false AS offered,
        false AS declined, false AS waitlisted, false AS matriculated FROM range(4) t(i))
        TO '{path}' (FORMAT parquet)"""
    )
    return path


def _utf16_without_bom(d: Path) -> Path:
    text = ",".join(HEADER) + "\n" + ",".join(row(1)) + "\n"
    return _raw(text.encode("utf-16-le"))(d)


def _unterminated_quote(d: Path) -> Path:
    lines = [",".join(HEADER), ",".join(row(1)), ",".join(row(2)).replace("Albuquerque", '"Albuquerque')]
    return _raw(("\n".join(lines) + "\n").encode())(d)


def _embedded_newline_then_error(d: Path) -> Path:
    rows = [row(1, program="MD"), row(2, residence_city="Las\nCruces, \"Old\" Mesilla"), row(3, cycle="20x6")]
    return write_csv(d / "input.csv", rows)


def _ragged(extra: bool) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        lines = [",".join(HEADER), ",".join(row(1)), ",".join(row(2)) + (",surplus" if extra else ""),
                 ",".join(row(3))]
        if not extra:
            lines[2] = ",".join(row(2)[:-3])
        return _raw(("\n".join(lines) + "\n").encode())(d)

    return build


def _header_with(headers: tuple[str, ...], values: list[list[str]]) -> Callable[[Path], Path]:
    return lambda d: write_csv(d / "input.csv", values, headers)


_missing = tuple(h for h in HEADER if h != "cycle")
_rows_missing = [[v for h, v in zip(HEADER, row(i), strict=True) if h != "cycle"] for i in range(3)]
_dup_header = (*HEADER, "sex")
_rows_dup = [[*row(i), "male"] for i in range(3)]
_unknown_header = (*HEADER, "favourite_colour")
_rows_unknown = [[*row(i), "teal"] for i in range(3)]
_blank_header = (*HEADER, "")
_rows_blank = [[*row(i), "x"] for i in range(3)]


CASES: list[Case] = [
    Case("empty file", _raw(b""), 1, ((None, None, "empty_file"),)),
    Case("header only", _csv([]), 1, ((None, None, "no_rows"),)),
    Case("binary garbage", _raw(bytes(range(256)) * 40), 2, message="binary data"),
    Case("png renamed csv", _png, 2, message="PNG image"),
    Case("utf-16 without a byte-order mark", _utf16_without_bom, 2, message="UTF-16 text without a byte-order mark"),
    Case("missing required column", _header_with(_missing, _rows_missing), 1, ((None, "cycle", "missing_column"),)),
    Case("unknown column", _header_with(_unknown_header, _rows_unknown), 1,
         ((None, "favourite_colour", "unknown_column"),)),
    Case("duplicated column", _header_with(_dup_header, _rows_dup), 1, ((None, "sex", "duplicate_column"),)),
    Case("blank column name", _header_with(_blank_header, _rows_blank), 1, ((None, None, "blank_column_name"),)),
    Case("row with too many fields", _ragged(True), 1, ((3, None, "ragged_row"),)),
    Case("row with too few fields", _ragged(False), 1, ((3, None, "ragged_row"),)),
    Case("unterminated quote", _unterminated_quote, 1, ()),
    Case("embedded newline and quotes, then a bad year", _embedded_newline_then_error, 1, ((4, "cycle", "bad_year"),)),
    Case("not a date", _csv([row(1), row(2, application_date="last tuesday")]), 1,
         ((3, "application_date", "bad_date"),)),
    Case("impossible date", _csv([row(1, interview_date="2015-02-30")]), 1, ((2, "interview_date", "bad_date"),)),
    Case("year in the future", _csv([row(1), row(2), row(3, cycle="2031")]), 1, ((4, "cycle", "future_date"),)),
    Case("date in the future", _csv([row(1, application_date="2027-01-15")]), 1,
         ((2, "application_date", "future_date"),)),
    Case("birth year out of range", _csv([row(1, birth_year="1850")]), 1, ((2, "birth_year", "out_of_range"),)),
    Case("duplicate key", _csv([row(1), row(2), row(1, person_id="P9")]), 1,
         ((4, "application_id", "duplicate_key"),)),
    Case("unknown code in a sensitive column", _csv([row(1, sex="SECRET-X"), row(2, hispanic="SECRETH")]), 1,
         ((2, "sex", "unknown_code"), (3, "hispanic", "unknown_code"))),
    Case("unknown race code", _csv([row(1, race="white;SECRETRACE")]), 1, ((2, "race", "unknown_code"),)),
    Case("formula: =HYPERLINK", _csv([row(1, program='=HYPERLINK("http://x","y")')]), 1,
         ((2, "program", "formula"),)),
    Case("formula: +cmd", _csv([row(1), row(2, application_id="+cmd|' /C calc'!A0")]), 1,
         ((3, "application_id", "formula"),)),
    Case("formula: @SUM", _csv([row(1, residence_city="@SUM(1+1)*cmd")]), 1, ((2, "residence_city", "formula"),)),
    Case("missing required value", _csv([row(1, completed="")]), 1, ((2, "completed", "missing_value"),)),
    Case("bad ZIP, FIPS and state", _csv([row(1, residence_zip="8710A", residence_county_fips="35-001",
                                               residence_state="New Mexico")]), 1,
         ((2, "residence_zip", "bad_zip"), (2, "residence_county_fips", "bad_fips"),
          (2, "residence_state", "bad_state"))),
    Case("control characters", _csv([row(1, program="M\x07D")]), 1, ((2, "program", "control_character"),)),
    Case("truncated xlsx", _truncated_xlsx, 2, message="not a readable XLSX"),
    Case("xlsx zip bomb", _zip_bomb, 2, message="zip bomb"),
    Case("xlsx with a bad row", lambda d: _xlsx(d, [row(1), row(2, cycle="20X0")]), 1, ((3, "cycle", "bad_year"),)),
    Case("parquet with wrong types", _parquet_wrong_types, 1,
         ((2, "application_date", "bad_date"), (4, "cycle", "bad_year"))),
    Case("no such file", lambda d: d / "absent.csv", 2, message="no such file"),
    # issue 14: values changed silently, wrong or leaking messages
    Case("year written as a decimal", _csv([row(1), row(2, cycle="1994.0")]), 1, ((3, "cycle", "bad_year"),)),
    Case("year in scientific notation", _csv([row(1, cycle="2.016e3")]), 1, ((2, "cycle", "bad_year"),)),
    Case("formula behind spaces", _csv([row(1, program='  =HYPERLINK("http://x","y")')]), 1,
         ((2, "program", "formula"),)),
    Case("stray byte in UTF-8", _raw(",".join(HEADER).encode() + b"\n" + ",".join(row(1, residence_city="Mu\u00f1oz"))
                                     .encode() + b"\n" + ",".join(row(2)).encode().replace(b"Albuquerque", b"Albu\xffq")
                                     + b"\n"), 1, ((3, None, "encoding"),)),
    Case("no header row", _csv([row(2)], header=tuple(row(1, person_id="SECRET-PERSON"))), 1,
         ((1, None, "no_header"),)),
    Case("a directory", lambda d: d, 2, message="is a directory"),
]


def _snapshot_state(data_dir: Path) -> list[str]:
    root = data_dir / "snapshots"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".tmp" not in p.parts)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_file(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    good = write_csv(tmp_path / "good.csv", valid_rows(3))
    assert main(["--data-dir", str(data_dir), "import", "applications", str(good)]) == 0
    before = _snapshot_state(data_dir)
    capsys.readouterr()

    source_dir = tmp_path / "src"
    source_dir.mkdir()
    path = case.build(source_dir)
    code = main(["--data-dir", str(data_dir), "import", "applications", str(path), "--json"])
    captured = capsys.readouterr()
    assert code == case.exit_code, captured
    everything = captured.out + captured.err
    assert "Traceback" not in everything
    assert "SECRET" not in everything
    if case.exit_code == 2:
        assert case.message.lower() in captured.err.lower()
    else:
        issues = json.loads(captured.out)
        assert issues, "an invalid file lists at least one issue"
        listed = {(i["row"], i["column"], i["code"]) for i in issues}
        for expected in case.expected:
            assert expected in listed, (expected, issues)
        assert all(i["message"] for i in issues)
    assert _snapshot_state(data_dir) == before
    assert not [p for p in (data_dir / "snapshots" / ".tmp").glob("*") if p.is_dir()]
    assert not list((data_dir / ".work").glob("*")) if (data_dir / ".work").exists() else True


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.slow
def test_million_line_file_whose_only_bad_row_is_the_last(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "million.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + "\n")
        template = ",".join(row(0)).replace("A0000000", "{a}").replace("P0000000", "{p}")
        for i in range(999_999):
            handle.write(template.format(a=f"A{i}", p=f"P{i}") + "\n")
        handle.write(",".join(row(1, application_id="ALAST", person_id="PLAST", sex="SECRETSEX")) + "\n")
    code = main(["--data-dir", str(tmp_path / "data"), "validate", "applications", str(path), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    issues = json.loads(captured.out)
    assert [(i["row"], i["column"], i["code"]) for i in issues] == [(1_000_001, "sex", "unknown_code")]
    assert "SECRET" not in captured.out + captured.err


def test_windows_1252_and_latin1_are_decoded(tmp_path: Path, workspace: object) -> None:
    from ristra.services.imports import import_file

    for encoding, city in (("cp1252", "Española – “Río”"), ("latin-1", "Española")):
        path = write_csv(tmp_path / f"{encoding}.csv", [row(1, residence_city=city)], encoding=encoding)
        result = import_file(workspace, "applications", path)  # type: ignore[arg-type]
        assert result.imported, result.report.issues
        store = workspace.snapshots  # type: ignore[attr-defined]
        data = store.path(result.manifest)
        got = duckdb.connect().execute("SELECT residence_city FROM read_parquet(?)", [str(data)]).fetchone()
        assert got == (city,)
        # Latin-1 text without C1 control bytes is the same text in Windows-1252
        assert result.report.encoding == "cp1252"


def test_semicolon_delimited_with_bom_imports(tmp_path: Path, workspace: object) -> None:
    from ristra.services.imports import import_file

    path = write_csv(tmp_path / "semi.csv", valid_rows(4), delimiter=";", encoding="utf-8-sig")
    result = import_file(workspace, "applications", path)  # type: ignore[arg-type]
    assert result.imported
    assert result.manifest is not None
    assert result.manifest.row_count == 4

