"""End to end on a small synthetic school: the engine finds the disparities the generator planted
(``ristra.synth.config``), through the public API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ristra
from ristra.services.imports import import_file
from ristra.services.workspace import Settings, Workspace
from ristra.synth import SchoolConfig, extract_starts, generate

ORDER = ("programs", "participants", "applications", "students", "trainees", "employees", "employee_events")


def _school(root: Path, config: SchoolConfig | None = None, size: int = 200) -> Path:
    paths = generate(root / "source", applications_per_cycle=size, cycles=3, config=config)
    workspace = Workspace(Settings(data_dir=root / "data"))
    starts = extract_starts(config=config)
    for name in ORDER:
        assert import_file(workspace, name, paths[name], extract_start=starts.get(name)).imported
    return root / "data"


@pytest.fixture(scope="module")
def strong(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # Stronger than the defaults (rural ×1.3 at interview, first generation ×0.85 at offer) and a larger
    # school, so that a few hundred interviews are enough to show them clearly.
    config = SchoolConfig(disparities={"interview": {"rural": 2.5}, "offer": {"first_generation": 0.3}})
    with ristra.open(_school(tmp_path_factory.mktemp("strong"), config, size=600)) as session:
        yield session


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with ristra.open(_school(tmp_path_factory.mktemp("default"))) as session:
        yield session


def _pooled(result: Any, stage: str, group: str) -> dict[str, Any]:
    return next(r for r in result.records() if r["scope"] == "pooled" and r["stage"] == stage and r["group"] == group)


def test_planted_interview_advantage_of_rural_applicants_is_found(strong: Any) -> None:
    result = strong.selection_ratio(category="rural_school", stages=["interviewed"])
    urban = _pooled(result, "interviewed", "no")
    assert urban["reference_group"] == "yes"  # rural applicants have the highest interview rate
    assert urban["impact_ratio"] < 0.8
    assert urban["below_four_fifths"] is True
    assert urban["mh_p"] < 0.01
    assert urban["holm_reject"] is True


def test_planted_offer_penalty_of_first_generation_applicants_is_found(strong: Any) -> None:
    result = strong.selection_ratio(category="first_generation", stages=["offered"])
    first_gen = _pooled(result, "offered", "yes")
    assert first_gen["reference_group"] == "no"
    assert first_gen["impact_ratio"] < 0.8
    assert first_gen["mh_p"] < 0.05


def test_default_school_direction_of_the_planted_effects(default: Any) -> None:
    interview = default.selection_ratio(category="rural_school", stages=["interviewed"])
    assert _pooled(interview, "interviewed", "no")["reference_group"] == "yes"
    retention = default.retention(category="urm_nm", horizons=[5])
    five = {r["level"]: r["estimate"] for r in retention.records() if r["measure"] == "retention"}
    assert five["yes"] < five["no"]  # URM faculty leave faster (faculty_retention urm 1.3)


def test_standard_pack_runs_with_few_queries(default: Any) -> None:
    before = default.service.queries_run
    results = default.standard_pack()
    metrics = {r.metric for r in results}
    assert metrics == {"representation", "trend", "representation-ratio", "funnel", "selection-ratio", "path",
                       "graduation", "retention", "promotion"}
    assert default.service.queries_run - before <= 12  # one query per source and phase
    path = next(r for r in results if r.metric == "path" and r.spec.category == "urm_nm")
    assert [r["stage"] for r in path.records()][:3] == ["state_population", "applicants", "interviewed"]
    frame = path.to_pandas()
    assert list(frame["stage"])[-1] == "senior_administrative"


def test_the_synthetic_extracts_declare_the_window_their_data_imply(default: Any) -> None:
    import csv

    params = dict(default.retention(category="women", horizons=[5]).parameters)
    assert params["window_source"] == "declared"
    source = default.service.workspace.root.parent / "source" / "employees.csv"
    with source.open(encoding="utf-8") as handle:
        first = min(r["separation_date"] for r in csv.DictReader(handle) if r["separation_date"])
    assert params["window_start"] == f"{first[:4]}-01-01"  # what the guess was: the demo's numbers are unchanged
    assert dict(default.promotion(category="women").parameters)["window_start"] == params["window_start"]
