"""Yearly life tables: the counts a publication shows for a survival measure (retention at a
horizon, promotion within a horizon), and the Kaplan–Meier estimate recomputed from them.

Contract
--------
* :func:`life_table` groups follow-up records (times in years since the start of the spell,
  entry ``<`` exit, left truncation allowed) into whole-year intervals ``(k, k + 1]`` for
  ``k = 0 … horizon − 1``. Per interval (:class:`LifeInterval`):

  - ``from_before`` — followed past ``k`` having entered observation before ``k``
    (#{entry < k < exit}); 0 in the first interval;
  - ``entering_at_start`` — entering observation at ``k`` exactly (at 0: everyone whose spell
    starts inside the data window), and ``entering_during`` — entering inside ``(k, k + 1)``
    (people hired before the data window enter when it opens);
  - ``followed`` — with any time at risk in the interval: ``from_before + entering_at_start +
    entering_during`` (#{entry < k + 1, exit > k});
  - ``events`` — leaving in the interval by the event; ``censored_during`` — censored inside
    ``(k, k + 1)``; ``censored_at_end`` — censored at ``k + 1`` exactly;
  - ``continuing`` — followed past ``k + 1``: ``followed − events − censored_during −
    censored_at_end``, which is the next interval's ``from_before``.

  These identities hold by construction; they are the relations the publication declares
  (``ristra.reports.plan_sections``).
* :func:`life_table_survival` is the actuarial (life-table) estimate: the product over the
  intervals of ``1 − d / n`` with ``n = followed − (entering_during + censored_during) / 2`` —
  those entering or censored inside an interval are at risk for about half of it — (``n =
  followed`` should that be below ``d``, which only tiny groups can give), with Greenwood's
  variance ``S² Σ d / (n (n − d))`` and the log(−log) interval the engine uses
  (at an estimate of exactly 0 or 1, the exact Clopper–Pearson bound for no events among the
  smallest ``followed``; :func:`~ristra.core.stats.survival.follow_up.exact_bounds`). No value
  (None) when an interval has nobody followed or a count is missing (suppressed).

Grouping to yearly intervals is exact when every entry, exit and event time is a whole number of
years: then nobody enters or is censored inside an interval, ``followed`` of ``(k, k + 1]`` is
the Kaplan–Meier risk set at ``k + 1`` (entry < k + 1 ≤ exit) and the product is the
Kaplan–Meier estimate at the horizon. With exact (daily) times it differs from the live
Kaplan–Meier, which uses each exact time; ``docs/plan.md`` gives the size of the difference on
the synthetic school.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ristra.core.stats.arguments import check_confidence, normal_quantile
from ristra.core.stats.survival.follow_up import exact_bounds
from ristra.core.stats.survival.kaplan_meier import greenwood_bounds

#: the count columns of a life table, in the order they are published
LIFE_COLUMNS = ("from_before", "entering_at_start", "entering_during", "followed", "events", "censored_during",
                "censored_at_end", "continuing")


@dataclass(frozen=True)
class LifeInterval:
    """One whole-year interval ``(start, start + 1]`` of a life table (see the module docstring);
    a count is None when it is suppressed in a publication."""

    start: int
    from_before: int | None
    entering_at_start: int | None
    entering_during: int | None
    followed: int | None
    events: int | None
    censored_during: int | None
    censored_at_end: int | None
    continuing: int | None

    def counts(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, c) for c in LIFE_COLUMNS)


@dataclass(frozen=True)
class LifeTableEstimate:
    """The survival at the horizon from a life table: the estimate, its interval, Greenwood's
    variance, and the people followed over the table (those who entered in any interval)."""

    survival: float
    lower: float
    upper: float
    variance: float
    people: int
    events: int


def life_table(entry: ArrayLike, exit: ArrayLike, event: ArrayLike, horizon: int,
               weights: ArrayLike | None = None) -> tuple[LifeInterval, ...]:
    """The yearly life table of the records up to ``horizon`` years (module docstring). ``event``
    is true (or a positive cause code) for an event; ``weights`` are frequency weights."""
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"a life table needs a whole number of years from 1 as its horizon, not {horizon!r}")
    t0 = np.asarray(entry, dtype=np.float64)
    t1 = np.asarray(exit, dtype=np.float64)
    happened = np.asarray(event) > 0
    w = np.ones(t1.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    if not (t0.shape == t1.shape == happened.shape == w.shape):
        raise ValueError("entry, exit, event and weights must have the same length")
    if np.any(t1 <= t0):
        raise ValueError("every record needs time at risk (exit after entry)")

    def count(mask: np.ndarray) -> int:
        return int(round(float(w[mask].sum())))

    out = []
    for k in range(horizon):
        leaving = (t1 > k) & (t1 <= k + 1)
        out.append(LifeInterval(
            k, count((t0 < k) & (t1 > k)), count(t0 == k), count((t0 > k) & (t0 < k + 1)),
            count((t0 < k + 1) & (t1 > k)), count(leaving & happened), count(leaving & ~happened & (t1 < k + 1)),
            count(leaving & ~happened & (t1 == k + 1)), count((t0 < k + 1) & (t1 > k + 1))))
    return tuple(out)


def life_table_survival(intervals: Sequence[LifeInterval], confidence: float = 0.95) -> LifeTableEstimate | None:
    """Kaplan–Meier at the end of the last interval from the table (module docstring); None when
    a count it needs is suppressed or an interval has nobody followed."""
    if not intervals:
        return None
    rows = []
    for i in intervals:
        needed = (i.followed, i.events, i.entering_at_start, i.entering_during, i.censored_during)
        if any(v is None for v in needed) or not i.followed:
            return None
        followed, events, at_start, during, censored = (int(v or 0) for v in needed)
        at_risk = followed - (during + censored) / 2
        rows.append((at_risk if at_risk >= events else float(followed), events, at_start + during))
    n = np.array([r[0] for r in rows], dtype=np.float64)
    d = np.array([r[1] for r in rows], dtype=np.float64)
    survival = float(np.prod(1.0 - d / n))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, d / (n * (n - d)), 0.0)
    greenwood = float(terms.sum())
    z = normal_quantile(check_confidence(confidence))
    s = np.array([survival])
    lower, upper = greenwood_bounds(s, np.array([greenwood]), z, "log-log")
    if survival <= 0.0 or survival >= 1.0:
        lower, upper = exact_bounds(s, lower, upper, np.array([float(n.min())]), confidence)
    variance = survival * survival * greenwood
    return LifeTableEstimate(survival, float(lower[0]), float(upper[0]), variance if math.isfinite(variance) else 0.0,
                             int(sum(r[2] for r in rows)), int(d.sum()))
