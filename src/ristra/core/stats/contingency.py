"""Tests of independence in one 2×2 table: Fisher's exact test and Pearson's chi-square.

Tables are ``[[a, b], [c, d]]`` with rows the two groups (group, reference) and columns the
outcome (selected, not selected).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

#: Pearson's chi-square is reported only when every expected count reaches this.
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class FisherTest:
    """Fisher's exact test of a 2×2 table: the sample odds ratio ad/bc and the two-sided p-value."""

    odds_ratio: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChiSquareTest:
    """Pearson's chi-square test of a 2×2 table, with or without Yates's continuity correction."""

    statistic: float
    p_value: float
    dof: int
    yates: bool
    min_expected: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChiSquareReport:
    """Both chi-square variants, or None for each with the reason they are not reported."""

    pearson: ChiSquareTest | None
    yates: ChiSquareTest | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def table_2x2(table: ArrayLike) -> NDArray[np.int64]:
    """Return ``table`` as a 2×2 array of non-negative whole counts, or raise ``ValueError``."""
    arr = np.asarray(table, dtype=np.float64)
    if arr.shape != (2, 2):
        raise ValueError(f"expected a 2x2 table, got shape {arr.shape}")
    if np.any(arr < 0) or np.any(arr != np.round(arr)) or not np.all(np.isfinite(arr)):
        raise ValueError("a 2x2 table must hold non-negative whole counts")
    return arr.astype(np.int64)


def expected_counts(table: ArrayLike) -> NDArray[np.float64]:
    """Expected cell counts under independence: row total × column total / grand total."""
    arr = np.asarray(table, dtype=np.float64)
    total = arr.sum()
    if total == 0:
        return np.zeros_like(arr)
    return np.asarray(np.outer(arr.sum(axis=1), arr.sum(axis=0)) / total, dtype=np.float64)


def fisher_exact_test(table: ArrayLike) -> FisherTest:
    """Fisher's exact test (two-sided) for a 2×2 table: :func:`fisher_exact_tests` of one table."""
    return fisher_exact_tests([table_2x2(table)])[0]


def fisher_exact_tests(tables: Sequence[ArrayLike]) -> tuple[FisherTest, ...]:
    """Fisher's exact test (two-sided) for many 2×2 tables at once.

    Method: conditional on both margins, the count a is hypergeometric under independence;
    the two-sided p-value sums the probabilities of all tables no more likely than the
    observed one (Fisher 1935). The odds ratio reported is the sample (unconditional) ad/bc,
    which is 0, ``inf`` or NaN when cells are zero.

    Computation: the algorithm of ``scipy.stats.fisher_exact`` (2×2, two-sided) run on all
    tables together — the observed tail from the hypergeometric CDF, the other tail found by a
    binary search for the last count at least as unlikely (relative tolerance 1e-14), every
    probability from ``scipy.stats.hypergeom`` — so each p-value is the one SciPy returns,
    with a few dozen vectorised calls instead of a few dozen calls per table (tests compare
    them with SciPy). The search's comparisons of SciPy's (costly) pmf with the observed one
    are settled from a log-gamma approximation where its error bound makes the answer
    certain, and from SciPy's pmf otherwise, so the search takes SciPy's steps exactly.

    Assumptions: the margins are fixed or the test is conditioned on them; observations are
    independent. Valid at any sample size (it is exact), but conservative for small tables
    because the p-value is discrete. With an empty row or column the table holds no
    information and the p-value is 1.

    References: R. A. Fisher, The Design of Experiments (1935), §2; A. Agresti, Categorical
    Data Analysis, 3rd ed. (2013), §3.5.
    """
    if not len(tables):
        return ()
    c = np.stack([table_2x2(t) for t in tables])
    a, b, cc, d = c[:, 0, 0], c[:, 0, 1], c[:, 1, 0], c[:, 1, 1]
    n1, n2, n = a + b, cc + d, a + cc
    total = n1 + n2
    empty = (n1 == 0) | (n2 == 0) | (n == 0) | (b + d == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where((cc > 0) & (b > 0), a * d / np.where(cc * b > 0, cc * b, 1), np.inf)
    odds = np.where(empty, np.nan, odds)
    p = np.ones(len(c))
    live = ~empty
    if live.any():
        p[live] = _two_sided(a[live], total[live], n1[live], n[live])
    return tuple(FisherTest(odds_ratio=float(o), p_value=float(v)) for o, v in zip(odds, p, strict=True))


def _log_pmf(k: NDArray[np.int64], total: NDArray[np.int64], good: NDArray[np.int64],
             drawn: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """An approximate hypergeometric log-pmf from log-gamma, a generous bound on its error, and
    whether k is inside the support (the approximation means nothing outside it)."""
    bad = total - good
    inside = (k >= np.maximum(drawn - bad, 0)) & (k <= np.minimum(good, drawn))
    kk = np.where(inside, k, 0).astype(np.float64)
    g, b, t, d = (v.astype(np.float64) for v in (good, bad, total, drawn))
    terms = [special.gammaln(v) for v in (g + 1, kk + 1, g - kk + 1, b + 1, d - kk + 1, b - d + kk + 1,
                                          t + 1, d + 1, t - d + 1)]
    log_pmf = ((terms[0] - terms[1] - terms[2]) + (terms[3] - terms[4] - terms[5])
               - (terms[6] - terms[7] - terms[8]))
    # Each log-gamma and each sum is within a few ulps of the magnitudes (the largest error seen is
    # under one ulp of their sum); 1e-13 of the sum is hundreds of ulps, and 1e-6 covers the
    # error of SciPy's (Boost's) own pmf many times over.
    error = 1e-6 + 1e-13 * sum(np.abs(term) for term in terms)
    return log_pmf, error, inside & np.isfinite(log_pmf)


def _approximate_versus(k: NDArray[np.int64], total: NDArray[np.int64], good: NDArray[np.int64],
                        drawn: NDArray[np.int64], threshold: NDArray[np.float64]) -> NDArray[np.float64]:
    """The sign of ``hypergeom.pmf(k, ...) − threshold`` where the log-gamma approximation is
    further from log(threshold) than its error bound (so the sign is certain), else 0."""
    log_pmf, error, usable = _log_pmf(k, total, good, drawn)
    # SciPy's pmf is accurate far below 1e-200, but it underflows to 0 (or worse) near 1e-300.
    usable &= (threshold >= 1e-200) & (threshold <= 1.0)
    log_threshold = np.log(np.where(usable, threshold, 1.0))
    return np.where(usable & (log_pmf < log_threshold - error), -1.0,
                    np.where(usable & (log_pmf > log_threshold + error), 1.0, 0.0))


def _pmf_versus(k: NDArray[np.int64], total: NDArray[np.int64], good: NDArray[np.int64], drawn: NDArray[np.int64],
                threshold: NDArray[np.float64]) -> NDArray[np.float64]:
    """The sign of ``hypergeom.pmf(k, ...) − threshold`` (−1, 0 or 1; NaN where the pmf is NaN).

    SciPy's pmf is costly (Boost's exact method), so the sign comes from
    :func:`_approximate_versus` where that is certain, and from SciPy's pmf elsewhere (near
    ties, thresholds below 1e-200 or above 1), or from 0 for counts outside the
    support of valid parameters (SciPy's pmf is 0 there): every comparison is the one SciPy's
    values give.
    """
    sign = _approximate_versus(k, total, good, drawn, threshold)
    unknown = sign == 0.0
    if unknown.any():
        k, total, good, drawn, limit = k[unknown], total[unknown], good[unknown], drawn[unknown], threshold[unknown]
        valid = (total > 0) & (good >= 0) & (drawn >= 0) & (good <= total) & (drawn <= total)
        outside = valid & ((k < np.maximum(drawn - (total - good), 0)) | (k > np.minimum(good, drawn)))
        exact = np.zeros(len(k))
        if (~outside).any():
            exact[~outside] = stats.hypergeom.pmf(k[~outside], total[~outside], good[~outside], drawn[~outside])
        sign[unknown] = np.where(exact < limit, -1.0, np.where(exact > limit, 1.0,
                                                               np.where(exact == limit, 0.0, np.nan)))
    return sign


def _pick(low: NDArray[np.bool_], when_low: Callable[..., NDArray[np.float64]],
          otherwise: Callable[..., NDArray[np.float64]], k: NDArray[np.int64],
          *args: NDArray[np.int64]) -> NDArray[np.float64]:
    """``np.where(low, when_low(k, *args), otherwise(k, *args))``, each evaluated only where used."""
    out = np.empty(len(k))
    if low.any():
        out[low] = when_low(k[low], *(a[low] for a in args))
    if (~low).any():
        out[~low] = otherwise(k[~low], *(a[~low] for a in args))
    return out


def _two_sided(x: NDArray[np.int64], total: NDArray[np.int64], good: NDArray[np.int64],
               drawn: NDArray[np.int64]) -> NDArray[np.float64]:
    """Two-sided p-values of observed counts ``x`` (scipy.stats.fisher_exact's steps, vectorised).

    Every p-value is a sum of SciPy's hypergeometric tails; SciPy's pmf enters only through
    comparisons (is this count as unlikely as the observed one?), which :func:`_pmf_versus`
    settles from a log-gamma bound where that is certain and from SciPy's pmf where it is not,
    so the binary searches take exactly the steps they take with SciPy's pmf throughout.
    """
    hypergeom = stats.hypergeom
    gamma = 1 + 1e-14
    mode = ((drawn + 1) * (good + 1) / (total + 2)).astype(np.int64)
    pexact = hypergeom.pmf(x, total, good, drawn)
    p = np.ones(len(x))
    # at_mode: |pexact − pmode| / max(pexact, pmode) <= 1e-14, which needs pmode only where
    # pmode is within the approximation's error of pexact.
    maybe = _approximate_versus(mode, total, good, drawn, pexact) == 0.0
    at_mode = np.zeros(len(x), dtype=bool)
    if maybe.any():
        pmode = hypergeom.pmf(mode[maybe], total[maybe], good[maybe], drawn[maybe])
        with np.errstate(divide="ignore", invalid="ignore"):
            at_mode[maybe] = np.abs(pexact[maybe] - pmode) / np.maximum(pexact[maybe], pmode) <= 1e-14
    low = ~at_mode & (x < mode)
    high = ~at_mode & ~low
    sided = low | high
    # The observed tail, and whether the far end of the other side is already likelier (then
    # no count on that side is as unlikely, and the observed tail is the p-value).
    tail = np.ones(len(x))
    tail[sided] = _pick(low[sided], lambda k, *a: hypergeom.cdf(k, *a), lambda k, *a: hypergeom.sf(k - 1, *a),
                        x[sided], total[sided], good[sided], drawn[sided])
    end = np.where(low, drawn, 0)
    one_tail = np.zeros(len(x), dtype=bool)
    one_tail[sided] = _pmf_versus(end[sided], total[sided], good[sided], drawn[sided],
                                  pexact[sided] * gamma) > 0.0
    p = np.where(one_tail, tail, p)
    search = sided & ~one_tail
    if search.any():
        idx = np.flatnonzero(search)
        sign = np.where(low[idx], -1.0, 1.0)  # search -pmf on [mode, drawn] or pmf on [0, mode]
        lo = np.where(low[idx], mode[idx], 0)
        hi = np.where(low[idx], drawn[idx], mode[idx])
        threshold = pexact[idx] * gamma  # the target is sign * threshold
        args = (total[idx], good[idx], drawn[idx])
        found = np.full(len(idx), -1, dtype=np.int64)
        active = lo < hi
        while active.any():
            mid = lo + (hi - lo) // 2
            # sign * pmf(mid) against sign * threshold, for the active searches
            versus = np.full(len(idx), np.nan)
            versus[active] = sign[active] * _pmf_versus(mid[active], args[0][active], args[1][active],
                                                        args[2][active], threshold[active])
            below, above = active & (versus < 0.0), active & (versus > 0.0)
            hit = active & ~below & ~above
            found = np.where(hit, mid, found)
            lo = np.where(below, mid + 1, lo)
            hi = np.where(above, mid - 1, hi)
            active = active & ~hit & (lo < hi)
        settle = found < 0
        at_lo = np.zeros(len(idx), dtype=bool)
        if settle.any():  # sign * pmf(lo) <= sign * threshold
            at_lo[settle] = sign[settle] * _pmf_versus(lo[settle], args[0][settle], args[1][settle],
                                                        args[2][settle], threshold[settle]) <= 0.0
        guess = np.where(settle, np.where(at_lo, lo, lo - 1), found)
        other = _pick(low[idx], lambda k, *a: hypergeom.sf(k, *a), lambda k, *a: hypergeom.cdf(k, *a), guess, *args)
        p[idx] = tail[idx] + other
    return np.minimum(p, 1.0)


def chi_square_tests(table: ArrayLike, min_expected: float = MIN_EXPECTED) -> ChiSquareReport:
    """Pearson's chi-square test (1 df) without and with Yates's correction, where the cells allow.

    Method: X² = Σ (O − E)² / E over the four cells, E from the margins; Yates's version
    subtracts 0.5 from each |O − E| (never below 0); the p-value is the chi-square (1 df) upper
    tail, ``scipy.special.chdtrc`` — the computation of ``scipy.stats.chi2_contingency``, without
    its per-call overhead (tests compare the two).

    Assumptions: independent observations and a large-sample chi-square approximation,
    conventionally valid when every expected count is at least 5 (Cochran 1954). Where any
    expected count is smaller (or the table has an empty row or column) both results are
    None and ``reason`` says why — use Fisher's exact test instead.

    References: K. Pearson, Phil. Mag. 50 (1900) 157–175; F. Yates, "Contingency tables
    involving small numbers and the χ² test", JRSS Suppl. 1 (1934) 217–235; W. G. Cochran,
    "Some methods for strengthening the common χ² tests", Biometrics 10 (1954) 417–451.
    """
    arr = table_2x2(table)
    expected = expected_counts(arr)
    smallest = float(expected.min())
    if smallest < min_expected:
        return ChiSquareReport(
            pearson=None,
            yates=None,
            reason=f"smallest expected count {smallest:.2f} is below {min_expected:g}; use Fisher's exact test",
        )
    observed = arr.astype(np.float64)
    tests = []
    for yates in (False, True):
        if yates:  # move each count toward its expectation by 0.5, never past it (as SciPy does)
            diff = expected - observed
            observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
        statistic = float(((observed - expected) ** 2 / expected).sum())
        tests.append(ChiSquareTest(statistic=statistic, p_value=float(special.chdtrc(1, statistic)), dof=1,
                                   yates=yates, min_expected=smallest))
    return ChiSquareReport(pearson=tests[0], yates=tests[1], reason=None)
