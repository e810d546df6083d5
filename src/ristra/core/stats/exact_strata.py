"""Exact conditional inference on a common odds ratio across strata of 2×2 tables, and the
Mantel–Fleiss criterion that says when the Mantel–Haenszel chi-square can be trusted.

Tables have shape (K, 2, 2) as in :mod:`.mantel_haenszel`: for stratum k, ``[[a, b], [c, d]]``
with rows the group and the reference group and columns selected / not selected. Given every
margin of every stratum, a_k is hypergeometric, and under a common odds ratio ψ the sum
S = Σ a_k has the distribution P_ψ(S = s) ∝ P_1(S = s)·ψ^s, where P_1 is the convolution of the
strata's hypergeometric distributions. Everything here is computed from that distribution.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

from ristra.core.stats.arguments import check_confidence
from ristra.core.stats.mantel_haenszel import strata_tables

#: The Mantel–Fleiss criterion: Σ E[a_k] must lie at least this far from both of its bounds.
MANTEL_FLEISS_MIN = 5.0
#: Two probabilities within this relative distance count as equal in the two-sided p-value
#: (as R's ``mantelhaen.test(exact = TRUE)``): floating error must not split a tie.
RELATIVE_TIE = 1e-7
#: The largest convolution (Σ over strata of the two lengths multiplied) computed exactly.
MAX_CONVOLUTION_WORK = 20_000_000


@dataclass(frozen=True)
class MantelFleiss:
    """The Mantel–Fleiss criterion for the Mantel–Haenszel chi-square across strata.

    ``expected`` is Σ E[a_k] under no association, ``lower``/``upper`` the sums of the smallest and
    largest values each a_k can take given its margins, ``distance`` the smaller of
    ``expected − lower`` and ``upper − expected``; ``met`` when it is at least ``threshold``.
    """

    expected: float
    lower: int
    upper: int
    distance: float
    threshold: float
    met: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ExactConditionalTest:
    """The exact conditional test of a common odds ratio of 1, the conditional maximum-likelihood
    estimate of the common odds ratio and its exact interval.

    ``statistic`` is Σ a_k over the informative strata (those whose a-cell can take more than one
    value given the margins; the others are left out, ``strata_used`` counts the rest),
    ``expected`` its mean under the null, ``support`` its range. ``computed`` is False (and every
    number NaN, with ``note`` saying why) when the convolution is past its work limit. With no
    informative stratum the statistic cannot vary: the p-value is 1 (as Fisher's test of a table
    with an empty margin), the estimate NaN and the interval (0, ∞).
    """

    statistic: int
    expected: float
    support: tuple[int, int]
    p_value: float
    odds_ratio: float
    lower: float
    upper: float
    confidence: float
    strata_used: int
    strata_total: int
    computed: bool
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _margins(arr: NDArray[np.float64]) -> tuple[NDArray[np.int64], ...]:
    """Per stratum: a, the group's total, the selected total, the stratum total, and the bounds of a."""
    a = arr[:, 0, 0].astype(np.int64)
    group = (arr[:, 0, 0] + arr[:, 0, 1]).astype(np.int64)
    selected = (arr[:, 0, 0] + arr[:, 1, 0]).astype(np.int64)
    total = arr.sum(axis=(1, 2)).astype(np.int64)
    low = np.maximum(0, selected - (total - group))
    high = np.minimum(group, selected)
    return a, group, selected, total, low, high


def mantel_fleiss(tables: ArrayLike, threshold: float = MANTEL_FLEISS_MIN) -> MantelFleiss:
    """The Mantel–Fleiss criterion: may the Mantel–Haenszel chi-square be referred to chi-square?

    Method: with, in stratum k, group total m_k, selected total t_k, stratum total n_k, the a-cell
    lies between L_k = max(0, t_k − (n_k − m_k)) and U_k = min(m_k, t_k) and has null mean
    E_k = m_k t_k / n_k. The criterion asks that min(Σ E_k − Σ L_k, Σ U_k − Σ E_k) ≥ 5: the
    one-degree-of-freedom chi-square is then adequate even when single strata are tiny
    (Mantel & Fleiss 1980). It is the rule SAS and Stata print beside the test.

    Assumptions: a rule of thumb for the chi-square approximation to the *null* distribution of
    the MH statistic; it says nothing about homogeneity, nor about the interval of the pooled
    odds ratio. Strata with fewer than two people carry no information and add nothing.

    Reference: N. Mantel and J. L. Fleiss, "Minimum expected cell size requirements for the
    Mantel–Haenszel one-degree-of-freedom chi-square test and a related rapid procedure",
    Am. J. Epidemiol. 112 (1980) 129–134.
    """
    arr = strata_tables(tables)
    _, group, selected, total, low, high = _margins(arr)
    used = total >= 2
    expected = float(np.sum(group[used] * selected[used] / total[used])) if used.any() else 0.0
    lower, upper = int(low[used].sum()), int(high[used].sum())
    distance = min(expected - lower, upper - expected)
    return MantelFleiss(expected, lower, upper, distance, float(threshold), bool(distance >= threshold))


def _log_convolve(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """log(exp(x) * exp(y)) (the convolution of two distributions held as logs), without
    underflow: each output is the largest of its terms times a sum of terms at most 1."""
    if len(y) > len(x):
        x, y = y, x
    n = len(x)
    top = np.full(n + len(y) - 1, -np.inf)
    for j, v in enumerate(y):
        np.maximum(top[j:j + n], x + v, out=top[j:j + n])
    total = np.zeros_like(top)
    for j, v in enumerate(y):
        total[j:j + n] += np.exp(x + v - top[j:j + n])
    return np.asarray(top + np.log(total), dtype=np.float64)


def _null_distribution(group: NDArray[np.int64], selected: NDArray[np.int64], total: NDArray[np.int64],
                       low: NDArray[np.int64], high: NDArray[np.int64]) -> NDArray[np.float64]:
    """log P_1(S = s) for s from Σ low to Σ high: the convolution of the hypergeometric laws."""
    log_pmf = np.zeros(1)
    for m, t, n, lo, hi in zip(group, selected, total, low, high, strict=True):
        support = np.arange(lo, hi + 1)
        log_pmf = _log_convolve(log_pmf, stats.hypergeom.logpmf(support, n, t, m))
    return np.asarray(log_pmf - special.logsumexp(log_pmf), dtype=np.float64)


def _tilted(log_null: NDArray[np.float64], offsets: NDArray[np.float64], theta: float) -> NDArray[np.float64]:
    """log P_ψ(S = lo + offset) with ψ = exp(theta), normalised."""
    w = log_null + theta * offsets
    return np.asarray(w - special.logsumexp(w), dtype=np.float64)


def _solve(f: Any, increasing: bool) -> float:
    """The theta where the monotone f (increasing or decreasing) crosses 0, bracketing outwards."""
    bound = 1.0
    sign = 1.0 if increasing else -1.0
    while sign * f(-bound) > 0 or sign * f(bound) < 0:
        bound *= 2.0
        if bound > 4096.0:  # ψ beyond e^±4096 is 0 or ∞ in floating point
            return -math.inf if sign * f(-bound) > 0 else math.inf
    return float(optimize.brentq(f, -bound, bound, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=500))


def exact_conditional_test(tables: ArrayLike, confidence: float = 0.95) -> ExactConditionalTest:
    """Exact conditional test of a common odds ratio of 1 across strata, with the conditional
    maximum-likelihood estimate of the common odds ratio and its exact interval.

    Method: conditioning on every margin of every stratum, a_k is hypergeometric (group total
    m_k draws from n_k people of whom t_k were selected); under H0: ψ = 1 the distribution of
    S = Σ a_k is the convolution of those laws (computed on the log scale from
    ``scipy.stats.hypergeom.logpmf``, so no probability underflows). The two-sided p-value is the
    total probability of the values s with P(S = s) ≤ P(S = s_obs) (relative tolerance 1e-7 for
    ties) — the test of R's ``mantelhaen.test(exact = TRUE)``; with one stratum it is Fisher's exact
    test. Under a common odds ratio ψ, P_ψ(s) ∝ P_1(s)ψ^s: the conditional MLE solves
    E_ψ[S] = s_obs (0 at the lower end of the support, ∞ at the upper), and the exact
    100·confidence % interval inverts the two one-sided tests, P_ψL(S ≥ s_obs) = α/2 and
    P_ψU(S ≤ s_obs) = α/2 (Cornfield 1956; the interval of ``scipy.stats.contingency.odds_ratio``
    with ``kind="conditional"`` for one table). Strata whose a-cell is fixed by its margins carry
    no information and are left out.

    Assumptions: independent people within strata; the strata fixed in advance; a common odds
    ratio for the estimate and interval (the test of ψ = 1 does not need it). Valid however
    sparse the strata (this is what it is for); conservative because S is discrete. Invalid when
    the same person appears in several strata. Past a work limit (about 2·10⁷ operations in the
    convolution, i.e. large strata, where the Mantel–Haenszel test is adequate) it is not
    computed and ``note`` says so.

    References: C. R. Mehta, N. R. Patel and R. Gray, "Computing an exact confidence interval for
    the common odds ratio in several 2×2 contingency tables", JASA 80 (1985) 969–973;
    J. Cornfield, "A statistical problem arising from retrospective studies", Proc. Third Berkeley
    Symp. 4 (1956) 135–148; A. Agresti, *Categorical Data Analysis*, 3rd ed. (2013), §7.3.5.
    """
    confidence = check_confidence(confidence)
    arr = strata_tables(tables)
    strata_total = int(arr.shape[0])
    a, group, selected, total, low, high = _margins(arr)
    used = high > low
    a, group, selected, total, low, high = (v[used] for v in (a, group, selected, total, low, high))
    statistic = int(a.sum())
    lo, hi = int(low.sum()), int(high.sum())
    expected = float(np.sum(group * selected / total)) if used.any() else float(statistic)

    def result(p: float, estimate: float, lower: float, upper: float, computed: bool = True,
               note: str | None = None) -> ExactConditionalTest:
        return ExactConditionalTest(statistic, expected, (lo, hi), p, estimate, lower, upper, confidence,
                                    int(used.sum()), strata_total, computed, note)

    if not used.any():
        return result(1.0, math.nan, 0.0, math.inf,
                      note="no stratum has both outcomes in both groups' margins; the statistic cannot vary")
    lengths = high - low + 1
    work = int(np.sum(np.cumsum(lengths)[:-1] * lengths[1:])) if len(lengths) > 1 else 0
    if work > MAX_CONVOLUTION_WORK:
        return result(math.nan, math.nan, math.nan, math.nan, computed=False,
                      note="not computed: the strata are too large for the exact convolution (where the "
                           "Mantel–Haenszel test is adequate)")
    log_null = _null_distribution(group, selected, total, low, high)
    offsets = np.arange(hi - lo + 1, dtype=np.float64)
    observed = statistic - lo
    tie = log_null[observed] + math.log1p(RELATIVE_TIE)
    p_value = min(1.0, float(np.exp(special.logsumexp(log_null[log_null <= tie]))))
    alpha = (1.0 - confidence) / 2.0

    def mean_gap(theta: float) -> float:
        return float(np.sum(offsets * np.exp(_tilted(log_null, offsets, theta)))) - observed

    def upper_tail(theta: float) -> float:  # log P(S >= s_obs) − log(α/2), increasing in theta
        return float(special.logsumexp(_tilted(log_null, offsets, theta)[observed:])) - math.log(alpha)

    def lower_tail(theta: float) -> float:  # log P(S <= s_obs) − log(α/2), decreasing in theta
        return float(special.logsumexp(_tilted(log_null, offsets, theta)[:observed + 1])) - math.log(alpha)

    at_low, at_high = statistic == lo, statistic == hi
    estimate = 0.0 if at_low else math.inf if at_high else math.exp(_solve(mean_gap, increasing=True))
    lower = 0.0 if at_low else math.exp(_solve(upper_tail, increasing=True))
    upper = math.inf if at_high else math.exp(_solve(lower_tail, increasing=False))
    return result(p_value, estimate, lower, upper)
