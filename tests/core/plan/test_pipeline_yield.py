"""The ``pipeline-yield`` measure kind, pure: yearly yields and Wilson intervals from released
counts by hand (against statsmodels), a suppressed cohort withholds its year, the live series
read from cohort outcomes, and the bad inputs a plan file is refused for (a missing or unknown
program, a category), each naming its line and field."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.plan import Baseline, MetricBinding, PlanFileError, Target, plan_from_dict
from ristra.core.plan.model import Measure
from ristra.core.plan.pipeline_yield import (
    NO_PARTICIPANTS,
    NOT_LINKED,
    in_cohorts,
    live_points,
    not_linked_status,
    released_year,
    yield_point,
)
from ristra.core.plan.released import YearCounts, point_from_counts, released_status
from ristra.core.plan.status import INSUFFICIENT, WITHHELD
from ristra.stores.plan_files import parse_plan_text
from support.yield_plan import YIELD_PLAN


def _measure(years: tuple[int, int] | None = None) -> Measure:
    return Measure("M-YIELD", "G3.1", "yield", MetricBinding("pipeline-yield", None, (("program", "PP03"),)),
                   "increase", Baseline(2016), Target(0.5, 2030), years=years)


#: (participants, not yet old enough, applied) by cohort year: yields 10/40, 12/40, 13/38, 15/39, 16/36
COHORTS = {2016: (40, 0, 10), 2017: (40, 0, 12), 2018: (40, 2, 13), 2019: (41, 2, 15), 2020: (40, 4, 16)}


def _released(cohorts: dict[int, tuple[int | None, int | None, int | None]]) -> list[YearCounts]:
    return [released_year(y, *counts) for y, counts in cohorts.items()]


def test_a_cohorts_yield_is_applied_over_participants_less_those_too_young() -> None:
    year = released_year(2018, 40, 2, 13)
    assert year.counts == {"count": 13, "total": 38}
    point = point_from_counts("pipeline-yield", year)
    assert point is not None
    assert point.value == pytest.approx(13 / 38)
    lower, upper = proportion_confint(13, 38, method="wilson")
    assert point.lower == pytest.approx(lower, abs=1e-12)
    assert point.upper == pytest.approx(upper, abs=1e-12)
    assert (point.count, point.total) == (13, 38)


def test_every_published_year_is_a_wilson_share() -> None:
    status, hidden = released_status(_measure(), _released(dict(COHORTS)))
    assert hidden == ()
    assert [p.year for p in status.points] == [2016, 2017, 2018, 2019, 2020]
    for p, (participants, too_young, applied) in zip(status.points, COHORTS.values(), strict=True):
        lower, upper = proportion_confint(applied, participants - too_young, method="wilson")
        assert p.value == pytest.approx(applied / (participants - too_young))
        assert (p.lower, p.upper) == pytest.approx((lower, upper), abs=1e-12)


def test_a_suppressed_count_withholds_that_cohort_and_the_status_is_computed_without_it() -> None:
    for suppressed in ((None, 2, 13), (40, None, 13), (40, 2, None)):
        status, hidden = released_status(_measure(), _released({**COHORTS, 2018: suppressed}))
        assert hidden == (2018,)
        assert [p.year for p in status.points] == [2016, 2017, 2019, 2020]
        assert "left out (counts suppressed): 2018" in status.reason


def test_a_suppressed_baseline_or_latest_cohort_withholds_the_status() -> None:
    for year in (2016, 2020):
        status, hidden = released_status(_measure(), _released({**COHORTS, year: (40, None, 10)}))
        assert status.status == WITHHELD
        assert hidden == (year,)
        assert f"the counts of {year} are suppressed" in status.reason


def test_a_cohort_with_nobody_old_enough_has_no_value() -> None:
    assert yield_point(2025, 12, 12, 0) is None
    assert point_from_counts("pipeline-yield", released_year(2025, 12, 12, 0)) is None


def test_the_years_keep_the_cohorts_followed_long_enough() -> None:
    assert in_cohorts((2016, 2023), 2023)
    assert not in_cohorts((2016, 2023), 2024)
    assert in_cohorts(None, 1990)


@dataclass(frozen=True)
class _Rate:
    k: int


@dataclass(frozen=True)
class _Cohort:
    program_id: str
    cohort: int
    participants: int
    not_yet_old_enough: int
    rates: dict[str, _Rate] = field(default_factory=dict)


def test_the_live_series_reads_the_programs_cohorts_in_year_order() -> None:
    cohorts = [_Cohort("PP03", 2018, 40, 2, {"applied": _Rate(13)}), _Cohort("PP01", 2018, 30, 0, {"applied": _Rate(9)}),
               _Cohort("PP03", 2016, 40, 0, {"applied": _Rate(10)}), _Cohort("PP03", 2025, 5, 5, {})]
    points = live_points("PP03", cohorts)
    assert [p.year for p in points] == [2016, 2018]
    assert [(p.count, p.total) for p in points] == [(10, 40), (13, 38)]
    assert points[1].value == pytest.approx(13 / 38)
    assert [p.year for p in live_points("PP03", cohorts, (2017, 2030))] == [2018]


def test_without_linkage_the_status_is_insufficient_data_saying_so() -> None:
    status = not_linked_status(_measure(), NOT_LINKED)
    assert status.status == INSUFFICIENT
    assert status.points == ()
    assert "rosters have not been linked" in status.reason
    assert "program PP03" in status.reason
    assert "not a zero" in status.reason
    assert "no participant of program PP03" in not_linked_status(_measure(), NO_PARTICIPANTS).reason


PLAN = YIELD_PLAN


def _problems(text: str, programs: tuple[str, ...] | None) -> list[tuple[int | None, str, str, str]]:
    data, lines = parse_plan_text(text)
    with pytest.raises(PlanFileError) as caught:
        plan_from_dict(data, lines=lines, programs=programs)
    return [(p.line, p.item, p.field, p.message) for p in caught.value.problems]


def test_a_pipeline_yield_measure_parses_and_round_trips() -> None:
    data, lines = parse_plan_text(PLAN)
    plan = plan_from_dict(data, lines=lines, programs=("PP01", "PP03"))
    measure = plan.measure("M-YIELD")
    assert measure.metric.kind == "pipeline-yield"
    assert measure.metric.option("program") == "PP03"
    assert measure.metric.category is None
    assert measure.metric.specs() == ()
    assert plan_from_dict(plan.to_dict()) == plan


def test_a_missing_program_is_refused_naming_the_line_and_field() -> None:
    problems = _problems(PLAN.replace("{kind: pipeline-yield, program: PP03}", "{kind: pipeline-yield}"), None)
    assert [(line, item, f) for line, item, f, _ in problems] == [(10, "measure M-YIELD", "measures[0].metric.program")]
    assert "needs program" in problems[0][3]


def test_an_unknown_program_is_refused_when_the_registry_is_known() -> None:
    text = PLAN.replace("program: PP03", "program: PP33")
    problems = _problems(text, ("PP01", "PP03"))
    assert [(line, item, f) for line, item, f, _ in problems] == [(10, "measure M-YIELD", "measures[0].metric.program")]
    assert "unknown program 'PP33'" in problems[0][3]
    assert "did you mean PP03" in problems[0][3]
    data, lines = parse_plan_text(text)
    assert plan_from_dict(data, lines=lines).measure("M-YIELD").metric.option("program") == "PP33"


def test_a_category_or_an_empty_program_is_refused() -> None:
    with_category = _problems(PLAN.replace("program: PP03}", "program: PP03, category: urm_nm}"), None)
    assert [f for _, _, f, _ in with_category] == ["measures[0].metric.category"]
    empty = _problems(PLAN.replace("program: PP03}", "program: ''}"), None)
    assert [f for _, _, f, _ in empty] == ["measures[0].metric.program"]


def test_a_measure_says_what_it_is_of() -> None:
    from ristra.core.plan.bindings import MetricBinding

    assert MetricBinding("pipeline-yield", None, (("program", "PP03"),)).subject == "program PP03"
    assert MetricBinding("stage-rate", "urm_nm", (("stage", "interviewed"),)).subject == "category urm_nm"
    assert MetricBinding("entered", None).subject == "values typed into the plan"
