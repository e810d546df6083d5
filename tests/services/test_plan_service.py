"""The plan service on a small synthetic school: measures computed through the metrics service,
every status class of the demo plan, roll-ups, the CLI, and a closed cycle that reproduces its
statuses exactly after a new import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ristra.cli.main import main
from ristra.services.errors import StalePlanError
from ristra.services.imports import import_file
from ristra.services.plans import PlanService, cycle_history
from ristra.services.workspace import Settings, Workspace
from ristra.stores.plans import demo_plan_text
from ristra.synth import extract_starts, generate

ORDER = ("programs", "participants", "applications", "students", "trainees", "employees", "employee_events")


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan-school")
    paths = generate(root / "source", seed=20250701, applications_per_cycle=1700)
    workspace = Workspace(Settings(data_dir=root / "data"))
    starts = extract_starts()  # the extracts declare where they start, as a real import should
    for name in ORDER:
        assert import_file(workspace, name, paths[name], extract_start=starts.get(name)).imported
    return root


def test_demo_plan_shows_every_status_class(school: Path) -> None:
    service = PlanService(Workspace(Settings(data_dir=school / "data")))
    if not service.store.plan_ids():
        service.import_text(demo_plan_text(), "the demo plan")
    status = service.status("som-dei-2030")
    by_id = {m.measure: m for m in status.measures}
    assert {m.status for m in status.measures} == {
        "target_met",
        "improving",
        "little_or_no_change",
        "getting_worse",
        "insufficient_data",
    }
    assert by_id["M-ECON-MATRIC"].status == "target_met"
    assert by_id["M-URM-RESIDENTS"].status == "improving"
    assert by_id["M-RURAL-MATRIC"].status == "getting_worse"
    assert "small numbers" in by_id["M-SENIOR-STAFF"].reason
    assert by_id["M-PIPELINE-YIELD"].entered
    assert "3 point(s)" in by_id["M-PIPELINE-YIELD"].reason
    retention = by_id["M-URM-FAC-RET"]
    assert [p.year for p in retention.points] == list(range(2016, 2025))
    assert all(0 < p.value < 1 for p in retention.points)
    assert all(p.lower < p.value < p.upper for p in retention.points)
    # the series is the engine's own numbers: the share of URM-NM trainees starting in 2012
    residents = by_id["M-URM-RESIDENTS"].points[0]
    table = service.metrics.query("representation", category="urm_nm", dataset="trainees", by=["start_year"])
    row = next(r for r in table.rows if r.level == "yes" and dict(r.by)["start_year"] == 2012)  # type: ignore[attr-defined]
    assert (residents.value, residents.count, residents.total) == (row.share, row.count, row.total)  # type: ignore[attr-defined]
    # a failing measure is never hidden by its goal
    goal = status.rollup("G1")
    assert goal.status == "getting_worse"
    assert goal.failing == ("M-RURAL-MATRIC",)
    assert status.rollup("G1.3").status == "target_met"
    assert status.category_version == 1
    assert {s.dataset for s in status.snapshots} >= {"students", "employees"}
    json.dumps(status.to_dict(), allow_nan=False)
    service.close()


def test_a_closed_cycle_keeps_its_statuses_after_a_new_import(school: Path, tmp_path: Path) -> None:
    workspace = Workspace(Settings(data_dir=school / "data"))
    service = PlanService(workspace)
    if not service.store.plan_ids():
        service.import_text(demo_plan_text(), "the demo plan")
    record = service.close_cycle("som-dei-2030", "2025-closing-test", "end of the cycle")
    frozen = json.loads(json.dumps(record))
    assert set(frozen["audiences"]) == {"public", "internal"}
    public = frozen["audiences"]["public"]
    assert public["computed_from"] == "released counts"
    assert public["threshold"] == 11
    assert frozen["audiences"]["internal"]["threshold"] == 5
    # the frozen statuses are those of the audience's publication at closing time
    assert public == json.loads(json.dumps(service.released("som-dei-2030", "public").to_dict()))
    students = {s["dataset"]: s["snapshot_id"] for s in public["snapshots"]}["students"]
    history = cycle_history(workspace, "som-dei-2030", "public")
    by_measure = {h.measure: h for h in history if h.cycle == "2025-closing-test"}
    assert set(by_measure) == {m["measure"] for m in public["measures"]}
    # a new import of students (another synthetic school) changes the current numbers ...
    other = generate(tmp_path / "other", seed=7, applications_per_cycle=600)
    assert import_file(workspace, "students", other["students"]).imported
    service.metrics.clear_cache()
    now = service.released("som-dei-2030", "public")
    assert dict(now.snapshots)["students"] != students
    assert now.card.measure("M-URM-MATRIC").to_dict() != next(
        m for m in public["measures"] if m["measure"] == "M-URM-MATRIC"
    )
    # ... never the closed cycle: read back, it reproduces every status and value exactly
    (stored,) = [c for c in service.cycles("som-dei-2030") if c["cycle"] == "2025-closing-test"]
    assert stored == frozen
    again = {h.measure: h for h in cycle_history(workspace, "som-dei-2030", "public") if h.cycle == "2025-closing-test"}
    assert again == by_measure
    for m in public["measures"]:
        assert again[m["measure"]].status == m["status"]
        assert again[m["measure"]].value == (m["latest"] or {}).get("value")
    assert dict(again["M-URM-MATRIC"].snapshots)["students"] == students
    # a closed cycle is never closed again
    with pytest.raises(StalePlanError):
        service.close_cycle("som-dei-2030", "2025-closing-test", "again")
    service.close()


def test_cli_plan_commands(school: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "cli-data")
    assert main(["--data-dir", data, "plan", "import", "--demo", "--reason", "demo"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(demo_plan_text().replace("kind: stage-rate", "kind: stage-rates"), encoding="utf-8")
    capsys.readouterr()
    assert main(["--data-dir", data, "plan", "import", str(bad), "--reason", "x", "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["field"], p["item"]) for p in problems] == [
        ("measures[3].metric.kind", "measure M-URM-INTERVIEW")
    ]
    assert problems[0]["line"] == next(
        i for i, line in enumerate(bad.read_text().splitlines(), 1) if "stage-rates" in line
    )
    assert main(["--data-dir", data, "plan", "export", "som-dei-2030"]) == 0
    exported = tmp_path / "exported.yaml"
    exported.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["--data-dir", data, "plan", "import", str(exported), "--reason", "same"]) == 2  # unchanged
    assert "nothing changed" in capsys.readouterr().err
    # statuses anyone may read come from a publication: with no data imported there is none
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--json"]) == 2
    assert "no data has been imported yet" in capsys.readouterr().err
    # the analyst's unreleased view is asked for explicitly, and says so
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--unreleased", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["computed_from"] == "unreleased values"
    assert {m["status"] for m in out["measures"]} == {"insufficient_data"}  # no data imported here
    assert "no students data" in out["measures"][0]["reason"]
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--unreleased"]) == 0
    assert "UNRELEASED" in capsys.readouterr().err
    assert main(["--data-dir", data, "plan", "status", "nope"]) == 2
    assert "no plan 'nope'" in capsys.readouterr().err


def test_cli_status_is_the_scorecard_of_the_chosen_audience(school: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(school / "data")
    service = PlanService(Workspace(Settings(data_dir=school / "data")))
    if not service.store.plan_ids():
        service.import_text(demo_plan_text(), "the demo plan")
    expected = {a: service.released("som-dei-2030", a) for a in ("public", "internal")}
    service.close()
    capsys.readouterr()
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["audience"] == "internal"  # the command line's default, an analyst's audience
    assert out["computed_from"] == "released counts"
    assert out["measures"] == json.loads(json.dumps(expected["internal"].to_dict()))["measures"]
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--audience", "public", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["threshold"] == 11
    assert {m["measure"]: m["status"] for m in out["measures"]} == {
        m.measure: m.status for m in expected["public"].measures}
    assert main(["--data-dir", data, "plan", "close-cycle", "som-dei-2030", "--cycle", "cli-cycle",
                 "--reason", "end of year"]) == 0
    printed = capsys.readouterr().out
    assert "(public)" in printed
    assert "(internal)" in printed
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--audience", "public", "--history",
                 "--json"]) == 0
    history = [h for h in json.loads(capsys.readouterr().out)["history"] if h["cycle"] == "cli-cycle"]
    assert {h["measure"]: h["status"] for h in history} == {m.measure: m.status for m in expected["public"].measures}
    assert main(["--data-dir", data, "plan", "status", "som-dei-2030", "--history"]) == 0
    assert "closed cycles (internal statuses, frozen)" in capsys.readouterr().out
