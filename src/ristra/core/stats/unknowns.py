"""Bounds for unknown membership: what a share, a rate or a ratio could be if the people whose
membership is unknown were not missing at random (deterministic, Manski-style bounds).

Every estimate of ristra that leaves unknowns out (a share *of the known*, a selection rate of a
group) assumes their membership is missing at random. These functions say how far the number
could move without that assumption, when each unknown person may belong to the group or not:

* :func:`share_bounds` — a share of a population: **all unknowns counted out** of the group
  (low, k/N) and **all counted in** (high, (k + u)/N), N = known + u. These are the sharp bounds
  (Manski 1989): no assignment of the unknowns gives a share outside them, and both are reached.
* :func:`rate_bounds` — a rate *within* the group (selected / at the stage before): low when the
  unknowns who were not selected are counted in and those who were are counted out,
  k/(n + u_n − u_k); high the reverse, (k + u_k)/(n + u_k). Counting *all* unknowns in gives a
  rate between the two (a weighted mean of the group's and the unknowns' rates), so the sharp
  bounds come from counting them in or out person by person.
* :func:`impact_ratio_bounds` — a group's rate over a reference group's, each unknown person in
  one of the two: low when the selected unknowns join the reference and the others the group,
  high the reverse. Sharp over every assignment of the unknowns to the group, the reference or
  any third group.
* :func:`ratio_bounds` — a ratio of two shares of *different* populations (a stage against the
  previous stage, a stage against a fixed benchmark): the low share over the high reference share
  and the high share over the low one. Valid whatever the two populations share; sharp when their
  unknowns are different people.

Assumptions: only membership is unknown — counts and outcomes are right, and a person is in the
group or not (for a crossing of two categories, only unknown levels compatible with the level
can join it; the metrics pass those). The bounds say nothing about sampling: they are not
intervals, and an interval for a bound would be wider still (Imbens and Manski 2004).

Reference: C. F. Manski, "Anatomy of the selection problem", J. Human Resources 24 (1989)
343–360; C. F. Manski, *Partial Identification of Probability Distributions* (Springer 2003),
ch. 1; G. W. Imbens and C. F. Manski, "Confidence intervals for partially identified
parameters", Econometrica 72 (2004) 1845–1857.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ristra.core.stats.arguments import check_count_pair


@dataclass(frozen=True)
class Bounds:
    """The lowest and highest value over every assignment of the unknowns (NaN when undefined)."""

    low: float
    high: float

    def contains(self, value: float, tolerance: float = 1e-12) -> bool:
        return self.low - tolerance <= value <= self.high + tolerance


NAN_BOUNDS = Bounds(math.nan, math.nan)


def _divide(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 else math.inf
    return a / b


def _check_unknown(unknown: int, what: str) -> int:
    if isinstance(unknown, bool) or not isinstance(unknown, int) or unknown < 0:
        raise ValueError(f"{what}: the number of unknowns must be a whole number >= 0, got {unknown!r}")
    return unknown


def share_bounds(k: int, known: int, unknown: int, joinable: int | None = None) -> Bounds:
    """The share of the group in a population of ``known`` people of known membership (``k`` of
    them in the group) and ``unknown`` of unknown membership: all unknowns out, k/N, and all in,
    (k + u)/N, N = known + unknown. The share of the known, k/known, lies between. ``joinable``
    (default: all the unknowns) limits those who could be in the group (for a crossing of two
    categories, ``yes×unknown`` can be ``yes×yes`` but ``no×unknown`` cannot). Nobody at all: NaN
    bounds. Everybody unknown: [0, 1]."""
    k, known = check_count_pair(k, known, "share_bounds")
    unknown = _check_unknown(unknown, "share_bounds")
    could = unknown if joinable is None else _check_unknown(joinable, "share_bounds")
    if could > unknown:
        raise ValueError(f"share_bounds: {could} unknowns could join, but only {unknown} are unknown")
    total = known + unknown
    if total == 0:
        return NAN_BOUNDS
    return Bounds(k / total, (k + could) / total)


def rate_bounds(k: int, n: int, unknown_k: int, unknown_n: int) -> Bounds:
    """A group's rate k/n (e.g. selected of those at the stage before) when ``unknown_n`` people
    of unknown membership were at the stage before and ``unknown_k`` of them were selected: low
    k/(n + u_n − u_k) (the unselected unknowns in the group, the selected out), high
    (k + u_k)/(n + u_k) (the reverse). NaN where the group could be empty (n = 0 and no unknowns of
    the kind that would join it)."""
    k, n = check_count_pair(k, n, "rate_bounds group")
    unknown_k, unknown_n = check_count_pair(unknown_k, unknown_n, "rate_bounds unknowns")
    low_n = n + unknown_n - unknown_k
    high_n = n + unknown_k
    return Bounds(k / low_n if low_n else math.nan, (k + unknown_k) / high_n if high_n else math.nan)


def impact_ratio_bounds(k: int, n: int, reference_k: int, reference_n: int, unknown_k: int,
                        unknown_n: int) -> Bounds:
    """The impact ratio (k/n)/(k_ref/n_ref) over every assignment of the unknowns (``unknown_n``
    at the stage before, ``unknown_k`` of them selected) to the group or the reference group.

    Low: the selected unknowns join the reference and the others the group,
    (k/(n + u_n − u_k)) / ((k_ref + u_k)/(n_ref + u_k)); high: the reverse,
    ((k + u_k)/(n + u_k)) / (k_ref/(n_ref + u_n − u_k)). Counting an unknown in a third group never
    moves the ratio further, so these are sharp. A zero reference rate gives ``inf``; an
    extreme in which a side is empty, or both rates are 0, gives NaN.
    """
    k, n = check_count_pair(k, n, "impact_ratio_bounds group")
    reference_k, reference_n = check_count_pair(reference_k, reference_n, "impact_ratio_bounds reference")
    unknown_k, unknown_n = check_count_pair(unknown_k, unknown_n, "impact_ratio_bounds unknowns")
    rest = unknown_n - unknown_k

    def ratio(a: int, b: int, c: int, d: int) -> float:
        if b == 0 or d == 0:
            return math.nan
        return _divide(a / b, c / d)

    return Bounds(ratio(k, n + rest, reference_k + unknown_k, reference_n + unknown_k),
                  ratio(k + unknown_k, n + unknown_k, reference_k, reference_n + rest))


def ratio_bounds(share: Bounds, reference_share: Bounds) -> Bounds:
    """A ratio of two shares of different populations, each known only within bounds: the low
    share over the high reference share, and the high share over the low one (``inf`` over a
    reference share of 0; NaN where a bound is NaN or 0/0)."""
    values = (share.low, share.high, reference_share.low, reference_share.high)
    if any(math.isnan(v) for v in values):
        return NAN_BOUNDS
    return Bounds(_divide(share.low, reference_share.high), _divide(share.high, reference_share.low))


def fixed_ratio_bounds(share: Bounds, benchmark_share: float) -> Bounds:
    """A share's bounds over a fixed benchmark share (> 0)."""
    if not benchmark_share > 0:
        raise ValueError(f"benchmark_share must be positive, got {benchmark_share!r}")
    return Bounds(share.low / benchmark_share, share.high / benchmark_share)


def benchmark_ratio_bounds(share: float, benchmark_low: float | None, benchmark_high: float | None) -> Bounds:
    """A share over a benchmark known only within [``benchmark_low``, ``benchmark_high``] — e.g. a
    census count of race "alone" (low) and the most a count of any mention could be (high), when
    the school's rule counts any mention: share / high (low) and share / low (high). A missing
    bound is the benchmark itself (no bounds: NaN); a low of 0 gives ``inf``."""
    if benchmark_low is None or benchmark_high is None or math.isnan(share):
        return NAN_BOUNDS
    if not 0 <= benchmark_low <= benchmark_high <= 1:
        raise ValueError(f"benchmark bounds must satisfy 0 <= low <= high <= 1, got {benchmark_low}, {benchmark_high}")
    return Bounds(_divide(share, benchmark_high), _divide(share, benchmark_low))
