"""Linkage quality from a stratified clerical sample: hand-computed values and intervals checked
against statsmodels (``proportion_confint``, Wilson and Clopper–Pearson ``beta``)."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.linkage_estimates import (
    LabelledRow,
    estimate_by_subgroup,
    estimate_link_quality,
    ratio_estimate,
    stratified_sample,
)


def _rows(stratum: str, right: int, wrong: int, missed: int, nobody: int) -> list[LabelledRow]:
    """``right`` rows linked to their person, ``wrong`` linked to someone else (they have a true
    person), ``missed`` not linked but with a true person, ``nobody`` not linked and nobody."""
    return ([LabelledRow(stratum, f"P{i}", f"P{i}") for i in range(right)]
            + [LabelledRow(stratum, f"P{i}", f"Q{i}") for i in range(wrong)]
            + [LabelledRow(stratum, None, f"P{i}") for i in range(missed)]
            + [LabelledRow(stratum, None, None) for _ in range(nobody)])


@pytest.mark.parametrize("method", ["wilson", "beta"])
def test_one_stratum_without_correction_is_the_plain_interval(method: str) -> None:
    sample = _rows("linked", 47, 3, 0, 0) + _rows("not linked", 0, 0, 6, 44)
    ours = estimate_link_quality({"linked": 500, "not linked": 5000}, sample, finite_population=False,
                                 method="wilson" if method == "wilson" else "clopper_pearson")
    lower, upper = proportion_confint(47, 50, alpha=0.05, method=method)
    assert ours.precision.estimate == pytest.approx(0.94)
    assert ours.precision.effective_n == pytest.approx(50)
    assert (ours.precision.lower, ours.precision.upper) == pytest.approx((lower, upper), abs=1e-10)


def test_stratified_precision_and_recall_by_hand() -> None:
    population = {"identifier": 600, "linked": 300, "review": 40, "not linked": 9000}
    sample = (_rows("identifier", 50, 0, 0, 0) + _rows("linked", 45, 5, 0, 0) + _rows("review", 0, 0, 10, 10)
              + _rows("not linked", 0, 0, 2, 98))
    q = estimate_link_quality(population, sample)
    # precision: (600·1 + 300·0.9) / (600 + 300)
    p = (600 + 300 * 0.9) / 900
    assert q.precision.estimate == pytest.approx(p)
    # variance: only the "linked" stratum varies: d = y − p·1, s² = 0.9·0.1 (divisor n), fpc 1 − 50/300
    var_p = 300 ** 2 * (1 - 50 / 300) * 0.09 / 50 / 900 ** 2
    assert q.precision.effective_n == pytest.approx(min(p * (1 - p) / var_p, 100))
    lo, hi = proportion_confint(p * q.precision.effective_n, q.precision.effective_n, method="wilson")
    assert (q.precision.lower, q.precision.upper) == pytest.approx((lo, hi), abs=1e-10)
    # recall: TP = 600 + 270 = 870; X = 600 + 300 + 40·0.5 + 9000·0.02 = 1100
    r = 870 / 1100
    assert q.recall.estimate == pytest.approx(r)
    strata = {"identifier": (50, [1.0] * 50, [1.0] * 50), "linked": (50, [1.0] * 45 + [0.0] * 5, [1.0] * 50),
              "review": (20, [0.0] * 20, [1.0] * 10 + [0.0] * 10),
              "not linked": (100, [0.0] * 100, [1.0] * 2 + [0.0] * 98)}
    var_r = 0.0
    for name, (n, ys, xs) in strata.items():
        d = [y - r * x for y, x in zip(ys, xs, strict=True)]
        mean = sum(d) / n
        var_r += population[name] ** 2 * (1 - n / population[name]) * sum((v - mean) ** 2 for v in d) / n / n
    var_r /= 1100 ** 2
    assert q.recall.effective_n == pytest.approx(min(r * (1 - r) / var_r, 112))
    lo, hi = proportion_confint(r * q.recall.effective_n, q.recall.effective_n, method="wilson")
    assert (q.recall.lower, q.recall.upper) == pytest.approx((lo, hi), abs=1e-10)
    assert q.f1 == pytest.approx(2 * p * r / (p + r))
    assert q.to_dict()["strata"][0] == {"stratum": "identifier", "rows": 600, "labelled": 50}


def test_a_census_has_no_sampling_error_and_edges() -> None:
    sample = _rows("linked", 9, 1, 0, 0)
    q = estimate_link_quality({"linked": 10}, sample)
    assert q.precision.estimate == 0.9
    assert q.precision.effective_n == 10  # V = 0: n* is the rows labelled
    nothing = ratio_estimate({"a": 10}, {"a": [(0.0, 0.0)] * 3})
    assert math.isnan(nothing.estimate)
    assert (nothing.lower, nothing.upper) == (0.0, 1.0)
    with pytest.raises(ValueError, match="has no size"):
        estimate_link_quality({"linked": 10}, _rows("other", 1, 0, 0, 0))
    with pytest.raises(ValueError, match="labelled rows but"):
        estimate_link_quality({"linked": 2}, sample)


def test_subgroups_are_their_own_populations() -> None:
    rows = [LabelledRow("linked", "P1", "P1", frozenset({"hispanic_surname"})),
            LabelledRow("linked", "P2", "Q2", frozenset({"hispanic_surname"})),
            LabelledRow("linked", "P3", "P3"),
            LabelledRow("not linked", None, "P4", frozenset({"hispanic_surname"}))]
    out = estimate_by_subgroup({"hispanic_surname": {"linked": 2, "not linked": 1}}, rows)
    q = out["hispanic_surname"]
    assert q.precision.estimate == 0.5
    assert q.recall.estimate == pytest.approx(1 / 3)


def test_the_sample_is_reproducible_and_without_replacement() -> None:
    rows = {"a": [f"r{i}" for i in range(100)], "b": ["x", "y"]}
    one = stratified_sample(rows, 10, seed=7)
    assert one == stratified_sample({"b": ["y", "x"], "a": list(reversed(rows["a"]))}, 10, seed=7)
    assert len(set(one["a"])) == 10
    assert one["b"] == ("x", "y")
    assert stratified_sample(rows, {"a": 3}, seed=7)["b"] == ()
