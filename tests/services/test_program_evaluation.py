"""One program's evaluation on the synthetic school: the planted program effect (the interview
multiplier of ``ristra.synth`` for pipeline alumni) recovered within the balanced comparison's
interval, balance achieved, onward outcomes computed or stated as not linked, nothing per person
in the value, and ``ristra link outcomes``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ristra.cli.main import main
from ristra.core.linkage import LinkageInputError
from ristra.core.program_outcomes import COMPUTED, NOT_LINKED, NOT_OBSERVED
from ristra.services import imports
from ristra.services.linkage import LinkageService
from ristra.services.program_evaluation import evaluate
from ristra.services.workspace import Settings, Workspace
from ristra.synth import SchoolConfig, generate

PROGRAM = "PP03"  # the undergraduate program, the one most alumni come from


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("evaluation")
    paths = generate(base / "source", identities=True)
    workspace = Workspace(Settings(data_dir=base / "data", user="analyst"))
    for name in ("programs", "participants", "admissions_identities", "gme_identities", "applications", "students",
                 "trainees"):
        assert imports.import_file(workspace, name, paths[name]).imported
    con = duckdb.connect()
    truth = dict(con.execute("SELECT participant_id, person_id FROM read_csv(?, all_varchar = true)",
                             [str(paths["participant_links"])]).fetchall())
    LinkageService(workspace).run(labels={r: p or None for r, p in sorted(truth.items())[::3]})
    LinkageService(workspace, "gme_identities").run()  # HR is left unlinked on purpose
    return {"workspace": workspace, "paths": paths, "evaluation": evaluate(workspace, PROGRAM, replicates=300)}


def test_the_planted_effect_is_recovered(school: dict[str, Any]) -> None:
    result = school["evaluation"]
    planted = SchoolConfig().pipeline_interview_multiplier
    crude = result.applicants.stage("interviewed")
    assert crude.rate_ratio.lower > planted  # participants are in-state: the crude ratio is confounded
    assert result.balanced.analysis is not None
    effect = result.balanced.analysis.effect("interviewed")
    assert effect.rr_bootstrap[0] < planted < effect.rr_bootstrap[1]
    assert effect.rr_robust[0] < planted < effect.rr_robust[1]
    assert effect.rr_bootstrap[0] > 1  # and the program's effect is found
    assert result.balanced.e_values["interviewed"].limit > 1


def test_balance_is_achieved_and_restrictions_are_stated(school: dict[str, Any]) -> None:
    balanced = school["evaluation"].balanced
    analysis = balanced.analysis
    assert analysis.converged
    assert analysis.balanced
    assert max(abs(r.smd_after) for r in analysis.balance) < 0.1
    assert any(abs(r.smd_before) >= 0.1 for r in analysis.balance)
    assert {r.covariate.split(":")[0] for r in analysis.balance} >= {"rural_school", "econ_disadvantaged",
                                                                      "first_generation", "urm_nm", "women"}
    assert any(r.covariate.startswith("cycle ") for r in analysis.balance)
    assert any(s.startswith("in_state") for s in balanced.restricted)  # every participant is in-state


def test_onward_outcomes_are_computed_or_not_linked(school: dict[str, Any]) -> None:
    outcomes = school["evaluation"].outcomes
    status = {o.outcome: o.status for o in outcomes.outcome_sources}
    assert status == {"graduated": COMPUTED, "residency_in_new_mexico": COMPUTED, "residency_elsewhere": NOT_OBSERVED,
                      "faculty": NOT_LINKED, "staff": NOT_LINKED}
    for cohort in outcomes.cohorts:
        assert "faculty" not in cohort.rates
        assert "staff" not in cohort.rates
        assert cohort.rates["graduated"].k <= cohort.rates["matriculated"].k
    assert {c.category for c in outcomes.by_category} >= {"women", "urm_nm"}
    assert {c.program_id for c in outcomes.cohorts} == {PROGRAM}


def test_graduates_against_the_ground_truth(school: dict[str, Any]) -> None:
    paths = school["paths"]
    really = duckdb.connect().execute("""
        WITH people AS (SELECT r.roster_id, min(r.year) AS cohort, max(t.person_id) AS person_id
                        FROM read_csv(?, all_varchar = true, types = {'year': 'INTEGER'}) r
                        JOIN read_csv(?, all_varchar = true) t USING (participant_id)
                        WHERE r.program_id = ? GROUP BY ALL)
        SELECT count(DISTINCT p.roster_id) FROM people p JOIN read_csv(?, all_varchar = true,
          types = {'matriculation_year': 'INTEGER'}) s
          ON s.person_id = p.person_id AND s.matriculation_year > p.cohort AND s.status = 'graduated'""",
        [str(paths["participants"]), str(paths["participant_links"]), PROGRAM, str(paths["students"])]).fetchall()[0][0]
    seen = sum(c.rates["graduated"].k for c in school["evaluation"].outcomes.cohorts)
    assert really > 5
    assert 0.9 * really <= seen <= 1.05 * really


def test_nothing_per_person_leaves(school: dict[str, Any]) -> None:
    text = json.dumps(school["evaluation"].to_dict())
    assert not re.search(r"P\d{9}", text)  # no person id
    assert "@" not in text
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", text)
    analysis = school["evaluation"].balanced.analysis

    def longest(value: Any) -> int:
        if isinstance(value, dict):
            return max([0, *(longest(v) for v in value.values())])
        if isinstance(value, list):
            return max([len(value), *(longest(v) for v in value)])
        return 0

    # no list of scores, weights or rows: the longest list is a table of cohorts or covariates
    assert longest(school["evaluation"].to_dict()) < 50 < analysis.treated < analysis.controls
    assert school["evaluation"].published is False


def test_the_command(school: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    root = str(school["workspace"].root)
    assert main(["--data-dir", root, "link", "outcomes", PROGRAM, "--json", "--replicates", "20"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["published"] is False
    assert "UNRELEASED" in captured.err
    assert data["balanced"]["analysis"]["replicates"] == 20
    assert main(["--data-dir", root, "link", "outcomes", PROGRAM, "--replicates", "10"]) == 0
    out = capsys.readouterr().out
    assert "UNRELEASED" in out
    assert "balance" in out
    assert "E-value" in out
    assert main(["--data-dir", root, "link", "outcomes", "PP99"]) == 2
    assert "no program 'PP99'" in capsys.readouterr().err


def test_no_run_is_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(LinkageInputError, match="has not been run"):
        evaluate(Workspace(Settings(data_dir=tmp_path / "data", user="analyst")), PROGRAM)


def test_the_bootstrap_is_reproducible_for_a_seed(school: dict[str, Any]) -> None:
    """The design rows come in person order, so a seed fixes the resampling (DuckDB's row order
    without ORDER BY varies between runs and moved the interval's lower limit by about 0.05)."""
    first = school["evaluation"].balanced.analysis.effect("interviewed")
    again = evaluate(school["workspace"], PROGRAM, replicates=300).balanced.analysis.effect("interviewed")
    assert again.rr_bootstrap == first.rr_bootstrap
