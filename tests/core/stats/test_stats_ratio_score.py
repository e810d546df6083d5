"""The Miettinen–Nurminen score interval for a ratio of two proportions: against statsmodels in
the interior, and at the boundaries (rates of 0 and 1, n = 1) against an independent
implementation — the constrained maximum-likelihood estimate found numerically and the score
equation solved by a grid scan and Brent's method — since statsmodels is not a safe reference
there (issue 15: for 60/60 against 790/800 it returns an interval that excludes 1, or a complex
number)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep

from ristra.core.stats import (
    compare_selection,
    fisher_exact_test,
    four_fifths_analysis,
    score_ratio,
    score_ratio_intervals,
)
from ristra.core.stats.ratios import score_statistic

Z95 = float(stats.norm.isf(0.025))


def _constrained_mle(theta: float, k1: int, n1: int, k0: int, n0: int) -> float:
    """p0 maximising the binomial likelihood under p1 = θ·p0, found numerically (no closed form)."""
    top = min(1.0, 1.0 / theta)

    def minus_log_likelihood(p0: float) -> float:
        p1 = theta * p0
        terms = [(k1, p1), (n1 - k1, 1.0 - p1), (k0, p0), (n0 - k0, 1.0 - p0)]
        return -sum(count * math.log(max(p, 1e-300)) for count, p in terms if count)

    found = optimize.minimize_scalar(minus_log_likelihood, bounds=(1e-15, top * (1 - 1e-15)), method="bounded",
                                     options={"xatol": 1e-15 * top})
    return float(found.x)


def _independent_z(log_theta: float, k1: int, n1: int, k0: int, n0: int) -> float:
    theta = math.exp(log_theta)
    p0 = _constrained_mle(theta, k1, n1, k0, n0)
    p1 = theta * p0
    total = n1 + n0
    variance = (p1 * (1 - p1) / n1 + theta * theta * p0 * (1 - p0) / n0) * total / (total - 1)
    return (k1 / n1 - theta * k0 / n0) / math.sqrt(variance)


def _independent_bounds(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float, int]:
    """Bounds where the independent z crosses ±1.96, and the number of crossings seen on a grid
    (1 per bound when z decreases in θ); 0 or inf where it never crosses in [e^−12, e^12]."""
    grid = np.linspace(-12.0, 12.0, 241)
    out: list[float] = []
    crossings = 0
    for target, missing in ((Z95, 0.0), (-Z95, math.inf)):
        values = np.array([_independent_z(g, k1, n1, k0, n0) - target for g in grid])
        changes = np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
        crossings += len(changes)
        if not len(changes):
            out.append(missing)
            continue
        i = int(changes[0])
        root = optimize.brentq(lambda x, t=target: _independent_z(x, k1, n1, k0, n0) - t, grid[i], grid[i + 1],
                               xtol=1e-13)
        out.append(math.exp(root))
    return out[0], out[1], crossings


BOUNDARY = [(0, 25, 10, 30), (10, 30, 0, 25), (25, 25, 10, 30), (10, 30, 30, 30), (1, 1, 0, 1), (0, 1, 1, 1),
            (1, 1, 1, 1), (60, 60, 790, 800), (790, 800, 60, 60), (548, 627, 6, 6), (6, 6, 548, 627), (1, 1, 5, 9),
            (3, 3, 3, 3), (0, 2, 2, 2), (2, 1000, 998, 1000)]  # the last: statsmodels' lower bound is off by 5e-5


@pytest.mark.parametrize("table", BOUNDARY)
def test_boundary_bounds_match_an_independent_root_finding(table: tuple[int, int, int, int]) -> None:
    ours = score_ratio(*table)
    lower, upper, crossings = _independent_bounds(*table)
    assert crossings == sum(math.isfinite(b) and b > 0 for b in (lower, upper))  # z crosses each bound once
    assert ours.lower == pytest.approx(lower, rel=1e-6)
    assert ours.upper == pytest.approx(upper, rel=1e-6)


@pytest.mark.parametrize("table", [(20, 100, 60, 150), (3, 7, 12, 20), (45, 155, 80, 120), (1, 2, 1, 3),
                                   (200, 1000, 260, 1000), (7, 14, 7, 14), (999, 1000, 5, 1000)])
def test_interior_bounds_match_statsmodels(table: tuple[int, int, int, int]) -> None:
    ours = score_ratio(*table)
    lower, upper = confint_proportions_2indep(*table, compare="ratio", method="score")
    assert ours.lower == pytest.approx(float(lower), rel=1e-9)
    assert ours.upper == pytest.approx(float(upper), rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_random_interior_tables_match_statsmodels(seed: int, confidence: float) -> None:
    rng = np.random.default_rng(seed)
    n1, n0 = rng.integers(2, 400, size=2)
    k1, k0 = int(rng.integers(1, n1)), int(rng.integers(1, n0))
    ours = score_ratio(k1, int(n1), k0, int(n0), confidence)
    lower, upper = confint_proportions_2indep(k1, n1, k0, n0, compare="ratio", method="score", alpha=1 - confidence)
    assert ours.lower == pytest.approx(float(lower), rel=1e-9)
    assert ours.upper == pytest.approx(float(upper), rel=1e-9)


@pytest.mark.parametrize(("table", "lower", "upper"), [((548, 627, 6, 6), 0.846, 1.435),
                                                       ((60, 60, 790, 800), 0.952, 1.023),
                                                       ((790, 800, 60, 60), 0.977, 1.051)])
def test_the_issue_examples_contain_one_as_fishers_test_says(table: tuple[int, int, int, int], lower: float,
                                                             upper: float) -> None:
    k1, n1, k0, n0 = table
    assert fisher_exact_test([[k1, n1 - k1], [k0, n0 - k0]]).p_value == 1.0
    ours = score_ratio(*table)
    assert (round(ours.lower, 3), round(ours.upper, 3)) == (lower, upper)


@pytest.mark.parametrize("seed", range(3))
def test_the_interval_excludes_one_exactly_when_the_score_test_rejects(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for _ in range(200):
        n1, n0 = (int(v) for v in rng.integers(1, 60, size=2))
        k1, k0 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n0 + 1))
        if k1 + k0 == 0 or k1 + k0 == n1 + n0:
            continue
        chi2 = stats.chi2_contingency([[k1, n1 - k1], [k0, n0 - k0]], correction=False).statistic
        score = chi2 * (n1 + n0 - 1) / (n1 + n0)  # the squared score statistic at a ratio of 1
        if abs(score - Z95 ** 2) < 1e-9:
            continue
        r = score_ratio(k1, n1, k0, n0)
        assert (not r.lower <= 1.0 <= r.upper) == (score > Z95 ** 2), (k1, n1, k0, n0)


def test_swapping_the_groups_inverts_the_interval() -> None:
    for table in BOUNDARY:
        k1, n1, k0, n0 = table
        a, b = score_ratio(k1, n1, k0, n0), score_ratio(k0, n0, k1, n1)
        assert a.lower == pytest.approx(1 / b.upper if b.upper else math.inf, rel=1e-12)


def test_zero_rates_give_exact_zero_and_infinite_bounds() -> None:
    zero = score_ratio(0, 25, 10, 30)
    assert zero.ratio == 0.0
    assert zero.lower == 0.0
    infinite = score_ratio(10, 30, 0, 25)
    assert infinite.ratio == math.inf
    assert infinite.upper == math.inf
    assert infinite.note is not None


@pytest.mark.parametrize("table", [(0, 0, 3, 4), (3, 4, 0, 0), (0, 0, 0, 0), (0, 3, 0, 4)])
def test_empty_groups_and_both_rates_zero_are_undefined_with_the_whole_range(table: tuple[int, int, int, int]) -> None:
    r = score_ratio(*table)
    assert math.isnan(r.ratio)
    assert (r.lower, r.upper) == (0.0, math.inf)
    assert r.note is not None


def test_the_vectorised_intervals_are_the_scalar_ones() -> None:
    arr = np.array(BOUNDARY + [(0, 0, 3, 4)], dtype=float)
    many = score_ratio_intervals(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    for i, table in enumerate(BOUNDARY):
        one = score_ratio(*table)
        assert (many.lower[i], many.upper[i]) == (one.lower, one.upper)


def test_the_score_statistic_is_zero_at_the_observed_ratio_and_at_equal_rates() -> None:
    assert float(score_statistic(0.5, 20, 100, 60, 150)) == pytest.approx(0.0, abs=1e-12)
    assert float(score_statistic(1.0, 5, 5, 5, 5)) == 0.0


def test_bad_counts_raise() -> None:
    with pytest.raises(ValueError):
        score_ratio(5, 4, 1, 2)
    with pytest.raises(ValueError):
        score_ratio(1, 2, 1, 2, confidence=1.0)


def test_impact_ratios_use_the_score_interval() -> None:
    c = compare_selection(548, 627, 6, 6)
    assert c.rate_ratio.method == "miettinen_nurminen"
    assert c.rate_ratio.lower < 1.0 < c.rate_ratio.upper
    analysis = four_fifths_analysis({"yes": (548, 627), "no": (6, 6)}, min_reference_size=0)
    assert analysis.groups[0].comparison.rate_ratio == score_ratio(548, 627, 6, 6)
