"""The Mantel–Haenszel pooled odds ratio and test across strata (e.g. admission cycles).

Tables have shape (K, 2, 2): for stratum k, ``[[a, b], [c, d]]`` with rows the group and the
reference group and columns selected / not selected.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ristra.core.stats.arguments import check_confidence, normal_quantile


def strata_tables(tables: ArrayLike) -> NDArray[np.float64]:
    """``tables`` as a float array of shape (K, 2, 2) (one 2×2 table is K = 1) after checking that
    it holds non-negative whole counts; raises ``ValueError`` otherwise."""
    arr = np.asarray(tables, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[np.newaxis]
    if arr.ndim != 3 or arr.shape[1:] != (2, 2):
        raise ValueError(f"expected tables of shape (K, 2, 2), got {arr.shape}")
    if np.any(arr < 0) or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError("tables must hold non-negative whole counts")
    return arr


@dataclass(frozen=True)
class MantelHaenszel:
    """Pooled odds ratio with its Robins–Breslow–Greenland interval, and the MH chi-square test.

    ``strata_used`` counts strata with at least two people (others carry no information and
    are left out); ``log_se`` is the RBG standard error of log(odds_ratio). When the pooled
    odds ratio is 0, ``inf`` or NaN the interval is (0, inf) and ``note`` says why.
    """

    odds_ratio: float
    lower: float
    upper: float
    log_se: float
    confidence: float
    statistic: float
    p_value: float
    continuity_correction: bool
    strata_used: int
    strata_total: int
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mantel_haenszel(
    tables: ArrayLike, confidence: float = 0.95, continuity_correction: bool = False
) -> MantelHaenszel:
    """Mantel–Haenszel pooled odds ratio, RBG confidence interval and MH test of OR = 1.

    Method: with n_k = a_k + b_k + c_k + d_k,
    OR_MH = Σ a_k d_k / n_k ÷ Σ b_k c_k / n_k (Mantel & Haenszel 1959). The variance of
    log OR_MH is the Robins–Breslow–Greenland estimator (Robins, Breslow & Greenland 1986),
    consistent both for many sparse strata and for a few large ones; the interval is
    exp(log OR_MH ± z·SE). The test statistic is
    (|Σ a_k − Σ E[a_k]| − c)² / Σ Var(a_k), with E[a_k] = (a+b)(a+c)/n and
    Var(a_k) = (a+b)(c+d)(a+c)(b+d) / (n²(n − 1)) (hypergeometric), c = 0.5 with the
    continuity correction and 0 without (the corrected difference is floored at 0), referred
    to chi-square with 1 df. Strata with fewer than two people are dropped (they contribute
    nothing to any sum).

    Assumptions: within each stratum, observations are independent; the odds ratio is the
    same in every stratum (homogeneity — check it with :func:`~.homogeneity.breslow_day_test` before
    reading the pooled value as *the* odds ratio; the test of OR = 1 remains valid without
    it, but loses power when the stratum effects go in opposite directions). Invalid when
    the same person appears in several strata (e.g. re-applicants across cycles) unless
    that dependence is negligible; the test needs Σ Var(a_k) > 0, and its chi-square approximation
    needs enough room on both sides of Σ E[a_k] (the Mantel–Fleiss criterion,
    :func:`~.exact_strata.mantel_fleiss`); where that fails, use the exact conditional test
    (:func:`~.exact_strata.exact_conditional_test`).

    References: N. Mantel and W. Haenszel, "Statistical aspects of the analysis of data from
    retrospective studies of disease", JNCI 22 (1959) 719–748; J. Robins, N. Breslow and
    S. Greenland, "Estimators of the Mantel–Haenszel variance consistent in both sparse data
    and large-strata limiting models", Biometrics 42 (1986) 311–323.
    """
    confidence = check_confidence(confidence)
    arr = strata_tables(tables)
    strata_total = int(arr.shape[0])
    n_all = arr.sum(axis=(1, 2))
    arr = arr[n_all >= 2]
    a, b, c, d = arr[:, 0, 0], arr[:, 0, 1], arr[:, 1, 0], arr[:, 1, 1]
    n = a + b + c + d

    r = a * d / n  # R_k
    s = b * c / n  # S_k
    p = (a + d) / n  # P_k
    q = (b + c) / n  # Q_k
    r_sum, s_sum = float(r.sum()), float(s.sum())

    expected = (a + b) * (a + c) / n
    variance = float(np.sum((a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1.0))))
    difference = abs(float(a.sum() - expected.sum()))
    if continuity_correction:
        difference = max(difference - 0.5, 0.0)
    if variance > 0:
        statistic = difference * difference / variance
        p_value = float(stats.chi2.sf(statistic, 1))
    else:
        statistic, p_value = math.nan, math.nan

    notes: list[str] = []
    if variance <= 0:
        notes.append("no stratum has both outcomes in both groups' margins; the test is undefined")
    if r_sum > 0 and s_sum > 0:
        odds_ratio = r_sum / s_sum
        log_var = (
            float(np.sum(p * r)) / (2.0 * r_sum * r_sum)
            + float(np.sum(p * s + q * r)) / (2.0 * r_sum * s_sum)
            + float(np.sum(q * s)) / (2.0 * s_sum * s_sum)
        )
        log_se = math.sqrt(log_var)
        z = normal_quantile(confidence)
        lower = math.exp(math.log(odds_ratio) - z * log_se)
        upper = math.exp(math.log(odds_ratio) + z * log_se)
    else:
        odds_ratio = math.nan if r_sum == s_sum == 0 else (0.0 if r_sum == 0 else math.inf)
        log_se, lower, upper = math.nan, 0.0, math.inf
        notes.append("the pooled odds ratio is 0, infinite or undefined; no finite interval")
    return MantelHaenszel(
        odds_ratio=odds_ratio,
        lower=lower,
        upper=upper,
        log_se=log_se,
        confidence=confidence,
        statistic=statistic,
        p_value=p_value,
        continuity_correction=continuity_correction,
        strata_used=int(arr.shape[0]),
        strata_total=strata_total,
        note="; ".join(notes) or None,
    )
