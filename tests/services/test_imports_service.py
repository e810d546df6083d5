"""The import use case (``ristra.services.imports``): what an import returns, what the snapshot it
publishes holds (the rows of the file, counted and read back by hand), and that a refused file
changes nothing — the previous snapshot stays current, with its rows."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ristra.core.datasets import dataset
from ristra.services.imports import import_file, validate
from ristra.services.workspace import Settings, Workspace
from ristra.stores.snapshots.errors import InvalidProvenance
from support.hand_school import APPLICATIONS, EMPLOYEES

NOW = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


def _workspace(tmp_path: Path) -> Workspace:
    return Workspace(Settings(data_dir=tmp_path / "data", user="the-registrar", clock=lambda: NOW))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def _csv(path: Path, dataset_name: str, rows: Sequence[Mapping[str, Any]]) -> Path:
    columns = dataset(dataset_name).column_names
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])
    return path


def _rows(workspace: Workspace, dataset_name: str, columns: str) -> list[tuple[Any, ...]]:
    manifest = workspace.snapshots.current(dataset_name)
    assert manifest is not None
    path = str(workspace.snapshots.path(manifest)).replace("'", "''")
    return duckdb.sql(f"SELECT {columns} FROM '{path}' ORDER BY 1").fetchall()


def test_a_valid_file_becomes_the_current_snapshot_with_its_rows(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    source = _csv(tmp_path / "apps.csv", "applications", APPLICATIONS)
    result = import_file(workspace, "applications", source)
    assert result.imported
    report, manifest = result.report, result.manifest
    assert manifest is not None
    assert report.valid
    assert report.row_count == 7
    assert report.issue_total == 0
    assert report.source_name == "apps.csv"
    assert report.source_format == "csv"
    assert manifest.dataset == "applications"
    assert manifest.row_count == 7
    assert manifest.imported_by == "the-registrar"
    assert manifest.imported_at == "2026-01-15T09:30:00.000000Z"
    assert manifest.snapshot_id.startswith("20260115T093000.000000Z-")
    assert manifest.source_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest.extract_start is None
    assert result.to_dict() == {"imported": True, "snapshot_id": manifest.snapshot_id, "report": report.to_dict()}
    assert workspace.snapshots.current("applications") == manifest
    # the rows of the file, as the hand-made school lists them
    assert _rows(workspace, "applications", "application_id, sex, hispanic, race, cycle, matriculated") == [
        ("A1", "female", "yes", ["white"], 2024, True),
        ("A2", "female", "no", ["black"], 2024, False),
        ("A3", "male", "no", ["white"], 2024, False),
        ("A4", "male", "unknown", ["unknown"], 2024, False),
        ("A5", "declined", "declined", ["declined"], 2024, False),
        ("A6", "female", "yes", ["white"], 2025, False),
        ("A7", "male", "no", ["asian"], 2025, True),
    ]


def test_a_refused_file_leaves_the_previous_snapshot_current(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    first = import_file(workspace, "applications", _csv(tmp_path / "apps.csv", "applications", APPLICATIONS))
    assert first.manifest is not None
    before = _rows(workspace, "applications", "application_id, sex, cycle")
    bad_rows = [dict(a) for a in APPLICATIONS]
    bad_rows[2]["sex"] = "purple"  # data row 3: spreadsheet row 4
    bad_rows[5]["cycle"] = "20x5"  # data row 6: spreadsheet row 7
    bad_rows.append({**APPLICATIONS[0], "application_id": "A8", "person_id": "P8"})
    refused = import_file(workspace, "applications", _csv(tmp_path / "bad.csv", "applications", bad_rows))
    assert not refused.imported
    assert refused.manifest is None
    assert refused.report.row_count == 8
    assert refused.report.issue_total == 2
    assert [(i.row, i.column, i.code) for i in refused.report.issues] == [(4, "sex", "unknown_code"),
                                                                          (7, "cycle", "bad_year")]
    assert "purple" not in refused.report.issues[0].message  # a bad value of a sensitive column is not echoed
    assert refused.to_dict()["snapshot_id"] is None
    assert workspace.snapshots.current("applications") == first.manifest
    assert [e.manifest.snapshot_id for e in workspace.snapshots.history("applications")] == [first.manifest.snapshot_id]
    assert _rows(workspace, "applications", "application_id, sex, cycle") == before


def test_a_second_valid_import_replaces_the_first_and_keeps_it_in_the_history(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    first = import_file(workspace, "applications", _csv(tmp_path / "apps.csv", "applications", APPLICATIONS))
    second = import_file(workspace, "applications", _csv(tmp_path / "apps2.csv", "applications", APPLICATIONS[:3]))
    assert first.manifest is not None
    assert second.manifest is not None
    assert second.manifest.row_count == 3
    assert second.manifest.snapshot_id != first.manifest.snapshot_id
    history = workspace.snapshots.history("applications")
    assert [(e.manifest.snapshot_id, e.is_current) for e in history] == [(first.manifest.snapshot_id, False),
                                                                         (second.manifest.snapshot_id, True)]
    assert _rows(workspace, "applications", "application_id") == [("A1",), ("A2",), ("A3",)]


def test_validate_changes_nothing(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    report = validate(workspace, "applications", _csv(tmp_path / "apps.csv", "applications", APPLICATIONS))
    assert report.valid
    assert report.row_count == 7
    assert workspace.snapshots.current("applications") is None


def test_the_declared_extract_start_is_recorded_and_a_bad_one_refused_before_reading(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    source = _csv(tmp_path / "employees.csv", "employees", EMPLOYEES)
    for refused in ("2015-13-01", "1899-12-31", "2026-01-16"):  # not a date; before 1900; after today
        with pytest.raises(InvalidProvenance, match="nothing was imported"):
            import_file(workspace, "employees", source, extract_start=refused)
    assert workspace.snapshots.current("employees") is None
    result = import_file(workspace, "employees", source, extract_start="2015-01-01")
    assert result.manifest is not None
    assert result.manifest.extract_start == "2015-01-01"
    assert result.manifest.row_count == len(EMPLOYEES)
    assert _rows(workspace, "employees", "appointment_id, sex, separation_reason") == [
        ("H1", "female", "retirement"), ("H2", "female", "resignation_personal"), ("H3", "female", None),
        ("H4", "female", None), ("H5", "male", None), ("H6", "male", None)]
