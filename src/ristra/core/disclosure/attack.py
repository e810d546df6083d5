"""The attack: what an attacker can derive about each suppressed cell from what is released.

Method
------
The attacker knows every published count of every table of the release, that counts are
non-negative, and every additive equation (each table's margins and subtotals, and the equations
between tables). For each suppressed cell *s* the attack solves two linear programmes with
HiGHS (:mod:`.programme`; one programme per component, each solve warm-started from the last):

    min / max x[s]  s.t.  A x = 0,  x[i] = published[i] for published cells,  x[i] >= 0

working only from the released values (it never reads a suppressed count). Suppressed cells
that no equation ties together are solved separately (connected components), which is exact
and much faster. LP bounds are rounded inwards to whole numbers (counts are integers), so the
reported interval is what an attacker can claim. The release passes when every **sensitive**
cell's interval reaches the policy's required bounds: ``hi >= Policy.required_upper`` and, if
set, ``lo <= Policy.required_lower``. (An integer-programming attacker can occasionally do
better than the LP in tables of three or more dimensions; this attack, like tau-ARGUS's audit, uses the
LP bound.)

Reference: Hundepool et al., *Statistical Disclosure Control* (Wiley, 2012), section 4.3
(interval disclosure and the attacker's LP).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ristra.core.disclosure.errors import DisclosureError
from ristra.core.disclosure.programme import INFINITY, Programme
from ristra.core.disclosure.system import BoolArray, LinearSystem

_TOL = 1e-6
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Interval:
    """The attacker's interval for one suppressed cell (``upper`` None: unbounded)."""

    index: int
    lower: int
    upper: int | None


def attacker_intervals(system: LinearSystem, published: Sequence[int | None]) -> list[Interval]:
    """Min and max of every unpublished cell (``None`` in ``published``) given the rest.

    Exact, with two shortcuts that skip an LP only when its answer is already proved: a cell
    that is 0 in any optimal point found on the way has minimum 0 (counts are non-negative);
    a cell that reaches its *single-equation bound* in such a point has that bound as its
    maximum (an equation whose suppressed cells all carry the same sign bounds each of them
    by its published remainder, and no cell can exceed a bound that is valid).
    """
    suppressed: BoolArray = np.array([v is None for v in published], dtype=bool)
    known = np.array([0.0 if v is None else float(v) for v in published])
    intervals: list[Interval] = []
    for component in system.components(suppressed):
        cells = component.cells
        if system.hidden[cells].all():
            continue  # only slack cells of order relations: nothing published is at stake
        if component.rows.size == 0:
            intervals.extend(Interval(int(cell), 0, None) for cell in cells)
            continue
        block = system.matrix[component.rows, :]
        local = sparse.csc_array(block[:, cells])
        rhs = -(block @ np.where(suppressed, 0.0, known))
        ceiling = _single_equation_bounds(local, rhs)
        low = np.full(cells.size, np.nan)
        high = np.full(cells.size, np.nan)
        # one programme per component, each solve starting from the last one's basis
        programme = Programme(local, rhs, np.zeros(cells.size), np.full(cells.size, INFINITY))
        for sense, bound, unbounded in ((-1.0, high, np.inf), (+1.0, low, 0.0)):
            for position in range(cells.size):
                if not np.isnan(bound[position]):
                    continue  # proved by an optimal point found on the way
                value, point = _bound(programme, position, sense)
                bound[position] = unbounded if value is None else value
                _learn(point, low, high, ceiling)
        for position, cell in enumerate(cells):
            upper = None if np.isinf(high[position]) else math.floor(high[position] + _TOL)
            intervals.append(Interval(int(cell), max(0, math.ceil(low[position] - _TOL)), upper))
    return sorted(intervals, key=lambda interval: interval.index)


def _learn(point: FloatArray | None, low: FloatArray, high: FloatArray, ceiling: FloatArray) -> None:
    """Record the bounds an optimal point proves (NaN marks a bound not yet known)."""
    if point is not None:
        low[np.isnan(low) & (point <= _TOL)] = 0.0
        reached = np.isnan(high) & (point >= ceiling - _TOL)
        high[reached] = ceiling[reached]


def _single_equation_bounds(local: sparse.csc_array, rhs: FloatArray) -> FloatArray:
    """For each cell, the least ``rhs / coefficient`` over equations whose suppressed cells all
    have the same sign (``inf`` when there is none)."""
    rows = sparse.csr_array(local)
    bound = np.full(local.shape[1], np.inf)
    for e in range(rows.shape[0]):
        coefs = rows.data[rows.indptr[e]:rows.indptr[e + 1]]
        where = rows.indices[rows.indptr[e]:rows.indptr[e + 1]]
        if coefs.size and (coefs.min() > 0 or coefs.max() < 0):
            bound[where] = np.minimum(bound[where], rhs[e] / coefs)
    return bound


def _bound(programme: Programme, position: int, sense: float) -> tuple[float | None, FloatArray | None]:
    """``min x[position]`` (sense +1) or ``max`` (sense -1), None when unbounded, and the
    optimal point."""
    solution = programme.solve(cost={position: sense})
    if solution.status == "unbounded":
        return None, None
    if solution.status != "optimal" or solution.x is None:
        raise DisclosureError("audit LP failed (infeasible); the released values are inconsistent")
    return float(sense * solution.objective), solution.x


def violations(
    intervals: Sequence[Interval], sensitive: BoolArray, required_upper: int, required_lower: int | None
) -> list[Interval]:
    """Sensitive cells whose interval is narrower than the policy requires."""
    bad = []
    for interval in intervals:
        if not sensitive[interval.index]:
            continue
        too_low = interval.upper is not None and interval.upper < required_upper
        too_high = required_lower is not None and interval.lower > required_lower
        if too_low or too_high:
            bad.append(interval)
    return bad
