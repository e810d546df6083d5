"""Propensity scores, ATT weights, balance and the E-value: logistic regression against
statsmodels (Logit, GLM with freq_weights and var_weights), weighted means against DescrStatsW,
the robust interval against a weighted log-link GLM with HC0, SMDs and E-values by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.weightstats import DescrStatsW

from ristra.core.stats.evalue import e_value, e_value_of
from ristra.core.stats.propensity import (
    att_analysis,
    att_weights,
    balance_table,
    logistic_regression,
    propensity_scores,
    restrict_to_overlap,
    robust_effect,
    standardised_mean_difference,
    weighted_mean,
)


def _data(n: int = 600, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 2, n), rng.normal(size=n)]).astype(float)
    eta = -1.0 + 0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.4 * x[:, 2]
    t = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    y = (rng.random(n) < 0.2 + 0.1 * t + 0.1 * x[:, 0]).astype(float)
    return x, t, y


def test_logistic_regression_against_statsmodels_logit() -> None:
    x, t, _ = _data()
    xi = sm.add_constant(x)
    ours = logistic_regression(xi, t)
    theirs = sm.Logit(t, xi).fit(disp=0)
    assert ours.converged
    assert ours.coefficients == pytest.approx(tuple(theirs.params), abs=1e-8)
    assert ours.standard_errors == pytest.approx(tuple(theirs.bse), abs=1e-8)
    assert ours.log_likelihood == pytest.approx(theirs.llf, abs=1e-8)


@pytest.mark.parametrize("kind", ["freq_weights", "var_weights"])
def test_weighted_logistic_regression_against_statsmodels_glm(kind: str) -> None:
    x, t, _ = _data(seed=11)
    w = np.random.default_rng(3).integers(1, 4, t.size).astype(float)
    xi = sm.add_constant(x)
    ours = logistic_regression(xi, t, w)
    theirs = sm.GLM(t, xi, family=sm.families.Binomial(), **{kind: w}).fit()
    assert ours.coefficients == pytest.approx(tuple(theirs.params), abs=1e-6)
    if kind == "freq_weights":  # whole-number case weights: the same information as repeated rows
        assert ours.standard_errors == pytest.approx(tuple(theirs.bse), rel=1e-6)  # GLM stops at 1e-8 deviance


def test_weighted_means_against_descrstatsw() -> None:
    x, t, _ = _data()
    scores, _ = propensity_scores(sm.add_constant(x), t)
    w = att_weights(scores, t)
    control = t == 0
    assert weighted_mean(x[control, 2], w[control]) == pytest.approx(DescrStatsW(x[control, 2], w[control]).mean)
    assert np.allclose(w[t == 1], 1.0)
    assert np.allclose(w[control], scores[control] / (1 - scores[control]))


def test_smd_by_hand_on_a_tiny_table() -> None:
    # participants: 3 of 4 have the covariate (0.75); non-participants 1 of 4 (0.25)
    treated, control = [1, 1, 1, 0], [1, 0, 0, 0]
    s = math.sqrt((0.75 * 0.25 + 0.25 * 0.75) / 2)
    assert standardised_mean_difference(treated, control) == pytest.approx(0.5 / s)
    # weights 3, 1, 1, 1 on the controls: weighted share 3/6 = 0.5; same denominator as before
    assert standardised_mean_difference(treated, control, [3, 1, 1, 1]) == pytest.approx(0.25 / s)
    # a continuous covariate: sample variances (n − 1)
    a, b = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
    assert standardised_mean_difference(a, b) == pytest.approx((2 - 4) / math.sqrt((1 + 4) / 2))
    rows = balance_table(["x"], np.array([[1], [1], [1], [0], [1], [0], [0], [0]]),
                         [1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 3, 1, 1, 1])
    assert rows[0].smd_before == pytest.approx(0.5 / s)
    assert rows[0].smd_after == pytest.approx(0.25 / s)
    assert rows[0].control_mean_after == pytest.approx(0.5)
    assert not rows[0].balanced


def test_robust_interval_against_a_weighted_log_link_glm() -> None:
    x, t, y = _data(n=2000, seed=5)
    scores, _ = propensity_scores(sm.add_constant(x), t)
    w = att_weights(scores, t)
    r1, r0, _, rr, (lo, hi) = robust_effect(y, t, w)
    glm = sm.GLM(y, sm.add_constant(t), family=sm.families.Poisson(), var_weights=w).fit(cov_type="HC0")
    assert rr == pytest.approx(math.exp(glm.params[1]), rel=1e-8)
    z = 1.959963984540054
    assert (lo, hi) == pytest.approx((math.exp(glm.params[1] - z * glm.bse[1]),
                                      math.exp(glm.params[1] + z * glm.bse[1])), rel=1e-6)
    assert r1 == pytest.approx(DescrStatsW(y[t == 1]).mean)
    assert r0 == pytest.approx(DescrStatsW(y[t == 0], w[t == 0]).mean)


def test_att_analysis_balances_and_recovers_an_effect() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    x = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 2, n)]).astype(float)
    t = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.5 * x[:, 0] + 0.7 * x[:, 1])))
    base = 0.15 + 0.2 * x[:, 0]  # confounded: x0 raises both participation and the outcome
    y = (rng.random(n) < base * np.where(t, 1.5, 1.0)).astype(float)
    result = att_analysis(["a", "b"], x, t, {"y": y}, replicates=200, seed=4)
    assert result.balanced
    assert all(abs(b.smd_before) > 0.1 for b in result.balance[:1])
    effect = result.effect("y")
    crude = y[t].mean() / y[~t].mean()
    assert crude > 1.75  # confounding inflates the crude ratio
    assert effect.rr_bootstrap[0] < 1.5 < effect.rr_bootstrap[1]
    assert effect.rr_robust[0] < 1.5 < effect.rr_robust[1]
    again = att_analysis(["a", "b"], x, t, {"y": y}, replicates=200, seed=4)
    assert again.effect("y").rr_bootstrap == effect.rr_bootstrap  # a fixed seed, the same interval
    assert len(str(result.to_dict())) < 5000  # summaries only, nothing per person


def test_restriction_where_participants_do_not_vary() -> None:
    x = np.array([[1, 0], [1, 1], [0, 1], [1, 0], [0, 0]], dtype=float)
    kept, rows, said = restrict_to_overlap(["in_state", "rural"], x, [1, 1, 0, 0, 0])
    assert kept == ("rural",)
    assert rows.tolist() == [True, True, False, True, False]
    assert "in_state" in said[0]


def test_an_empty_group_is_refused() -> None:
    with pytest.raises(ValueError, match="both participants and non-participants"):
        att_analysis(["a"], [[1], [0]], [1, 1], {"y": [1, 0]})


def test_e_values_by_hand() -> None:
    assert e_value_of(3.9) == pytest.approx(7.26, abs=0.005)  # VanderWeele & Ding's example
    assert e_value_of(1 / 3.9) == pytest.approx(e_value_of(3.9))  # a protective ratio is inverted
    assert e_value_of(1.0) == 1.0
    both = e_value(3.9, 1.8, 8.7)
    assert both.point == pytest.approx(7.26, abs=0.005)
    assert both.nearest_limit == 1.8
    assert both.limit == pytest.approx(1.8 + math.sqrt(1.8 * 0.8))
    protective = e_value(0.5, 0.3, 0.8)
    assert protective.nearest_limit == 0.8
    assert protective.limit == pytest.approx(e_value_of(1 / 0.8))
    assert e_value(1.3, 0.9, 1.8).limit == 1.0  # the interval includes 1
    assert math.isnan(e_value(float("nan"), 0, 1).point)


def test_the_grouped_bootstrap_refit_equals_a_refit_on_the_rows() -> None:
    from ristra.core.stats.propensity import _bootstrap

    rng = np.random.default_rng(9)
    n = 500
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.integers(0, 3, n)]).astype(float)
    t = rng.random(n) < 0.3
    y = (rng.random(n) < 0.4).astype(float)
    draws = _bootstrap(x, t, {"y": y}, 1, seed=2)["y"][0]
    again = np.random.default_rng(2)
    rows = np.concatenate([again.choice(np.flatnonzero(t), t.sum()), again.choice(np.flatnonzero(~t), (~t).sum())])
    theirs = sm.Logit(t[rows].astype(float), x[rows]).fit(disp=0)
    w = att_weights(theirs.predict(x[rows]), t[rows])
    r1, r0 = y[rows][t[rows]].mean(), DescrStatsW(y[rows][~t[rows]], w[~t[rows]]).mean
    assert draws == pytest.approx((r1 - r0, r1 / r0), rel=1e-8)
