"""The demo use case (``ristra.services.demo``): the synthetic school, imported through the import
service; its summary agrees with the snapshots the store holds."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ristra.core.datasets import DATASETS
from ristra.services.demo import (
    IDENTITY_ORDER,
    IMPORT_ORDER,
    DemoSummary,
    import_demo,
    write_synthetic_school,
)
from ristra.services.linkage import LinkageService
from ristra.services.program_outcomes import outcomes
from ristra.services.workspace import Settings, Workspace

NOW = dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC)
#: every dataset the demo imports: the canonical ones, then the restricted identity datasets
EVERY = (*IMPORT_ORDER, *IDENTITY_ORDER)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, DemoSummary]:
    workspace = Workspace(Settings(data_dir=tmp_path_factory.mktemp("demo") / "data", user="demo", clock=lambda: NOW))
    return workspace, import_demo(workspace, seed=7, applications_per_cycle=120)


def test_every_dataset_is_imported_in_order(demo: tuple[Workspace, DemoSummary]) -> None:
    _, summary = demo
    assert [d.dataset for d in summary.datasets] == list(EVERY)


def test_the_demo_imports_every_canonical_dataset(demo: tuple[Workspace, DemoSummary]) -> None:
    assert set(IMPORT_ORDER) == set(DATASETS)


def test_nothing_is_rejected(demo: tuple[Workspace, DemoSummary]) -> None:
    _, summary = demo
    assert (summary.imported, summary.rejected, summary.report) == (True, None, None)


def test_each_summary_names_the_current_snapshot(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    current = {name: workspace.snapshots.current(name) for name in EVERY}
    assert {d.dataset: d.snapshot_id for d in summary.datasets} == {
        name: m.snapshot_id for name, m in current.items() if m is not None}


def test_the_summary_row_counts_are_the_snapshot_row_counts(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    manifests = {name: workspace.snapshots.current(name) for name in EVERY}
    assert summary.rows() == {name: m.row_count for name, m in manifests.items() if m is not None}


def test_the_summary_row_counts_are_the_rows_in_the_data_files(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    on_disk = {}
    for name in EVERY:
        manifest = workspace.snapshots.current(name)
        assert manifest is not None
        on_disk[name] = pq.read_metadata(workspace.snapshots.path(manifest)).num_rows
    assert summary.rows() == on_disk


def test_the_summary_row_counts_are_the_rows_generated(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    source = workspace.root / "synthetic-source"
    generated = {}
    for name in EVERY:
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
    assert importing == [(n, len(EVERY)) for n in range(len(EVERY) + 1)]
    linking = [(d, t) for s, d, t in seen if s == "linking"]
    assert linking == [(n, len(IDENTITY_ORDER)) for n in range(len(IDENTITY_ORDER) + 1)]
    assert seen[0][0].startswith("generating: ")
    assert [s for s, _, _ in seen].index("linking") > [s for s, _, _ in seen].index("importing")


def test_each_roster_link_is_the_run_in_force(demo: tuple[Workspace, DemoSummary]) -> None:
    workspace, summary = demo
    assert [link.identities for link in summary.links] == list(IDENTITY_ORDER)
    for link in summary.links:
        current = LinkageService(workspace, link.identities).current()
        assert current is not None
        assert (link.run_id, link.counts) == (current.run_id, current.record.counts)


def test_the_admissions_link_finds_the_synthetic_truth(demo: tuple[Workspace, DemoSummary]) -> None:
    # the synthetic school's ground truth (participant → applicant) against the links in force
    workspace, _ = demo
    with open(workspace.root / "synthetic-source" / "participant_links.csv", newline="", encoding="utf-8") as handle:
        truth = {(r["participant_id"], r["person_id"]) for r in csv.DictReader(handle) if r["person_id"]}
    service = LinkageService(workspace, "admissions_identities")
    run = service.current()
    assert run is not None
    found = {(x.roster_id, x.person_id) for x in service.links(run) if x.linked and x.person_id}
    true_links = len(found & truth)
    assert true_links / len(found) >= 0.95  # precision
    assert true_links / len(truth) >= 0.90  # recall


def test_without_linkage_no_identity_is_written_or_imported(tmp_path: Path) -> None:
    workspace = Workspace(Settings(data_dir=tmp_path / "data", user="demo", clock=lambda: NOW))
    summary = import_demo(workspace, seed=5, applications_per_cycle=40, link=False)
    assert [d.dataset for d in summary.datasets] == list(IMPORT_ORDER)
    assert summary.links == ()
    assert not (workspace.root / "synthetic-source" / "admissions_identities.csv").exists()


def test_write_synthetic_school_writes_one_csv_per_dataset_and_imports_nothing(tmp_path: Path) -> None:
    paths = write_synthetic_school(tmp_path / "school", seed=7, applications_per_cycle=60, cycles=2)
    assert {name: path.name for name, path in paths.items() if name in DATASETS} == {
        name: f"{name}.csv" for name in DATASETS}
    assert all(path.is_file() for path in paths.values())
    assert not (tmp_path / "data").exists()


def test_the_program_outcomes_read_the_demo_links_even_an_onward_link_that_found_nobody(
        demo: tuple[Workspace, DemoSummary]) -> None:
    # in this small school (seed 7) no participant is linked to a GME trainee: the outcomes still
    # compute, and count as linked exactly the participants the admissions run linked
    workspace, summary = demo
    gme = next(link for link in summary.links if link.identities == "gme_identities")
    assert gme.counts["linked"] + gme.counts["linked by identifier"] == 0
    found = outcomes(workspace)
    service = LinkageService(workspace, "admissions_identities")
    run = service.current()
    assert run is not None
    linked_rows = {x.roster_id for x in service.links(run) if x.linked and x.person_id}
    assert sum(c.linked for c in found.cohorts) <= len(linked_rows)
    assert sum(c.linked for c in found.cohorts) > 0
