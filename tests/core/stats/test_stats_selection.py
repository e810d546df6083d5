"""Selection-rate comparison, Mantel–Haenszel and Holm against SciPy and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

from ristra.core.stats import (
    chi_square_tests,
    choose_reference,
    compare_selection,
    fisher_exact_test,
    fisher_exact_tests,
    four_fifths_analyses,
    four_fifths_analysis,
    holm,
    mantel_haenszel,
)

REL = 1e-9


def close(a: float, b: float, rel: float = REL) -> bool:
    return a == pytest.approx(b, rel=rel, abs=1e-12)


TABLES = [[[10, 30], [30, 20]], [[3, 7], [12, 8]], [[0, 15], [6, 9]], [[45, 155], [80, 120]], [[1, 0], [0, 1]],
          [[200, 800], [260, 740]], [[7, 7], [7, 7]]]


# --- one 2×2 table -----------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_fisher_matches_scipy(table: list[list[int]]) -> None:
    reference = stats.fisher_exact(table, alternative="two-sided")
    ours = fisher_exact_test(table)
    assert close(ours.p_value, reference.pvalue)
    assert ours.odds_ratio == pytest.approx(reference.statistic, rel=REL, nan_ok=True)


def _random_tables(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    tables = []
    for scale in (4, 40, 400, 20_000, 1_500_000):
        for _ in range(40):
            table = rng.integers(0, scale, size=(2, 2))
            if rng.random() < 0.3:  # far in a tail
                table[0, 0] = rng.integers(0, max(1, scale // 20))
            tables.append(table)
    return tables + [np.array(t) for t in ([[0, 0], [0, 0]], [[0, 5], [0, 7]], [[3, 0], [4, 0]], [[0, 10], [10, 0]],
                                          [[1_000_000, 1], [1, 1_000_000]], [[1, 0], [0, 0]], *TABLES)]


def test_fisher_in_a_batch_is_scipy_to_the_last_bit() -> None:
    """The vectorised batch runs SciPy's own algorithm, so every p-value and odds ratio is
    SciPy's exactly — small tables, tables of a million, far tails and empty margins."""
    tables = _random_tables(7)
    ours = fisher_exact_tests(tables)
    assert len(ours) == len(tables)
    for table, result in zip(tables, ours, strict=True):
        reference = stats.fisher_exact(table, alternative="two-sided")
        assert result.p_value == float(reference.pvalue), table.tolist()
        assert result.odds_ratio == pytest.approx(float(reference.statistic), rel=0, nan_ok=True), table.tolist()
    assert fisher_exact_tests([]) == ()


def test_chi_square_is_scipy_to_the_last_bit() -> None:
    for table in _random_tables(11):
        report = chi_square_tests(table)
        if report.pearson is None or report.yates is None:
            assert table.sum() == 0 or stats.contingency.expected_freq(table).min() < 5
            continue
        for ours, correction in ((report.pearson, False), (report.yates, True)):
            reference = stats.chi2_contingency(table, correction=correction)
            assert (ours.statistic, ours.p_value) == (float(reference.statistic), float(reference.pvalue))


def test_analyses_in_a_batch_equal_one_at_a_time() -> None:
    many = [{"yes": (5, 40), "no": (30, 90), "unknown": (0, 0)}, {"a": (0, 10)}, {"a": (3, 3), "b": (0, 0)},
            {"x": (120, 1000), "y": (90, 1000), "z": (20, 300)}]
    # repr: NaN (an empty group's ratio) equals itself there
    assert [repr(a) for a in four_fifths_analyses(many)] == [repr(four_fifths_analysis(groups)) for groups in many]
    assert "nan" in repr(four_fifths_analyses(many)[0])


@pytest.mark.parametrize("table", [t for t in TABLES if stats.contingency.expected_freq(t).min() >= 5])
def test_chi_square_matches_scipy_with_and_without_yates(table: list[list[int]]) -> None:
    report = chi_square_tests(table)
    assert report.reason is None
    assert report.pearson is not None
    assert report.yates is not None
    for ours, correction in ((report.pearson, False), (report.yates, True)):
        reference = stats.chi2_contingency(table, correction=correction)
        assert close(ours.statistic, reference.statistic)
        assert close(ours.p_value, reference.pvalue)
        assert ours.dof == 1
        assert ours.yates is correction
    plain = stats.chi2_contingency(table, correction=False)
    assert report.pearson.min_expected == pytest.approx(plain.expected_freq.min())


@pytest.mark.parametrize("table", [[[2, 8], [12, 8]], [[0, 15], [6, 9]], [[0, 0], [0, 0]], [[0, 10], [0, 12]]])
def test_chi_square_is_not_reported_when_expected_counts_are_small(table: list[list[int]]) -> None:
    report = chi_square_tests(table)
    assert report.pearson is None
    assert report.yates is None
    assert report.reason is not None
    assert "Fisher" in report.reason


@pytest.mark.parametrize("table", [[[1, 2], [3]], [[-1, 2], [3, 4]], [[1.5, 2], [3, 4]]])
def test_malformed_tables_raise(table: list[list[float]]) -> None:
    with pytest.raises(ValueError):
        fisher_exact_test(table)


# --- four-fifths rule --------------------------------------------------------------------------

def test_compare_selection_numbers_and_flags() -> None:
    c = compare_selection(20, 100, 60, 150)
    assert c.group.share == 0.2
    assert c.reference.share == 0.4
    assert close(c.rate_ratio.ratio, 0.5)
    assert c.below_four_fifths is True
    assert not c.small_number
    reference = stats.fisher_exact([[20, 80], [60, 90]])
    assert c.fisher is not None
    assert close(c.fisher.p_value, reference.pvalue)
    assert c.chi_square.pearson is not None
    assert close(c.chi_square.pearson.statistic, stats.chi2_contingency([[20, 80], [60, 90]], False).statistic)
    assert c.to_dict()["rate_ratio"]["method"] == "miettinen_nurminen"


@pytest.mark.parametrize(("k1", "n1", "k0", "n0", "below"), [(79, 100, 100, 100, True), (80, 100, 100, 100, False),
                                                              (40, 50, 50, 50, False), (39, 50, 50, 50, True)])
def test_four_fifths_threshold_is_strict(k1: int, n1: int, k0: int, n0: int, below: bool) -> None:
    assert compare_selection(k1, n1, k0, n0).below_four_fifths is below


def test_nobody_selected_in_the_group() -> None:
    c = compare_selection(0, 25, 10, 30)
    assert c.rate_ratio.ratio == 0.0
    assert c.ratio_below_threshold is True
    assert c.small_number
    assert c.below_four_fifths is None  # not asserted on a small group
    assert c.fisher is not None
    assert close(c.fisher.p_value, stats.fisher_exact([[0, 25], [10, 20]]).pvalue)
    assert c.chi_square.pearson is None
    assert any("chi-square" in n for n in c.notes)


def test_everybody_selected() -> None:
    c = compare_selection(30, 30, 40, 40)
    assert c.rate_ratio.ratio == 1.0
    assert c.below_four_fifths is False
    assert c.fisher is not None
    assert c.fisher.p_value == 1.0


def test_group_with_zero_members() -> None:
    c = compare_selection(0, 0, 10, 30)
    assert math.isnan(c.rate_ratio.ratio)
    assert c.below_four_fifths is None
    assert c.fisher is None
    assert c.small_number
    assert c.notes == ("the group has nobody at the stage before; no ratio and no test",)


def test_one_person_in_each_group() -> None:
    c = compare_selection(1, 1, 0, 1)
    assert c.rate_ratio.ratio == math.inf
    assert c.ratio_below_threshold is False
    assert c.small_number
    assert c.below_four_fifths is None
    assert c.fisher is not None
    assert c.fisher.p_value == 1.0


def test_four_fifths_analysis_uses_the_highest_known_rate_and_holm_over_known_groups() -> None:
    groups = {"women": (40, 200), "men": (90, 250), "unknown": (3, 20), "declined": (0, 0), "other": (25, 80)}
    analysis = four_fifths_analysis(groups)
    assert analysis.reference_label == "men"
    labels = [g.label for g in analysis.groups]
    assert labels == ["women", "unknown", "declined", "other"]
    known = [label for label in ("women", "other")]
    p_values = [stats.fisher_exact([[groups[g][0], groups[g][1] - groups[g][0]], [90, 160]]).pvalue for g in known]
    reject, adjusted, *_ = multipletests(p_values, alpha=0.05, method="holm")
    by_label = {g.label: g for g in analysis.groups}
    for label, adj, rej in zip(known, adjusted, reject, strict=True):
        assert close(by_label[label].p_value_holm, adj)
        assert by_label[label].reject_holm == bool(rej)
    assert analysis.family_size == 2
    unknown = by_label["unknown"]
    assert unknown.in_family is False
    assert math.isnan(unknown.p_value_holm)
    assert unknown.comparison.fisher is not None
    assert close(unknown.comparison.fisher.p_value, stats.fisher_exact([[3, 17], [90, 160]]).pvalue)
    declined = by_label["declined"]
    assert math.isnan(declined.p_value_holm)
    assert not declined.reject_holm
    assert analysis.to_dict()["groups"][0]["label"] == "women"


def test_a_tiny_unknown_group_is_never_the_reference() -> None:
    # issue 15: pooled offered stage, women 627/1303 and men 560/1091 against 6 of 7 unknown
    analysis = four_fifths_analysis({"yes": (627, 1303), "no": (560, 1091), "unknown": (6, 7)})
    assert analysis.reference_label == "no"
    women = analysis.groups[0]
    assert women.comparison.below_four_fifths is False
    assert close(women.comparison.rate_ratio.ratio, (627 / 1303) / (560 / 1091))
    assert analysis.reference_small is False
    assert "highest selection rate" in analysis.reference_rule


def test_a_known_group_below_the_minimum_size_is_not_the_reference() -> None:
    analysis = four_fifths_analysis({"a": (9, 10), "b": (50, 100), "c": (40, 100)})
    assert analysis.reference_label == "b"
    assert analysis.reference_small is False
    assert four_fifths_analysis({"a": (9, 10), "b": (50, 100)}, min_reference_size=10).reference_label == "a"


def test_without_a_large_known_group_the_highest_known_rate_is_the_reference_flagged_small() -> None:
    analysis = four_fifths_analysis({"a": (3, 10), "b": (5, 10), "unknown": (4, 4)})
    assert analysis.reference_label == "b"
    assert analysis.reference_small is True


def test_with_everybody_unknown_the_reference_is_the_first_known_group() -> None:
    analysis = four_fifths_analysis({"yes": (0, 0), "no": (0, 0), "unknown": (1, 1)})
    assert analysis.reference_label == "yes"
    assert analysis.reference_small is True
    assert analysis.family_size == 0
    assert all(math.isnan(g.comparison.rate_ratio.ratio) for g in analysis.groups)


def test_choose_reference_ties_go_to_the_larger_group_then_the_first() -> None:
    assert choose_reference({"a": (20, 40), "b": (30, 60)}) == ("b", False)
    assert choose_reference({"a": (20, 40), "b": (20, 40)}) == ("a", False)
    assert choose_reference({"unknown": (5, 5)}) == ("unknown", True)
    with pytest.raises(ValueError):
        choose_reference({})
    with pytest.raises(ValueError):
        four_fifths_analysis({"a": (1, 2)}, min_reference_size=-1)


def test_four_fifths_analysis_explicit_reference_and_errors() -> None:
    analysis = four_fifths_analysis({"a": (5, 10), "b": (9, 10)}, reference="a")
    assert analysis.reference_label == "a"
    assert analysis.groups[0].comparison.ratio_below_threshold is False
    with pytest.raises(ValueError):
        four_fifths_analysis({"a": (5, 10)}, reference="z")
    with pytest.raises(ValueError):
        four_fifths_analysis({})
    only_empty = four_fifths_analysis({"a": (0, 0), "b": (0, 0)})
    assert only_empty.reference_label == "a"
    assert math.isnan(only_empty.groups[0].p_value_holm)


# --- Mantel–Haenszel ---------------------------------------------------------------------------

def as_tables(selected_group: np.ndarray, total_group: np.ndarray, selected_ref: np.ndarray,
              total_ref: np.ndarray) -> np.ndarray:
    return np.stack([np.column_stack([selected_group, total_group - selected_group]),
                     np.column_stack([selected_ref, total_ref - selected_ref])], axis=1)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("correction", [False, True])
def test_mantel_haenszel_matches_statsmodels(seed: int, correction: bool) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    n_group, n_ref = rng.integers(3, 60, k), rng.integers(10, 300, k)
    tables = as_tables(rng.binomial(n_group, 0.25), n_group, rng.binomial(n_ref, 0.35), n_ref)
    reference = StratifiedTable(np.moveaxis(tables, 0, -1))
    ours = mantel_haenszel(tables, continuity_correction=correction)
    lower, upper = reference.oddsratio_pooled_confint(alpha=0.05)
    assert close(ours.odds_ratio, reference.oddsratio_pooled)
    assert close(ours.log_se, reference.logodds_pooled_se)
    assert close(ours.lower, lower)
    assert close(ours.upper, upper)
    test = reference.test_null_odds(correction=correction)
    assert close(ours.statistic, test.statistic)
    # statsmodels computes 1 − cdf, which loses relative precision for tiny p; we use the survival function.
    assert ours.p_value == pytest.approx(test.pvalue, rel=REL, abs=1e-14)
    assert ours.strata_used == ours.strata_total == k
    assert ours.note is None


def test_mantel_haenszel_confidence_level() -> None:
    tables = as_tables(np.array([10, 12, 4]), np.array([40, 32, 20]), np.array([30, 25, 20]), np.array([50, 50, 45]))
    reference = StratifiedTable(np.moveaxis(tables, 0, -1))
    ours = mantel_haenszel(tables, confidence=0.9)
    lower, upper = reference.oddsratio_pooled_confint(alpha=0.1)
    assert close(ours.lower, lower)
    assert close(ours.upper, upper)


def test_mantel_haenszel_drops_strata_without_information() -> None:
    tables = as_tables(np.array([10, 12, 0, 1]), np.array([40, 32, 0, 1]), np.array([30, 25, 0, 0]),
                       np.array([50, 50, 1, 0]))
    ours = mantel_haenszel(tables)
    reference = StratifiedTable(np.moveaxis(tables[:2], 0, -1))
    assert ours.strata_used == 2
    assert ours.strata_total == 4
    assert close(ours.odds_ratio, reference.oddsratio_pooled)
    assert close(ours.statistic, reference.test_null_odds().statistic)


def test_mantel_haenszel_single_stratum_is_a_2x2_table() -> None:
    ours = mantel_haenszel([[20, 80], [60, 90]])
    assert close(ours.odds_ratio, (20 * 90) / (80 * 60))
    assert ours.strata_used == 1


def test_mantel_haenszel_continuity_correction_never_goes_negative() -> None:
    tables = np.array([[[5, 5], [5, 5]], [[5, 5], [5, 6]]], dtype=float)  # |O − E| = 0.24 < 0.5
    ours = mantel_haenszel(tables, continuity_correction=True)
    assert ours.statistic == 0.0
    assert ours.p_value == 1.0


@pytest.mark.parametrize("tables", [
    [[[0, 10], [5, 5]], [[0, 8], [3, 9]]],  # nobody in the group selected in any cycle
    [[[0, 0], [0, 0]]],  # nobody at all
    [[[4, 0], [3, 0]]],  # everybody selected
])
def test_mantel_haenszel_degenerate_strata_are_values(tables: list[list[list[int]]]) -> None:
    ours = mantel_haenszel(tables)
    assert ours.note is not None
    assert (ours.lower, ours.upper) == (0.0, math.inf)


def test_mantel_haenszel_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        mantel_haenszel(np.zeros((3, 2, 3)))
    with pytest.raises(ValueError):
        mantel_haenszel([[[-1, 2], [3, 4]]])


# --- Holm --------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_holm_matches_statsmodels(seed: int, alpha: float) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, int(rng.integers(1, 15)))
    p[::3] = p[0]  # ties
    reject, adjusted, *_ = multipletests(p, alpha=alpha, method="holm")
    ours = holm(list(p), alpha)
    np.testing.assert_allclose(ours.adjusted, adjusted, rtol=REL)
    assert ours.reject == tuple(bool(r) for r in reject)
    assert ours.family_size == p.size


def test_holm_leaves_missing_tests_out_of_the_family() -> None:
    ours = holm([0.01, math.nan, 0.04])
    _, adjusted, *_ = multipletests([0.01, 0.04], method="holm")
    assert ours.family_size == 2
    assert math.isnan(ours.adjusted[1])
    assert not ours.reject[1]
    assert close(ours.adjusted[0], adjusted[0])
    assert close(ours.adjusted[2], adjusted[1])
    assert holm([]).adjusted == ()
    assert holm([math.nan]).family_size == 0
    with pytest.raises(ValueError):
        holm([1.5])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_holm_properties(p: list[float]) -> None:
    ours = holm(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.asarray(ours.adjusted)
    assert np.all(adjusted >= np.asarray(p) - 1e-15)
    assert np.all(adjusted <= 1.0)
    assert np.all(np.diff(adjusted[order]) >= -1e-15)
    assert all(r == (a <= 0.05) for r, a in zip(ours.reject, ours.adjusted, strict=True))


def test_four_fifths_analysis_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        four_fifths_analysis({"a": (12, 10)})


def test_fisher_near_underflow_is_scipy_to_the_last_bit() -> None:
    """SciPy's hypergeometric pmf loses accuracy near 1e-300; tables whose p-values lie there
    (where the batch cannot settle comparisons from its log-gamma bound) still get SciPy's."""
    tables = [np.array(t) for t in ([[47738, 51025], [48107, 36221]], [[377175, 476370], [362275, 407035]],
                                    [[5000, 5000], [5600, 4400]], [[40000, 60000], [46000, 54000]],
                                    [[300000, 700000], [309000, 691000]])]
    rng = np.random.default_rng(3)
    for n in (20_000, 200_000, 2_000_000):  # two groups of n with rates a few points apart: tiny p-values
        for _ in range(15):
            rate = rng.uniform(0.2, 0.8)
            shift = rng.uniform(0.005, 0.08)
            k1, k2 = rng.binomial(n, rate), rng.binomial(n, min(rate + shift, 0.99))
            tables.append(np.array([[k1, n - k1], [k2, n - k2]]))
    for table, result in zip(tables, fisher_exact_tests(tables), strict=True):
        assert result.p_value == float(stats.fisher_exact(table).pvalue), table.tolist()
