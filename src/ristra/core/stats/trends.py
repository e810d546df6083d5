"""Trend in proportions across ordered groups (e.g. years): the Cochran–Armitage test."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from ristra.core.stats.arguments import check_count_pair


@dataclass(frozen=True)
class TrendTest:
    """Cochran–Armitage test: z (positive when the share rises with the score), z², two-sided p.

    ``slope`` is the least-squares slope of the share on the score (weighted by n), in share
    per score unit (per year when the scores are years). NaN throughout when the test is
    undefined (fewer than two groups with people, all scores equal, or no variation in the
    outcome); ``note`` says why.
    """

    z: float
    chi_square: float
    p_value: float
    slope: float
    scores: tuple[float, ...]
    n_total: int
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cochran_armitage(
    successes: Sequence[int], totals: Sequence[int], scores: Sequence[float] | None = None
) -> TrendTest:
    """Cochran–Armitage test for a linear trend in proportions k_i/n_i over scores x_i.

    Method: with p̄ = Σk/Σn = K/N, T = Σ x_i (k_i − n_i p̄) and
    Var(T) = p̄(1 − p̄) [Σ n_i x_i² − (Σ n_i x_i)² / N]; z = T / sqrt(Var(T)) is referred to
    the standard normal (two-sided). Scores default to 0, 1, 2, … (equally spaced years);
    pass the years themselves when some are missing. z² equals N/(N − 1) times the
    linear-by-linear (Mantel) association statistic.

    Assumptions: independent binomial counts per group; the normal approximation needs a
    reasonable total (roughly N·p̄·(1 − p̄) >= 10). It tests a *linear* trend in the scores:
    a rise then a fall can give z ≈ 0. Invalid when the same people appear in several
    groups (e.g. a faculty headcount by year counts the same person every year) — the
    counts are then not independent and the p-value is too small.

    References: W. G. Cochran, "Some methods for strengthening the common χ² tests",
    Biometrics 10 (1954) 417–451; P. Armitage, "Tests for linear trends in proportions and
    frequencies", Biometrics 11 (1955) 375–386; Agresti, Categorical Data Analysis (2013) §5.3.
    """
    if len(successes) != len(totals):
        raise ValueError("successes and totals must have the same length")
    pairs = [check_count_pair(k, n, "cochran_armitage") for k, n in zip(successes, totals, strict=True)]
    x = np.arange(len(pairs), dtype=np.float64) if scores is None else np.asarray(scores, dtype=np.float64)
    if x.shape != (len(pairs),):
        raise ValueError("scores must have one value per group")
    k = np.asarray([p[0] for p in pairs], dtype=np.float64)
    n = np.asarray([p[1] for p in pairs], dtype=np.float64)
    big_n = float(n.sum())
    score_tuple = tuple(float(v) for v in x)

    def undefined(reason: str) -> TrendTest:
        return TrendTest(math.nan, math.nan, math.nan, math.nan, score_tuple, int(big_n), reason)

    if int(np.count_nonzero(n)) < 2:
        return undefined("fewer than two groups have people")
    p_bar = float(k.sum()) / big_n
    spread = float(np.sum(n * x * x) - np.sum(n * x) ** 2 / big_n)
    if spread <= 0:
        return undefined("all groups with people have the same score")
    if p_bar in (0.0, 1.0):
        return undefined("the outcome does not vary (all or none succeeded)")
    t_stat = float(np.sum(x * (k - n * p_bar)))
    z = t_stat / math.sqrt(p_bar * (1.0 - p_bar) * spread)
    return TrendTest(
        z=z,
        chi_square=z * z,
        p_value=float(2.0 * stats.norm.sf(abs(z))),
        slope=t_stat / spread,
        scores=score_tuple,
        n_total=int(big_n),
        note=None,
    )
