"""Tests of independence in one 2×2 table: Fisher's exact test and Pearson's chi-square.

Tables are ``[[a, b], [c, d]]`` with rows the two groups (group, reference) and columns the
outcome (selected, not selected).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

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
    """Fisher's exact test (two-sided) for a 2×2 table, via ``scipy.stats.fisher_exact``.

    Method: conditional on both margins, the count a is hypergeometric under independence;
    the two-sided p-value sums the probabilities of all tables no more likely than the
    observed one (Fisher 1935). The odds ratio reported is the sample (unconditional) ad/bc,
    which is 0, ``inf`` or NaN when cells are zero.

    Assumptions: the margins are fixed or the test is conditioned on them; observations are
    independent. Valid at any sample size (it is exact), but conservative for small tables
    because the p-value is discrete. With an empty row or column the table holds no
    information and the p-value is 1.

    References: R. A. Fisher, The Design of Experiments (1935), §2; A. Agresti, Categorical
    Data Analysis, 3rd ed. (2013), §3.5.
    """
    arr = table_2x2(table)
    result = stats.fisher_exact(arr, alternative="two-sided")
    return FisherTest(odds_ratio=float(result.statistic), p_value=float(result.pvalue))


def chi_square_tests(table: ArrayLike, min_expected: float = MIN_EXPECTED) -> ChiSquareReport:
    """Pearson's chi-square test (1 df) without and with Yates's correction, where the cells allow.

    Method: X² = Σ (O − E)² / E over the four cells, E from the margins; Yates's version
    subtracts 0.5 from each |O − E| (never below 0), via ``scipy.stats.chi2_contingency``.

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
    tests = []
    for yates in (False, True):
        result = stats.chi2_contingency(arr, correction=yates)
        tests.append(ChiSquareTest(statistic=float(result.statistic), p_value=float(result.pvalue),
                                   dof=int(result.dof), yates=yates, min_expected=smallest))
    return ChiSquareReport(pearson=tests[0], yates=tests[1], reason=None)
