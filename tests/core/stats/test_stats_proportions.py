"""Proportions, representation ratios and trends against statsmodels on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import Table, Table2x2
from statsmodels.stats.proportion import proportion_confint

from ristra.core.stats import (
    clopper_pearson_intervals,
    cochran_armitage,
    katz_ratio,
    proportion,
    representation_ratio_fixed,
    representation_ratio_sampled,
    score_ratio,
    wilson_intervals,
)

REL = 1e-9
ABS = 1e-12
GRID = [(k, n) for n in (1, 2, 3, 5, 10, 29, 30, 57, 100, 1000, 12345) for k in sorted({0, 1, 2, n // 3, n // 2, n - 1, n})
        if 0 <= k <= n]


def close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=REL, abs=ABS)


# --- Wilson and Clopper–Pearson against statsmodels -------------------------------------------

@pytest.mark.parametrize(("k", "n"), GRID)
@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.99])
def test_wilson_matches_statsmodels(k: int, n: int, confidence: float) -> None:
    lower, upper = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    ours = proportion(k, n, confidence)
    assert close(ours.lower, lower)
    assert close(ours.upper, upper)
    assert ours.method == "wilson"
    assert ours.share == k / n


@pytest.mark.parametrize(("k", "n"), GRID)
@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_clopper_pearson_matches_statsmodels(k: int, n: int, confidence: float) -> None:
    lower, upper = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    ours = proportion(k, n, confidence, method="clopper_pearson")
    assert close(ours.lower, lower)
    assert close(ours.upper, upper)


def test_vectorised_intervals_match_scalar_ones() -> None:
    k = np.array([k for k, _ in GRID])
    n = np.array([n for _, n in GRID])
    wl, wu = proportion_confint(k, n, method="wilson")
    cl, cu = proportion_confint(k, n, method="beta")
    wilson = wilson_intervals(k, n)
    exact = clopper_pearson_intervals(k, n)
    np.testing.assert_allclose(wilson.lower, wl, rtol=REL, atol=ABS)
    np.testing.assert_allclose(wilson.upper, wu, rtol=REL, atol=ABS)
    np.testing.assert_allclose(exact.lower, cl, rtol=REL, atol=ABS)
    np.testing.assert_allclose(exact.upper, cu, rtol=REL, atol=ABS)


@pytest.mark.parametrize(("k", "n", "lower", "upper"), [
    # R. G. Newcombe, Stat. Med. 17 (1998) 857-872, Table I, method 4 (score with continuity correction)
    (81, 263, 0.2535, 0.3682),
    (15, 148, 0.0598, 0.1644),
    (0, 20, 0.0, 0.2005),
    (1, 29, 0.0018, 0.1963),
])
def test_wilson_continuity_corrected_matches_newcombe_table(k: int, n: int, lower: float, upper: float) -> None:
    ours = proportion(k, n, method="wilson_cc")
    assert ours.lower == pytest.approx(lower, abs=5e-5)
    assert ours.upper == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(k, n) for k, n in GRID if 0 < k < n and n >= 2])
def test_wilson_continuity_corrected_inverts_the_corrected_score_test(k: int, n: int) -> None:
    z = stats.norm.isf(0.025)
    p = k / n
    ours = proportion(k, n, method="wilson_cc")
    for bound in (ours.lower, ours.upper):
        if bound in (0.0, 1.0):
            continue
        # the bound solves (|p - b| - 1/(2n))^2 = z^2 b (1 - b) / n
        assert (abs(p - bound) - 1 / (2 * n)) ** 2 == pytest.approx(z * z * bound * (1 - bound) / n, rel=1e-9)


# --- edge cases and flags ----------------------------------------------------------------------

def test_empty_group_is_a_value_not_an_error() -> None:
    for method in ("wilson", "wilson_cc", "clopper_pearson"):
        p = proportion(0, 0, method=method)
        assert math.isnan(p.share)
        assert (p.lower, p.upper) == (0.0, 1.0)
        assert p.small_number


def test_nobody_and_everybody_passed() -> None:
    none, everyone = proportion(0, 50), proportion(50, 50)
    assert (none.share, none.lower) == (0.0, 0.0)
    assert none.upper > 0
    assert (everyone.share, everyone.upper) == (1.0, 1.0)
    assert everyone.lower < 1
    assert none.small_number
    assert everyone.small_number  # fewer than 5 of one outcome


def test_one_person() -> None:
    p = proportion(1, 1)
    assert p.share == 1.0
    assert p.upper == 1.0
    assert 0 < p.lower < 1
    assert p.small_number


@pytest.mark.parametrize(("k", "n", "flag"), [(10, 29, True), (10, 30, False), (4, 100, True), (96, 100, True),
                                              (5, 100, False), (95, 100, False)])
def test_small_number_flag(k: int, n: int, flag: bool) -> None:
    assert proportion(k, n).small_number is flag


def test_small_number_threshold_is_configurable() -> None:
    assert proportion(10, 40, small_number_threshold=50).small_number
    assert not proportion(10, 40, small_number_threshold=20).small_number


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (1.5, 5), (1, -2)])
def test_impossible_counts_raise(k: float, n: int) -> None:
    with pytest.raises(ValueError):
        proportion(k, n)


def test_bad_confidence_and_method_raise() -> None:
    with pytest.raises(ValueError):
        proportion(1, 2, confidence=1.0)
    with pytest.raises(ValueError):
        proportion(1, 2, method="wald")


def test_result_is_a_frozen_value_with_to_dict() -> None:
    p = proportion(3, 10)
    assert p.to_dict()["k"] == 3
    assert set(p.to_dict()) >= {"share", "lower", "upper", "small_number"}
    with pytest.raises(AttributeError):
        p.k = 4


counts = st.integers(min_value=0, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))


@settings(max_examples=300, deadline=None)
@given(counts, st.sampled_from(["wilson", "wilson_cc", "clopper_pearson"]), st.floats(0.5, 0.999))
def test_interval_contains_estimate_and_lies_in_unit_interval(kn: tuple[int, int], method: str,
                                                              confidence: float) -> None:
    k, n = kn
    p = proportion(k, n, confidence, method)
    assert 0.0 <= p.lower <= p.upper <= 1.0
    if n:
        assert p.lower <= p.share <= p.upper


@settings(max_examples=200, deadline=None)
@given(counts)
def test_wider_confidence_gives_wider_interval(kn: tuple[int, int]) -> None:
    narrow, wide = proportion(*kn, confidence=0.9), proportion(*kn, confidence=0.99)
    assert wide.lower <= narrow.lower + 1e-15
    assert wide.upper >= narrow.upper - 1e-15


# --- representation ratios ---------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "ref"), [(40, 200, 0.49), (0, 12, 0.1), (12, 12, 0.5), (3, 1000, 0.02)])
def test_fixed_reference_ratio_is_the_interval_divided_by_the_benchmark(k: int, n: int, ref: float) -> None:
    lower, upper = proportion_confint(k, n, method="wilson")
    r = representation_ratio_fixed(k, n, ref)
    assert close(r.ratio, (k / n) / ref)
    assert close(r.estimate.lower, lower / ref)
    assert close(r.estimate.upper, upper / ref)
    assert r.reference is None
    assert r.reference_share == ref
    assert r.estimate.method == "fixed_reference"


def test_fixed_reference_with_clopper_pearson_and_empty_group() -> None:
    lower, upper = proportion_confint(7, 40, method="beta")
    r = representation_ratio_fixed(7, 40, 0.25, method="clopper_pearson")
    assert close(r.estimate.lower, lower / 0.25)
    assert close(r.estimate.upper, upper / 0.25)
    empty = representation_ratio_fixed(0, 0, 0.25)
    assert math.isnan(empty.ratio)
    assert (empty.estimate.lower, empty.estimate.upper) == (0.0, 4.0)
    assert empty.estimate.note


@pytest.mark.parametrize("ref", [0.0, -0.1, 1.5, math.nan])
def test_fixed_reference_must_be_a_share(ref: float) -> None:
    with pytest.raises(ValueError):
        representation_ratio_fixed(1, 10, ref)


@pytest.mark.parametrize(("k1", "n1", "k0", "n0"), [(30, 100, 45, 120), (1, 7, 9, 10), (250, 4000, 300, 9000),
                                                    (5, 5, 3, 9)])
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_katz_interval_matches_statsmodels_risk_ratio(k1: int, n1: int, k0: int, n0: int,
                                                      confidence: float) -> None:
    table = Table2x2(np.array([[k1, n1 - k1], [k0, n0 - k0]]), shift_zeros=False)
    lower, upper = table.riskratio_confint(alpha=1 - confidence)
    ours = katz_ratio(k1, n1, k0, n0, confidence)
    assert close(ours.ratio, table.riskratio)
    assert close(ours.lower, lower)
    assert close(ours.upper, upper)
    assert not ours.zero_corrected
    assert ours.note is None


def test_katz_zeros_use_the_half_corrected_table_for_the_finite_bound() -> None:
    corrected = Table2x2(np.array([[0.5, 20.5], [10.5, 10.5]]), shift_zeros=False)
    zero_num = katz_ratio(0, 20, 10, 20)
    assert (zero_num.ratio, zero_num.lower) == (0.0, 0.0)
    assert zero_num.zero_corrected
    assert close(zero_num.upper, corrected.riskratio_confint()[1])
    corrected = Table2x2(np.array([[10.5, 10.5], [0.5, 20.5]]), shift_zeros=False)
    zero_den = katz_ratio(10, 20, 0, 20)
    assert (zero_den.ratio, zero_den.upper) == (math.inf, math.inf)
    assert close(zero_den.lower, corrected.riskratio_confint()[0])


@pytest.mark.parametrize(("k1", "n1", "k0", "n0"), [(0, 0, 3, 10), (3, 10, 0, 0), (0, 10, 0, 12)])
def test_katz_undefined_ratios_are_wide_not_errors(k1: int, n1: int, k0: int, n0: int) -> None:
    r = katz_ratio(k1, n1, k0, n0)
    assert math.isnan(r.ratio)
    assert (r.lower, r.upper) == (0.0, math.inf)
    assert r.note


def test_sampled_representation_ratio_carries_both_proportions() -> None:
    r = representation_ratio_sampled(30, 100, 450, 1200)
    assert r.group.k == 30
    assert r.reference is not None
    assert r.reference.n == 1200
    assert r.reference_share == 450 / 1200
    assert close(r.ratio, 0.3 / 0.375)
    assert r.estimate == score_ratio(30, 100, 450, 1200)
    assert r.to_dict()["estimate"]["method"] == "miettinen_nurminen"
    katz = representation_ratio_sampled(30, 100, 450, 1200, method="katz_log")
    assert katz.estimate == katz_ratio(30, 100, 450, 1200)
    with pytest.raises(ValueError):
        representation_ratio_sampled(30, 100, 450, 1200, method="wald")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_katz_interval_always_contains_the_ratio(a: tuple[int, int], b: tuple[int, int]) -> None:
    r = katz_ratio(*a, *b)
    assert 0.0 <= r.lower <= r.upper
    if not math.isnan(r.ratio):
        assert r.lower <= r.ratio * (1 + 1e-12)
        assert r.ratio <= r.upper * (1 + 1e-12)


# --- trend (Cochran–Armitage) ------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "scores"), [
    ([5, 8, 12, 15], [50, 52, 49, 55], None),
    ([30, 28, 25, 20, 18], [100, 110, 95, 102, 98], [2019, 2020, 2021, 2023, 2024]),
    ([1, 0, 3], [10, 12, 9], None),
])
def test_cochran_armitage_matches_statsmodels_linear_by_linear(k: list[int], n: list[int],
                                                                scores: list[float] | None) -> None:
    x = np.arange(len(k), dtype=float) if scores is None else np.asarray(scores, dtype=float)
    table = Table(np.column_stack([k, np.subtract(n, k)]), shift_zeros=False)
    reference = table.test_ordinal_association(row_scores=x, col_scores=np.array([1.0, 0.0]))
    total = sum(n)
    ours = cochran_armitage(k, n, scores)
    # Cochran–Armitage divides by N where the linear-by-linear statistic divides by N − 1.
    assert close(ours.z, reference.zscore * math.sqrt(total / (total - 1)))
    assert close(ours.p_value, 2 * stats.norm.sf(abs(ours.z)))
    slope = np.polyfit(x, np.divide(k, n), 1, w=np.sqrt(n))[0]
    assert close(ours.slope, slope)


def test_cochran_armitage_undefined_cases() -> None:
    assert cochran_armitage([1], [10]).note
    assert cochran_armitage([0, 0, 0], [10, 10, 10]).note
    assert cochran_armitage([1, 0], [10, 0]).note  # only one group with people
    assert math.isnan(cochran_armitage([0, 0], [0, 0]).p_value)
    with pytest.raises(ValueError):
        cochran_armitage([1, 2], [10])


def test_one_share_has_the_bounds_of_the_vectorised_wilson_bit_for_bit() -> None:
    """``proportion`` computes one Wilson interval in plain floats; the bounds are exactly those
    of :func:`wilson_intervals` (the same operations in the same order)."""
    import numpy as np

    from ristra.core.stats.proportions import wilson_intervals

    rng = np.random.default_rng(11)
    n = np.concatenate([np.arange(0, 60), rng.integers(1, 10_000_000, 3000)])
    k = np.array([int(rng.integers(0, v + 1)) for v in n])
    k[:60] = np.minimum(k[:60], n[:60])
    for confidence in (0.9, 0.95, 0.99):
        arrays = wilson_intervals(k, n, confidence)
        for i in range(n.size):
            one = proportion(int(k[i]), int(n[i]), confidence)
            assert (one.lower, one.upper) == (float(arrays.lower[i]), float(arrays.upper[i]))
