"""The demo use case (``ristra.services.demo``): the synthetic school, imported through the import
service; its summary agrees with the snapshots the store holds."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ristra.core.datasets import DATASETS
from ristra.services.demo import IMPORT_ORDER, DemoSummary, import_demo, write_synthetic_school
from ristra.services.workspace import Settings, Workspace

NOW = dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, DemoSummary]:
    workspace = Workspace(Settings(data_dir=tmp_path_factory.mktemp("demo") / "data", user="demo", clock=lambda: NOW))
    return workspace, import_demo(workspace, seed=7, applications_per_cycle=120)


def test_every_dataset_is_imported_in_order(demo: tuple[Workspace, DemoSummary]) -> None:
    _, summary = demo
    assert [d.dataset for d in summary.datasets] == list(IMPORT_ORDER)


def test_the_demo_imports_every_canonical_dataset(demo: tuple[Workspace, DemoSummary]) -> None:
    assert set(IMPORT_ORDER) == set(DATASETS)


def test_nothing_is_rejected(demo: tuple[Workspace, DemoSummary]) -> None:
    _, summary = demo
    assert (summary.imported, summary.rejected, summary.report) == (True, None, None)


def test_each_summary_names_the_current_snapshot(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    current = {name: workspace.snapshots.current(name) for name in IMPORT_ORDER}
    assert {d.dataset: d.snapshot_id for d in summary.datasets} == {
        name: m.snapshot_id for name, m in current.items() if m is not None}


def test_the_summary_row_counts_are_the_snapshot_row_counts(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    manifests = {name: workspace.snapshots.current(name) for name in IMPORT_ORDER}
    assert summary.rows() == {name: m.row_count for name, m in manifests.items() if m is not None}


def test_the_summary_row_counts_are_the_rows_in_the_data_files(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    on_disk = {}
    for name in IMPORT_ORDER:
        manifest = workspace.snapshots.current(name)
        assert manifest is not None
        on_disk[name] = pq.read_metadata(workspace.snapshots.path(manifest)).num_rows
    assert summary.rows() == on_disk


def test_the_summary_row_counts_are_the_rows_generated(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    source = workspace.root / "synthetic-source"
    generated = {}
    for name in IMPORT_ORDER:
        with open(source / f"{name}.csv", newline="", encoding="utf-8") as handle:
            generated[name] = sum(1 for _ in csv.DictReader(handle))
    assert summary.rows() == generated


def test_the_demo_school_has_many_applications(demo: tuple[Workspace, DemoSummary]) -> None:
    _, summary = demo
    assert summary.rows()["applications"] > 1000


def test_the_windowed_extracts_declare_their_start(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, _ = demo
    starts = {name: m.extract_start for name in ("employees", "employee_events", "trainees")
              if (m := workspace.snapshots.current(name)) is not None}
    assert starts == {"employees": "2011-01-01", "employee_events": "2011-01-01", "trainees": "2011-01-01"}


def test_the_summary_as_a_dict(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    as_dict = summary.to_dict()
    assert (as_dict["root"], as_dict["imported"], as_dict["rejected"]) == (str(workspace.root), True, None)
    assert [d["rows"] for d in as_dict["datasets"]] == [d.rows for d in summary.datasets]


def test_progress_reports_generating_then_importing(tmp_path: Path) -> None:
    workspace = Workspace(Settings(data_dir=tmp_path / "data", user="demo", clock=lambda: NOW))
    seen: list[tuple[str, int, int]] = []
    import_demo(workspace, seed=3, applications_per_cycle=60, progress=lambda s, d, t: seen.append((s, d, t)))
    importing = [(d, t) for s, d, t in seen if s == "importing"]
    assert importing == [(n, len(IMPORT_ORDER)) for n in range(len(IMPORT_ORDER) + 1)]
    assert seen[0][0].startswith("generating: ")


def test_write_synthetic_school_writes_one_csv_per_dataset_and_imports_nothing(tmp_path: Path) -> None:
    paths = write_synthetic_school(tmp_path / "school", seed=7, applications_per_cycle=60, cycles=2)
    assert {name: path.name for name, path in paths.items() if name in DATASETS} == {
        name: f"{name}.csv" for name in DATASETS}
    assert all(path.is_file() for path in paths.values())
    assert not (tmp_path / "data").exists()
