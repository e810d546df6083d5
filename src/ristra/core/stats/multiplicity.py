"""Corrections for a family of p-values: Holm's step-down procedure (family-wise error rate)
and the Benjamini–Hochberg step-up procedure (false discovery rate)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The corrections :func:`adjust` knows, by the name a specification gives.
ADJUSTMENTS: tuple[str, ...] = ("holm", "bh")
#: What each correction controls, in words (for the family statement of a result).
CONTROLS: dict[str, str] = {"holm": "Holm (family-wise error rate)", "bh": "Benjamini–Hochberg (false discovery rate)"}


@dataclass(frozen=True)
class MultiplicityCorrection:
    """Adjusted p-values in the input order, and which hypotheses are rejected at ``alpha``.

    ``method`` is ``holm`` or ``bh``. NaN p-values (tests that could not be done, or that are not
    in the family) stay NaN, are never rejected, and do not count towards ``family_size``.
    """

    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    reject: tuple[bool, ...]
    alpha: float
    family_size: int
    method: str = "holm"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The result of :func:`holm` (the name it had before Benjamini–Hochberg was added).
HolmCorrection = MultiplicityCorrection


def _checked(p_values: Sequence[float], alpha: float) -> NDArray[np.float64]:
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    raw = np.asarray([float(p) for p in p_values], dtype=np.float64)
    if np.any((raw < 0) | (raw > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return raw


def _correction(raw: NDArray[np.float64], adjusted: NDArray[np.float64], alpha: float, m: int,
                method: str) -> MultiplicityCorrection:
    reject = ~np.isnan(adjusted) & (adjusted <= alpha)
    return MultiplicityCorrection(
        p_values=tuple(float(p) for p in raw),
        adjusted=tuple(float(p) for p in adjusted),
        reject=tuple(bool(r) for r in reject),
        alpha=float(alpha),
        family_size=int(m),
        method=method,
    )


def holm(p_values: Sequence[float], alpha: float = 0.05) -> MultiplicityCorrection:
    """Holm's step-down adjustment, controlling the family-wise error rate at ``alpha``.

    Method: sort the m p-values ascending, p(1) <= ... <= p(m); the adjusted value of p(i)
    is max over j <= i of min(1, (m − j + 1)·p(j)); reject H(i) when its adjusted value is
    <= alpha (Holm 1979). Uniformly more powerful than Bonferroni. As
    ``statsmodels.stats.multitest.multipletests(method="holm")``.

    Assumptions: none about the dependence between the tests (it is valid under any
    dependence). It controls the chance of *any* false rejection, so with many tests it
    is conservative; it says nothing about the size of differences.

    Reference: S. Holm, "A simple sequentially rejective multiple test procedure",
    Scand. J. Statist. 6 (1979) 65–70.
    """
    raw = _checked(p_values, alpha)
    present = np.flatnonzero(~np.isnan(raw))
    m = present.size
    adjusted = np.full(raw.shape, math.nan)
    if m:
        order = present[np.argsort(raw[present], kind="stable")]
        stepped = np.maximum.accumulate(raw[order] * np.arange(m, 0, -1))
        adjusted[order] = np.minimum(stepped, 1.0)
    return _correction(raw, adjusted, alpha, m, "holm")


def benjamini_hochberg(p_values: Sequence[float], alpha: float = 0.05) -> MultiplicityCorrection:
    """Benjamini–Hochberg step-up adjustment, controlling the false discovery rate at ``alpha``.

    Method: sort the m p-values ascending, p(1) <= ... <= p(m); the adjusted value of p(i) is
    min over j >= i of min(1, m·p(j)/j); reject H(i) when it is <= alpha — equivalently, reject
    the k smallest, k the largest i with p(i) <= i·alpha/m (Benjamini & Hochberg 1995). As
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``.

    Assumptions: the tests are independent or positively dependent (PRDS; Benjamini & Yekutieli
    2001) — comparisons of several groups with one shared reference group, and one-sided tests
    of positively correlated statistics, are; two-sided tests with negative correlation are not
    covered, though the procedure is robust in practice. It controls the expected *share* of
    false rejections among the rejections, not the chance of any: with many tests it rejects
    more than Holm, and some of its rejections are expected to be false.

    References: Y. Benjamini and Y. Hochberg, "Controlling the false discovery rate: a practical
    and powerful approach to multiple testing", JRSS B 57 (1995) 289–300; Y. Benjamini and
    D. Yekutieli, Ann. Statist. 29 (2001) 1165–1188.
    """
    raw = _checked(p_values, alpha)
    present = np.flatnonzero(~np.isnan(raw))
    m = present.size
    adjusted = np.full(raw.shape, math.nan)
    if m:
        order = present[np.argsort(raw[present], kind="stable")]
        scaled = raw[order] * m / np.arange(1, m + 1)
        adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return _correction(raw, adjusted, alpha, m, "bh")


def adjust(p_values: Sequence[float], method: str = "holm", alpha: float = 0.05) -> MultiplicityCorrection:
    """:func:`holm` (``method="holm"``) or :func:`benjamini_hochberg` (``method="bh"``)."""
    if method == "holm":
        return holm(p_values, alpha)
    if method == "bh":
        return benjamini_hochberg(p_values, alpha)
    raise ValueError(f"unknown multiplicity correction {method!r}; choose from {', '.join(ADJUSTMENTS)}")
