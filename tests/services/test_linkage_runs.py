"""Link runs as immutable derived snapshots, clerical decisions, the service and ``ristra link``.

The synthetic school (300 applications a cycle, with identities) is imported once; each test works
on a copy of that data directory. Checked: what a run holds (ids, weights, tiers — no name, birth
date or e-mail of the roster anywhere in its files), its pins and reruns, decisions kept across
reruns and overriding the model, a run killed with SIGKILL leaving the previous run in force, the
review queue's band, the CSV export and import (row/column problems without values), and bad input.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ristra.cli.main import main
from ristra.core.linkage import LINKED, LINKED_BY_IDENTIFIER, REVIEW, LinkageInputError, link_quality
from ristra.core.linkage_decisions import (
    LINKED_IN_REVIEW,
    MATCH,
    NOT_A_MATCH,
    REJECTED_IN_REVIEW,
    SUPERSEDED_IN_REVIEW,
    UNSURE,
    ClericalDecision,
    decisions_in_force,
    links_in_force,
)
from ristra.services import imports
from ristra.services.linkage import LinkageService
from ristra.services.linkage_review import DecisionFileError, EmptyQueue, export_queue, import_decisions
from ristra.services.workspace import Settings, Workspace
from ristra.stores.link_runs import LINK_COLUMNS
from ristra.synth import generate

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("linkschool")
    paths = generate(base / "source", applications_per_cycle=300, identities=True)
    workspace = Workspace(Settings(data_dir=base / "data", user="analyst"))
    for name in ("programs", "participants", "admissions_identities", "applications"):
        assert imports.import_file(workspace, name, paths[name]).imported
    LinkageService(workspace).run()
    con = duckdb.connect()
    roster = con.execute("SELECT first_name, last_name, email, CAST(birth_date AS VARCHAR) FROM read_csv(?, "
                         "all_varchar = true)", [str(paths["participants"])]).fetchall()
    truth = dict(con.execute("SELECT participant_id, person_id FROM read_csv(?, all_varchar = true)",
                             [str(paths["participant_links"])]).fetchall())
    return {"data": base / "data", "paths": paths, "roster": roster, "truth": truth}


@pytest.fixture
def service(school: dict[str, Any], tmp_path: Path) -> LinkageService:
    shutil.copytree(school["data"], tmp_path / "data")
    return LinkageService(Workspace(Settings(data_dir=tmp_path / "data", user="reviewer")))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_a_run_holds_ids_weights_and_tiers_only(service: LinkageService, school: dict[str, Any]) -> None:
    run = service.current()
    assert run is not None
    con = duckdb.connect()
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(run.links_path)]).fetchall()
    assert tuple(r[0] for r in described) == LINK_COLUMNS
    rows = con.execute("SELECT * FROM read_parquet(?)", [str(run.links_path)]).fetchall()
    assert len(rows) == run.manifest.row_count == len(school["truth"])  # every roster row, once
    directory = run.links_path.parent
    assert sorted(os.listdir(directory)) == ["links.parquet", "manifest.json", "model.json", "run.json"]
    sensitive = {v.lower() for row in school["roster"] for v in row if v and len(v) >= 3}
    stored = [str(v).lower() for row in rows for v in row if isinstance(v, str)]
    for name in ("model.json", "run.json", "manifest.json"):
        stored += [s.lower() for s in _strings(json.loads((directory / name).read_text()))]
    assert not sensitive & set(stored)
    assert "comparisons" in run.model()
    assert run.record.inputs.keys() == {"participants", "admissions_identities"}


def test_a_rerun_happens_only_when_an_input_snapshot_changes(service: LinkageService, school: dict[str, Any]) -> None:
    first = service.current()
    assert first is not None
    again = service.run()
    assert not again.rerun
    assert again.run.run_id == first.run_id
    assert not service.status().stale
    imports.import_file(service.workspace, "admissions_identities", school["paths"]["admissions_identities"])
    status = service.status()
    assert status.stale
    assert status.run is not None
    assert status.run.run_id == first.run_id
    done = service.run()
    assert done.rerun
    assert done.reason == "an input snapshot changed"
    assert done.run.run_id != first.run_id
    assert done.run.record.inputs["admissions_identities"] == status.current_inputs["admissions_identities"]
    assert [r.run_id for r in service.store.history(service.link_name)] == [first.run_id, done.run.run_id]
    assert first.links_path.is_file()  # the earlier run is never changed or removed
    assert not service.status().stale


def test_decisions_override_the_model_and_survive_reruns(service: LinkageService) -> None:
    links = service.links()
    linked = next(x for x in links if x.tier == LINKED)
    review = next(x for x in links if x.tier == REVIEW)
    assert review.person_id is None
    assert review.proposed_person_id is not None
    service.record_decision(linked.roster_id, linked.proposed_person_id or "", "not a match")
    service.record_decision(review.roster_id, review.proposed_person_id or "", "Match")
    after = {x.roster_id: x for x in service.links()}
    assert (after[linked.roster_id].tier, after[linked.roster_id].person_id) == (REJECTED_IN_REVIEW, None)
    assert (after[review.roster_id].tier, after[review.roster_id].person_id) == (
        LINKED_IN_REVIEW, review.proposed_person_id)
    previous = service.current()
    assert previous is not None
    rerun = service.run(force=True)  # two decisions are too few to calibrate on: the threshold is kept
    assert rerun.rerun
    assert rerun.run.record.threshold_source == f"kept from run {previous.run_id}"
    assert rerun.run.record.threshold == previous.record.threshold
    assert rerun.run.record.calibration is None
    kept = {x.roster_id: x for x in service.links()}
    assert kept[linked.roster_id].tier == REJECTED_IN_REVIEW
    assert kept[review.roster_id].tier == LINKED_IN_REVIEW
    decided = service.decisions()
    assert {d.by for d in decided.values()} == {"reviewer"}
    assert len(decided) == 2
    with pytest.raises(LinkageInputError, match="proposed no such pair"):
        service.record_decision(linked.roster_id, "P-nobody", "match")


def test_links_in_force_by_hand() -> None:
    rows = [("r1", "p1", 9.0, 0.99, LINKED), ("r2", "p2", -1.0, 0.3, REVIEW), ("r3", "p3", 2.0, 0.8, LINKED),
            ("r4", None, None, None, "not linked"), ("r5", "p5", 1.0, 0.6, LINKED)]
    decisions = decisions_in_force([
        ClericalDecision("r2", "p2", MATCH, "a", "2026-01-01T00:00:00"),
        ClericalDecision("r3", "p3", MATCH, "a", "2026-01-01T00:00:00"),
        ClericalDecision("r3", "p3", NOT_A_MATCH, "b", "2026-01-02T00:00:00"),  # the later one is in force
        ClericalDecision("r4", "p9", MATCH, "a", "2026-01-01T00:00:00"),  # a person the model never proposed
        ClericalDecision("r5", "p5", UNSURE, "a", "2026-01-01T00:00:00"),
    ])
    out = {x.roster_id: (x.person_id, x.tier, x.decision) for x in links_in_force(rows, decisions)}
    assert out == {"r1": ("p1", LINKED, None), "r2": ("p2", LINKED_IN_REVIEW, MATCH),
                   "r3": (None, REJECTED_IN_REVIEW, NOT_A_MATCH), "r4": ("p9", LINKED_IN_REVIEW, MATCH),
                   "r5": ("p5", LINKED, UNSURE)}
    # one-to-one: r6 (another person of the program) loses p2 to r2's match; r7 (r2's own row of
    # another year) keeps it; r8 (another program) keeps its own link to p2
    more = [*rows, ("r6", "p2", 5.0, 0.9, LINKED), ("r7", "p2", 4.0, 0.9, LINKED), ("r8", "p2", 6.0, 0.9, LINKED)]
    keys = {"r1": ("A", "a1"), "r2": ("A", "a2"), "r3": ("A", "a3"), "r4": ("A", "a4"), "r5": ("A", "a5"),
            "r6": ("A", "a6"), "r7": ("A", "a2"), "r8": ("B", "b1")}
    resolved = {x.roster_id: (x.person_id, x.tier) for x in links_in_force(more, decisions, keys)}
    assert resolved["r6"] == (None, SUPERSEDED_IN_REVIEW)
    assert resolved["r7"] == ("p2", LINKED)
    assert resolved["r8"] == ("p2", LINKED)
    assert resolved["r2"][0] == "p2"


def test_the_review_queue_is_the_band_around_the_threshold(service: LinkageService) -> None:
    queue = service.review_queue()
    run = service.current()
    assert run is not None
    assert queue.pairs
    for pair in queue.pairs:
        assert abs(pair.match_weight - queue.threshold) <= queue.band
        assert pair.tier in (LINKED, REVIEW)
    expected = [x for x in service.links() if x.model_tier in (LINKED, REVIEW) and x.match_weight is not None
                and abs(x.match_weight - run.record.threshold) <= run.record.review_band]
    assert len(queue.pairs) == len(expected)
    first = queue.pairs[0]
    service.record_decision(first.roster_id, first.person_id, "unsure")
    assert len(service.review_queue().pairs) == len(queue.pairs)  # unsure stays in the queue
    service.record_decision(first.roster_id, first.person_id, "match")
    assert len(service.review_queue().pairs) == len(queue.pairs) - 1


def test_export_and_import_of_the_queue(service: LinkageService, school: dict[str, Any], tmp_path: Path,
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "queue.csv"
    written = export_queue(service, out)
    assert written == len(service.review_queue().pairs)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"roster_first_name", "identity_first_name", "roster_birth_date", "identity_email"} <= set(rows[0])
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "decision": "match"})
        writer.writerow({**rows[0], "decision": rows[0]["roster_last_name"]})  # a surname typed as a decision
        writer.writerow({**rows[0], "participant_id": "", "decision": "unsure"})
        writer.writerow({**rows[0], "person_id": "P-other", "decision": "match"})
    with pytest.raises(DecisionFileError) as caught:
        import_decisions(service, bad)
    problems = [(p.line, p.column) for p in caught.value.problems]
    n = len(rows) + 1
    assert problems == [(n + 1, "decision"), (n + 2, "participant_id"), (n + 3, "person_id")]
    said = " ".join([str(caught.value), *(p.message for p in caught.value.problems), caplog.text])
    assert rows[0]["roster_last_name"] not in said
    assert rows[0]["roster_email"] not in said
    assert service.decisions() == {}  # nothing recorded
    good = tmp_path / "good.csv"
    with good.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        truth = school["truth"]
        for row in rows:
            verdict = "match" if truth.get(row["participant_id"]) == row["person_id"] else "not a match"
            writer.writerow({**row, "decision": verdict})
        writer.writerow({**rows[0], "decision": ""})
    done = import_decisions(service, good)
    assert (done.recorded, done.skipped) == (len(rows), 1)
    assert len(service.decisions()) == len(rows)
    with pytest.raises(EmptyQueue, match="the review queue is empty"):
        export_queue(service, tmp_path / "again.csv")
    assert not (tmp_path / "again.csv").exists()
    sensitive = {v for row in school["roster"] for v in row[:3] if v and len(v) >= 4}
    assert not any(s in caplog.text for s in sensitive)


def test_a_labels_file_calibrates_the_threshold(service: LinkageService, school: dict[str, Any]) -> None:
    labels = {r: p or None for r, p in list(sorted(school["truth"].items()))[::3]}
    done = service.run(labels=labels, label_source="labels file truth.csv")
    record = done.run.record
    assert record.threshold_source == "calibrated"
    assert record.label_source == "labels file truth.csv"
    assert record.calibration is not None
    assert record.calibration["labelled_rows"] == len(labels)
    links = {x.roster_id: x.person_id for x in service.links() if x.tier in (LINKED, LINKED_BY_IDENTIFIER)}
    assert link_quality(links, {r: p or None for r, p in school["truth"].items()}).f1 >= 0.95
    decided = [x for x in service.links() if x.proposed_person_id][:40]
    service.record_decisions([(x.roster_id, x.proposed_person_id or "",
                               "match" if school["truth"].get(x.roster_id) == x.proposed_person_id else "not a match")
                              for x in decided])
    from_decisions = service.run(force=True).run.record
    assert from_decisions.threshold_source == "calibrated"
    assert from_decisions.label_source == "clerical decisions"
    assert from_decisions.calibration is not None
    assert from_decisions.calibration["labelled_rows"] == 40
    truth = {r: p or None for r, p in school["truth"].items()}
    assert link_quality({x.roster_id: x.person_id for x in service.links() if x.linked}, truth).f1 >= 0.95


@pytest.mark.parametrize("stage", ["hashed", "renamed"])
def test_a_killed_run_leaves_the_previous_run_in_force(service: LinkageService, stage: str) -> None:
    before = service.current()
    assert before is not None
    env = {**os.environ, "RISTRA_SNAPSHOT_TEST_PAUSE": stage, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen([sys.executable, "-m", "ristra.cli.main", "--data-dir", str(service.workspace.root),
                              "link", "run", "--force"], stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    deadline, seen = time.monotonic() + 120, b""
    while b"PAUSE" not in seen and time.monotonic() < deadline:
        if selector.select(timeout=1):
            seen += os.read(child.stdout.fileno(), 1024)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert b"PAUSE " + stage.encode() in seen
    again = LinkageService(Workspace(Settings(data_dir=service.workspace.root, user="x")))
    after = again.current()
    assert after is not None
    assert after.run_id == before.run_id
    assert [r.run_id for r in again.store.history(again.link_name)] == [before.run_id]
    assert again.recovered  # the killed run's leftovers were removed
    assert not list((again.store.runs.root / ".tmp").glob("participants_admissions.*"))
    assert again.run(force=True).rerun  # and the next run works


def _roster_only(service: LinkageService, tmp_path: Path, header: str, row: str) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(header + "\n" + row + "\n", encoding="utf-8")
    result = imports.import_file(service.workspace, "participants", roster)
    assert result.imported, result.report.issues


def test_a_roster_without_linkage_fields_gets_a_clear_message(service: LinkageService, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _roster_only(service, tmp_path, "participant_id,program_id,year,roster_id,completed", "X1,PP01,2020,r1,yes")
    with pytest.raises(LinkageInputError, match="none of the linkage fields"):
        service.run()
    assert main(["--data-dir", str(service.workspace.root), "link", "run"]) == 2
    err = capsys.readouterr().err
    assert "none of the linkage fields" in err
    assert "Traceback" not in err


def test_a_field_of_the_wrong_kind_is_named_without_values(service: LinkageService, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with service.workspace.snapshots.writer("participants", imported_by="t", schema_version=1) as writer:
        duckdb.execute(f"COPY (SELECT 'X1' AS participant_id, 'PP01' AS program_id, 'r1' AS roster_id, "
                       f"'Zacarias' AS first_name, 19990304.5 AS birth_date) TO '{writer.path()}' (FORMAT parquet)")
    assert main(["--data-dir", str(service.workspace.root), "link", "run"]) == 2
    err = capsys.readouterr().err
    assert "birth_date should be a date" in err
    assert "Zacarias" not in err
    assert "19990304" not in err


def test_no_run_and_no_input_and_an_empty_queue(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                service: LinkageService) -> None:
    empty = LinkageService(Workspace(Settings(data_dir=tmp_path / "empty")))
    with pytest.raises(LinkageInputError, match="no snapshot of participants has been imported yet"):
        empty.run()
    assert main(["--data-dir", str(tmp_path / "empty"), "link", "review-export", str(tmp_path / "q.csv")]) == 2
    assert "has not been run yet" in capsys.readouterr().err
    service.run(force=True, review_band=0.0)
    root = str(service.workspace.root)
    assert main(["--data-dir", root, "link", "review-export", str(tmp_path / "q.csv")]) == 2
    assert "the review queue is empty" in capsys.readouterr().err


def test_the_cli(service: LinkageService, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(service.workspace.root)
    assert main(["--data-dir", root, "link", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["stale"] is False
    assert status["queue"] > 0
    assert sum(status["tiers"].values()) > 0
    assert main(["--data-dir", root, "link", "run"]) == 0
    assert "is in force: the inputs have not changed" in capsys.readouterr().out
    queue = tmp_path / "q.csv"
    assert main(["--data-dir", root, "link", "review-export", str(queue)]) == 0
    rows = list(csv.DictReader(queue.open(encoding="utf-8")))
    with queue.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "decision": "unsure"} for r in rows)
    capsys.readouterr()
    assert main(["--data-dir", root, "link", "review-import", str(queue), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"recorded": len(rows), "skipped": 0}
    assert main(["--data-dir", root, "link", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decisions"] == len(rows)


def test_quality_from_a_clerical_sample_of_the_run(service: LinkageService, school: dict[str, Any]) -> None:
    from ristra.services.linkage_quality import clerical_sample, quality

    sample = clerical_sample(service, per_stratum=40, seed=3)
    assert sample == clerical_sample(service, per_stratum=40, seed=3)
    assert set(sample) <= {LINKED, LINKED_BY_IDENTIFIER, REVIEW, "not linked"}
    truth = {r: p or None for r, p in school["truth"].items()}
    labels = {r: truth[r] for rows in sample.values() for r in rows}
    result = quality(service, labels)
    actual = link_quality({x.roster_id: x.person_id for x in service.links() if x.linked}, truth)
    q = result.overall
    assert q.precision.lower <= actual.precision <= q.precision.upper
    assert q.recall.lower <= actual.recall <= q.recall.upper
    assert set(result.subgroups) == {"hispanic", "compound_surname", "women", "aian"}
    assert all(g.precision.rows <= q.precision.rows for g in result.subgroups.values())
    json.dumps(result.to_dict())
    with pytest.raises(LinkageInputError, match="1 labelled row"):
        quality(service, {**labels, "R-nobody": None})
