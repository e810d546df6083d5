"""Comparisons across strata of 2×2 tables (issue 15, item 7): the Mantel–Fleiss criterion, the
exact conditional test of a common odds ratio and the Breslow–Day test with Tarone's correction —
against SciPy (one stratum), statsmodels (Breslow–Day) and independent implementations written
here (enumeration of every table with exact integer arithmetic; fitted cells by root-finding);
and Benjamini–Hochberg against statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.stats.contingency import odds_ratio
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

from ristra.core.stats import (
    adjust,
    benjamini_hochberg,
    breslow_day_test,
    exact_conditional_test,
    holm,
    mantel_fleiss,
    mantel_haenszel,
)
from ristra.core.stats.exact_strata import MAX_CONVOLUTION_WORK
from ristra.core.stats.stratified import stratified_comparison
from support.strata_reference import (
    REL,
    breslow_day_reference,
    exact_reference,
    mantel_fleiss_distance,
    random_tables,
    rel_close,
    table_bounds,
)

# --------------------------------------------------------------------------- exact conditional test

@pytest.mark.parametrize("table", [
    [[3, 7], [9, 1]], [[0, 10], [5, 5]], [[10, 0], [5, 5]], [[0, 5], [0, 7]], [[5, 0], [7, 0]],
    [[1, 0], [0, 1]], [[0, 1], [1, 0]], [[1, 0], [0, 0]], [[0, 0], [3, 4]], [[548, 79], [6, 0]],
    [[60, 0], [790, 10]], [[20, 80], [60, 90]],
])
def test_one_stratum_is_fishers_test_and_scipys_conditional_odds_ratio(table: list[list[int]]) -> None:
    ours = exact_conditional_test(table)
    assert rel_close(ours.p_value, stats.fisher_exact(table)[1], 1e-12)
    if ours.strata_used == 0:  # an empty margin: nothing can vary (SciPy: p = 1, NaN estimate)
        assert ours.p_value == 1.0
        assert math.isnan(ours.odds_ratio)
        assert (ours.lower, ours.upper) == (0.0, math.inf)
        assert ours.note is not None
        return
    reference = odds_ratio(table, kind="conditional")
    interval = reference.confidence_interval(0.95)
    assert rel_close(ours.odds_ratio, float(reference.statistic), 1e-8)
    assert rel_close(ours.lower, float(interval.low), 1e-8)
    assert rel_close(ours.upper, float(interval.high), 1e-8)


@pytest.mark.parametrize("seed", range(40))
def test_one_random_stratum_matches_scipy(seed: int) -> None:
    [table] = random_tables(np.random.default_rng(seed), 1, 40)
    ours = exact_conditional_test(table, confidence=0.9)
    assert rel_close(ours.p_value, stats.fisher_exact(table)[1], 1e-12)
    if ours.strata_used:
        reference = odds_ratio(table, kind="conditional")
        interval = reference.confidence_interval(0.9)
        assert rel_close(ours.odds_ratio, float(reference.statistic), 1e-8)
        assert rel_close(ours.lower, float(interval.low), 1e-8)
        assert rel_close(ours.upper, float(interval.high), 1e-8)


@pytest.mark.parametrize("seed", range(60))
def test_several_strata_match_the_enumeration_of_every_table(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    tables = random_tables(rng, int(rng.integers(2, 5)), 9)
    ours = exact_conditional_test(tables)
    p_value, (mle, lower, upper) = exact_reference(tables)
    assert rel_close(ours.p_value, p_value, 1e-12)
    if ours.strata_used:
        assert rel_close(ours.odds_ratio, mle, 1e-8)
        assert rel_close(ours.lower, lower, 1e-8)
        assert rel_close(ours.upper, upper, 1e-8)
    assert ours.statistic == sum(t[0][0] for t in tables if table_bounds(t)[4] > table_bounds(t)[3])


def test_boundaries_of_the_support() -> None:
    at_low = exact_conditional_test([[[0, 6], [4, 2]], [[0, 3], [5, 5]]])  # nobody in the group selected
    assert at_low.odds_ratio == 0.0
    assert at_low.lower == 0.0
    assert 0 < at_low.upper < math.inf
    assert at_low.statistic == at_low.support[0]
    at_high = exact_conditional_test([[[6, 0], [2, 4]], [[3, 0], [5, 5]]])  # everybody in the group selected
    assert at_high.odds_ratio == math.inf
    assert at_high.upper == math.inf
    assert at_high.lower > 0
    # the 6/6 reference of issue 15, over two cycles: p = 1 is Fisher's answer for each table too
    against_all = exact_conditional_test([[[274, 40], [3, 0]], [[274, 39], [3, 0]]])
    assert against_all.p_value == pytest.approx(exact_reference([[[274, 40], [3, 0]], [[274, 39], [3, 0]]])[0])


def test_strata_without_information_are_left_out() -> None:
    informative = [[[3, 4], [6, 2]], [[1, 5], [4, 4]]]
    padded = [*informative, [[0, 0], [0, 0]], [[1, 0], [0, 0]], [[0, 3], [0, 2]], [[2, 0], [5, 0]]]
    ours, bare = exact_conditional_test(padded), exact_conditional_test(informative)
    assert (ours.strata_used, ours.strata_total) == (2, 6)
    assert (ours.p_value, ours.odds_ratio, ours.lower, ours.upper) == (bare.p_value, bare.odds_ratio, bare.lower,
                                                                       bare.upper)
    nothing = exact_conditional_test([[[0, 0], [0, 0]], [[1, 0], [0, 0]]])
    assert nothing.p_value == 1.0
    assert nothing.strata_used == 0
    assert nothing.note is not None


def test_swapping_the_outcome_inverts_the_odds_ratio() -> None:
    tables = [[[3, 4], [6, 2]], [[1, 5], [4, 4]], [[2, 2], [7, 1]]]
    ours = exact_conditional_test(tables)
    swapped = exact_conditional_test([[[b, a], [d, c]] for (a, b), (c, d) in tables])
    assert swapped.p_value == pytest.approx(ours.p_value, rel=1e-12)
    assert swapped.odds_ratio == pytest.approx(1 / ours.odds_ratio, rel=1e-8)
    assert swapped.lower == pytest.approx(1 / ours.upper, rel=1e-8)


def test_large_strata_do_not_underflow() -> None:
    tables = [[[300, 700], [500, 500]], [[280, 720], [520, 480]]]  # p about 1e-40
    ours = exact_conditional_test(tables)
    assert 0 < ours.p_value < 1e-30
    mh = mantel_haenszel(tables)  # statsmodels' 1 − cdf is 0 here; ours is the chi-square survival function
    assert math.log10(ours.p_value) == pytest.approx(math.log10(mh.p_value), rel=0.1)  # the same order


def test_past_the_work_limit_it_says_not_computed() -> None:
    huge = [[[9000, 9000], [9000, 9000]]] * 4  # supports of 9,001 values: about 5·10⁸ operations
    assert 9001 * 9001 * (1 + 2 + 3) > MAX_CONVOLUTION_WORK
    ours = exact_conditional_test(huge)
    assert ours.computed is False
    assert math.isnan(ours.p_value)
    assert "not computed" in (ours.note or "")
    one = exact_conditional_test(huge[:1])  # one stratum needs no convolution
    assert one.computed is True
    assert one.p_value == pytest.approx(stats.fisher_exact(huge[0])[1], rel=1e-9)


def test_exact_test_rejects_bad_tables() -> None:
    with pytest.raises(ValueError):
        exact_conditional_test([[[-1, 2], [3, 4]]])
    with pytest.raises(ValueError):
        exact_conditional_test(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError):
        exact_conditional_test([[[1, 2], [3, 4]]], confidence=1.0)


# --------------------------------------------------------------------------- Mantel–Fleiss

@pytest.mark.parametrize("seed", range(20))
def test_mantel_fleiss_distance(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    tables = random_tables(rng, int(rng.integers(1, 8)), 30)
    ours = mantel_fleiss(tables)
    assert ours.distance == pytest.approx(mantel_fleiss_distance(tables), rel=REL, abs=1e-12)
    assert ours.met == (ours.distance >= 5)
    assert ours.lower <= ours.expected <= ours.upper


def test_mantel_fleiss_on_sparse_and_large_strata() -> None:
    sparse = [[[1, 2], [6, 0]], [[0, 3], [5, 1]], [[2, 1], [6, 0]]]  # against tiny, all-selected cells
    assert mantel_fleiss(sparse).met is False
    assert mantel_fleiss([[[40, 60], [50, 50]], [[30, 70], [45, 55]]]).met is True
    empty = mantel_fleiss([[[0, 0], [0, 0]]])
    assert (empty.expected, empty.lower, empty.upper, empty.met) == (0.0, 0, 0, False)


# --------------------------------------------------------------------------- Breslow–Day (Tarone)

@pytest.mark.parametrize("seed", range(25))
def test_breslow_day_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(3000 + seed)
    k = int(rng.integers(2, 10))
    n_group, n_ref = rng.integers(5, 60, k), rng.integers(10, 300, k)
    a, c = rng.binomial(n_group, rng.uniform(0.1, 0.6)), rng.binomial(n_ref, 0.35)
    tables = np.stack([np.column_stack([a, n_group - a]), np.column_stack([c, n_ref - c])], axis=1)
    if np.any(tables.sum(axis=1) == 0) or np.any(tables.sum(axis=2) == 0):
        pytest.skip("a stratum with an empty margin (statsmodels cannot)")
    ours = breslow_day_test(tables)
    reference = StratifiedTable(np.moveaxis(tables, 0, -1))
    tarone, plain = reference.test_equal_odds(adjust=True), reference.test_equal_odds(adjust=False)
    assert ours.df == k - 1
    assert ours.strata_used == k
    assert ours.statistic == pytest.approx(tarone.statistic, rel=1e-8)
    assert ours.uncorrected == pytest.approx(plain.statistic, rel=1e-8)
    # statsmodels computes 1 − cdf (no relative precision for tiny p); we use the survival function
    assert ours.p_value == pytest.approx(tarone.pvalue, rel=1e-8, abs=1e-14)
    assert ours.uncorrected_p == pytest.approx(plain.pvalue, rel=1e-8, abs=1e-14)
    assert ours.odds_ratio == pytest.approx(reference.oddsratio_pooled, rel=REL)


@pytest.mark.parametrize("seed", range(15))
def test_breslow_day_matches_root_finding_on_small_strata(seed: int) -> None:
    rng = np.random.default_rng(4000 + seed)
    tables = random_tables(rng, int(rng.integers(2, 7)), 12)
    ours = breslow_day_test(tables)
    if ours.df == 0:
        assert math.isnan(ours.p_value)
        assert ours.note is not None
        return
    bd, tarone, df = breslow_day_reference(tables, ours.odds_ratio)
    assert ours.df == df
    assert ours.uncorrected == pytest.approx(bd, rel=1e-8, abs=1e-12)
    assert ours.statistic == pytest.approx(max(tarone, 0.0), rel=1e-8, abs=1e-12)


def test_breslow_day_at_a_common_odds_ratio_of_exactly_one() -> None:
    # ψ = 1: the quadratic degenerates (statsmodels divides by zero); the fitted cell is m·t/n
    tables = [[[2, 2], [4, 4]], [[3, 1], [1, 3]], [[1, 3], [3, 1]]]
    ours = breslow_day_test(tables)
    assert ours.odds_ratio == 1.0
    bd, tarone, df = breslow_day_reference(tables, 1.0)
    assert (ours.uncorrected, ours.statistic, ours.df) == (pytest.approx(bd), pytest.approx(tarone), df)
    assert ours.note is not None  # fitted cells of 1–2: the approximation is doubtful, and it says so


def test_breslow_day_leaves_out_strata_without_information() -> None:
    informative = [[[10, 30], [25, 25]], [[12, 20], [20, 30]], [[4, 16], [20, 25]]]
    ours = breslow_day_test([*informative, [[0, 0], [5, 5]], [[3, 0], [4, 0]], [[0, 0], [0, 0]]])
    reference = StratifiedTable([np.array(t) for t in informative]).test_equal_odds(adjust=True)
    assert (ours.df, ours.strata_used, ours.strata_total) == (2, 3, 6)
    assert ours.statistic == pytest.approx(reference.statistic, rel=1e-8)


@pytest.mark.parametrize("tables", [
    [[[3, 4], [6, 2]]],  # one stratum
    [[[3, 4], [6, 2]], [[0, 0], [3, 3]]],  # one informative stratum
    [[[0, 4], [6, 2]], [[0, 3], [5, 5]]],  # nobody in the group selected: common odds ratio 0
    [[[0, 0], [0, 0]]],  # nobody
])
def test_breslow_day_undefined_cases_are_values(tables: list[list[list[int]]]) -> None:
    ours = breslow_day_test(tables)
    assert ours.df == 0
    assert math.isnan(ours.statistic)
    assert math.isnan(ours.p_value)
    assert ours.note


# --------------------------------------------------------------------------- the rule

def test_stratified_comparison_chooses_the_test_by_the_mantel_fleiss_rule() -> None:
    large = stratified_comparison([[[40, 60], [50, 50]], [[30, 70], [45, 55]]])
    assert large.test == "mantel_haenszel"
    assert large.exact is None
    assert large.p_value == large.mantel_haenszel.p_value
    sparse_tables = [[[1, 2], [6, 0]], [[0, 3], [5, 1]], [[2, 1], [6, 0]]]
    sparse = stratified_comparison(sparse_tables)
    assert sparse.test == "exact_conditional"
    assert sparse.exact is not None
    assert sparse.p_value == pytest.approx(exact_reference(sparse_tables)[0], rel=1e-12)
    assert any("Mantel–Fleiss" in n for n in sparse.notes)
    nothing = stratified_comparison([[[0, 0], [0, 0]], [[2, 0], [3, 0]]])
    assert nothing.test == "exact_conditional"
    assert nothing.p_value == 1.0
    assert len(nothing.notes) == 1


# --------------------------------------------------------------------------- Benjamini–Hochberg

@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_benjamini_hochberg_matches_statsmodels(seed: int, alpha: float) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.02, 4), rng.uniform(0, 1, int(rng.integers(1, 30)))])
    reject, adjusted, *_ = multipletests(p, alpha=alpha, method="fdr_bh")
    ours = benjamini_hochberg(list(p), alpha)
    assert ours.adjusted == pytest.approx(tuple(adjusted), rel=1e-12)
    assert ours.reject == tuple(reject)
    assert ours.method == "bh"
    assert ours.family_size == len(p)
    assert adjust(list(p), "bh", alpha) == ours
    assert adjust(list(p), "holm", alpha) == holm(list(p), alpha)


def test_benjamini_hochberg_leaves_missing_tests_out_and_handles_ties_and_boundaries() -> None:
    ours = benjamini_hochberg([0.01, math.nan, 0.04, 0.04, 1.0, 0.0])
    reject, adjusted, *_ = multipletests([0.01, 0.04, 0.04, 1.0, 0.0], method="fdr_bh")
    assert math.isnan(ours.adjusted[1])
    assert ours.reject[1] is False
    assert ours.family_size == 5
    present = [v for i, v in enumerate(ours.adjusted) if i != 1]
    assert present == pytest.approx(list(adjusted), rel=1e-12)
    assert benjamini_hochberg([]).family_size == 0
    assert benjamini_hochberg([0.3]).adjusted == (0.3,)
    with pytest.raises(ValueError):
        adjust([0.1], "bonferroni")
    with pytest.raises(ValueError):
        benjamini_hochberg([1.5])
