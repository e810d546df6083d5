"""Cumulative incidence of competing exits (e.g. resignation, retirement, dismissal, death):
the Aalen–Johansen estimator with left truncation and a Greenwood-type delta-method variance."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ristra.core.stats.arguments import check_confidence, normal_quantile
from ristra.core.stats.survival.follow_up import exact_bounds, floor_at, follow_up
from ristra.core.stats.survival.kaplan_meier import (
    KaplanMeier,
    KaplanMeierFit,
    curve_points,
    fit_arrays,
    risk_table,
)


@dataclass(frozen=True)
class IncidencePoint:
    """The cumulative incidence of one cause at one chosen time, with its interval."""

    time: float
    incidence: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CumulativeIncidence:
    """F_j(t) = P(exit by cause j by time t), one entry per distinct exit time of any cause."""

    cause: int
    times: tuple[float, ...]
    incidence: tuple[float, ...]
    variance: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    confidence: float
    n_events: int
    last_time: float
    #: The smallest risk set up to each time (see ``follow_up.risk_floor``): the n of the exact
    #: bound where F_j is 0 or 1.
    floor_times: tuple[float, ...] = ()
    floor_at_risk: tuple[int, ...] = ()

    def incidence_at(self, times: Iterable[float]) -> tuple[IncidencePoint, ...]:
        """F_j(t) and its interval at each t (0 before the first exit, with the exact upper bound
        for no exits among the smallest risk set up to t; NaN beyond ``last_time``)."""
        asked = np.asarray(list(times), dtype=np.float64)
        index = [bisect_right(self.times, t) - 1 for t in asked]  # the times are sorted
        floor = floor_at(np.asarray(self.floor_times, dtype=np.float64),
                         np.asarray(self.floor_at_risk, dtype=np.float64), asked)
        return curve_points(asked, index, self.incidence, self.lower, self.upper, empty=math.isnan(self.last_time),
                            last_time=self.last_time, before=0.0, point=IncidencePoint, floor=floor,
                            confidence=self.confidence)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CompetingRisks:
    """The cumulative incidence of every cause, and the all-cause Kaplan–Meier curve.

    At every time, Σ_j F_j(t) + Ŝ(t) = 1.
    """

    causes: tuple[int, ...]
    incidence: tuple[CumulativeIncidence, ...]
    survival: KaplanMeier

    def for_cause(self, cause: int) -> CumulativeIncidence:
        for curve in self.incidence:
            if curve.cause == cause:
                return curve
        raise KeyError(f"no cumulative incidence for cause {cause!r}; causes are {self.causes}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AalenJohansenFit:
    """Aalen–Johansen curves held as arrays, one row per cause (not a result value):
    :meth:`result` is the :class:`CompetingRisks` of :func:`aalen_johansen`, and
    :meth:`incidence_at` a curve's points, without building the curves' tuples when only a
    few points are wanted."""

    causes: tuple[int, ...]
    times: NDArray[np.float64]
    incidence: NDArray[np.float64]
    variance: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    n_events: tuple[int, ...]
    confidence: float
    last_time: float
    survival: KaplanMeierFit
    #: The curves hold only the exit times at or before this one (``None``: every exit time).
    up_to: float | None = None

    def incidence_at(self, row: int, times: Iterable[float]) -> tuple[IncidencePoint, ...]:
        """As :meth:`CumulativeIncidence.incidence_at` for the curve of ``causes[row]`` (times
        after :attr:`up_to` cannot be asked for)."""
        asked = np.asarray(list(times), dtype=np.float64)
        if self.up_to is not None and asked.size and float(asked.max()) > self.up_to:
            raise ValueError(f"the curves were computed up to time {self.up_to} only")
        index = np.searchsorted(self.times, asked, side="right") - 1
        return curve_points(asked, index, self.incidence[row], self.lower[row], self.upper[row],
                            empty=math.isnan(self.last_time), last_time=self.last_time, before=0.0,
                            point=IncidencePoint, floor=self.survival.floor(asked), confidence=self.confidence)

    def result(self) -> CompetingRisks:
        if self.up_to is not None:
            raise ValueError("the curves were computed up to a time only; fit without up_to for the whole curves")
        times = tuple(self.times.tolist())
        curves = tuple(CumulativeIncidence(
            cause=cause,
            times=times,
            incidence=tuple(self.incidence[row].tolist()),
            variance=tuple(self.variance[row].tolist()),
            lower=tuple(self.lower[row].tolist()),
            upper=tuple(self.upper[row].tolist()),
            confidence=self.confidence,
            n_events=self.n_events[row],
            last_time=self.last_time,
            floor_times=tuple(self.survival.floor_times.tolist()),
            floor_at_risk=tuple(self.survival.floor_at_risk.astype(np.int64).tolist()),
        ) for row, cause in enumerate(self.causes))
        return CompetingRisks(causes=self.causes, incidence=curves, survival=self.survival.result_with_times(times))


def incidence_bounds(
    incidence: NDArray[np.float64], variance: NDArray[np.float64], z: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """log(−log F) delta-method bounds; degenerate (F, F) where F is 0 or 1 (internal arrays)."""
    inside = (incidence > 0.0) & (incidence < 1.0)
    safe = np.where(inside, incidence, 0.5)
    log_f = np.log(safe)
    se = np.sqrt(np.maximum(variance, 0.0)) / (safe * np.abs(log_f))
    centre = np.log(-log_f)
    lower = np.where(inside, np.exp(-np.exp(centre + z * se)), incidence)
    upper = np.where(inside, np.exp(-np.exp(centre - z * se)), incidence)
    return lower, upper


def aalen_johansen(
    exit: ArrayLike,
    event: ArrayLike,
    entry: ArrayLike | None = None,
    confidence: float = 0.95,
    causes: Sequence[int] | None = None,
    weights: ArrayLike | None = None,
) -> CompetingRisks:
    """Aalen–Johansen cumulative incidence of each cause of exit, with left truncation.

    Method: with Ŝ the all-cause Kaplan–Meier curve (same risk sets, entry < t <= exit) and
    d_j exits by cause j among n at risk at time t,
    F_j(t) = Σ_{s <= t} Ŝ(s−) d_j(s)/n(s) (Aalen & Johansen 1978; for a competing-risks
    model this is the Kalbfleisch–Prentice estimator). Variance: the Greenwood-type
    delta-method estimator of Collett (2015, ch. 12, p. 411; Marubini & Valsecchi 1995,
    ch. 10) — the one lifelines' AalenJohansenFitter uses:
    Var F_j(t) = Σ (F_j(t) − F_j(t_i))² d_i/(n_i(n_i − d_i)) + Σ Ŝ(t_{i−1})² d_ji(n_i − d_ji)/n_i³
    − 2 Σ (F_j(t) − F_j(t_i)) Ŝ(t_{i−1}) d_ji/n_i², over t_i <= t (d_i all causes); a term
    with n_i = d_i is 0 (exact: F_j no longer changes). The interval uses the log(−log F)
    transformation, so it lies in [0, 1]; where F_j is 0 or 1 (where that interval has zero
    width) the open end is the exact Clopper–Pearson bound for no exits by the cause (or no
    other outcome) among the smallest risk set up to the time, 1 − (α/2)^(1/n) above 0 and
    (α/2)^(1/n) below 1 (the whole of [0, 1] when nobody was observed).

    Assumptions: censoring and truncation independent of the exit process (non-informative);
    each person exits at most once, by one cause; the causes are exhaustive and mutually
    exclusive. Do *not* use 1 − KM with other causes censored — that overstates the
    incidence when causes compete; this estimator does not. Invalid with informative
    censoring, and unreliable at early times under heavy left truncation (few at risk).

    Inputs: ``event`` 0 = censored, 1..m = cause; ``causes`` defaults to every nonzero code
    present; ``weights`` are optional frequency weights (a record counts as that many people). Ties between causes at one time are handled exactly (no jitter is needed).

    References: O. O. Aalen and S. Johansen, "An empirical transition matrix for
    non-homogeneous Markov chains based on censored observations", Scand. J. Statist. 5
    (1978) 141–150; D. Collett, Modelling Survival Data in Medical Research, 3rd ed. (2015)
    ch. 12; M. Marubini and M. G. Valsecchi, Analysing Survival Data from Clinical Trials and
    Observational Studies (1995) ch. 10.
    """
    return aalen_johansen_fit(exit, event, entry, confidence, causes, weights).result()


def aalen_johansen_fit(
    exit: ArrayLike,
    event: ArrayLike,
    entry: ArrayLike | None = None,
    confidence: float = 0.95,
    causes: Sequence[int] | None = None,
    weights: ArrayLike | None = None,
    up_to: float | None = None,
) -> AalenJohansenFit:
    """:func:`aalen_johansen` held as arrays (method, assumptions and references there):
    ``aalen_johansen_fit(...).result() == aalen_johansen(...)``; for callers that need only
    some points of the curves (:meth:`AalenJohansenFit.incidence_at`).

    With ``up_to`` the incidence curves (and their variances and intervals) are computed only at
    exit times at or before it — every value there is the same as in the whole curves, since
    each is a sum over earlier times — while the event counts and the all-cause Kaplan–Meier
    curve still cover every time."""
    records = follow_up(exit, event, entry, weights)
    confidence = check_confidence(confidence)
    z = normal_quantile(confidence)
    table = risk_table(records)
    survival_curve = fit_arrays(records, confidence, "log-log", table)
    times, deaths, population = table
    survival, greenwood = survival_curve.survival, survival_curve.greenwood
    before = np.concatenate(([1.0], survival[:-1])) if times.size else survival
    present = present_codes(records.event)
    wanted = present if causes is None else [int(c) for c in causes]
    last_time = float(records.exit.max()) if records.size else math.nan

    # One row per cause: the exits by that cause at each exit time (sums of whole-number weights are
    # exact), kept only up to ``up_to``: the sums below run from the first time on, so a prefix of
    # every array gives the same values there.
    keep = times.size if up_to is None else int(np.searchsorted(times, up_to, side="right"))
    weight = records.weights()
    exited = records.event > 0
    exit_time, exit_cause, exit_weight = records.exit[exited], records.event[exited], weight[exited]
    by_code = np.bincount(exit_cause, weights=exit_weight) if exit_cause.size else np.zeros(1)
    row_of = np.full(by_code.size, -1)
    for row, cause in enumerate(wanted):
        if 0 < cause < by_code.size:
            row_of[cause] = row
    chosen = row_of[exit_cause] >= 0
    if up_to is not None and keep < times.size:
        chosen &= exit_time <= up_to
    slot = np.searchsorted(times[:keep], exit_time[chosen])  # each record's exit time (an event time)
    d = np.asarray(np.bincount(row_of[exit_cause[chosen]] * keep + slot, weights=exit_weight[chosen],
                               minlength=len(wanted) * keep), dtype=np.float64).reshape(len(wanted), keep)
    totals = [float(by_code[c]) if 0 < c < by_code.size else 0.0 for c in wanted]
    for row, cause in enumerate(wanted):
        if 0 < cause < by_code.size and row_of[cause] != row:  # a cause asked for twice
            d[row] = d[row_of[cause]]
        elif cause <= 0:  # censoring asked for as a "cause": counted the same way
            hit = records.event == cause
            counts = np.zeros(times.size)
            np.add.at(counts, np.searchsorted(times, records.exit[hit]), weight[hit])
            d[row], totals[row] = counts[:keep], float(counts.sum())
    n_events = tuple(int(t) for t in totals)
    times, population, before, greenwood = times[:keep], population[:keep], before[:keep], greenwood[:keep]
    # Every cause at once, row by row the same arithmetic as for one cause (cumsum runs along each row).
    if times.size:
        incidence = np.cumsum(before * d / population, axis=1)
        a_sum = np.cumsum(greenwood)
        a_lin = np.cumsum(greenwood * incidence, axis=1)
        a_sq = np.cumsum(greenwood * incidence * incidence, axis=1)
        b_sum = np.cumsum(before * before * d * (population - d) / population**3, axis=1)
        c_sum = np.cumsum(before * d / population**2, axis=1)
        c_lin = np.cumsum(before * d / population**2 * incidence, axis=1)
        variance = np.maximum(0.0, incidence * incidence * a_sum - 2.0 * incidence * a_lin + a_sq
                              + b_sum - 2.0 * (incidence * c_sum - c_lin))
        lower, upper = incidence_bounds(incidence, variance, z)
        boundary = (incidence <= 0.0) | (incidence >= 1.0)
        if boundary.any():  # zero-width there: the exact bound for no exits (all exits) by the cause
            floor = np.broadcast_to(survival_curve.floor(times), incidence.shape)
            lower, upper = exact_bounds(incidence, lower, upper, floor, confidence)
    else:
        incidence = variance = lower = upper = d

    return AalenJohansenFit(
        causes=tuple(wanted),
        times=times,
        incidence=incidence,
        variance=variance,
        lower=lower,
        upper=upper,
        n_events=n_events,
        confidence=confidence,
        last_time=last_time,
        survival=survival_curve,
        up_to=up_to,
    )


def present_codes(event: NDArray[np.int64]) -> list[int]:
    """The distinct nonzero codes of checked (whole, >= 0) event codes, ascending."""
    if event.size and int(event.max()) <= 4 * event.size + 1024:  # small codes: count them
        return [int(c) for c in np.flatnonzero(np.bincount(event)) if c > 0]
    return sorted({int(c) for c in np.unique(event) if c > 0})
