"""Program outcomes by category and onward, and the comparison groups: counts by hand, the
stratified comparison against statsmodels and SciPy, restriction and E-values in the balanced one."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.contingency_tables import StratifiedTable

from ristra.core.program_comparison import CycleCounts, applicant_comparison, balanced_comparison
from ristra.core.program_outcomes import (
    COMPUTED,
    NOT_LINKED,
    OutcomeSource,
    Participant,
    ProgramEvaluation,
    for_program,
    program_outcomes,
)
from ristra.core.stats.evalue import e_value_of


def _p(linked: bool, born: int | None, applied: int | None, stages: set[str], onward: set[str],
       women: str, program: str = "PP01") -> Participant:
    reached = frozenset(({"applied"} if applied else set()) | stages)
    return Participant(program, 2018, linked, born, applied, reached, frozenset(onward), (("women", women),))


SOURCES = (OutcomeSource("graduated", COMPUTED, "students", ""),
           OutcomeSource("residency_in_new_mexico", COMPUTED, "gme", ""),
           OutcomeSource("faculty", NOT_LINKED, "hr", "not run"))


def test_onward_outcomes_and_categories_by_hand() -> None:
    people = [
        _p(True, 1996, 2019, {"completed", "interviewed", "offered", "matriculated"}, {"graduated"}, "yes"),
        _p(True, 1996, 2020, {"completed"}, set(), "yes"),
        _p(False, 1995, None, set(), {"residency_in_new_mexico"}, "no"),  # a resident who never applied here
        _p(True, 2006, None, set(), set(), "no"),  # too young: censored
        _p(True, 1996, None, set(), {"faculty"}, "unknown"),  # faculty is not linked: never counted
        _p(True, 1990, 2019, set(), set(), "yes", program="PP02"),
    ]
    result = program_outcomes(people, 2016, 2025, 22, outcome_sources=SOURCES, category_version=3)
    cohort = result.cohort("PP01", 2018)
    assert set(cohort.rates) == {"applied", "completed", "interviewed", "offered", "matriculated", "graduated",
                                 "residency_in_new_mexico"}  # faculty: not linked, so no rate at all
    assert (cohort.rates["graduated"].k, cohort.rates["graduated"].n) == (1, 4)
    assert (cohort.rates["residency_in_new_mexico"].k, cohort.rates["residency_in_new_mexico"].n) == (1, 4)
    assert "residency_in_new_mexico" not in cohort.rates_among_linked
    assert cohort.rates_among_linked["graduated"].n == 3
    women = {(c.program_id, c.membership): c for c in result.by_category if c.category == "women"}
    assert set(women) == {("PP01", "yes"), ("PP01", "no"), ("PP01", "unknown"), ("PP02", "yes")}
    yes, no = women[("PP01", "yes")], women[("PP01", "no")]
    assert (yes.participants, yes.eligible, yes.rates["applied"].k, yes.rates["graduated"].k) == (2, 2, 2, 1)
    assert (no.participants, no.not_yet_old_enough, no.eligible, no.not_linked, no.did_not_apply) == (2, 1, 1, 1, 0)
    assert result.computed()[-2:] == ("graduated", "residency_in_new_mexico")
    assert result.category_version == 3
    one = for_program(result, "PP02")
    assert {c.program_id for c in one.cohorts} == {"PP02"}
    assert {c.program_id for c in one.by_category} == {"PP02"}
    assert json.loads(json.dumps(result.to_dict()))["outcome_sources"][2]["status"] == "not linked"


def test_the_comparison_among_applicants_by_hand() -> None:
    cycles = [CycleCounts(2020, {"applications": 20, "completed": 18, "interviewed": 9, "offered": 4, "matriculated": 3},
                          {"applications": 400, "completed": 360, "interviewed": 90, "offered": 40, "matriculated": 35}),
              CycleCounts(2021, {"applications": 15, "completed": 14, "interviewed": 6, "offered": 3, "matriculated": 3},
                          {"applications": 380, "completed": 340, "interviewed": 80, "offered": 39, "matriculated": 30}),
              CycleCounts(2022, {"applications": 0}, {"applications": 390, "completed": 350})]
    result = applicant_comparison("PP01", cycles)
    assert result.cycles == (2020, 2021)
    assert result.participant_applications == 35
    interviewed = result.stage("interviewed")
    assert (interviewed.participants.k, interviewed.participants.n) == (15, 32)
    assert (interviewed.non_participants.k, interviewed.non_participants.n) == (170, 700)
    assert interviewed.rate_ratio.ratio == pytest.approx((15 / 32) / (170 / 700))
    assert interviewed.fisher is not None
    assert interviewed.fisher.p_value == pytest.approx(fisher_exact([[15, 17], [170, 530]]).pvalue)
    tables = np.array([[[9, 9], [90, 270]], [[6, 8], [80, 260]]]).transpose(1, 2, 0)
    reference = StratifiedTable(tables)
    assert interviewed.stratified is not None
    assert interviewed.stratified.test == "mantel_haenszel"
    assert interviewed.stratified.mantel_haenszel.odds_ratio == pytest.approx(reference.oddsratio_pooled)
    assert interviewed.stratified.p_value == pytest.approx(reference.test_null_odds(correction=False).pvalue)
    assert applicant_comparison("PP01", cycles[2:]).notes  # no participant applied: said, not zeros


def test_the_balanced_comparison_restricts_and_gives_e_values() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    in_state = rng.random(n) < 0.5
    rural = rng.random(n) < 0.4
    treated = in_state & (rng.random(n) < 0.1 + 0.2 * rural)
    y = (rng.random(n) < (0.2 + 0.2 * rural) * np.where(treated, 1.5, 1.0)).astype(float)
    design = np.column_stack([in_state, rural]).astype(float)
    result = balanced_comparison("PP01", ["in_state", "rural"], design, treated, {"interviewed": y}, replicates=100)
    assert result.restricted == ("in_state = 1 (every participant has it)",)
    assert result.analysis is not None
    assert result.analysis.covariates == ("rural",)
    assert result.smd_before_restriction["in_state"] > 1  # the confounding the restriction removes
    assert result.analysis.controls == int((in_state & ~treated).sum())
    effect = result.analysis.effect("interviewed")
    assert effect.rr_bootstrap[0] < 1.5 < effect.rr_bootstrap[1]
    ev = result.e_values["interviewed"]
    assert ev.point == pytest.approx(e_value_of(effect.risk_ratio))
    low = effect.rr_bootstrap[0]
    assert ev.limit == (pytest.approx(e_value_of(low)) if low > 1 else 1.0)
    nobody = balanced_comparison("PP01", ["x"], [[1.0], [0.0]], [False, False], {"y": [0, 1]})
    assert nobody.analysis is None
    assert nobody.notes


def test_an_evaluation_is_a_value_that_says_it_is_unreleased() -> None:
    outcomes = program_outcomes([], 2016, 2025, 22)
    ev = ProgramEvaluation("PP01", outcomes, None, None, "no links")
    data = json.loads(json.dumps(ev.to_dict()))
    assert data["published"] is False
    assert data["warning"].startswith("UNRELEASED")
