"""A share k/n with a confidence interval: Wilson score (default) or Clopper–Pearson exact.

No interval is hidden because n is small: it is shown wide, and ``small_number`` says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ristra.core.stats.arguments import check_confidence, check_count_pair, normal_quantile

ProportionMethod = Literal["wilson", "wilson_cc", "clopper_pearson"]
METHODS: tuple[ProportionMethod, ...] = ("wilson", "wilson_cc", "clopper_pearson")

#: ``small_number`` is set when n is below this, or fewer than ``SMALL_CELL`` successes or failures.
SMALL_NUMBER_THRESHOLD = 30
SMALL_CELL = 5


@dataclass(frozen=True)
class IntervalArrays:
    """Lower and upper confidence bounds for many proportions at once (same length as the input)."""

    lower: NDArray[np.float64]
    upper: NDArray[np.float64]


@dataclass(frozen=True)
class Proportion:
    """k successes of n with a two-sided interval for the underlying share.

    ``share`` is NaN when n = 0 and the interval is then the whole of [0, 1] (nothing is known).
    ``small_number`` flags n < the threshold (default 30) or k < 5 or n − k < 5.
    """

    k: int
    n: int
    share: float
    lower: float
    upper: float
    method: ProportionMethod
    confidence: float
    small_number: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson_intervals(
    k: ArrayLike, n: ArrayLike, confidence: float = 0.95, continuity_correction: bool = False
) -> IntervalArrays:
    """Wilson score intervals for arrays of counts (vectorised; no checks beyond shapes).

    Method: the interval inverts the score test of H0: p = p0, i.e. the set of p0 with
    |p̂ − p0| <= z·sqrt(p0(1 − p0)/n) (Wilson 1927). With ``continuity_correction`` the
    test statistic is |p̂ − p0| − 1/(2n) (Newcombe 1998, method 4). Lower is 0 when k = 0 and
    upper is 1 when k = n, exactly. n = 0 gives (0, 1).

    Assumptions: k is binomial(n, p) — independent people with a common probability.
    Coverage is close to nominal even for small n (the corrected version is conservative).
    Invalid when the people are not independent (e.g. the same person counted twice, or
    clusters such as families or programmes sharing an outcome) or when n is not fixed.

    References: E. B. Wilson, "Probable inference, the law of succession, and statistical
    inference", JASA 22 (1927) 209–212; R. G. Newcombe, "Two-sided confidence intervals for
    the single proportion: comparison of seven methods", Stat. Med. 17 (1998) 857–872.
    """
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    z = normal_quantile(confidence)
    z2 = z * z
    empty = n_arr == 0
    n_safe = np.where(empty, 1.0, n_arr)
    p = k_arr / n_safe
    with np.errstate(invalid="ignore", divide="ignore"):
        if continuity_correction:
            denom = 2.0 * (n_safe + z2)
            lower_root = np.sqrt(np.maximum(z2 - 2.0 - 1.0 / n_safe + 4.0 * p * (n_safe * (1.0 - p) + 1.0), 0.0))
            upper_root = np.sqrt(np.maximum(z2 + 2.0 - 1.0 / n_safe + 4.0 * p * (n_safe * (1.0 - p) - 1.0), 0.0))
            lower = (2.0 * n_safe * p + z2 - 1.0 - z * lower_root) / denom
            upper = (2.0 * n_safe * p + z2 + 1.0 + z * upper_root) / denom
        else:
            denom = 1.0 + z2 / n_safe
            centre = (p + z2 / (2.0 * n_safe)) / denom
            half = z * np.sqrt(p * (1.0 - p) / n_safe + z2 / (4.0 * n_safe * n_safe)) / denom
            lower = centre - half
            upper = centre + half
    lower = np.where((k_arr == 0) | empty, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where((k_arr == n_arr) | empty, 1.0, np.clip(upper, 0.0, 1.0))
    return IntervalArrays(lower=np.asarray(lower, dtype=np.float64), upper=np.asarray(upper, dtype=np.float64))


def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """:func:`wilson_intervals` (without correction) of one share, in plain floats: the same
    operations in the same order, each correctly rounded, so the same bounds bit for bit."""
    if n == 0:
        return 0.0, 1.0
    z = normal_quantile(confidence)
    z2 = z * z
    n_f = float(n)
    p = k / n_f
    denom = 1.0 + z2 / n_f
    centre = (p + z2 / (2.0 * n_f)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)) / denom
    lower = 0.0 if k == 0 else min(max(centre - half, 0.0), 1.0)
    upper = 1.0 if k == n else min(max(centre + half, 0.0), 1.0)
    return lower, upper


def clopper_pearson_intervals(k: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> IntervalArrays:
    """Clopper–Pearson "exact" intervals for arrays of counts (vectorised).

    Method: the bounds are the beta quantiles B(α/2; k, n − k + 1) and B(1 − α/2; k + 1, n − k),
    which invert two one-sided binomial tests (Clopper & Pearson 1934). Lower is 0 when
    k = 0, upper is 1 when k = n; n = 0 gives (0, 1).

    Assumptions: as for Wilson (binomial sampling). The interval is conservative — its
    coverage is at least the nominal level, often well above it, so it is wider than
    Wilson's. Invalid for dependent observations.

    Reference: C. J. Clopper and E. S. Pearson, "The use of confidence or fiducial limits
    illustrated in the case of the binomial", Biometrika 26 (1934) 404–413.
    """
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    half_alpha = (1.0 - check_confidence(confidence)) / 2.0
    no_success = k_arr == 0
    all_success = k_arr == n_arr
    lower = stats.beta.ppf(half_alpha, np.where(no_success, 1.0, k_arr), n_arr - k_arr + 1.0)
    upper = stats.beta.isf(half_alpha, k_arr + 1.0, np.where(all_success, 1.0, n_arr - k_arr))
    lower = np.where(no_success, 0.0, lower)
    upper = np.where(all_success, 1.0, upper)
    return IntervalArrays(lower=np.asarray(lower, dtype=np.float64), upper=np.asarray(upper, dtype=np.float64))


def is_small_number(k: int, n: int, threshold: int = SMALL_NUMBER_THRESHOLD, min_cell: int = SMALL_CELL) -> bool:
    """True when n < ``threshold`` or either k or n − k is below ``min_cell``."""
    return n < threshold or k < min_cell or n - k < min_cell


def proportion(
    k: int,
    n: int,
    confidence: float = 0.95,
    method: ProportionMethod = "wilson",
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
) -> Proportion:
    """The share k/n with a two-sided confidence interval; never raises for n = 0.

    Method: ``"wilson"`` (default) is the Wilson score interval; ``"wilson_cc"`` the Wilson
    interval with continuity correction (Newcombe 1998); ``"clopper_pearson"`` the exact
    beta-quantile interval. See :func:`wilson_intervals` and :func:`clopper_pearson_intervals`
    for the formulas.

    Assumptions: k is binomial(n, p) — independent people sharing one probability. When
    the counts are a complete census rather than a sample, the interval describes the
    uncertainty of the underlying process (what the share could have been), not of the count.

    Invalid when people are counted more than once or outcomes are clustered. For n = 0 the
    share is NaN and the interval is (0, 1): the data say nothing. ``small_number`` is True
    when n < ``small_number_threshold`` (default 30) or k < 5 or n − k < 5; the interval is
    still shown (wide) rather than hidden.

    References: Wilson (1927); Clopper & Pearson (1934); Newcombe (1998); A. Agresti and
    B. A. Coull, "Approximate is better than 'exact' for interval estimation of binomial
    proportions", Am. Stat. 52 (1998) 119–126.
    """
    k_int, n_int = check_count_pair(k, n, "proportion")
    check_confidence(confidence)
    if method == "wilson":
        lower, upper = _wilson(k_int, n_int, confidence)
    elif method == "wilson_cc":
        bounds = wilson_intervals(k_int, n_int, confidence, continuity_correction=True)
        lower, upper = float(bounds.lower), float(bounds.upper)
    elif method == "clopper_pearson":
        bounds = clopper_pearson_intervals(k_int, n_int, confidence)
        lower, upper = float(bounds.lower), float(bounds.upper)
    else:
        raise ValueError(f"unknown proportion interval method {method!r}; choose one of {METHODS}")
    return Proportion(
        k=k_int,
        n=n_int,
        share=k_int / n_int if n_int else math.nan,
        lower=lower,
        upper=upper,
        method=method,
        confidence=float(confidence),
        small_number=is_small_number(k_int, n_int, small_number_threshold),
    )
