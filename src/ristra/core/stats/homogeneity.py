"""Homogeneity of the odds ratio across strata of 2×2 tables: the Breslow–Day test with
Tarone's correction.

Tables have shape (K, 2, 2) as in :mod:`.mantel_haenszel`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ristra.core.stats.mantel_haenszel import mantel_haenszel, strata_tables

#: Fitted cells below this make the chi-square approximation of the Breslow–Day statistic doubtful.
MIN_FITTED = 5.0


@dataclass(frozen=True)
class BreslowDay:
    """The Breslow–Day test of a common odds ratio across strata.

    ``statistic`` and ``p_value`` carry Tarone's correction (the test to read);
    ``uncorrected``/``uncorrected_p`` are the original Breslow–Day statistic and its p-value.
    ``df`` is the number of informative strata minus 1 (``strata_used`` of ``strata_total``);
    ``odds_ratio`` is the Mantel–Haenszel common odds ratio the cells were fitted under;
    ``min_fitted`` the smallest fitted cell. When the test is undefined (the common odds ratio is
    0, infinite or undefined, or fewer than two strata carry information) the numbers are NaN,
    ``df`` is 0 and ``note`` says why.
    """

    statistic: float
    p_value: float
    uncorrected: float
    uncorrected_p: float
    df: int
    odds_ratio: float
    min_fitted: float
    strata_used: int
    strata_total: int
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fitted_a(psi: float, group: NDArray[np.float64], selected: NDArray[np.float64], reference: NDArray[np.float64],
              low: NDArray[np.float64], high: NDArray[np.float64]) -> NDArray[np.float64]:
    """The a-cell of each stratum with the stratum's margins and odds ratio ``psi``: the root in
    [low, high] of (1 − ψ)e² + (n0 − t + ψ(m + t))e − ψmt = 0."""
    qa = 1.0 - psi
    qb = reference - selected + psi * (group + selected)
    qc = -psi * group * selected
    if qa == 0.0:
        return np.asarray(-qc / qb, dtype=np.float64)
    root = np.sqrt(np.maximum(qb * qb - 4.0 * qa * qc, 0.0))
    q = -0.5 * (qb + np.where(qb >= 0, root, -root))  # no cancellation (Numerical Recipes §5.6)
    with np.errstate(divide="ignore", invalid="ignore"):
        first, second = q / qa, qc / q
    tolerance = 1e-9 * (1.0 + high)
    inside = (first >= low - tolerance) & (first <= high + tolerance)
    return np.asarray(np.clip(np.where(inside, first, second), low, high), dtype=np.float64)


def breslow_day_test(tables: ArrayLike) -> BreslowDay:
    """Breslow–Day test that the odds ratio is the same in every stratum, with Tarone's correction.

    Method: ψ̂ is the Mantel–Haenszel common odds ratio (:func:`~.mantel_haenszel.mantel_haenszel`).
    In each stratum, with group total m, selected total t and reference total n0, the fitted
    a-cell ê is the root in [max(0, t − n0), min(m, t)] of ê(n0 − t + ê) = ψ̂(m − ê)(t − ê) (the
    table with the stratum's margins and odds ratio ψ̂), and its variance is
    v = 1 / (1/ê + 1/(m − ê) + 1/(t − ê) + 1/(n0 − t + ê)). The Breslow–Day statistic is
    Σ (a − ê)²/v; Tarone's correction subtracts (Σ a − Σ ê)² / Σ v, which makes the statistic
    asymptotically chi-square with K − 1 degrees of freedom (ψ̂ is not the conditional MLE, so the
    uncorrected statistic is not). K counts the informative strata: a stratum with a zero row or
    column total has its a-cell fixed by its margins and is left out (statsmodels'
    ``StratifiedTable.test_equal_odds`` keeps every stratum it is given and fails on those).

    Assumptions: independent people within strata; large strata — the approximation is
    asymptotic in the size of each stratum, so with small fitted cells (``min_fitted`` below 5)
    the p-value is doubtful (``note`` says so; Zelen's exact test is not implemented). A large
    p-value does not show homogeneity, only that the data cannot refute it; the test has little
    power with few or small strata.

    References: N. E. Breslow and N. E. Day, *Statistical Methods in Cancer Research I* (IARC,
    1980), §4.4; R. E. Tarone, "On heterogeneity tests based on efficient scores", Biometrika 72
    (1985) 91–95; A. Agresti, *Categorical Data Analysis*, 3rd ed. (2013), §6.4.
    """
    arr = strata_tables(tables)
    strata_total = int(arr.shape[0])
    group = arr[:, 0, 0] + arr[:, 0, 1]
    reference = arr[:, 1, 0] + arr[:, 1, 1]
    selected = arr[:, 0, 0] + arr[:, 1, 0]
    low, high = np.maximum(0.0, selected - reference), np.minimum(group, selected)
    used = high > low
    psi = mantel_haenszel(arr).odds_ratio if used.any() else math.nan
    k = int(used.sum())

    def undefined(note: str) -> BreslowDay:
        return BreslowDay(math.nan, math.nan, math.nan, math.nan, 0, psi, math.nan, k, strata_total, note)

    if k < 2:
        return undefined(f"{'one stratum carries' if k == 1 else 'no stratum carries'} information; "
                         "homogeneity across strata cannot be tested")
    if not (math.isfinite(psi) and psi > 0):
        return undefined("the common odds ratio is 0, infinite or undefined; homogeneity cannot be tested")
    a = arr[used, 0, 0]
    group, reference, selected = group[used], reference[used], selected[used]
    fitted = _fitted_a(psi, group, selected, reference, low[used], high[used])
    cells = np.stack([fitted, group - fitted, selected - fitted, reference - selected + fitted])
    variance = 1.0 / np.sum(1.0 / cells, axis=0)
    uncorrected = float(np.sum((a - fitted) ** 2 / variance))
    correction = float(np.sum(a - fitted)) ** 2 / float(np.sum(variance))
    statistic = max(uncorrected - correction, 0.0)  # ≥ 0 by Cauchy–Schwarz; rounding only
    df = k - 1
    min_fitted = float(cells.min())
    note = (f"a fitted cell is below {MIN_FITTED:g} ({min_fitted:.2f}); the chi-square approximation is doubtful"
            if min_fitted < MIN_FITTED else None)
    return BreslowDay(statistic, float(stats.chi2.sf(statistic, df)), uncorrected, float(stats.chi2.sf(uncorrected, df)),
                      df, psi, min_fitted, k, strata_total, note)
