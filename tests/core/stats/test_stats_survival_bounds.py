"""Boundary-safe survival intervals (issue 15, item 6): where Kaplan–Meier is 1 or 0, or a
cumulative incidence is 0 or 1, the interval is not zero-width; its open end is the exact
Clopper–Pearson bound for no events among the smallest risk set up to the time. Checked against
statsmodels' Clopper–Pearson interval and a brute-force count of the risk sets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.stats import aalen_johansen, kaplan_meier
from ristra.core.stats.survival.follow_up import floor_at, follow_up, risk_floor
from ristra.core.stats.survival.kaplan_meier import kaplan_meier_fit


def _brute_floor(entry: np.ndarray, exit: np.ndarray, t: float) -> int:
    """min over s in (min entry, t] of #{entry < s <= exit}, on a fine grid plus the just-after points."""
    start = float(entry.min())
    if t <= start:
        return 0
    grid = np.concatenate([np.linspace(start, t, 4001)[1:], exit[(exit > start) & (exit < t)] + 1e-9,
                           [start + 1e-9, t]])
    grid = grid[(grid > start) & (grid <= t)]
    return int(min(np.count_nonzero((entry < s) & (s <= exit)) for s in grid))


def test_no_exits_among_n_gives_the_clopper_pearson_lower_bound() -> None:
    n = 17
    curve = kaplan_meier(np.full(n, 10.0), np.zeros(n, dtype=int))
    [point] = curve.survival_at([5.0])
    lower, upper = proportion_confint(n, n, alpha=0.05, method="beta")
    assert point.survival == 1.0
    assert point.lower == pytest.approx(float(lower), rel=1e-12)
    assert point.upper == float(upper)


def test_everybody_left_gives_the_clopper_pearson_upper_bound_of_the_smallest_risk_set() -> None:
    curve = kaplan_meier([1.0, 1.0, 1.0], [1, 1, 1])
    assert curve.survival == (0.0,)
    lower, upper = proportion_confint(0, 3, alpha=0.05, method="beta")
    assert curve.lower[0] == float(lower)
    assert curve.upper[0] == pytest.approx(float(upper), rel=1e-12)


def test_one_person_has_the_widest_exact_bounds() -> None:
    left = kaplan_meier([2.0], [1])
    assert left.upper[0] == pytest.approx(0.975, rel=1e-12)
    stayed = kaplan_meier([2.0], [0]).survival_at([1.0])[0]
    assert stayed.lower == pytest.approx(0.025, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_the_risk_floor_is_the_brute_force_minimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    entry = np.where(rng.random(40) < 0.5, 0.0, rng.uniform(0, 4, 40))
    exit = entry + rng.exponential(3.0, 40) + 0.01
    points, counts = risk_floor(follow_up(exit, np.zeros(40, dtype=int), entry))
    for t in (0.0, 0.5, 1.0, 2.0, 3.5, 6.0, 20.0):
        assert floor_at(points, counts, [t])[0] == _brute_floor(entry, exit, t), t


def test_the_risk_floor_counts_weights_as_people() -> None:
    plain = risk_floor(follow_up([2.0, 2.0, 3.0], [0, 0, 0], [0.0, 0.0, 1.0]))
    weighted = risk_floor(follow_up([2.0, 3.0], [0, 0], [0.0, 1.0], weights=[2, 1]))
    assert floor_at(*plain, [3.0]).tolist() == floor_at(*weighted, [3.0]).tolist()


def test_under_left_truncation_the_bound_uses_the_smallest_earlier_risk_set() -> None:
    # two people observed from 0, eight from 3; nobody leaves before 5
    entry = np.array([0.0] * 2 + [3.0] * 8)
    exit = np.full(10, 8.0)
    [point] = kaplan_meier(exit, np.zeros(10, dtype=int), entry).survival_at([5.0])
    assert point.survival == 1.0
    assert point.lower == pytest.approx(0.025 ** (1 / 2), rel=1e-12)


def test_nobody_observed_yet_gives_the_whole_range() -> None:
    [point] = kaplan_meier([5.0, 6.0], [0, 1], [3.0, 3.0]).survival_at([2.0])
    assert point.survival == 1.0
    assert (point.lower, point.upper) == (0.0, 1.0)


def test_intervals_inside_zero_and_one_are_unchanged() -> None:
    curve = kaplan_meier([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0])
    assert 0.0 < curve.survival[0] < 1.0
    assert curve.lower[0] < curve.survival[0] < curve.upper[0]


def test_the_array_fit_and_the_result_agree_at_the_boundaries() -> None:
    exit, event = [3.0, 4.0, 4.0, 9.0], [0, 1, 1, 1]
    fit = kaplan_meier_fit(exit, event)
    result = kaplan_meier(exit, event)
    assert fit.survival_at([1.0, 9.0]) == result.survival_at([1.0, 9.0])


def test_a_cause_with_no_exits_has_a_positive_upper_bound() -> None:
    # issue 15: "0 [0, 0] with 670 at risk"
    n = 670
    exit = np.concatenate([np.full(10, 1.0), np.full(n - 10, 5.0)])
    event = np.concatenate([np.ones(10, dtype=int), np.zeros(n - 10, dtype=int)])
    competing = aalen_johansen(exit, event, causes=[1, 2])
    [point] = competing.for_cause(2).incidence_at([3.0])
    assert point.incidence == 0.0
    assert point.upper == pytest.approx(1 - 0.025 ** (1 / (n - 10)), rel=1e-12)
    assert point.lower == 0.0
    assert competing.for_cause(2).upper[0] == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-12)


def test_before_the_first_exit_the_incidence_has_an_exact_upper_bound() -> None:
    competing = aalen_johansen([2.0, 3.0, 4.0], [1, 0, 1])
    [point] = competing.for_cause(1).incidence_at([1.0])
    lower, upper = proportion_confint(0, 3, alpha=0.05, method="beta")
    assert point.incidence == 0.0
    assert point.upper == pytest.approx(float(upper), rel=1e-12)
    assert not math.isnan(point.lower)
