"""Validated follow-up records (entry, exit, event code, group) and risk-set counting.

Time is measured on one clock for everyone (e.g. years since hire). A person is *at risk*
at time t when they entered observation before t and had not yet exited:
entry < t <= exit (the counting-process convention, Andersen et al. 1993). Without entry
times everyone is at risk from the start. Event code 0 means censored (still employed at
the end of the data, or lost); 1..m name the causes of exit.

Optional frequency ``weights`` (whole numbers >= 1) say how many identical people a record
stands for; every estimate is then exactly the one of the expanded records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class FollowUp:
    """Checked, sorted-ready arrays of one population's follow-up (not a result value)."""

    entry: NDArray[np.float64]
    exit: NDArray[np.float64]
    event: NDArray[np.int64]
    left_truncated: bool
    weight: NDArray[np.float64] | None = None

    @property
    def size(self) -> int:
        """Number of people (the sum of the weights)."""
        return int(self.exit.size) if self.weight is None else int(round(float(self.weight.sum())))

    def weights(self) -> NDArray[np.float64]:
        return np.ones(self.exit.size) if self.weight is None else self.weight

    def subset(self, mask: NDArray[np.bool_]) -> FollowUp:
        return FollowUp(self.entry[mask], self.exit[mask], self.event[mask], self.left_truncated,
                        None if self.weight is None else self.weight[mask])


def follow_up(
    exit: ArrayLike, event: ArrayLike, entry: ArrayLike | None = None, weights: ArrayLike | None = None
) -> FollowUp:
    """Check and convert follow-up arrays; raise ``ValueError`` with the number of bad records.

    ``exit`` and ``entry`` must be finite; ``event`` whole numbers >= 0; with ``entry``,
    every entry must be strictly before its exit (a record with entry == exit is at risk at
    no time and must be removed by the caller — it cannot be counted honestly).
    """
    exit_arr = np.asarray(exit, dtype=np.float64).ravel()
    event_raw = np.asarray(event, dtype=np.float64).ravel()
    if event_raw.shape != exit_arr.shape:
        raise ValueError(f"exit and event must have the same length ({exit_arr.size} != {event_raw.size})")
    if not np.all(np.isfinite(exit_arr)):
        raise ValueError(f"{int(np.count_nonzero(~np.isfinite(exit_arr)))} exit times are missing or infinite")
    bad_codes = ~np.isfinite(event_raw) | (event_raw < 0) | (event_raw != np.round(event_raw))
    if np.any(bad_codes):
        raise ValueError(f"{int(np.count_nonzero(bad_codes))} event codes are not whole numbers >= 0")
    if entry is None:
        entry_arr = np.full(exit_arr.shape, -np.inf)
        truncated = False
    else:
        entry_arr = np.asarray(entry, dtype=np.float64).ravel()
        if entry_arr.shape != exit_arr.shape:
            raise ValueError(f"entry and exit must have the same length ({entry_arr.size} != {exit_arr.size})")
        if not np.all(np.isfinite(entry_arr)):
            raise ValueError(f"{int(np.count_nonzero(~np.isfinite(entry_arr)))} entry times are missing or infinite")
        late = entry_arr >= exit_arr
        if np.any(late):
            raise ValueError(
                f"{int(np.count_nonzero(late))} records have entry >= exit (no time at risk); remove them first"
            )
        truncated = True
    weight_arr = None
    if weights is not None:
        weight_arr = np.asarray(weights, dtype=np.float64).ravel()
        if weight_arr.shape != exit_arr.shape:
            raise ValueError(f"weights and exit must have the same length ({weight_arr.size} != {exit_arr.size})")
        bad = ~np.isfinite(weight_arr) | (weight_arr < 1) | (weight_arr != np.round(weight_arr))
        if np.any(bad):
            raise ValueError(f"{int(np.count_nonzero(bad))} weights are not whole numbers >= 1")
    return FollowUp(entry_arr, exit_arr, event_raw.astype(np.int64), truncated, weight_arr)


def _is_sorted(values: NDArray[np.float64]) -> bool:
    return bool(np.all(values[1:] >= values[:-1]))


def at_risk(records: FollowUp, times: NDArray[np.float64]) -> NDArray[np.float64]:
    """Number at risk at each of ``times``: #{entry < t} − #{exit < t} = #{entry < t <= exit}
    (people, i.e. weighted, when the records carry weights)."""
    if records.weight is None:
        entered = np.searchsorted(_sorted(records.entry), times, side="left")
        exited = np.searchsorted(_sorted(records.exit), times, side="left")
        return np.asarray(entered - exited, dtype=np.float64)
    totals = []
    for values in (records.entry, records.exit):
        weight = records.weight
        if not _is_sorted(values):  # a stable sort of sorted values is the identity
            order = np.argsort(values, kind="stable")
            values, weight = values[order], weight[order]
        cumulative = np.concatenate(([0.0], np.cumsum(weight)))
        totals.append(cumulative[np.searchsorted(values, times, side="left")])
    return np.asarray(totals[0] - totals[1], dtype=np.float64)


def _sorted(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return values if _is_sorted(values) else np.sort(values)


def event_times(records: FollowUp) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distinct times with at least one exit by any cause, and the number of such exits at each."""
    exited = records.event > 0
    return distinct_times(records.exit[exited], None if records.weight is None else records.weight[exited])


def distinct_times(values: NDArray[np.float64], weight: NDArray[np.float64] | None
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The distinct ``values`` and how many people (``weight``, or one each) have each."""
    if not _is_sorted(values):  # a stable sort is fast on runs of sorted records (e.g. groups of them)
        order = np.argsort(values, kind="stable")
        values = values[order]
        weight = None if weight is None else weight[order]
    if not values.size:
        return np.zeros(0), np.zeros(0)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))  # the distinct values' runs
    if weight is None:
        counts = np.diff(np.append(starts, values.size)).astype(np.float64)
    else:  # sums of whole-number weights are exact in any order
        counts = np.add.reduceat(weight, starts).astype(np.float64)
    return values[starts].astype(np.float64), counts


def group_labels(groups: ArrayLike, size: int) -> tuple[tuple[str, ...], NDArray[np.int64]]:
    """Distinct group labels (as text, sorted) and each record's index into them."""
    raw = np.asarray(groups).ravel()
    if raw.size != size:
        raise ValueError(f"groups must have one label per record ({raw.size} != {size})")
    text = raw if raw.dtype.kind == "U" else raw.astype(str)
    if text.size:
        # Records usually come in runs of one label: find the labels among the runs' first values.
        starts = np.flatnonzero(np.concatenate(([True], text[1:] != text[:-1])))
        if starts.size * 4 < text.size:
            labels, run_codes = np.unique(text[starts], return_inverse=True)
            codes = np.repeat(run_codes.ravel(), np.diff(np.append(starts, text.size)))
            return tuple(str(label) for label in labels), codes.astype(np.int64)
    labels, codes = np.unique(text, return_inverse=True)
    return tuple(str(label) for label in labels), codes.astype(np.int64)


def risk_floor(records: FollowUp) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The smallest risk set up to each time, as a step function ``(points, counts)``: the
    smallest number at risk at any s in (m, t] (m the earliest entry) is ``counts[i]`` for the last
    ``points[i] < t``, and 0 for t <= m (nobody is observed yet); see :func:`floor_at`.

    Between exits the risk set only grows (entries join it), so its smallest value on (m, t] is
    taken just after m or just after an exit (of any kind) before t: N(c+) = #{entry <= c} −
    #{exit <= c} (people, i.e. weighted). Only the points where the running minimum falls are kept.
    """
    if records.exit.size == 0:
        return np.zeros(0), np.zeros(0)
    weight = records.weights()
    start = float(records.entry.min())
    exits, _ = distinct_times(records.exit, weight)
    points = np.concatenate(([start], exits)) if math.isfinite(start) else exits
    entry_order = np.argsort(records.entry, kind="stable")
    exit_order = np.argsort(records.exit, kind="stable")
    entered = np.concatenate(([0.0], np.cumsum(weight[entry_order])))[
        np.searchsorted(records.entry[entry_order], points, side="right")]
    exited = np.concatenate(([0.0], np.cumsum(weight[exit_order])))[
        np.searchsorted(records.exit[exit_order], points, side="right")]
    if not math.isfinite(start):  # no entry times: everyone is at risk from the start
        points = np.concatenate(([-np.inf], points))
        entered = np.concatenate(([float(weight.sum())], entered))
        exited = np.concatenate(([0.0], exited))
    running = np.minimum.accumulate(entered - exited)
    falls = np.concatenate(([True], running[1:] < running[:-1]))
    return points[falls].astype(np.float64), running[falls].astype(np.float64)


def floor_at(points: NDArray[np.float64], counts: NDArray[np.float64], times: ArrayLike) -> NDArray[np.float64]:
    """The smallest risk set on (m, t] at each of ``times``, from :func:`risk_floor`."""
    asked = np.asarray(times, dtype=np.float64)
    index = np.searchsorted(points, asked, side="left") - 1
    return np.where(index >= 0, counts[np.maximum(index, 0)] if counts.size else 0.0, 0.0)


def exact_bounds(estimate: NDArray[np.float64], lower: NDArray[np.float64], upper: NDArray[np.float64],
                 people: NDArray[np.float64], confidence: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bounds at an estimate of exactly 1 or 0 (where a variance-based interval has zero width):
    the exact Clopper–Pearson bound for no events (no survivors) among ``people``, the smallest
    risk set up to the time — (α/2)^(1/n) below an estimate of 1, 1 − (α/2)^(1/n) above an
    estimate of 0, and the whole of [0, 1] when nobody was observed (n = 0). Elsewhere the
    bounds are returned unchanged."""
    half = (1.0 - confidence) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(people > 0, half ** (1.0 / np.where(people > 0, people, 1.0)), 0.0)
    one, zero = estimate >= 1.0, estimate <= 0.0
    lower = np.where(one, root, np.where(zero, 0.0, lower))
    upper = np.where(zero, np.where(people > 0, 1.0 - root, 1.0), np.where(one, 1.0, upper))
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
