"""Ratios of shares: the representation ratio against a fixed (census) share, and the ratio
of two independently sampled proportions with the Miettinen–Nurminen score interval (default,
valid at rates of 0 and 1) or the Katz log interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ristra.core.stats.arguments import check_confidence, check_count_pair, normal_quantile
from ristra.core.stats.proportions import SMALL_NUMBER_THRESHOLD, Proportion, ProportionMethod, proportion

RatioMethod = Literal["miettinen_nurminen", "katz_log", "fixed_reference"]
SampledRatioMethod = Literal["miettinen_nurminen", "katz_log"]
#: The score interval's search runs over log(ratio) in [−LOG_RANGE, LOG_RANGE]; a bound the
#: score statistic does not reach inside it is 0 or infinite.
LOG_RANGE = 35.0
_BISECTIONS = 64


@dataclass(frozen=True)
class RatioEstimate:
    """A ratio of two shares with a two-sided interval.

    ``ratio`` is 0 when the numerator share is 0, ``inf`` when only the denominator share is 0,
    and NaN when it is 0/0 or a group is empty; the interval is then (0, inf). ``zero_corrected``
    says the bounds came from the 0.5-corrected table (see :func:`katz_ratio`).
    """

    ratio: float
    lower: float
    upper: float
    method: RatioMethod
    confidence: float
    zero_corrected: bool
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RepresentationRatio:
    """A group's share in one population divided by its share in a reference.

    ``reference`` is the sampled reference proportion, or None when the reference share is a
    fixed benchmark (census); ``reference_share`` is always filled.
    """

    group: Proportion
    reference: Proportion | None
    reference_share: float
    estimate: RatioEstimate

    @property
    def ratio(self) -> float:
        return self.estimate.ratio

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_statistic(theta: ArrayLike, k1: ArrayLike, n1: ArrayLike, k0: ArrayLike, n0: ArrayLike) -> NDArray[np.float64]:
    """The Miettinen–Nurminen score statistic of H0: p1/p0 = ``theta`` (arrays, broadcast).

    z(θ) = (p̂1 − θ·p̂0) / sqrt((p̃1(1 − p̃1)/n1 + θ²·p̃0(1 − p̃0)/n0) · N/(N − 1)), with p̃0, p̃1 = θ·p̃0
    the maximum-likelihood estimates under H0 (the smaller root of A·p² + B·p + C = 0 with
    A = Nθ, B = −(n1θ + k1 + n0 + k0θ), C = k1 + k0, taken as 2C/(−B + sqrt(B² − 4AC)), which
    does not cancel) and N = n1 + n0. z is 0 where both the difference and its variance are 0,
    and ±inf where only the variance is. Needs n1, n0 >= 1 and k1 + k0 >= 1 (callers check).
    """
    t = np.asarray(theta, dtype=np.float64)
    a1, m1, a0, m0 = (np.asarray(v, dtype=np.float64) for v in (k1, n1, k0, n0))
    total = m1 + m0
    b = m1 * t + a1 + m0 + a0 * t
    c = a1 + a0
    disc = np.maximum(b * b - 4.0 * total * t * c, 0.0)
    p0 = np.clip(2.0 * c / (b + np.sqrt(disc)), 0.0, 1.0)
    p1 = np.clip(t * p0, 0.0, 1.0)
    variance = np.maximum(p1 * (1.0 - p1) / m1 + t * t * p0 * (1.0 - p0) / m0, 0.0) * total / (total - 1.0)
    difference = a1 / m1 - t * (a0 / m0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0.0, difference / np.sqrt(variance), np.sign(difference) * np.inf)
    return np.asarray(np.where(difference == 0.0, 0.0, z), dtype=np.float64)


@dataclass(frozen=True)
class RatioIntervals:
    """Ratios of two proportions with their intervals (arrays, same length as the input)."""

    ratio: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]


def score_ratio_intervals(k1: ArrayLike, n1: ArrayLike, k0: ArrayLike, n0: ArrayLike,
                          confidence: float = 0.95) -> RatioIntervals:
    """Miettinen–Nurminen score intervals for many ratios (k1/n1)/(k0/n0) at once (vectorised;
    no checks beyond shapes). See :func:`score_ratio` for the method.

    Each bound is found by bisection on log(ratio) over [−35, 35] (64 halvings: the bound is
    exact to a few ulps), which needs only that z(θ) crosses ±z_α once — it decreases in θ.
    A bound z(θ) never reaches inside the range is 0 (lower) or ``inf`` (upper): k1 = 0 gives a
    lower bound of 0, k0 = 0 an upper bound of ``inf``, and small groups with a rate of 1 can give
    either. An empty group, or both k = 0, gives a NaN ratio with the interval (0, inf).
    """
    a1, m1, a0, m0 = (np.asarray(v, dtype=np.float64).ravel() for v in (k1, n1, k0, n0))
    z = normal_quantile(confidence)
    size = a1.size
    ratio = np.full(size, math.nan)
    lower, upper = np.zeros(size), np.full(size, math.inf)
    live = (m1 > 0) & (m0 > 0) & (a1 + a0 > 0)
    if not live.any():
        return RatioIntervals(ratio, lower, upper)
    a1, m1, a0, m0 = a1[live], m1[live], a0[live], m0[live]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio[live] = np.where(a0 > 0, (a1 / m1) / np.where(a0 > 0, a0 / m0, 1.0), math.inf)
    bounds = []
    for target in (z, -z):  # the lower bound solves z(θ) = z_α, the upper z(θ) = −z_α
        lo = np.full(a1.size, -LOG_RANGE)
        hi = np.full(a1.size, LOG_RANGE)
        reached_low = score_statistic(np.exp(lo), a1, m1, a0, m0) > target
        reached_high = score_statistic(np.exp(hi), a1, m1, a0, m0) < target
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            above = score_statistic(np.exp(mid), a1, m1, a0, m0) > target
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        bound = np.exp(0.5 * (lo + hi))
        bound = np.where(reached_low, bound, 0.0)
        bounds.append(np.where(reached_high, bound, math.inf))
    lower[live], upper[live] = bounds
    return RatioIntervals(ratio, lower, upper)


def score_ratio(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> RatioEstimate:
    """Ratio of two independent proportions (k1/n1) / (k0/n0) with the Miettinen–Nurminen score
    interval (the default for sampled ratios and impact ratios).

    Method: the interval is the set of ratios θ not rejected by the two-sided score test of
    H0: p1 = θ·p0, |z(θ)| <= z_α with z(θ) = (p̂1 − θp̂0)/sqrt(Ṽ(θ)), the variance Ṽ taken at the
    maximum-likelihood estimates of p0 and p1 = θp0 *under H0* (closed form, Farrington and
    Manning 1990) and multiplied by N/(N − 1) (Miettinen and Nurminen 1985). Because the
    variance is estimated under the null, the interval stays valid where the Katz log interval
    breaks: at a rate of 0 the lower bound is exactly 0, at a reference rate of 0 the upper
    bound is ``inf``, and at a rate of 1 the interval still covers the ratios the data cannot
    exclude (548/627 against 6/6 gives [0.846, 1.435], which contains 1 as Fisher's exact test
    p = 1 says; Katz gave [0.848, 0.900]). At θ = 1 the statistic is Pearson's chi-square times
    (N − 1)/N, so the interval excludes 1 exactly when that test rejects — it agrees in direction
    with the tests of the table. Bounds are found by bisection (see :func:`score_ratio_intervals`).

    The point estimate is the observed ratio: 0 when k1 = 0, ``inf`` when only k0 = 0. Both k = 0
    or an empty group: ratio NaN, interval (0, inf) — nothing is known.

    Assumptions: two independent binomial samples. Coverage is close to nominal for small and
    moderate samples (Newcombe 1998; Fagerland, Lydersen and Laake 2015 recommend it). Invalid
    when the groups overlap or are nested (successive stages of one cycle): the samples are then
    positively correlated and the interval is conservative — read it as an upper envelope.

    References: O. Miettinen and M. Nurminen, "Comparative analysis of two rates", Stat. Med. 4
    (1985) 213–226; C. P. Farrington and G. Manning, "Test statistics and sample size formulae
    for comparative binomial trials with null hypothesis of non-zero risk difference or non-unity
    relative risk", Stat. Med. 9 (1990) 1447–1454; M. W. Fagerland, S. Lydersen and P. Laake,
    "Recommended confidence intervals for two independent binomial proportions", Stat. Methods
    Med. Res. 24 (2015) 224–254.
    """
    k1, n1 = check_count_pair(k1, n1, "score_ratio numerator")
    k0, n0 = check_count_pair(k0, n0, "score_ratio denominator")
    confidence = check_confidence(confidence)
    return score_ratios([(k1, n1, k0, n0)], confidence)[0]


def score_ratios(tables: Sequence[tuple[int, int, int, int]], confidence: float = 0.95) -> list[RatioEstimate]:
    """:func:`score_ratio` of each (k1, n1, k0, n0) (checked by the caller), in one vectorised batch."""
    if not tables:
        return []
    arr = np.asarray(tables, dtype=np.float64)
    found = score_ratio_intervals(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], confidence)
    out = []
    for (k1, n1, k0, n0), ratio, lower, upper in zip(tables, found.ratio.tolist(), found.lower.tolist(),
                                                     found.upper.tolist(), strict=True):
        out.append(RatioEstimate(float(ratio), float(lower), float(upper), "miettinen_nurminen", confidence, False,
                                 _ratio_note(k1, n1, k0, n0)))
    return out


def _ratio_note(k1: int, n1: int, k0: int, n0: int) -> str | None:
    """Why a ratio of two shares is undefined, 0 or infinite (None when it is none of these)."""
    if n1 == 0 and n0 == 0:
        return "neither group has members; the ratio is undefined"
    if n1 == 0 or n0 == 0:
        return f"the {'group' if n1 == 0 else 'reference'} has no members; the ratio is undefined"
    if k1 == 0 and k0 == 0:
        return "both shares are 0; the ratio is undefined"
    if k1 == 0:
        return "the group share is 0; the lower bound is 0"
    if k0 == 0:
        return "the reference share is 0; the ratio and its upper bound are infinite"
    return None


def katz_ratio(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> RatioEstimate:
    """Ratio of two independent proportions (k1/n1) / (k0/n0) with the Katz log interval.

    Method: log(ratio) ± z·sqrt(1/k1 − 1/n1 + 1/k0 − 1/n0), exponentiated (Katz et al. 1978),
    the delta-method standard error of the log ratio of two binomial proportions.

    Zeros (a documented choice): when k1 = 0 or k0 = 0 the log ratio is infinite and the
    variance undefined. The point estimate stays the observed one (0 when k1 = 0, ``inf``
    when k0 = 0); the finite bound is computed from the table with 0.5 added to each of its
    four cells (Haldane–Anscombe: k + 0.5 of n + 1), and the other bound is 0 or ``inf``
    exactly, so the interval always contains the estimate. When both k are 0, or a group is
    empty (n = 0), the ratio is NaN and the interval (0, inf): nothing is known.

    Assumptions: two independent binomial samples; large-sample normality of log(ratio).
    Invalid when the two groups overlap or are nested — e.g. "interviewed" against
    "applicants" of the same cycle, where the interviewed are a subset of the applicants:
    the samples are then positively correlated and the Katz interval is conservative
    (too wide); and unreliable (coverage off) when k1 or k0 is very small.

    Reference: D. Katz, J. Baptista, S. P. Azen and M. C. Pike, "Obtaining confidence
    intervals for the risk ratio in cohort studies", Biometrics 34 (1978) 469–474.
    """
    k1, n1 = check_count_pair(k1, n1, "katz_ratio numerator")
    k0, n0 = check_count_pair(k0, n0, "katz_ratio denominator")
    confidence = check_confidence(confidence)
    if n1 == 0 or n0 == 0:
        which = "group" if n1 == 0 else "reference"
        return RatioEstimate(math.nan, 0.0, math.inf, "katz_log", confidence, False,
                             f"the {which} has no members; the ratio is undefined")
    if k1 == 0 and k0 == 0:
        return RatioEstimate(math.nan, 0.0, math.inf, "katz_log", confidence, False,
                             "both shares are 0; the ratio is undefined")
    z = normal_quantile(confidence)
    corrected = k1 == 0 or k0 == 0
    a, m1, b, m0 = (k1 + 0.5, n1 + 1.0, k0 + 0.5, n0 + 1.0) if corrected else (k1, n1, k0, n0)
    log_ratio = math.log((a / m1) / (b / m0))
    se = math.sqrt(1.0 / a - 1.0 / m1 + 1.0 / b - 1.0 / m0)
    lower, upper = math.exp(log_ratio - z * se), math.exp(log_ratio + z * se)
    if k1 == 0:
        return RatioEstimate(0.0, 0.0, upper, "katz_log", confidence, True,
                             "the group share is 0; upper bound from the 0.5-corrected table")
    if k0 == 0:
        return RatioEstimate(math.inf, lower, math.inf, "katz_log", confidence, True,
                             "the reference share is 0; lower bound from the 0.5-corrected table")
    return RatioEstimate((k1 / n1) / (k0 / n0), lower, upper, "katz_log", confidence, False, None)


def representation_ratio_fixed(
    k: int,
    n: int,
    reference_share: float,
    confidence: float = 0.95,
    method: ProportionMethod = "wilson",
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
) -> RepresentationRatio:
    """Representation ratio against a fixed benchmark: (k/n) / ``reference_share``.

    Method: the benchmark (e.g. a census share of the state population) is treated as known
    without sampling error, so the ratio's interval is the share's interval (Wilson by
    default, see :func:`~ristra.core.stats.proportions.proportion`) divided by the benchmark.

    Assumptions: k is binomial(n, p); the benchmark is exact and measures the same
    category, defined the same way, in the relevant population. Invalid when the benchmark
    is itself a sample estimate with non-negligible error (e.g. a small-area ACS estimate —
    use :func:`representation_ratio_sampled`), or when the category is defined differently
    (e.g. census race "alone" against school data "alone or in combination").
    ``reference_share`` must lie in (0, 1]; a zero benchmark makes every ratio undefined and
    is rejected with ``ValueError``. n = 0 gives a NaN ratio with interval (0, 1/benchmark): the
    share's interval is then (0, 1), and a share cannot exceed 1.

    References: Wilson (1927) for the interval (dividing by a constant is exact); for the
    ratio as a measure of representation in medicine, L. A. Lett et al., "Trends in
    racial/ethnic representation among US medical students", JAMA Netw. Open 2 (2019) e1910490.
    """
    share = float(reference_share)
    if not (0.0 < share <= 1.0):
        raise ValueError(f"reference_share must lie in (0, 1], got {reference_share!r}")
    group = proportion(k, n, confidence, method, small_number_threshold)
    estimate = RatioEstimate(
        ratio=group.share / share,
        lower=group.lower / share,
        upper=group.upper / share,
        method="fixed_reference",
        confidence=group.confidence,
        zero_corrected=False,
        note="n = 0: nobody to take a share of; the ratio is undefined (its interval is (0, 1/benchmark), "
             "since a share cannot exceed 1)" if group.n == 0 else None,
    )
    return RepresentationRatio(group=group, reference=None, reference_share=share, estimate=estimate)


def representation_ratio_sampled(
    k: int,
    n: int,
    reference_k: int,
    reference_n: int,
    confidence: float = 0.95,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
    method: SampledRatioMethod = "miettinen_nurminen",
) -> RepresentationRatio:
    """Representation ratio between two sampled populations: (k/n) / (reference_k/reference_n).

    Method: the Miettinen–Nurminen score interval by default (see :func:`score_ratio`, valid at
    shares of 0 and 1), or the Katz log interval (``method="katz_log"``, :func:`katz_ratio`).
    Use it for "this stage against the previous stage" or "this group against a comparison
    group"; the reference is a count, not a benchmark.

    Assumptions: two independent binomial samples. Invalid (conservative) when one
    population contains the other, as successive stages of the same cycle do; the interval
    then overstates the uncertainty — read it as an upper envelope.

    References: Miettinen and Nurminen, Stat. Med. 4 (1985) 213–226; Katz, Baptista, Azen and
    Pike, Biometrics 34 (1978) 469–474.
    """
    group = proportion(k, n, confidence, "wilson", small_number_threshold)
    reference = proportion(reference_k, reference_n, confidence, "wilson", small_number_threshold)
    if method == "miettinen_nurminen":
        estimate = score_ratio(group.k, group.n, reference.k, reference.n, confidence)
    elif method == "katz_log":
        estimate = katz_ratio(group.k, group.n, reference.k, reference.n, confidence)
    else:
        raise ValueError(f"unknown ratio interval method {method!r}; choose 'miettinen_nurminen' or 'katz_log'")
    return RepresentationRatio(group=group, reference=reference, reference_share=reference.share,
                               estimate=estimate)
