"""Plan statistics against statsmodels (weighted least squares) and hand-computed cases: the
change from baseline, the percent of targeted change, status classes, projections, what it
would take, small numbers and too few points."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from ristra.core.plan import (
    Baseline,
    MeasureStatus,
    MetricBinding,
    Point,
    Target,
    change_from_baseline,
    measure_status,
    percent_of_targeted_change,
    project,
    rollup,
    standard_error,
    what_it_would_take,
)
from ristra.core.plan.model import Measure

Z = float(stats.norm.isf(0.025))


def point(
    year: int,
    value: float,
    se: float,
    count: float | None = None,
    total: float | None = None,
    small: bool = False,
    per_share: float = 1.0,
) -> Point:
    return Point(year, value, value - Z * se, value + Z * se, count, total, per_share, small)


def measure(
    direction: str = "increase", target: float = 0.5, target_year: int = 2030, baseline_year: int = 2016
) -> Measure:
    return Measure(
        "M",
        "O",
        "m",
        MetricBinding("representation", "urm_nm", (("dataset", "students"),)),
        direction,
        Baseline(baseline_year),
        Target(target, target_year),
    )


YEARS = [2016, 2017, 2018, 2019, 2020, 2021, 2022]
VALUES = [0.30, 0.33, 0.31, 0.36, 0.38, 0.37, 0.41]
SES = [0.020, 0.025, 0.018, 0.030, 0.022, 0.026, 0.021]


def test_standard_error_is_the_half_width_over_z() -> None:
    assert standard_error(Point(2020, 0.5, 0.4, 0.6)) == pytest.approx(0.1 / Z)
    assert math.isnan(standard_error(Point(2020, 0.5, math.nan, math.nan)))


def test_change_from_baseline_by_hand() -> None:
    change = change_from_baseline(point(2016, 0.30, 0.03), point(2022, 0.40, 0.04))
    se = math.sqrt(0.03**2 + 0.04**2)  # 0.05
    assert change.difference == pytest.approx(0.10)
    assert change.standard_error == pytest.approx(0.05)
    assert (change.lower, change.upper) == pytest.approx((0.10 - Z * se, 0.10 + Z * se))
    assert change.p_value == pytest.approx(2 * stats.norm.sf(2.0))  # z = 0.10 / 0.05 = 2
    assert change.excludes_zero


def test_percent_of_targeted_change_by_hand() -> None:
    assert percent_of_targeted_change(0.30, 0.40, 0.50) == pytest.approx(50.0)
    assert percent_of_targeted_change(0.30, 0.25, 0.50) == pytest.approx(-25.0)
    assert percent_of_targeted_change(0.20, 0.15, 0.10) == pytest.approx(50.0)  # a decrease targeted
    assert math.isnan(percent_of_targeted_change(0.3, 0.4, 0.3))


def _wls(scale: str) -> tuple[float, float, float, float, float]:
    x = sm.add_constant(np.array(YEARS, dtype=float))
    w = 1.0 / np.array(SES) ** 2
    model = sm.WLS(np.array(VALUES), x, weights=w)
    fit = model.fit() if scale == "estimated" else model.fit(cov_type="fixed scale")
    pred = fit.get_prediction(np.array([[1.0, 2030.0]]))
    lower, upper = pred.conf_int(alpha=0.05)[0]
    return (
        float(pred.predicted_mean[0]),
        float(pred.se_mean[0]),
        float(lower),
        float(upper),
        float(fit.params[1]),
    )


@pytest.mark.parametrize("scale", ["estimated", "known"])
def test_projection_matches_statsmodels_wls(scale: str) -> None:
    points = [point(y, v, s) for y, v, s in zip(YEARS, VALUES, SES, strict=True)]
    proj = project(points, 2030, 0.5, "increase", scale_method=scale)
    assert proj is not None
    mean, se, lower, upper, slope = _wls(scale)
    assert proj.value == pytest.approx(mean, rel=1e-9)
    assert proj.standard_error == pytest.approx(se, rel=1e-6)
    assert (proj.lower, proj.upper) == pytest.approx((lower, upper), rel=1e-6)
    assert proj.slope == pytest.approx(slope, rel=1e-9)
    # probability that the trend at 2030 reaches 0.5, from the same distribution as the interval
    dist = stats.t(len(YEARS) - 2) if scale == "estimated" else stats.norm()
    assert proj.probability == pytest.approx(float(dist.sf((0.5 - mean) / se)), rel=1e-6)
    assert proj.band[0].year == 2022
    assert proj.band[-1].year == 2030
    assert proj.band[-1].lower == pytest.approx(lower, rel=1e-6)


def test_projection_needs_five_points() -> None:
    points = [point(y, v, s) for y, v, s in zip(YEARS[:4], VALUES[:4], SES[:4], strict=True)]
    assert project(points, 2030, 0.5, "increase") is None


def test_probability_for_a_decrease_is_the_other_tail() -> None:
    points = [point(y, v, s) for y, v, s in zip(YEARS, VALUES, SES, strict=True)]
    up = project(points, 2030, 0.5, "increase")
    down = project(points, 2030, 0.5, "decrease")
    assert up is not None
    assert down is not None
    assert up.probability + down.probability == pytest.approx(1.0)


def test_exact_line_has_zero_scale() -> None:
    points = [point(2016 + i, 0.30 + 0.01 * i, 0.02) for i in range(6)]
    proj = project(points, 2030, 0.40, "increase")
    assert proj is not None
    assert proj.value == pytest.approx(0.44)
    assert proj.scale == pytest.approx(0.0, abs=1e-20)
    assert proj.probability == 1.0


def test_what_it_would_take_for_a_share_by_hand() -> None:
    # 30 of 100 matriculants in the group in 2025; the target is 45 % by 2030
    need = what_it_would_take(Point(2025, 0.30, 0.21, 0.39, 30, 100), 0.45, 2030, "increase")
    assert need is not None
    assert need.needed == 45
    assert need.additional == 15
    assert need.years_left == 5
    assert need.per_year == pytest.approx(3.0)
    assert need.reachable


def test_what_it_would_take_for_a_ratio_to_the_state() -> None:
    # ratio 0.8 with the state share at 48 %: 46 of 120; target ratio 1.0 is a share of 48 %: 58 of 120
    need = what_it_would_take(Point(2025, 0.8, 0.6, 1.0, 46, 120, per_share=0.48), 1.0, 2029, "increase")
    assert need is not None
    assert need.target_share == pytest.approx(0.48)
    assert need.needed == math.ceil(0.48 * 120) == 58
    assert need.additional == 12
    assert need.per_year == pytest.approx(3.0)


def test_what_it_would_take_when_met_or_unknown() -> None:
    met = what_it_would_take(Point(2025, 0.5, 0.4, 0.6, 50, 100), 0.45, 2030, "increase")
    assert met is not None
    assert met.additional == 0
    assert "already" in met.note
    assert what_it_would_take(Point(2025, 0.5, 0.4, 0.6), 0.6, 2030, "increase") is None  # typed in
    beyond = what_it_would_take(Point(2025, 0.5, 0.4, 0.6, 30, 60, per_share=0.6), 2.0, 2030, "increase")
    assert beyond is not None
    assert not beyond.reachable
    assert beyond.needed == 60


def _series(values: list[float], se: float = 0.02, small: bool = False) -> list[Point]:
    return [point(2016 + i, v, se, small=small) for i, v in enumerate(values)]


def test_status_improving() -> None:
    st = measure_status(measure(target=0.5), _series([0.30, 0.32, 0.35, 0.37, 0.40]))
    assert st.status == "improving"
    assert st.change is not None
    assert st.change.difference == pytest.approx(0.10)
    assert st.percent_achieved == pytest.approx(50.0)


def test_status_getting_worse() -> None:
    st = measure_status(measure(target=0.5), _series([0.40, 0.38, 0.36, 0.33, 0.30]))
    assert st.status == "getting_worse"


def test_status_little_or_no_change() -> None:
    # change 0.03 with SE sqrt(2) * 0.02 = 0.028: the interval includes zero
    st = measure_status(measure(target=0.5), _series([0.30, 0.35, 0.28, 0.31, 0.33]))
    assert st.status == "little_or_no_change"
    assert st.change is not None
    assert st.change.lower < 0 < st.change.upper


def test_status_target_met_for_a_decrease() -> None:
    st = measure_status(measure(direction="decrease", target=0.2), _series([0.30, 0.28, 0.25, 0.22, 0.19]))
    assert st.status == "target_met"


def test_status_insufficient_with_too_few_points() -> None:
    st = measure_status(measure(target=0.5), _series([0.30, 0.35, 0.40, 0.45]))
    assert st.status == "insufficient_data"
    assert "4 point(s)" in st.reason
    assert st.projection is None
    assert st.change is not None
    assert st.change.difference == pytest.approx(0.15)  # still shown


def test_status_insufficient_with_small_numbers() -> None:
    values = [0.30, 0.35, 0.40, 0.45, 0.60]
    points = [point(2016 + i, v, 0.02, 3, 5, small=(i == 4)) for i, v in enumerate(values)]
    st = measure_status(measure(target=0.5), points)
    assert st.status == "insufficient_data"  # the point estimate beats the target, but on 3 of 5
    assert "small numbers" in st.reason
    assert "2020" in st.reason


def test_status_insufficient_without_a_baseline_value() -> None:
    st = measure_status(measure(target=0.5, baseline_year=2010), _series([0.3, 0.3, 0.3, 0.3, 0.3]))
    assert st.status == "insufficient_data"
    assert "baseline year 2010" in st.reason


def test_a_pinned_baseline_is_used() -> None:
    m = Measure(
        "M",
        "O",
        "m",
        MetricBinding("representation", "urm_nm", (("dataset", "students"),)),
        "increase",
        Baseline(2016, 0.20, 0.16, 0.24),
        Target(0.5, 2030),
    )
    st = measure_status(m, _series([0.30, 0.31, 0.32, 0.33, 0.34]))
    assert st.baseline is not None
    assert st.baseline.value == 0.20
    assert st.change is not None
    assert st.change.difference == pytest.approx(0.14)


def _status(mid: str, status: str) -> MeasureStatus:
    return MeasureStatus(mid, status, "", None, None, (), None, None, None, None)


def test_rollup_never_hides_a_failing_measure() -> None:
    statuses = {
        "a": _status("a", "target_met"),
        "b": _status("b", "getting_worse"),
        "c": _status("c", "improving"),
        "d": _status("d", "insufficient_data"),
    }
    r = rollup("O", "objective", statuses, ("a", "b", "c", "d"))
    assert r.status == "getting_worse"
    assert r.failing == ("b",)
    assert r.without_status == ("d",)
    assert r.incomplete
    assert dict(r.counts) == {
        "target_met": 1,
        "improving": 1,
        "little_or_no_change": 0,
        "getting_worse": 1,
        "insufficient_data": 1,
    }
    only_unknown = rollup("O", "objective", statuses, ("d",))
    assert only_unknown.status == "insufficient_data"
    assert not only_unknown.incomplete
    met = rollup("O", "objective", statuses, ("a", "c"))
    assert met.status == "improving"
