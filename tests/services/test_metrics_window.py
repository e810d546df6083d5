"""The data window of retention and promotion is declared (issue 15, item 8): with the import (the
extract's first day, recorded in the snapshot manifest) or on the call; undeclared, the CLI and the
Python API refuse with a plain message instead of guessing from the earliest separation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ristra
from ristra.cli.main import main
from ristra.core.manifest import FileEntry, SnapshotManifest
from ristra.core.metrics.errors import WindowNotDeclared
from ristra.services.imports import import_file
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Workspace
from ristra.stores.snapshots.errors import InvalidProvenance
from support.hand_school import EMPLOYEES, employee
from support.metrics import import_rows

EVENTS = [{"event_id": "E1", "appointment_id": "H2", "person_id": "P102", "event": "hire", "date": "2015-01-01",
           "to_rank": "assistant_professor"}]


def _values(result: object) -> list[dict[str, object]]:
    return [r.to_dict() for r in result.rows]  # type: ignore[attr-defined]


def test_a_declared_window_is_used_and_named(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "employees", EMPLOYEES, tmp_path, extract_start="2015-01-01")
    service = MetricsService(workspace, require_declared_window=True)
    try:
        declared = service.query("retention", category="women", as_of="2021-01-01")
        given = service.query("retention", category="women", window_start="2015-01-01", as_of="2021-01-01")
    finally:
        service.close()
    assert dict(declared.parameters) == {"window_start": "2015-01-01", "as_of": "2021-01-01",
                                         "window_source": "declared"}
    assert "declared with the employees import" in declared.notes[0]
    assert _values(declared) == _values(given)  # the same numbers as the hand-checked window on the call
    assert declared.snapshots[0].extract_start == "2015-01-01"
    assert declared.to_dict()["snapshots"][0]["extract_start"] == "2015-01-01"


def test_the_declared_window_differs_from_the_guess(workspace: Workspace, tmp_path: Path) -> None:
    # The earliest separation is in 2016, so the guess opens the window on 2016-01-01; the extract in
    # fact starts in 2012. Between them: a woman hired in 2012 who left in 2014 is in the data.
    people = [*EMPLOYEES, employee(7, "female", "2012-01-01", "2014-01-01", "resignation_personal")]
    import_rows(workspace, "employees", people, tmp_path)
    guessing = MetricsService(workspace, require_declared_window=False)
    guessed = guessing.query("retention", category="women", horizons=[3])
    guessing.close()
    import_rows(workspace, "employees", people, tmp_path, extract_start="2012-01-01")
    service = MetricsService(workspace, require_declared_window=True)
    declared = service.query("retention", category="women", horizons=[3])
    service.close()
    assert dict(guessed.parameters)["window_start"] == "2014-01-01"  # the earliest separation is now 2014
    assert dict(declared.parameters)["window_start"] == "2012-01-01"
    assert _values(guessed) != _values(declared)


def test_undeclared_the_metric_refuses_where_required(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "employees", EMPLOYEES, tmp_path)
    service = MetricsService(workspace, require_declared_window=True)
    try:
        with pytest.raises(WindowNotDeclared, match="--extract-start YYYY-MM-DD"):
            service.query("retention", category="women")
        assert service.queries_run == 0  # refused while planning: no query ran
        given = service.query("retention", category="women", window_start="2015-01-01")
        assert ("window_source", "given") in given.parameters
    finally:
        service.close()


def test_promotion_opens_at_the_later_of_the_declared_starts(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "employees", EMPLOYEES, tmp_path)
    import_rows(workspace, "employee_events", EVENTS, tmp_path)
    service = MetricsService(workspace, require_declared_window=True)
    with pytest.raises(WindowNotDeclared, match="employees and employee_events"):
        service.query("promotion", category="women")
    service.close()
    import_rows(workspace, "employee_events", EVENTS, tmp_path, extract_start="2014-06-01")
    service = MetricsService(workspace, require_declared_window=True)
    assert dict(service.query("promotion", category="women").parameters)["window_start"] == "2014-06-01"
    service.close()
    import_rows(workspace, "employees", EMPLOYEES, tmp_path, extract_start="2015-01-01")
    service = MetricsService(workspace, require_declared_window=True)
    result = service.query("promotion", category="women")
    service.close()
    assert dict(result.parameters)["window_start"] == "2015-01-01"
    assert "employees and employee_events imports" in result.notes[0]


def test_the_python_api_requires_a_declared_window(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "employees", EMPLOYEES, tmp_path)
    with ristra.open(workspace.root) as session, pytest.raises(WindowNotDeclared):
        session.retention(category="women")


def test_import_records_the_extract_start_and_refuses_impossible_ones(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "employees", EMPLOYEES, tmp_path, extract_start="2015-01-01")
    manifest = workspace.snapshots.current("employees")
    assert manifest is not None
    assert manifest.extract_start == "2015-01-01"
    before = workspace.snapshots.history("employees")
    for bad in ("2015-13-01", "1899-12-31", "9999-01-01", "soon"):
        with pytest.raises(InvalidProvenance, match="nothing was imported"):
            import_file(workspace, "employees", tmp_path / "employees.csv", extract_start=bad)
    assert workspace.snapshots.history("employees") == before


def test_cli_import_declares_and_query_refuses_without(workspace: Workspace, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import_rows(workspace, "employees", EMPLOYEES, tmp_path)  # the file, and an undeclared snapshot
    data = ["--data-dir", str(workspace.root)]
    assert main([*data, "query", "retention", "--category", "women"]) == 2
    err = capsys.readouterr().err.replace("\n", " ")
    assert "not declared" in err
    assert "Traceback" not in err
    assert main([*data, "import", "employees", str(tmp_path / "employees.csv"), "--extract-start", "2015-01-01",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["extract_start"] == "2015-01-01"
    assert main([*data, "query", "retention", "--category", "women", "--json"]) == 0
    capsys.readouterr()
    assert main([*data, "import", "employees", str(tmp_path / "employees.csv"), "--extract-start", "2999-01-01"]) == 2
    assert "must lie between" in capsys.readouterr().err.replace("\n", " ")
    with pytest.raises(SystemExit) as exited:  # not a date: a usage error, before anything is read
        main([*data, "import", "employees", str(tmp_path / "employees.csv"), "--extract-start", "2015-02-30"])
    assert exited.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def _manifest(**extra: object) -> SnapshotManifest:
    return SnapshotManifest(
        snapshot_id="20261126T173015.123456Z-a1b2c3", dataset="employees", schema_version=1, row_count=1,
        files=(FileEntry("data.parquet", "0" * 64, 10, 1),), source_name=None, source_sha256=None,
        source_format=None, imported_by="me", imported_at="2026-11-26T17:30:15.123456Z", **extra)  # type: ignore[arg-type]


def test_manifest_format_2_holds_the_extract_start_and_format_1_still_reads() -> None:
    declared = _manifest(extract_start="2011-01-01")
    d = declared.to_dict()
    assert d["manifest_format"] == 2
    assert SnapshotManifest.from_dict(d) == declared
    old = {k: v for k, v in _manifest().to_dict().items() if k != "extract_start"} | {"manifest_format": 1}
    assert SnapshotManifest.from_dict(old).extract_start is None
    with pytest.raises(ValueError, match="unknown keys"):  # format 1 has no extract_start
        SnapshotManifest.from_dict({**old, "extract_start": "2011-01-01"})
    with pytest.raises(ValueError, match="missing keys"):  # format 2 must say, even if only None
        SnapshotManifest.from_dict({k: v for k, v in d.items() if k != "extract_start"})
    for bad in ("2011-1-1", "2011-02-30", "yesterday"):
        with pytest.raises(ValueError, match="extract_start"):
            _manifest(extract_start=bad)
