"""Kaplan–Meier survival (e.g. faculty retention) with left truncation and Greenwood intervals."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ristra.core.stats.arguments import check_confidence, normal_quantile
from ristra.core.stats.survival.follow_up import (
    FollowUp,
    at_risk,
    event_times,
    exact_bounds,
    floor_at,
    follow_up,
    group_labels,
    risk_floor,
)

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
    #: The smallest risk set up to each time as a step function (see ``follow_up.risk_floor``):
    #: the n of the exact bound where Ŝ is 1 or 0.
    floor_times: tuple[float, ...] = ()
    floor_at_risk: tuple[int, ...] = ()

    def survival_at(self, times: Iterable[float]) -> tuple[SurvivalPoint, ...]:
        """Ŝ(t) and its interval at each t (right-continuous step function; 1 before the first
        exit, with the exact lower bound for no exits among the smallest risk set up to t)."""
        asked = np.asarray(list(times), dtype=np.float64)
        index = [bisect_right(self.times, t) - 1 for t in asked]  # the times are sorted
        floor = floor_at(np.asarray(self.floor_times, dtype=np.float64),
                         np.asarray(self.floor_at_risk, dtype=np.float64), asked)
        return curve_points(asked, index, self.survival, self.lower, self.upper, empty=self.n_subjects == 0,
                            last_time=self.last_time, before=1.0, point=SurvivalPoint, floor=floor,
                            confidence=self.confidence)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Point = TypeVar("Point")
Values = Sequence[float] | NDArray[np.float64]


def curve_points(asked: NDArray[np.float64], index: Sequence[int] | NDArray[np.intp], values: Values, lower: Values,
                 upper: Values, *, empty: bool, last_time: float, before: float,
                 point: Callable[[float, float, float, float], Point], floor: NDArray[np.float64],
                 confidence: float) -> tuple[Point, ...]:
    """The points ``point(t, value, lower, upper)`` of a step curve at each time ``asked``, ``index``
    being the last curve time at or before it: NaN where the curve is ``empty`` or beyond
    ``last_time``; ``before`` (1 or 0) before the first curve time. Where the value is 0 or 1 the
    interval is the exact bound for no events among ``floor`` (the smallest risk set up to each
    asked time; see ``follow_up.exact_bounds``)."""
    points = []
    for t, i, people in zip(asked, index, floor, strict=True):
        if empty or t > last_time:
            points.append(point(float(t), math.nan, math.nan, math.nan))
        elif i < 0 or values[i] <= 0.0 or values[i] >= 1.0:
            # at 0 or 1 the bound depends on the risk sets up to t itself, not to the last curve time
            value = before if i < 0 else float(values[i])
            lo, hi = exact_bounds(np.array([value]), np.array([value]), np.array([value]), np.array([people]),
                                  confidence)
            points.append(point(float(t), value, float(lo[0]), float(hi[0])))
        else:
            points.append(point(float(t), float(values[i]), float(lower[i]), float(upper[i])))
    return tuple(points)


@dataclass(frozen=True)
class KaplanMeierFit:
    """A Kaplan–Meier curve held as arrays (not a result value): :meth:`result` is the
    :class:`KaplanMeier` of :func:`kaplan_meier`, and :meth:`survival_at` its points, without
    building the curve's tuples when only a few points are wanted."""

    times: NDArray[np.float64]
    at_risk: NDArray[np.float64]
    events: NDArray[np.float64]
    survival: NDArray[np.float64]
    greenwood: NDArray[np.float64]
    greenwood_sum: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    confidence: float
    interval: SurvivalInterval
    n_subjects: int
    n_events: int
    left_truncated: bool
    last_time: float
    median: float
    floor_times: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    floor_at_risk: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def floor(self, times: ArrayLike) -> NDArray[np.float64]:
        """The smallest risk set up to each of ``times`` (the n of the exact bounds)."""
        return floor_at(self.floor_times, self.floor_at_risk, times)

    def survival_at(self, times: Iterable[float]) -> tuple[SurvivalPoint, ...]:
        """As :meth:`KaplanMeier.survival_at`."""
        asked = np.asarray(list(times), dtype=np.float64)
        index = np.searchsorted(self.times, asked, side="right") - 1
        return curve_points(asked, index, self.survival, self.lower, self.upper, empty=self.n_subjects == 0,
                            last_time=self.last_time, before=1.0, point=SurvivalPoint, floor=self.floor(asked),
                            confidence=self.confidence)

    def events_to(self, time: float) -> int:
        """Exits (people) at times up to and including ``time``."""
        return int(self.events[:int(np.searchsorted(self.times, time, side="right"))].sum())

    def result(self) -> KaplanMeier:
        return self.result_with_times(tuple(self.times.tolist()))

    def result_with_times(self, times: tuple[float, ...]) -> KaplanMeier:
        """:meth:`result`, given ``tuple(self.times.tolist())`` (shared with curves of the same times)."""
        return KaplanMeier(
            times=times,
            at_risk=tuple(self.at_risk.astype(np.int64).tolist()),
            events=tuple(self.events.astype(np.int64).tolist()),
            survival=tuple(self.survival.tolist()),
            variance=tuple((self.survival * self.survival * self.greenwood_sum).tolist()),
            lower=tuple(self.lower.tolist()),
            upper=tuple(self.upper.tolist()),
            confidence=self.confidence,
            interval=self.interval,
            n_subjects=self.n_subjects,
            n_events=self.n_events,
            left_truncated=self.left_truncated,
            last_time=self.last_time,
            median=self.median,
            floor_times=tuple(self.floor_times.tolist()),
            floor_at_risk=tuple(self.floor_at_risk.astype(np.int64).tolist()),
        )


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


RiskTable = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def risk_table(records: FollowUp) -> RiskTable:
    """The distinct exit times, the exits at each and the number at risk at each (internal arrays)."""
    times, deaths = event_times(records)
    return times, deaths, at_risk(records, times)


def greenwood_terms(deaths: NDArray[np.float64], population: NDArray[np.float64]) -> NDArray[np.float64]:
    """d/(n(n − d)) at each exit time, 0 where n = d (internal arrays)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(population > deaths, deaths / (population * (population - deaths)), 0.0)


def fit_arrays(
    records: FollowUp, confidence: float, interval: SurvivalInterval, table: RiskTable
) -> KaplanMeierFit:
    """Kaplan–Meier of already checked records as arrays, given their :func:`risk_table` (the one
    fitter behind :func:`kaplan_meier`, :func:`kaplan_meier_by_group`, the engine's
    :func:`kaplan_meier_fit` and the competing-risks estimator)."""
    if interval not in ("log-log", "plain"):
        raise ValueError(f"unknown survival interval {interval!r}; choose 'log-log' or 'plain'")
    z = normal_quantile(confidence)
    times, deaths, population = table
    survival = np.asarray(np.cumprod(1.0 - deaths / population), dtype=np.float64)
    terms = greenwood_terms(deaths, population)
    greenwood_sum = np.cumsum(terms)
    lower, upper = greenwood_bounds(survival, greenwood_sum, z, interval)
    floor_times, floor_counts = risk_floor(records)
    boundary = (survival <= 0.0) | (survival >= 1.0)
    if boundary.any():  # zero-width there: the exact bound for no survivors (no exits) instead
        lower, upper = exact_bounds(survival, lower, upper, floor_at(floor_times, floor_counts, times), confidence)
    reached = np.flatnonzero(survival <= 0.5 + 1e-12)  # products that are 1/2 exactly may round above it
    if records.size == 0:
        median = math.nan
    else:
        median = float(times[reached[0]]) if reached.size else math.inf
    return KaplanMeierFit(
        times=times,
        at_risk=population,
        events=deaths,
        survival=survival,
        greenwood=terms,
        greenwood_sum=greenwood_sum,
        lower=lower,
        upper=upper,
        confidence=float(confidence),
        interval=interval,
        n_subjects=records.size,
        n_events=int(deaths.sum()),
        left_truncated=records.left_truncated,
        last_time=float(records.exit.max()) if records.size else math.nan,
        median=median,
        floor_times=floor_times,
        floor_at_risk=floor_counts,
    )


def kaplan_meier_fit(
    exit: ArrayLike,
    event: ArrayLike,
    entry: ArrayLike | None = None,
    confidence: float = 0.95,
    interval: SurvivalInterval = "log-log",
    weights: ArrayLike | None = None,
) -> KaplanMeierFit:
    """:func:`kaplan_meier` held as arrays (method, assumptions and references there):
    ``kaplan_meier_fit(...).result() == kaplan_meier(...)``; for callers that need only some
    points of the curve (:meth:`KaplanMeierFit.survival_at`)."""
    records = follow_up(exit, event, entry, weights)
    return fit_arrays(records, check_confidence(confidence), interval, risk_table(records))


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
    [0, 1]. Where Ŝ is exactly 1 (no exits yet) or 0 (nobody left) both intervals have zero
    width (lifelines reports (1, 1) at Ŝ = 0; R reports NA); there the open end is instead the
    exact Clopper–Pearson bound for no exits (no survivors) among n people, n the smallest risk
    set at any time up to t (``follow_up.risk_floor``; under left truncation the early risk sets
    may be small): (α/2)^(1/n) below Ŝ = 1 and 1 − (α/2)^(1/n) above Ŝ = 0 — exact for n people
    followed to t, conservative otherwise, since Ŝ(t) is at most the conditional survival over
    the last step. Nobody observed yet (n = 0): the whole of [0, 1].

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
    records = follow_up(exit, event, entry, weights)
    return fit_arrays(records, check_confidence(confidence), interval, risk_table(records)).result()


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
    return {label: _fit_subset(records.subset(codes == i), confidence, interval)
            for i, label in enumerate(labels)}


def _fit_subset(records: FollowUp, confidence: float, interval: SurvivalInterval) -> KaplanMeier:
    return fit_arrays(records, confidence, interval, risk_table(records)).result()
