"""Program outcomes through linkage: counts by hand, Wilson rates against statsmodels, the time to
application against lifelines, and the service on the synthetic school against its ground truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lifelines import KaplanMeierFitter
from statsmodels.stats.proportion import proportion_confint

from ristra.core.program_outcomes import Participant, application_curve, cohort_outcome, program_outcomes
from ristra.services import imports
from ristra.services.linkage import LinkageService
from ristra.services.program_outcomes import outcomes
from ristra.services.workspace import Settings, Workspace
from ristra.synth import generate


def _p(linked: bool, born: int | None, applied: int | None = None, *stages: str, cohort: int = 2018) -> Participant:
    reached = frozenset(({"applied"} if applied else set()) | set(stages))
    return Participant("PP01", cohort, linked, born, applied, reached)


def test_a_cohort_by_hand() -> None:
    people = [
        _p(True, 1996, 2019, "completed", "interviewed", "offered", "matriculated"),
        _p(True, 1997, 2020, "completed"),
        _p(True, 1996),                 # linked, old enough, no later application: did not apply
        _p(True, 2006),                 # linked, 2006 + 22 > 2025: not yet old enough (censored)
        _p(False, 1995),                # not linked: never "did not apply"
        _p(False, 2007),                # not linked and too young
        _p(True, None),                 # no birth date: counts as old enough
    ]
    c = cohort_outcome("PP01", 2018, people, first_cycle=2016, last_cycle=2025, youngest_age=22)
    assert (c.participants, c.linked, c.not_linked, c.not_yet_old_enough) == (7, 5, 2, 2)
    assert (c.eligible, c.linked_eligible, c.did_not_apply, c.window_covers_cohort) == (5, 4, 2, True)
    assert (c.rates_among_linked["applied"].k, c.rates_among_linked["applied"].n) == (2, 4)
    assert (c.rates["applied"].k, c.rates["applied"].n) == (2, 5)  # the unlinked one counts as not seen
    assert (c.rates["matriculated"].k, c.rates["completed"].k) == (1, 2)
    lower, upper = proportion_confint(2, 4, method="wilson")
    assert (c.rates_among_linked["applied"].lower, c.rates_among_linked["applied"].upper) == pytest.approx(
        (lower, upper), abs=1e-12)
    assert not cohort_outcome("PP01", 2010, people, 2016, 2025, 22).window_covers_cohort


def test_time_to_application_against_lifelines() -> None:
    people = [_p(True, 1990, 2019, cohort=2018), _p(True, 1990, 2021, cohort=2018), _p(True, 1990, None, cohort=2023),
              _p(True, 1990, None, cohort=2021), _p(True, 1990, 2022, cohort=2020), _p(False, 1990, cohort=2018)]
    curve = application_curve("PP01", people, first_cycle=2016, last_cycle=2025)
    # times since cohort: events at 1, 3, 2; censored at 2 (2023 → 2025) and 4 (2021 → 2025)
    fitter = KaplanMeierFitter().fit([1, 3, 2, 4, 2], event_observed=[1, 1, 1, 0, 0])
    expected = 1 - fitter.survival_function_at_times([1, 2, 3, 4]).to_numpy()
    assert curve.years == (1, 2, 3, 4)
    assert curve.participants == 5
    assert curve.applied == 3
    assert curve.share_applied == pytest.approx(tuple(expected))
    ci = fitter.confidence_interval_survival_function_
    assert 1 - curve.lower[0] == pytest.approx(ci.loc[1.0].iloc[1], abs=1e-6)
    # left truncation: a cohort of 2010 enters the risk set when the applications window opens
    truncated = application_curve("PP01", [_p(True, 1990, 2017, cohort=2010), _p(True, 1990, None, cohort=2015)],
                                  first_cycle=2016, last_cycle=2025)
    assert truncated.at_risk[:7] == (1, 1, 1, 1, 1, 2, 2)
    assert truncated.share_applied[6] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("outcomes")
    paths = generate(base / "source", applications_per_cycle=300, identities=True)
    workspace = Workspace(Settings(data_dir=base / "data", user="analyst"))
    for name in ("programs", "participants", "admissions_identities", "applications"):
        assert imports.import_file(workspace, name, paths[name]).imported
    con = duckdb.connect()
    truth = dict(con.execute("SELECT participant_id, person_id FROM read_csv(?, all_varchar = true)",
                             [str(paths["participant_links"])]).fetchall())
    LinkageService(workspace).run(labels={r: p or None for r, p in sorted(truth.items())[::3]})
    return {"workspace": workspace, "paths": paths, "truth": truth}


def test_outcomes_on_the_synthetic_school(school: dict[str, Any]) -> None:
    workspace, paths = school["workspace"], school["paths"]
    result = outcomes(workspace)
    assert not result.published
    assert set(result.sources) == {"link_run", "participants", "applications"}
    json.dumps(result.to_dict())
    con = duckdb.connect()
    # the same counts from the ground truth: each roster person's true applicant, if any
    true = {(p, c): (n, applied) for p, c, n, applied in con.execute("""
        WITH people AS (SELECT r.program_id, r.roster_id, min(r.year) AS cohort, max(t.person_id) AS person_id
                        FROM read_csv(?, all_varchar = true, types = {'year': 'INTEGER'}) r
                        JOIN read_csv(?, all_varchar = true) t USING (participant_id) GROUP BY ALL)
        SELECT p.program_id, p.cohort, count(DISTINCT p.roster_id),
               count(DISTINCT p.roster_id) FILTER (WHERE a.person_id IS NOT NULL)
        FROM people p LEFT JOIN read_csv(?, all_varchar = true, types = {'cycle': 'INTEGER'}) a
          ON a.person_id = p.person_id AND a.cycle > p.cohort GROUP BY ALL""",
        [str(paths["participants"]), str(paths["participant_links"]), str(paths["applications"])]).fetchall()}
    assert {(c.program_id, c.cohort) for c in result.cohorts} == set(true)
    seen = sum(c.rates["applied"].k for c in result.cohorts)
    really = sum(applied for _, applied in true.values())
    assert really > 50
    assert 0.93 * really <= seen <= 1.02 * really  # linkage error, both ways, is small
    for c in result.cohorts:
        assert c.participants == true[(c.program_id, c.cohort)][0]
        assert c.linked + c.not_linked == c.participants
        assert c.eligible + c.not_yet_old_enough == c.participants
        assert c.did_not_apply == c.linked_eligible - c.rates_among_linked["applied"].k
    assert result.first_cycle == 2016
    assert result.last_cycle == 2025
    assert result.youngest_age >= 18
    curve = next(c for c in result.curves if c.applied)
    assert all(a <= b + 1e-12 for a, b in zip(curve.share_applied, curve.share_applied[1:], strict=False))


def test_outcomes_keep_the_pinned_roster(school: dict[str, Any], tmp_path: Path) -> None:
    shutil.copytree(school["workspace"].root, tmp_path / "data")
    workspace = Workspace(Settings(data_dir=tmp_path / "data", user="analyst"))
    before = outcomes(workspace)
    assert imports.import_file(workspace, "participants", school["paths"]["participants"]).imported
    after = outcomes(workspace)  # the run is stale; outcomes still read the roster it linked
    assert after.sources["participants"] == before.sources["participants"]
    assert LinkageService(workspace).status().stale


def test_program_outcomes_of_no_one() -> None:
    empty = program_outcomes([], 2016, 2025, 22)
    assert empty.cohorts == ()
    assert empty.curves == ()
    with pytest.raises(KeyError, match="no cohort"):
        empty.cohort("PP01", 2020)
