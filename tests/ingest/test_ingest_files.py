"""What the importer opens: only regular files, within the size limit, column maps that cannot
blow up, and the right worksheet of a workbook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ristra.cli.main import main
from ristra.core.columnmap import ColumnMapError
from ristra.core.datasets import APPLICATIONS
from ristra.ingest.columnmap_file import load_column_map
from ristra.ingest.sources import UnreadableFile
from ristra.services import imports
from ristra.services.workspace import Workspace
from support.corpus import HEADER, row, valid_rows, write_csv


def _cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ristra.cli.main", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )


def test_a_named_pipe_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = _cli(tmp_path, "import", "applications", str(fifo), timeout=30)
    assert done.returncode == 2, done
    assert "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 30


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_before_it_is_read(tmp_path: Path) -> None:
    done = _cli(tmp_path, "validate", "applications", "/dev/zero", timeout=30)
    assert done.returncode == 2, done
    assert "not a regular file" in done.stderr


@pytest.mark.parametrize("call", ["validate", "import_file"])
def test_the_service_refuses_what_is_not_a_regular_file(tmp_path: Path, workspace: Workspace, call: str) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path, message in ((fifo, "not a regular file"), (tmp_path, "is a directory")):
        with pytest.raises(UnreadableFile, match=message):
            getattr(imports, call)(workspace, "applications", path)
    assert not (workspace.root / "snapshots" / "applications").exists()


def test_the_cli_has_the_web_apps_size_limit(tmp_path: Path) -> None:
    big = write_csv(tmp_path / "big.csv", valid_rows(9000))  # about 1.2 MB
    assert big.stat().st_size > 1024 * 1024
    refused = _cli(tmp_path, "import", "applications", str(big), env={"RISTRA_MAX_UPLOAD_MB": "1"})
    assert refused.returncode == 2, refused
    assert "largest file accepted is 1.0 MB" in refused.stderr
    assert not (tmp_path / "data" / "snapshots" / "applications").exists()
    allowed = _cli(tmp_path, "import", "applications", str(big), "--max-size-mb", "2",
                   env={"RISTRA_MAX_UPLOAD_MB": "1"})
    assert allowed.returncode == 0, allowed


def test_the_default_size_limit_is_the_web_apps(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from ristra.cli.data_commands import max_bytes
    from ristra.web.config import WebConfig

    monkeypatch.delenv("RISTRA_MAX_UPLOAD_MB", raising=False)
    assert max_bytes(None, {}) == WebConfig.max_upload_bytes == 200 * 1024 * 1024
    assert max_bytes(None, {"RISTRA_MAX_UPLOAD_MB": "7"}) == 7 * 1024 * 1024
    assert max_bytes(3, {"RISTRA_MAX_UPLOAD_MB": "7"}) == 3 * 1024 * 1024
    path = write_csv(tmp_path / "a.csv", valid_rows(2))
    monkeypatch.setenv("RISTRA_MAX_UPLOAD_MB", "lots")
    assert main(["--data-dir", str(tmp_path / "d"), "validate", "applications", str(path)]) == 2
    assert "whole number of megabytes" in capsys.readouterr().err


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
ignore: [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_billion_laughs_column_map_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ColumnMapError, match="anchor or alias"):
        load_column_map(path, APPLICATIONS)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(("text", "message"), [
    ("columns: &x {Gender: sex}\n", "anchor or alias at line 1"),
    ("columns:\n  Gender: sex\nignore: [" + ",".join(f"c{i}" for i in range(60_000)) + "]\n", "entries"),
    ("ignore: " + "[" * 30 + "]" * 30 + "\n", "nested"),
])
def test_column_maps_are_capped(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ColumnMapError, match=message):
        load_column_map(path, APPLICATIONS)


def test_a_column_map_that_is_a_directory_or_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "a.csv", valid_rows(2))
    maps = tmp_path / "maps"
    maps.mkdir()
    code = main(["--data-dir", str(tmp_path / "d"), "import", "applications", str(source), "--map", str(maps)])
    err = capsys.readouterr().err
    assert code == 2
    assert "is a directory" in err
    assert "internal error" not in err
    fifo = tmp_path / "m.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ColumnMapError, match="not a regular file"):
        load_column_map(fifo, APPLICATIONS)


def test_column_map_names_match_ignoring_case_and_spacing(tmp_path: Path, workspace: Workspace) -> None:
    header = tuple({"application_id": "AppID", "person_id": "person-id", "birth_year": "BirthYear"}.get(h, h)
                   for h in HEADER)
    source = write_csv(tmp_path / "a.csv", valid_rows(3), header)
    map_path = tmp_path / "m.yaml"
    map_path.write_text("columns:\n  App ID: application_id\n  Person ID: person_id\nignore: []\n",
                        encoding="utf-8")
    result = imports.import_file(workspace, "applications", source, map_path)
    assert result.imported, result.report.issues  # BirthYear matches birth_year without a map entry


def _workbook(path: Path, sheets: list[tuple[str, list[list[str]], bool]]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, rows, hidden in sheets:
        sheet = book.add_worksheet(name)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                sheet.write_string(r, c, value)
        if hidden:
            sheet.hide()
    visible = [i for i, (_n, _r, hidden) in enumerate(sheets) if not hidden]
    if visible:
        book.worksheets()[visible[0]].activate()
    book.close()
    return path


_DATA = [list(HEADER), *valid_rows(4)]
_DRAFT = [list(HEADER), row(90, program="DRAFT")]


def test_xlsx_reads_the_first_visible_sheet(tmp_path: Path, workspace: Workspace) -> None:
    path = _workbook(tmp_path / "a.xlsx", [("Draft", _DRAFT, True), ("Data", _DATA, False)])
    result = imports.import_file(workspace, "applications", path)
    assert result.imported
    assert result.manifest is not None
    assert result.manifest.row_count == 4


def test_xlsx_sheet_chosen_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workbook(tmp_path / "a.xlsx", [("Data", _DATA, False), ("Draft", _DRAFT, True)])
    data = ["--data-dir", str(tmp_path / "d")]
    assert main([*data, "import", "applications", str(path), "--sheet", "Draft", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["row_count"] == 1
    assert main([*data, "validate", "applications", str(path), "--sheet", "Nope"]) == 2
    err = capsys.readouterr().err
    assert "no sheet named 'Nope'" in err
    assert "'Data'" in err
    assert "'Draft' (hidden)" in err
    csv_path = write_csv(tmp_path / "a.csv", valid_rows(2))
    assert main([*data, "validate", "applications", str(csv_path), "--sheet", "Data"]) == 2
    assert "not a workbook" in capsys.readouterr().err


def test_an_empty_first_sheet_names_the_sheets(tmp_path: Path, workspace: Workspace) -> None:
    path = _workbook(tmp_path / "a.xlsx", [("Cover", [], False), ("Data", _DATA, False)])
    report = imports.validate(workspace, "applications", path)
    assert [(i.row, i.column, i.code) for i in report.issues] == [(None, None, "empty_sheet")]
    message = report.issues[0].message
    assert "'Cover' is empty" in message
    assert "'Cover' (empty), 'Data'" in message
    assert "the file is empty" not in message
    assert imports.validate(workspace, "applications", path, sheet="Data").valid


def test_every_reason_code_is_in_the_user_guide() -> None:
    from ristra.core.validation_issues import REASONS

    guide = (Path(__file__).resolve().parents[2] / "docs" / "user-guide.md").read_text(encoding="utf-8")
    missing = [code for code in REASONS if f"`{code}`" not in guide and code != "unreadable"]
    assert not missing
