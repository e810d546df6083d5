"""The CLI over the metrics (``query``, ``categories``, ``categories check``) and the row keys
documented in docs/metrics.md."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from ristra.cli.main import main
from ristra.core.metrics import results
from ristra.services.workspace import Workspace
from support.hand_school import APPLICATIONS, EMPLOYEES, STUDENTS
from support.metrics import import_rows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
ROW_TYPES = {
    "representation": results.RepresentationRow, "representation-ratio": results.RatioRow,
    "path": results.PathRow, "funnel": results.FunnelRow, "selection-ratio": results.SelectionRow,
    "graduation": results.GraduationRow, "retention": results.SurvivalRow, "promotion": results.SurvivalRow,
    "trend": results.TrendRow,
}


@pytest.fixture
def data_dir(workspace: Workspace, tmp_path: Path) -> Path:
    import_rows(workspace, "applications", APPLICATIONS, tmp_path)
    import_rows(workspace, "students", STUDENTS, tmp_path)
    import_rows(workspace, "employees", EMPLOYEES, tmp_path)
    return workspace.root


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def test_query_json_is_a_list_of_rows(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "query", "representation", "--category", "urm_nm", "--by", "cycle", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    assert len(rows) == 6
    assert rows[0] | {"share": None, "lower": None, "upper": None} == {
        "dataset": "applications", "category": "urm_nm", "cycle": 2024, "level": "yes", "count": 2, "total": 5,
        "share": None, "lower": None, "upper": None, "known": 3, "share_of_known": 2 / 3, "small_number": True,
        "share_unknown_low": 0.4, "share_unknown_high": 0.8}


def test_query_without_category_covers_every_category_that_applies(data_dir: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "query", "funnel", "--json") == 0
    categories = {r["category"] for r in json.loads(capsys.readouterr().out)}
    assert categories == {"women", "urm_nm", "rural_school", "rural_ruca", "frontier", "econ_disadvantaged",
                          "first_generation", "in_state"}


def test_query_table_output_names_snapshot_and_version(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "query", "path", "--category", "women") == 0
    out = capsys.readouterr()
    assert "categories v1" in out.out
    assert "applications 20" in out.out
    assert "method:" in out.err


def test_query_selection_ratio_states_its_family_and_takes_the_adjustment(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "query", "selection-ratio", "--category", "women", "--adjustment", "bh", "--json") == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert rows
    assert {r["adjustment"] for r in rows} == {"bh"}
    assert all(r["holm_p"] is None for r in rows)
    assert all("Benjamini–Hochberg" in r["family"] for r in rows if r["in_family"])
    assert "multiplicity family: Benjamini–Hochberg" in captured.err.replace("\n", " ")
    assert run(data_dir, "query", "selection-ratio", "--category", "women") == 0
    out = capsys.readouterr()
    assert "multiplicity family: Holm" in out.err.replace("\n", " ")


@pytest.mark.parametrize(("args", "message"), [
    (["query", "representaton", "--category", "women"], "did you mean representation"),
    (["query", "representation", "--category", "urm"], "did you mean urm_nm"),
    (["query", "representation", "--category", "women", "--dataset", "aplications"], "aplications"),
    (["query", "representation", "--category", "women", "--by", "cylce"], "did you mean cycle"),
    (["query", "funnel", "--category", "women", "--stage", "offered"], "takes no option"),
    (["query", "funnel", "--category", "women", "--adjustment", "bh"], "takes no option"),
    (["query", "selection-ratio", "--category", "women", "--adjustment", "bonferroni"], "adjustment must be one of holm, bh"),
    (["query", "graduation", "--category", "women", "--dataset", "trainees"], "no trainees data"),
    (["query", "representation", "--category", "in_state", "--dataset", "students"], "does not apply"),
])
def test_bad_requests_exit_2_with_a_clear_message(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                                  args: list[str], message: str) -> None:
    assert run(data_dir, *args) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")


def test_warnings_are_shown(workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_rows(workspace, "applications", [a for a in APPLICATIONS if a["sex"] == "male"], tmp_path)
    assert run(workspace.root, "query", "representation", "--category", "women", "--json") == 0
    assert "matches nobody" in capsys.readouterr().err


def test_no_data_yet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path / "empty", "query", "path", "--category", "women") == 2
    assert "import a file" in capsys.readouterr().err


def test_categories_lists_definitions_and_versions(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "categories", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["version"] == 1
    assert [v["version"] for v in listing["versions"]] == [1]
    assert {c["id"] for c in listing["categories"]} >= {"women", "urm_nm", "rural_school"}
    assert run(data_dir, "categories") == 0
    assert "rural_school" in capsys.readouterr().out


def test_categories_check(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("categories:\n  - {id: men, label: Men, description: d, rationale: r, datasets: [applications],"
                    " rule: \"sex == 'male'\"}\n  - {id: everyone, label: All, description: d, rationale: r,"
                    " datasets: [applications], rule: 'cycle >= 1950'}\n")
    assert run(data_dir, "categories", "check", str(good)) == 0
    captured = capsys.readouterr()
    assert "valid" in captured.out
    assert "true for all 7 rows" in captured.err.replace("\n", " ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  - {id: x, label: X, description: d, rationale: r, datasets: [applications],"
                   " rule: \"sexx == 'male'\"}\n")
    assert run(data_dir, "categories", "check", str(bad)) == 1
    assert "did you mean sex" in capsys.readouterr().out.replace("\n", " ")
    assert run(data_dir, "categories", "check", str(tmp_path / "missing.yaml")) == 2
    assert run(data_dir, "categories", "--json") == 0  # nothing was stored by the checks
    assert json.loads(capsys.readouterr().out)["version"] == 1


def _documented() -> dict[str, set[str]]:
    text = DOCS.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    keys: dict[str, set[str]] = {}
    for section in sections:
        name = section.split("\n", 1)[0].strip()
        found = set()
        for line in section.splitlines():
            if line.startswith("| `"):
                found |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
        keys[name] = found
    keys["promotion"] = keys["retention"]
    return keys


def test_every_row_key_is_documented() -> None:
    documented = _documented()
    assert set(documented) == set(ROW_TYPES)
    for metric, row_type in ROW_TYPES.items():
        keys = {f.name for f in fields(row_type)} - {"by"}
        assert keys == documented[metric], metric


def test_two_candidate_category_sets_with_one_version_number_are_cached_apart(tmp_path: Path) -> None:
    from ristra.core.categories import CategorySet
    from ristra.core.metrics import make_spec
    from ristra.services.imports import import_file
    from ristra.services.metrics import MetricsService
    from ristra.services.workspace import Settings, Workspace
    from support.corpus import row, write_csv

    workspace = Workspace(Settings(data_dir=tmp_path / "d", user="t"))
    rows = [row(i, sex="female" if i < 3 else "male") for i in range(10)]
    assert import_file(workspace, "applications", write_csv(tmp_path / "a.csv", rows)).imported
    service = MetricsService(workspace)
    current = service.categories()

    def candidate(rule: str) -> CategorySet:
        data = current.to_dict()
        data["categories"] = [{**c, "rule": rule} if c["id"] == "women" else c for c in data["categories"]]
        data["version"] = current.version + 1
        return CategorySet.from_dict(data)

    spec = make_spec("representation", dataset="applications", category="women")
    women = service.compute_many([spec], categories=candidate("sex == 'female'"))[0]
    men = service.compute_many([spec], categories=candidate("sex == 'male'"))[0]
    yes = lambda result: next(r for r in result.to_dict()["rows"] if r["level"] == "yes")["count"]  # noqa: E731
    assert (yes(women), yes(men)) == (3, 7)


def test_alone_or_in_combination_in_json_says_the_groups_overlap(data_dir: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "query", "representation", "--category", "race:aoic", "--dataset", "applications",
               "--json") == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)  # standard output stays pure JSON
    assert {r["level"] for r in rows} >= {"hispanic", "white", "unknown", "declined"}
    assert len({r["total"] for r in rows}) == 1
    assert sum(r["count"] for r in rows) > rows[0]["total"]
    assert "sum to more than the total" in captured.err
    assert run(data_dir, "query", "retention", "--category", "race:aoic") == 2
    assert "race:ipeds" in capsys.readouterr().err


def test_query_issue_15_options(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "query", "representation-ratio", "--category", "urm_nm", "--benchmark-year", "2010",
               "--json") == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["benchmark_year"] == 2010
    assert row["benchmark"] == "2010 Census P2, NM, all ages"
    assert run(data_dir, "query", "funnel", "--category", "urm_nm", "--counting", "first", "--from-cycle", "2020",
               "--json") == 0
    assert "one application per person" in capsys.readouterr().err
    assert run(data_dir, "query", "selection-ratio", "--category", "urm_nm", "--repeat-applicants", "ignore",
               "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["family_test"] for r in rows if r["in_family"]} <= {"fisher"}
    assert run(data_dir, "query", "funnel", "--category", "urm_nm", "--counting", "people") == 2
