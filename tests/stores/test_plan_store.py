"""The plan document, its file and its store: bad input refused with line and field, the stored
plan unchanged; YAML round trip; stale edits refused; the parent catalogue and alignment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ristra.core.plan import PlanFileError, plan_from_dict, unmeasured_parent_items
from ristra.stores.plan_files import parse_plan_text
from ristra.stores.plans import PlanStore, StalePlanError, default_catalogue, demo_plan_text

CATEGORIES = (
    "women",
    "urm_nm",
    "rural_school",
    "rural_ruca",
    "frontier",
    "econ_disadvantaged",
    "first_generation",
    "in_state",
)


@pytest.fixture
def store(tmp_path: Path) -> PlanStore:
    return PlanStore(tmp_path, categories=lambda: (1, CATEGORIES), clock=lambda: "2026-06-30T12:00:00+00:00")


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    data, lines = parse_plan_text(text)
    with pytest.raises(PlanFileError) as caught:
        plan_from_dict(data, lines=lines, categories=CATEGORIES, catalogue=default_catalogue())
    return [(p.line, p.item, p.field) for p in caught.value.problems]


def _line(text: str, needle: str, nth: int = 1) -> int:
    found = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[nth - 1]


def test_demo_plan_parses_against_the_default_catalogue() -> None:
    data, lines = parse_plan_text(demo_plan_text())
    plan = plan_from_dict(data, lines=lines, categories=CATEGORIES, catalogue=default_catalogue())
    assert plan.id == "som-dei-2030"
    assert [g.id for g in plan.goals] == ["G1", "G2", "G3"]
    assert {m.metric.kind for m in plan.measures} >= {
        "representation-ratio",
        "retention",
        "representation",
        "stage-rate",
        "entered",
    }
    assert plan_from_dict(plan.to_dict()) == plan  # the layout round-trips


def test_unknown_metric_kind_names_line_and_field() -> None:
    text = demo_plan_text().replace(
        "kind: representation-ratio, dataset: students, category: urm_nm",
        "kind: representaton-ratio, dataset: students, category: urm_nm",
    )
    assert _problems(text) == [
        (_line(text, "representaton-ratio"), "measure M-URM-MATRIC", "measures[0].metric.kind")
    ]


def test_unknown_category_is_refused() -> None:
    text = demo_plan_text().replace("category: econ_disadvantaged", "category: econ_disadvantage")
    assert _problems(text) == [
        (_line(text, "econ_disadvantage"), "measure M-ECON-MATRIC", "measures[2].metric.category")
    ]


def test_unknown_parent_item_and_alignment_are_refused() -> None:
    text = demo_plan_text().replace(
        "    parent: G1.2\n    title: Rural share", "    parent: G1.9\n    title: Rural share"
    )
    text = text.replace("aligns_to: [UNM2040-G2]", "aligns_to: [UNM2040-G9]")
    problems = _problems(text)
    assert (
        _line(text, "aligns_to: [UNM2040-G9]"),
        "objective G1.3",
        "objectives[2].aligns_to[0]",
    ) in problems
    assert (_line(text, "parent: G1.9"), "measure M-RURAL-MATRIC", "measures[1].parent") in problems
    assert len(problems) == 2


def test_target_outside_the_range_of_a_share_is_refused() -> None:
    text = demo_plan_text().replace("target: {value: 0.45, year: 2030}", "target: {value: 45, year: 2030}")
    data, lines = parse_plan_text(text)
    with pytest.raises(PlanFileError) as caught:
        plan_from_dict(data, lines=lines, categories=CATEGORIES)
    (problem,) = caught.value.problems
    assert problem.line == _line(text, "value: 45,")
    assert problem.field == "measures[2].target.value"
    assert "outside [0, 1]" in problem.message


def test_a_negative_ratio_target_is_refused() -> None:
    text = demo_plan_text().replace("target: {value: 1.2, year: 2030}", "target: {value: -0.2, year: 2030}")
    data, _ = parse_plan_text(text)
    with pytest.raises(PlanFileError, match=r"outside \[0, ∞\)"):
        plan_from_dict(data)


def test_a_cycle_in_the_tree_is_refused() -> None:
    text = demo_plan_text().replace("  - id: G1.1\n    parent: G1\n", "  - id: G1.1\n    parent: G1.5\n")
    text = text.replace(
        "  - id: G2.3\n    parent: G2\n",
        "  - id: G1.5\n    parent: G1.1\n    title: loop\n"
        "    aligns_to: [LCME-1.1]\n  - id: G2.3\n    parent: G2\n",
    )
    data, lines = parse_plan_text(text)
    with pytest.raises(PlanFileError) as caught:
        plan_from_dict(data, lines=lines, categories=CATEGORIES, catalogue=default_catalogue())
    (problem,) = caught.value.problems
    assert "cycle in the tree: G1.1 → G1.5 → G1.1" in problem.message
    assert problem.line == _line(text, "parent: G1.5")
    assert problem.field == "objectives[0].parent"


def test_every_problem_is_reported_at_once() -> None:
    text = (
        demo_plan_text()
        .replace("direction: increase", "direction: upward", 1)
        .replace("due: 2026-06-30", "due: 30/06/2026")
        .replace("status: not_started", "status: waiting")
    )
    fields = {field for _, _, field in _problems(text)}
    assert fields == {"measures[0].direction", "actions[0].due", "actions[1].status"}


def test_an_engine_option_the_metric_does_not_take_is_refused() -> None:
    text = demo_plan_text().replace(
        "kind: representation, dataset: trainees, category: urm_nm",
        "kind: representation, dataset: trainees, category: urm_nm, year: cycle",
    )
    (problem,) = [p for p in _problems(text)]
    assert problem[2] == "measures[6].metric"
    assert problem[0] == _line(text, "year: cycle")


def test_a_survival_measure_needs_its_years() -> None:
    text = demo_plan_text().replace("    years: [2016, 2024]\n", "")
    assert [f for _, _, f in _problems(text)] == ["measures[4].years"]


def test_malformed_yaml_names_its_line() -> None:
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text("plan:\n  id: x\n  title: [unclosed\n")
    assert caught.value.problems[0].line is not None
    assert "not valid YAML" in caught.value.problems[0].message


def test_import_export_round_trip(store: PlanStore) -> None:
    first = store.import_text(demo_plan_text(), "tester", "the demo plan")
    assert first.version == 1
    assert first.category_version == 1
    exported = store.export_yaml("som-dei-2030")
    assert exported.startswith("# Plan som-dei-2030, version 1")
    data, _ = parse_plan_text(exported)
    assert plan_from_dict(data) == first.plan
    with pytest.raises(ValueError, match="nothing changed"):
        store.import_text(exported, "tester", "again")
    assert [v.version for v in store.versions("som-dei-2030")] == [1]


def test_bad_file_leaves_the_stored_plan_unchanged(store: PlanStore, tmp_path: Path) -> None:
    store.import_text(demo_plan_text(), "tester", "the demo plan")
    before = sorted(p.name for p in (tmp_path / "plans" / "som-dei-2030").iterdir())
    bad = tmp_path / "bad.yaml"
    bad.write_text(demo_plan_text().replace("category: rural_school", "category: rural"), encoding="utf-8")
    with pytest.raises(PlanFileError, match="unknown category 'rural'"):
        store.import_file(bad, "tester", "a bad edit")
    assert sorted(p.name for p in (tmp_path / "plans" / "som-dei-2030").iterdir()) == before
    current = store.current("som-dei-2030")
    assert current is not None
    assert current.version == 1


def test_stale_edit_is_refused(store: PlanStore) -> None:
    store.import_text(demo_plan_text(), "tester", "the demo plan")
    edited = demo_plan_text().replace("target: {value: 0.85, year: 2030}", "target: {value: 0.9, year: 2030}")
    second = store.import_text(edited, "planner", "a higher retention target", expected_version=1)
    assert second.version == 2
    assert second.author == "planner"
    with pytest.raises(StalePlanError, match="current version is 2"):
        store.import_text(demo_plan_text(), "other", "from an old copy", expected_version=1)
    assert (
        store.get("som-dei-2030", 1).plan.measure("M-URM-FAC-RET").target.value == 0.85
    )  # versions immutable
    with pytest.raises(StalePlanError):
        store.import_text(demo_plan_text(), "other", "a new plan that exists", expected_version=0)


def test_a_closed_cycle_is_written_once(store: PlanStore) -> None:
    store.import_text(demo_plan_text(), "tester", "the demo plan")
    store.write_cycle("som-dei-2030", "2025-26", {"cycle": "2025-26", "closed_at": "x", "statuses": []})
    with pytest.raises(StalePlanError, match="already closed"):
        store.write_cycle("som-dei-2030", "2025-26", {"cycle": "2025-26", "closed_at": "y"})
    assert store.cycles("som-dei-2030") == ({"cycle": "2025-26", "closed_at": "x", "statuses": []},)


def test_current_versions_follow_every_new_version(store: PlanStore) -> None:
    assert store.current_versions() == ()
    store.import_text(demo_plan_text(), "tester", "the demo plan")
    assert store.current_versions() == (("som-dei-2030", 1),)
    edited = demo_plan_text().replace("target: {value: 0.85, year: 2030}", "target: {value: 0.9, year: 2030}")
    store.import_text(edited, "planner", "a higher retention target", expected_version=1)
    assert store.current_versions() == (("som-dei-2030", 2),)
    other = demo_plan_text().replace("id: som-dei-2030", "id: som-dei-2031")
    store.import_text(other, "planner", "a second plan")
    assert store.current_versions() == (("som-dei-2030", 2), ("som-dei-2031", 1))


def test_unchanged_folders_are_not_listed_again(store: PlanStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.import_text(demo_plan_text(), "tester", "the demo plan")
    first = store.current_versions()
    listed: list[str] = []
    monkeypatch.setattr(PlanStore, "_numbers", lambda self, plan_id: listed.append(plan_id) or [])
    assert PlanStore(store.data_dir).current_versions() == first
    assert listed == []


def test_parent_objectives_with_no_measure_are_listed() -> None:
    data, _ = parse_plan_text(demo_plan_text())
    plan = plan_from_dict(data)
    catalogue = default_catalogue()
    assert {"UNM2040", "UNM2040-G1", "UNM2040-G1.3", "HSC2018-S2.1", "LCME-3.3"} <= set(catalogue.ids)
    unmeasured = {i.id for i in unmeasured_parent_items(plan, catalogue)}
    # UNM 2040 Goal 1's objectives 1, 2 and 5 have no measure in the demo plan; 3 and 4 do
    assert {"UNM2040-G1.1", "UNM2040-G1.2", "UNM2040-G1.5"} <= unmeasured
    assert not {"UNM2040-G1.3", "UNM2040-G1.4", "HSC2018-S2.1", "LCME-3.3"} & unmeasured
    assert "UNM2040-G1" not in unmeasured  # a goal with objectives is covered through them


def test_a_version_is_read_once_and_again_when_its_file_is_replaced(store: PlanStore, tmp_path: Path) -> None:
    import json

    first = store.import_text(demo_plan_text(), "tester", "the demo plan")
    assert store.get("som-dei-2030", 1) is store.get("som-dei-2030", 1)  # parsed once
    path = tmp_path / "plans" / "som-dei-2030" / "v0001.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reason"] = "restored from a backup"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")  # a different size: a new stamp
    again = store.get("som-dei-2030", 1)
    assert (again.reason, first.reason) == ("restored from a backup", "the demo plan")
    assert again.plan == first.plan
