"""A measure's status from released counts (the scorecard of a publication): values against
statsmodels' Wilson interval and hand-computed ratios; a suppressed baseline or latest year
withholds the status, a suppressed year between them is left out and named; a measure with no
published year or no benchmark is withheld, saying so; graduation shares against a hand
computation and statsmodels' Wilson interval."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.plan import Baseline, MetricBinding, Target, measure_status
from ristra.core.plan.model import Measure
from ristra.core.plan.released import YearCounts, point_from_counts, released_status
from ristra.core.plan.status import WITHHELD
from ristra.core.stats.ratios import score_ratio


def _measure(kind: str, **options: object) -> Measure:
    return Measure("M", "O", "a measure", MetricBinding(kind, "urm_nm", tuple(options.items())), "increase",
                   Baseline(2016), Target(0.6, 2030))


def _years(counts: Mapping[int, tuple[int | None, int | None]]) -> list[YearCounts]:
    return [YearCounts(y, {"count": k, "total": n}) for y, (k, n) in counts.items()]


GROWING = {2016: (30, 100), 2017: (33, 100), 2018: (36, 100), 2019: (40, 100), 2020: (45, 100), 2021: (50, 100)}


def test_a_share_and_its_interval_are_wilsons_from_the_published_counts() -> None:
    point = point_from_counts("representation", YearCounts(2019, {"count": 40, "total": 100}))
    assert point is not None
    lower, upper = proportion_confint(40, 100, method="wilson")
    assert point.value == 0.4
    assert point.lower == pytest.approx(lower)
    assert point.upper == pytest.approx(upper)
    assert (point.count, point.total, point.small_number) == (40, 100, False)
    ratio = point_from_counts("representation-ratio", YearCounts(2019, {"count": 40, "total": 100}), 0.5)
    assert ratio is not None
    assert ratio.value == pytest.approx(0.8)
    assert ratio.upper == pytest.approx(upper / 0.5)
    assert point_from_counts("representation", YearCounts(2019, {"count": None, "total": 100})) is None


def test_a_selection_ratio_against_the_group_with_the_highest_rate() -> None:
    year = YearCounts(2020, {"count": 20, "total": 100, "other_count": 60, "other_total": 200})
    point = point_from_counts("selection-ratio", year)
    expected = score_ratio(20, 100, 60, 200)
    assert point is not None
    assert point.value == pytest.approx((20 / 100) / (60 / 200))
    assert point.lower == pytest.approx(expected.lower)
    assert point.upper == pytest.approx(expected.upper)
    reference = point_from_counts("selection-ratio", YearCounts(2020, {"count": 50, "total": 100, "other_count": 60,
                                                                       "other_total": 200}))
    assert reference is not None
    assert reference.value == 1.0
    assert math.isnan(reference.lower)


def test_the_released_status_is_the_status_of_the_published_points() -> None:
    m = _measure("representation", dataset="students")
    status, hidden = released_status(m, _years(GROWING))
    points = [point_from_counts("representation", y) for y in _years(GROWING)]
    assert status.status == measure_status(m, [p for p in points if p is not None]).status == "improving"
    assert hidden == ()


def test_a_suppressed_baseline_or_latest_year_withholds_the_status() -> None:
    m = _measure("representation", dataset="students")
    for year in (2016, 2021):
        status, hidden = released_status(m, _years({**GROWING, year: (None, 100)}))
        assert status.status == WITHHELD
        assert hidden == (year,)
        assert f"the counts of {year} are suppressed" in status.reason
        assert status.change is None
        assert status.projection is None
        assert status.need is None


def test_a_suppressed_year_between_is_left_out_and_named() -> None:
    m = _measure("representation", dataset="students")
    status, hidden = released_status(m, _years({**GROWING, 2018: (36, None)}))
    assert hidden == (2018,)
    assert status.status == "improving"
    assert [p.year for p in status.points] == [2016, 2017, 2019, 2020, 2021]
    assert "left out (counts suppressed): 2018" in status.reason


def test_a_measure_with_no_published_year_or_no_benchmark_is_withheld_and_says_so() -> None:
    status, _ = released_status(_measure("retention", horizon=5), [])
    assert status.status == WITHHELD
    assert "no published year from the baseline year 2016 on" in status.reason
    ratio, _ = released_status(_measure("representation-ratio", dataset="students"), _years(GROWING), None)
    assert ratio.status == WITHHELD
    assert "no state benchmark" in ratio.reason


def test_a_graduation_share_is_the_graduates_over_the_cohort_with_wilsons_interval() -> None:
    point = point_from_counts("graduation", YearCounts(2017, {"count": 57, "total": 69}))
    assert point is not None
    lower, upper = proportion_confint(57, 69, method="wilson")
    assert point.value == pytest.approx(57 / 69, abs=1e-15)
    assert point.lower == pytest.approx(lower, abs=1e-12)
    assert point.upper == pytest.approx(upper, abs=1e-12)
    assert (point.count, point.total) == (57, 69)


def test_a_suppressed_graduation_cohort_in_the_latest_year_withholds_and_names_it() -> None:
    m = _measure("graduation", within=4)
    status, hidden = released_status(m, _years({**GROWING, 2021: (None, 100)}))
    assert status.status == WITHHELD
    assert hidden == (2021,)
    assert "the counts of 2021 are suppressed" in status.reason
