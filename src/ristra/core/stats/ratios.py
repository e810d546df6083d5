"""Ratios of shares: the representation ratio against a fixed (census) share, and the ratio
of two independently sampled proportions with the Katz log interval."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ristra.core.stats.arguments import check_confidence, check_count_pair, normal_quantile
from ristra.core.stats.proportions import SMALL_NUMBER_THRESHOLD, Proportion, ProportionMethod, proportion

RatioMethod = Literal["katz_log", "fixed_reference"]


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
    is rejected with ``ValueError``. n = 0 gives a NaN ratio with interval (0, 1/benchmark).

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
        note="the group has no members; the ratio is undefined" if group.n == 0 else None,
    )
    return RepresentationRatio(group=group, reference=None, reference_share=share, estimate=estimate)


def representation_ratio_sampled(
    k: int,
    n: int,
    reference_k: int,
    reference_n: int,
    confidence: float = 0.95,
    small_number_threshold: int = SMALL_NUMBER_THRESHOLD,
) -> RepresentationRatio:
    """Representation ratio between two sampled populations: (k/n) / (reference_k/reference_n).

    Method: the Katz log interval (see :func:`katz_ratio`, including its handling of zeros).
    Use it for "this stage against the previous stage" or "this group against a comparison
    group"; the reference is a count, not a benchmark.

    Assumptions: two independent binomial samples. Invalid (conservative) when one
    population contains the other, as successive stages of the same cycle do; the interval
    then overstates the uncertainty — read it as an upper envelope.

    Reference: Katz, Baptista, Azen and Pike, Biometrics 34 (1978) 469–474.
    """
    group = proportion(k, n, confidence, "wilson", small_number_threshold)
    reference = proportion(reference_k, reference_n, confidence, "wilson", small_number_threshold)
    estimate = katz_ratio(group.k, group.n, reference.k, reference.n, confidence)
    return RepresentationRatio(group=group, reference=reference, reference_share=reference.share,
                               estimate=estimate)
