"""Kaplan–Meier survival (e.g. faculty retention) with left truncation and Greenwood intervals."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ristra.core.stats.arguments import check_confidence, normal_quantile
from ristra.core.stats.survival.follow_up import FollowUp, at_risk, event_times, follow_up, group_labels

SurvivalInterval = Literal["log-log", "plain"]


@dataclass(frozen=True)
class SurvivalPoint:
    """The survival estimate at one chosen time, with its interval (NaN beyond the last follow-up)."""

    time: float
    survival: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier curve, one entry per distinct exit time (any cause).

    ``survival`` is Ŝ(t) just after each time; ``variance`` its Greenwood variance; ``lower``
    and ``upper`` the pointwise interval. ``last_time`` is the largest exit or censoring time
    (the curve is undefined beyond it); ``median`` is the first time with Ŝ(t) <= 0.5,
    ``inf`` when the curve never gets there, NaN with no people.
    """

    times: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    survival: tuple[float, ...]
    variance: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    confidence: float
    interval: SurvivalInterval
    n_subjects: int
    n_events: int
    left_truncated: bool
    last_time: float
    median: float

    def survival_at(self, times: Iterable[float]) -> tuple[SurvivalPoint, ...]:
        """Ŝ(t) and its interval at each t (right-continuous step function; 1 before the first exit)."""
        asked = np.asarray(list(times), dtype=np.float64)
        index = np.searchsorted(np.asarray(self.times), asked, side="right") - 1
        points = []
        for t, i in zip(asked, index, strict=True):
            if self.n_subjects == 0 or t > self.last_time:
                points.append(SurvivalPoint(float(t), math.nan, math.nan, math.nan))
            elif i < 0:
                points.append(SurvivalPoint(float(t), 1.0, 1.0, 1.0))
            else:
                points.append(SurvivalPoint(float(t), self.survival[i], self.lower[i], self.upper[i]))
        return tuple(points)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def greenwood_bounds(
    survival: NDArray[np.float64], greenwood_sum: NDArray[np.float64], z: float, interval: SurvivalInterval
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pointwise bounds for Ŝ from the Greenwood sum Σ d/(n(n − d)) (internal arrays)."""
    if interval == "plain":
        half = z * survival * np.sqrt(greenwood_sum)
        return np.clip(survival - half, 0.0, 1.0), np.clip(survival + half, 0.0, 1.0)
    inside = (survival > 0.0) & (survival < 1.0)
    safe = np.where(inside, survival, 0.5)
    log_s = np.log(safe)
    spread = z * np.sqrt(greenwood_sum) / log_s  # negative
    lower = np.exp(-np.exp(np.log(-log_s) - spread))
    upper = np.exp(-np.exp(np.log(-log_s) + spread))
    lower = np.where(inside, lower, survival)
    upper = np.where(inside, upper, survival)
    return lower, upper


def fit_kaplan_meier(records: FollowUp, confidence: float, interval: SurvivalInterval) -> KaplanMeier:
    """Kaplan–Meier for already checked records (see :func:`kaplan_meier`)."""
    if interval not in ("log-log", "plain"):
        raise ValueError(f"unknown survival interval {interval!r}; choose 'log-log' or 'plain'")
    z = normal_quantile(confidence)
    times, deaths = event_times(records)
    population = at_risk(records, times)
    survival = np.asarray(np.cumprod(1.0 - deaths / population), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(population > deaths, deaths / (population * (population - deaths)), 0.0)
    greenwood_sum = np.cumsum(terms)
    lower, upper = greenwood_bounds(survival, greenwood_sum, z, interval)
    reached = np.flatnonzero(survival <= 0.5 + 1e-12)  # products that are 1/2 exactly may round above it
    if records.size == 0:
        median = math.nan
    else:
        median = float(times[reached[0]]) if reached.size else math.inf
    return KaplanMeier(
        times=tuple(times.tolist()),
        at_risk=tuple(population.astype(np.int64).tolist()),
        events=tuple(deaths.astype(np.int64).tolist()),
        survival=tuple(survival.tolist()),
        variance=tuple((survival * survival * greenwood_sum).tolist()),
        lower=tuple(lower.tolist()),
        upper=tuple(upper.tolist()),
        confidence=float(confidence),
        interval=interval,
        n_subjects=records.size,
        n_events=int(deaths.sum()),
        left_truncated=records.left_truncated,
        last_time=float(records.exit.max()) if records.size else math.nan,
        median=median,
    )


def kaplan_meier(
    exit: ArrayLike,
    event: ArrayLike,
    entry: ArrayLike | None = None,
    confidence: float = 0.95,
    interval: SurvivalInterval = "log-log",
    weights: ArrayLike | None = None,
) -> KaplanMeier:
    """Kaplan–Meier estimate of the probability of not yet having exited (any cause), with
    left truncation, Greenwood variance and pointwise confidence intervals.

    Method: at each distinct exit time t with d exits among n at risk (entry < t <= exit),
    Ŝ(t) = Π (1 − d/n) (Kaplan & Meier 1958). Greenwood's variance is
    Var Ŝ(t) = Ŝ(t)² Σ d/(n(n − d)) (Greenwood 1926); a term with n = d (everyone left)
    is set to 0, which is exact because Ŝ is then 0 from that time on. The default
    "log-log" interval is exp(−exp(log(−log Ŝ) ± z·sqrt(Σ d/(n(n−d))) / |log Ŝ|)) (Kalbfleisch
    & Prentice 2002; the one lifelines uses), always inside [0, 1]; "plain" is Ŝ ± z·SE clipped to
    [0, 1]. Where Ŝ is exactly 1 or 0 the log-log interval is degenerate and reported as
    (Ŝ, Ŝ) (lifelines reports (1, 1) at Ŝ = 0; R reports NA).

    Left truncation: people who joined before the data window (hired before it starts) are
    counted only from their entry time; with left truncation the curve estimates survival
    *conditional on having survived to the earliest entry time*, and early times rest on
    few people — look at ``at_risk`` before reading them.

    Assumptions: censoring and truncation are independent of the exit hazard
    (non-informative; e.g. the end of the data window); one population with a common
    survival curve; time measured on one clock. Invalid when censoring is informative (people
    dropped from the roster because they were about to leave), or when the risk set is
    empty early on under heavy truncation (then the product may reach 0 spuriously).

    Inputs: ``exit`` (time of exit or censoring), ``event`` (0 censored, >0 exit of any
    cause), ``entry`` (optional, strictly before exit), ``weights`` (optional frequency weights:
    each record counts as that many identical people). Raises ``ValueError`` for malformed
    records; returns an empty curve (median NaN) for no records.

    References: E. L. Kaplan and P. Meier, "Nonparametric estimation from incomplete
    observations", JASA 53 (1958) 457–481; M. Greenwood, "The natural duration of cancer",
    Reports on Public Health and Medical Subjects 33 (1926) 1–26; J. D. Kalbfleisch and
    R. L. Prentice, The Statistical Analysis of Failure Time Data, 2nd ed. (2002) §1.3, §4.2;
    J. P. Klein and M. L. Moeschberger, Survival Analysis, 2nd ed. (2003) §4.6 (left truncation).
    """
    return fit_kaplan_meier(follow_up(exit, event, entry, weights), check_confidence(confidence), interval)


def kaplan_meier_by_group(
    exit: ArrayLike,
    event: ArrayLike,
    groups: ArrayLike,
    entry: ArrayLike | None = None,
    confidence: float = 0.95,
    interval: SurvivalInterval = "log-log",
    weights: ArrayLike | None = None,
) -> dict[str, KaplanMeier]:
    """One :func:`kaplan_meier` curve per group label (labels as text, sorted).

    Method, assumptions, validity and references: as :func:`kaplan_meier`, applied to each
    group's records separately (each group has its own risk sets). Compare the curves with
    :func:`~ristra.core.stats.survival.logrank.logrank_test`, not by eye from overlapping intervals.
    """
    records = follow_up(exit, event, entry, weights)
    labels, codes = group_labels(groups, records.exit.size)
    confidence = check_confidence(confidence)
    return {label: fit_kaplan_meier(records.subset(codes == i), confidence, interval)
            for i, label in enumerate(labels)}
