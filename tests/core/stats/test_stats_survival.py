"""Kaplan–Meier, log-rank and Aalen–Johansen against lifelines (and a hand computation for the
left-truncated log-rank test, which lifelines does not offer)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test as lifelines_logrank
from lifelines.statistics import multivariate_logrank_test
from numpy.typing import NDArray

from ristra.core.stats import aalen_johansen, kaplan_meier, kaplan_meier_by_group, logrank_test
from ristra.core.stats.survival.competing_risks import aalen_johansen_fit
from ristra.core.stats.survival.kaplan_meier import kaplan_meier_fit

REL = 1e-9
Arrays = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]


def staff(seed: int, n: int = 200, truncated: bool = False, causes: int = 1, whole_years: bool = False) -> Arrays:
    """Synthetic faculty: entry (years since hire at the window start), exit, exit reason."""
    rng = np.random.default_rng(seed)
    entry = np.where(rng.random(n) < 0.35, 0.0, rng.uniform(0, 6, n)) if truncated else np.zeros(n)
    exit = entry + rng.exponential(7, n)
    censor = rng.uniform(1, 15, n)
    event = np.where(exit <= censor, rng.integers(1, causes + 1, n), 0)
    exit = np.minimum(exit, np.maximum(censor, entry + 0.01))
    if whole_years:
        exit = np.ceil(exit)
    return entry, exit, event.astype(np.int64)


def assert_close(ours: NDArray[np.float64], reference: NDArray[np.float64], rel: float = REL) -> None:
    np.testing.assert_allclose(ours, reference, rtol=rel, atol=1e-12)


def evaluate(curve_times: tuple[float, ...], values: tuple[float, ...], at: NDArray[np.float64],
             before: float) -> NDArray[np.float64]:
    index = np.searchsorted(np.asarray(curve_times), at, side="right") - 1
    return np.where(index < 0, before, np.asarray(values)[np.maximum(index, 0)])


# --- Kaplan–Meier ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("truncated", "whole_years"), [(False, False), (False, True), (True, False)])
def test_kaplan_meier_matches_lifelines(seed: int, truncated: bool, whole_years: bool) -> None:
    entry, exit, event = staff(seed, truncated=truncated, whole_years=whole_years)
    reference = KaplanMeierFitter().fit(exit, event > 0, entry=entry if truncated else None)
    ours = kaplan_meier(exit, event, entry if truncated else None)
    timeline = reference.survival_function_.index.to_numpy()
    points = ours.survival_at(timeline)
    survival = np.array([p.survival for p in points])
    assert_close(survival, reference.survival_function_.to_numpy().ravel())
    # lifelines reports (1, 1) where the estimate is 1 or 0; we report exact bounds there
    positive = (survival > 0) & (survival < 1)
    ci = reference.confidence_interval_.to_numpy()
    assert_close(np.array([p.lower for p in points])[positive], ci[positive, 0])
    assert_close(np.array([p.upper for p in points])[positive], ci[positive, 1])
    variance = evaluate(ours.times, ours.variance, timeline, 0.0)
    assert_close(variance, survival**2 * reference._cumulative_sq_.to_numpy())
    assert ours.median == reference.median_survival_time_
    assert ours.left_truncated is truncated
    assert ours.n_subjects == exit.size
    assert ours.n_events == int(np.count_nonzero(event))


def test_plain_interval_is_greenwood_and_clipped() -> None:
    entry, exit, event = staff(7)
    ours = kaplan_meier(exit, event, interval="plain", confidence=0.9)
    reference = KaplanMeierFitter().fit(exit, event > 0)
    timeline = np.asarray(ours.times)
    greenwood = reference._cumulative_sq_.reindex(timeline).to_numpy()
    survival = np.asarray(ours.survival)
    half = 1.6448536269514722 * survival * np.sqrt(greenwood)
    assert_close(np.asarray(ours.lower), np.clip(survival - half, 0, 1))
    assert_close(np.asarray(ours.upper), np.clip(survival + half, 0, 1))


def test_kaplan_meier_with_left_truncation_by_hand() -> None:
    entry, exit, event, _ = hand_example()
    ours = kaplan_meier(exit, event, entry)
    assert ours.times == (2.0, 4.0, 6.0)
    assert ours.at_risk == (3, 4, 1)
    assert ours.events == (1, 2, 1)
    assert_close(np.asarray(ours.survival), np.array([2 / 3, 1 / 3, 0.0]))
    assert ours.lower[-1] == 0.0
    assert ours.median == 4.0
    # Ŝ = 0 at t = 6: the smallest risk set up to then is 1 (after t = 5), so the upper bound is 1 − 0.025
    assert ours.upper[-1] == pytest.approx(0.975, rel=1e-12)
    assert ours.survival_at([1.0, 3.0, 7.0])[1].survival == pytest.approx(2 / 3)
    assert math.isnan(ours.survival_at([7.0])[0].survival)


def test_survival_at_three_and_five_years() -> None:
    entry, exit, event = staff(3, truncated=True)
    ours = kaplan_meier(exit, event, entry)
    reference = KaplanMeierFitter().fit(exit, event > 0, entry=entry)
    three, five = ours.survival_at([3.0, 5.0])
    assert three.survival == pytest.approx(float(reference.predict(3.0)), rel=REL)
    assert five.survival == pytest.approx(float(reference.predict(5.0)), rel=REL)
    assert three.lower < three.survival < three.upper
    assert five.survival <= three.survival


def test_kaplan_meier_edge_cases() -> None:
    empty = kaplan_meier([], [])
    assert empty.times == ()
    assert math.isnan(empty.median)
    assert math.isnan(empty.survival_at([1.0])[0].survival)
    censored = kaplan_meier([1.0, 2.0, 3.0], [0, 0, 0])
    assert censored.times == ()
    assert censored.median == math.inf
    assert censored.survival_at([2.5])[0].survival == 1.0
    one = kaplan_meier([4.0], [1])
    assert one.survival == (0.0,)
    assert one.median == 4.0
    assert one.survival_at([3.0])[0].survival == 1.0
    left = kaplan_meier([4.0], [0], entry=[2.0])
    assert left.times == ()
    assert left.survival_at([3.0])[0].survival == 1.0
    assert kaplan_meier([1.0, 2.0], [1, 2]).to_dict()["n_events"] == 2


@pytest.mark.parametrize(("exit", "event", "entry"), [
    ([1.0, 2.0], [1], None),
    ([1.0, math.nan], [1, 0], None),
    ([1.0, 2.0], [1, -1], None),
    ([1.0, 2.0], [1, 0.5], None),
    ([1.0, 2.0], [1, 0], [0.0, 2.0]),  # entry == exit: no time at risk
    ([1.0, 2.0], [1, 0], [0.0, 3.0]),
])
def test_malformed_follow_up_raises(exit: list[float], event: list[float], entry: list[float] | None) -> None:
    with pytest.raises(ValueError):
        kaplan_meier(exit, event, entry)
    with pytest.raises(ValueError):
        kaplan_meier([1.0], [1], interval="linear")


def test_kaplan_meier_by_group() -> None:
    entry, exit, event = staff(5, truncated=True)
    groups = np.where(np.arange(exit.size) % 3 == 0, "women", "men")
    curves = kaplan_meier_by_group(exit, event, groups, entry)
    assert list(curves) == ["men", "women"]
    women = groups == "women"
    assert curves["women"] == kaplan_meier(exit[women], event[women], entry[women])


times = st.integers(0, 20).map(float)


@st.composite
def follow_ups(draw: st.DrawFn) -> Arrays:
    n = draw(st.integers(1, 40))
    entry = np.array(draw(st.lists(times, min_size=n, max_size=n)))
    length = np.array(draw(st.lists(st.integers(1, 15).map(float), min_size=n, max_size=n)))
    event = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
    return entry, entry + length, event


@settings(max_examples=150, deadline=None)
@given(follow_ups())
def test_kaplan_meier_properties(data: Arrays) -> None:
    entry, exit, event = data
    for curve in (kaplan_meier(exit, event, entry), kaplan_meier(exit, event, entry, interval="plain")):
        s = np.asarray(curve.survival)
        assert np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 0)
        assert np.all(np.asarray(curve.lower) <= s + 1e-12)
        assert np.all(s <= np.asarray(curve.upper) + 1e-12)
        assert np.all((np.asarray(curve.lower) >= 0) & (np.asarray(curve.upper) <= 1))
        assert np.all(np.asarray(curve.at_risk) >= np.asarray(curve.events))


# --- log-rank ----------------------------------------------------------------------------------

def hand_example() -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.str_]]:
    """Two groups, three people each, some hired before the window (entry > 0)."""
    entry = np.array([0.0, 1.0, 3.0, 0.0, 2.5, 0.5])
    exit = np.array([2.0, 4.0, 5.0, 1.5, 6.0, 4.0])
    event = np.array([1, 1, 0, 0, 1, 1])
    groups = np.array(["A", "A", "A", "B", "B", "B"])
    return entry, exit, event, groups


def test_logrank_with_left_truncation_by_hand() -> None:
    # t = 2: at risk A 2, B 1 (d = 1, in A);  t = 4: A 2, B 2 (d = 2, one each);  t = 6: B 1 (d = 1).
    # E_A = 2/3 + 1 = 5/3, O_A = 2;  V = 1·2/2·(2/3)(1/3) + 2·2/3·(1/2)(1/2) + 0 = 5/9;  X² = (1/3)² / (5/9) = 1/5.
    entry, exit, event, groups = hand_example()
    ours = logrank_test(exit, event, groups, entry)
    assert ours.groups == ("A", "B")
    assert ours.left_truncated
    assert ours.observed == (2.0, 2.0)
    assert_close(np.asarray(ours.expected), np.array([5 / 3, 7 / 3]))
    assert ours.statistic == pytest.approx(0.2, rel=REL)
    assert ours.dof == 1
    assert ours.p_value == pytest.approx(0.6547208460185769, rel=1e-9)
    untruncated = logrank_test(exit, event, groups)
    assert untruncated.statistic != pytest.approx(0.2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("whole_years", [False, True])
def test_logrank_two_groups_matches_lifelines(seed: int, whole_years: bool) -> None:
    _, exit, event = staff(seed, whole_years=whole_years)
    groups = np.random.default_rng(seed + 100).choice(["men", "women"], exit.size)
    men, women = groups == "men", groups == "women"
    reference = lifelines_logrank(exit[men], exit[women], event[men] > 0, event[women] > 0)
    ours = logrank_test(exit, event, groups)
    assert ours.statistic == pytest.approx(reference.test_statistic, rel=REL)
    assert ours.p_value == pytest.approx(reference.p_value, rel=REL)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [3, 5])
def test_logrank_k_groups_matches_lifelines(seed: int, k: int) -> None:
    _, exit, event = staff(seed, n=300, whole_years=seed % 2 == 0)
    rng = np.random.default_rng(seed + 7)
    groups = rng.integers(0, k, exit.size)
    exit = exit * (1 + 0.3 * groups)  # some real differences
    reference = multivariate_logrank_test(exit, groups, event > 0)
    ours = logrank_test(exit, event, groups)
    assert ours.statistic == pytest.approx(reference.test_statistic, rel=REL)
    assert ours.p_value == pytest.approx(reference.p_value, rel=REL)
    assert ours.dof == k - 1 == reference.degrees_of_freedom
    assert sum(ours.observed) == pytest.approx(sum(ours.expected), rel=REL)


@settings(max_examples=60, deadline=None)
@given(follow_ups(), st.lists(st.sampled_from("abc"), min_size=40, max_size=40))
def test_logrank_with_entries_all_zero_equals_the_untruncated_test(data: Arrays, labels: list[str]) -> None:
    _, length, event = data
    groups = np.array(labels[: length.size])
    truncated = logrank_test(length, event, groups, np.zeros(length.size))
    plain = logrank_test(length, event, groups)
    assert truncated.statistic == pytest.approx(plain.statistic, rel=REL, nan_ok=True)
    assert truncated.expected == pytest.approx(plain.expected, rel=REL)


def test_logrank_edge_cases() -> None:
    one_group = logrank_test([1.0, 2.0, 3.0], [1, 0, 1], ["a", "a", "a"])
    assert math.isnan(one_group.statistic)
    assert one_group.note
    assert one_group.dof == 0
    all_censored = logrank_test([1.0, 2.0, 3.0], [0, 0, 0], ["a", "b", "a"])
    assert math.isnan(all_censored.p_value)
    assert all_censored.note
    empty = logrank_test([], [], [])
    assert empty.groups == ()
    assert math.isnan(empty.statistic)
    # group c has nobody at risk when anyone exits: the covariance loses a rank
    late = logrank_test([1.0, 2.0, 3.0, 9.0], [1, 1, 0, 0], ["a", "b", "a", "c"], [0.0, 0.0, 0.0, 5.0])
    assert late.dof == 1
    assert late.note is not None
    with pytest.raises(ValueError):
        logrank_test([1.0, 2.0], [1, 1], ["a"])


# --- Aalen–Johansen ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("truncated", [False, True])
def test_aalen_johansen_matches_lifelines(seed: int, truncated: bool) -> None:
    entry, exit, event = staff(seed, n=150, truncated=truncated, causes=3)
    ours = aalen_johansen(exit, event, entry if truncated else None)
    assert ours.causes == (1, 2, 3)
    for cause in ours.causes:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ties, so no jitter: the data are compared as they are
            reference = AalenJohansenFitter(calculate_variance=True).fit(
                exit, event, event_of_interest=cause, entry=entry if truncated else None)
        curve = ours.for_cause(cause)
        timeline = reference.cumulative_density_.index.to_numpy()
        points = curve.incidence_at(timeline)
        incidence = np.array([p.incidence for p in points])
        assert_close(incidence, reference.cumulative_density_.to_numpy().ravel())
        assert_close(evaluate(curve.times, curve.variance, timeline, 0.0), reference.variance_.to_numpy())
        positive = incidence > 0
        # lifelines 0.30 labels its columns (upper, lower) but the first holds the smaller value
        ci = np.sort(reference.confidence_interval_.to_numpy(), axis=1)
        assert_close(np.array([p.lower for p in points])[positive], ci[positive, 0])
        assert_close(np.array([p.upper for p in points])[positive], ci[positive, 1])
        assert curve.n_events == int(np.count_nonzero(event == cause))


def test_aalen_johansen_handles_ties_between_causes_exactly() -> None:
    # Four people, exits at whole years with a tie between causes at t = 2.
    ours = aalen_johansen([1.0, 2.0, 2.0, 3.0], [1, 1, 2, 0])
    one, two = ours.for_cause(1), ours.for_cause(2)
    assert one.times == (1.0, 2.0)
    assert_close(np.asarray(one.incidence), np.array([0.25, 0.5]))
    assert_close(np.asarray(two.incidence), np.array([0.0, 0.25]))
    assert_close(np.asarray(ours.survival.survival), np.array([0.75, 0.25]))


@settings(max_examples=100, deadline=None)
@given(follow_ups())
def test_aalen_johansen_properties(data: Arrays) -> None:
    entry, exit, event = data
    result = aalen_johansen(exit, event, entry)
    total = np.asarray(result.survival.survival).copy()
    for curve in result.incidence:
        f = np.asarray(curve.incidence)
        assert np.all(np.diff(f) >= -1e-12)
        assert np.all((f >= 0) & (f <= 1 + 1e-12))
        assert np.all(np.asarray(curve.lower) <= f + 1e-12)
        assert np.all(f <= np.asarray(curve.upper) + 1e-12)
        total = total + f
    assert_close(total, np.ones_like(total))


def test_aalen_johansen_edge_cases() -> None:
    assert aalen_johansen([], []).causes == ()
    censored = aalen_johansen([1.0, 2.0], [0, 0], causes=[1])
    assert censored.for_cause(1).incidence == ()
    assert censored.for_cause(1).incidence_at([1.5])[0].incidence == 0.0
    with pytest.raises(KeyError):
        censored.for_cause(2)
    one = aalen_johansen([3.0], [2])
    assert one.for_cause(2).incidence == (1.0,)
    assert one.for_cause(2).upper == (1.0,)
    assert math.isnan(one.for_cause(2).incidence_at([4.0])[0].incidence)
    assert one.to_dict()["causes"] == (2,)


def test_fits_held_as_arrays_give_the_results_points() -> None:
    """``aalen_johansen_fit`` / ``kaplan_meier_fit`` (arrays, for a few points) report exactly
    the points of ``aalen_johansen`` / ``kaplan_meier`` (tuples), at any time asked."""
    entry, exit, event = staff(21, n=400, truncated=True, causes=3)
    weights = np.random.default_rng(5).integers(1, 4, exit.size).astype(np.float64)
    result = aalen_johansen(exit, event, entry, 0.9, [1, 2, 3, 4], weights=weights)
    fit = aalen_johansen_fit(exit, event, entry, 0.9, [1, 2, 3, 4], weights=weights)
    assert fit.result() == result
    km = result.survival
    asked = [-1.0, 0.0, km.times[0], km.times[3], (km.times[3] + km.times[4]) / 2, 3.0, 5.0, km.last_time,
             km.last_time + 1.0, math.nan]
    assert repr(fit.survival.survival_at(asked)) == repr(km.survival_at(asked))
    for row, curve in enumerate(result.incidence):
        assert repr(fit.incidence_at(row, asked)) == repr(curve.incidence_at(asked))
        assert fit.n_events[row] == curve.n_events
    for t in asked[:-1]:
        assert fit.survival.events_to(t) == sum(e for s, e in zip(km.times, km.events, strict=True) if s <= t)
    alone = kaplan_meier_fit(exit, event > 0, entry, 0.9, weights=weights)
    assert alone.result() == kaplan_meier(exit, event > 0, entry, 0.9, weights=weights) == km
    assert repr(alone.survival_at(asked)) == repr(km.survival_at(asked))


@pytest.mark.parametrize("weighted", [False, True])
def test_estimates_do_not_depend_on_the_order_of_the_records(weighted: bool) -> None:
    """Sorted records take shortcuts (no sorting); shuffled ones do not; both give the same bits."""
    entry, exit, event = staff(22, n=500, truncated=True, causes=2, whole_years=True)
    weights = np.random.default_rng(6).integers(1, 5, exit.size).astype(np.float64) if weighted else None
    order = np.lexsort((entry, exit))
    shuffled = np.random.default_rng(7).permutation(exit.size)
    fits = [aalen_johansen(exit[i], event[i], entry[i], weights=None if weights is None else weights[i])
            for i in (order, shuffled)]
    assert repr(fits[0]) == repr(fits[1])
    # the log-rank test with labels in runs (sorted by label) and scattered
    labels = np.where(np.arange(exit.size) % 3 == 0, "a", "b")
    by_label = np.argsort(labels, kind="stable")
    tests = [logrank_test(exit[i], event[i] > 0, labels[i], entry[i], weights=None if weights is None else weights[i])
             for i in (by_label, np.arange(exit.size))]
    assert repr(tests[0]) == repr(tests[1])


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_aalen_johansen_up_to_a_time_keeps_every_value_there(seed: int) -> None:
    """Curves computed only up to a time hold, at and before it, exactly the whole curves' values
    (each is a sum over earlier times); event counts and the all-cause curve are unchanged."""
    rng = np.random.default_rng(seed)
    n = 400
    entry = rng.uniform(0, 3, n)
    exit = entry + rng.exponential(4, n) + 0.01
    event = rng.choice([0, 1, 2, 3], n)
    weights = rng.integers(1, 4, n).astype(float)
    whole = aalen_johansen_fit(exit, event, entry, 0.95, (1, 2, 3), weights)
    part = aalen_johansen_fit(exit, event, entry, 0.95, (1, 2, 3), weights, up_to=5.0)
    asked = [0.5, 1.0, 3.0, 4.99, 5.0]
    for row in range(3):
        assert part.incidence_at(row, asked) == whole.incidence_at(row, asked)
    assert part.n_events == whole.n_events
    assert part.times.size < whole.times.size
    assert part.survival.survival_at([3.0, 8.0]) == whole.survival.survival_at([3.0, 8.0])
    with pytest.raises(ValueError, match="up to time 5.0"):
        part.incidence_at(0, [6.0])
    with pytest.raises(ValueError, match="up to a time"):
        part.result()


@pytest.mark.parametrize(("seed", "weighted"), [(7, False), (8, True), (9, True)])
def test_logrank_by_group_is_the_test_of_the_concatenated_records(seed: int, weighted: bool) -> None:
    """Given group by group (in any order), the records give the very same test, value for value."""
    from ristra.core.stats.survival.logrank import logrank_test_by_group

    rng = np.random.default_rng(seed)
    groups = {}
    for label in ("women", "men", "unknown"):
        entry, exit, event = staff(int(rng.integers(1000)), n=150, truncated=True, causes=2)
        weights = rng.integers(1, 5, exit.size).astype(float) if weighted else None
        groups[label] = (exit, event, entry, weights)
    together = logrank_test(np.concatenate([g[0] for g in groups.values()]),
                            np.concatenate([g[1] for g in groups.values()]),
                            np.concatenate([np.full(g[0].size, label) for label, g in groups.items()]),
                            np.concatenate([g[2] for g in groups.values()]),
                            np.concatenate([g[3] for g in groups.values()]) if weighted else None)
    apart = logrank_test_by_group(groups)
    assert apart == together
    assert apart.groups == ("men", "unknown", "women")
    assert not math.isnan(apart.statistic)
    with pytest.raises(ValueError, match="entry times for every group"):
        logrank_test_by_group({"a": (np.ones(3), np.ones(3), None, None), "b": (np.ones(3), np.ones(3), np.zeros(3), None)})
