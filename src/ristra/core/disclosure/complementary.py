"""Complementary suppression by an exact mixed-integer programme with capacity cuts.

Method (Fischetti & Salazar-González 2001, solved by row generation)
---------------------------------------------------------------------
Binary ``y[i] = 1`` when cell *i* is suppressed; primary cells are fixed to 1; cells that
identity equations declare equal get equal ``y`` (a number is hidden everywhere or nowhere). The master
problem minimises the information lost, ``sum(w[i] * y[i])`` (``w`` = the count, at least 1,
or 1 per cell), subject to *capacity cuts*. For a sensitive cell *s* with upper protection
level ``UPL[s]`` the attacker's problem, in deviations ``d = x - a`` from the true counts ``a``,

    max d[s]   s.t.  A d = 0,   -a[i] y[i] <= d[i] <= +inf * y[i]

must reach ``UPL[s]`` (and ``min d[s] <= -LPL[s]`` for the lower level). For a pattern ``y*``
that fails, the optimal dual ``lambda`` of that LP gives reduced costs ``r = c - A^T lambda``
and, by weak duality, the valid inequality

    sum_i  min(UPL[s], a[i] * max(r[i], 0) + inf * max(-r[i], 0)) * y[i]  >=  UPL[s]

which ``y*`` violates. Single-equation versions of these cuts (one margin at a time) seed the
master: they alone force a partner for a lone suppressed cell in any row, column or equation
(a cell whose row has no other non-zero contributor can only be partnered by its total,
or through its column). The loop is: solve the master
with ``scipy.optimize.milp`` (HiGHS, ``mip_rel_gap = 0``), solve the attacker LPs with
``scipy.optimize.linprog`` (HiGHS) for every sensitive cell, add the violated cuts, repeat
until no cut is violated. Because protection is monotone in the suppressed set and each
round removes the current pattern, the loop ends; its result is an optimal pattern of the
full programme.

Large or dense systems: when a master solve passes its work limits (:data:`_NODE_LIMIT`
nodes, :data:`_SOLVE_SECONDS`), a round finds more than :data:`_EXACT_CUTS` violated cuts, or
a stage needs more than :data:`_EXACT_ROUNDS` rounds, the stage is completed by the
**sequential heuristic** (:meth:`Separator.complete`): each sensitive cell in canonical order is
attacked and, while the attack falls short, the cheapest cells of its capacity cut are added.
The pattern is then protected but not necessarily least-cost; the attack checks it as always.
Only the time limit depends on the machine (a safety bound that the default school never
reaches); the other limits are counts, so the same input gives the same pattern.

Determinism: cells are in the canonical order of :class:`LinearSystem`; ties among optimal
patterns are broken lexicographically by a second MILP that keeps the optimal loss and
minimises the sum of the suppressed cells' canonical ranks (earlier cells preferred).

Reference: M. Fischetti, J.-J. Salazar-González, "Solving the cell suppression problem on
tabular data with linear constraints", *Management Science* 47(7), 2001, 1008-1027.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ristra.core.disclosure.errors import DisclosureError
from ristra.core.disclosure.policy import Policy
from ristra.core.disclosure.separation import Cut, FloatArray, Separator
from ristra.core.disclosure.system import BoolArray, IntArray, LinearSystem

_MAX_ROUNDS = 500
#: work limits of one exact master solve; past them the stage is completed greedily
_NODE_LIMIT = 2000
_SOLVE_SECONDS = 10.0
#: past this many master rounds in a stage, or this many violated cuts in one round, the stage is
#: completed by the sequential heuristic (counts, not clock time: the same input gives the same pattern)
_EXACT_ROUNDS = 40
_EXACT_CUTS = 400


class _OutOfWork(Exception):
    """The exact master did not finish within its work limits."""


@dataclass(frozen=True)
class Pattern:
    """The chosen suppression pattern and how it was found."""

    primary: BoolArray
    suppressed: BoolArray
    rounds: int
    cuts: int
    loss: int


def protection_levels(system: LinearSystem, primary: BoolArray, policy: Policy) -> tuple[FloatArray, FloatArray]:
    """Upper and lower protection levels (0 for non-sensitive cells)."""
    values = system.values.astype(np.float64)
    upl = np.where(primary, policy.required_upper - values, 0.0)
    lpl = np.where(primary, values, 0.0) if policy.required_lower is not None else np.zeros_like(values)
    return upl, lpl


def protect(system: LinearSystem, primary: BoolArray, policy: Policy, *, forced: BoolArray | None = None,
            stages: IntArray | None = None, time_limit: float = 120.0) -> Pattern:
    """The complementary-suppression pattern (see the module docstring).

    ``forced`` cells are suppressed whatever it costs but need no protection of their own: the
    hidden slack cells of order relations, and cells suppressed in an earlier publication to
    the same audience. Their loss is not counted (it was paid before, or is not a cell).

    ``stages`` (one whole number per cell) protects a large linked system **module by module**,
    as the modular methods of tabular protection do (τ-ARGUS's modular method): stage by
    stage, the cells of the stage are chosen by the exact programme over the *whole* system,
    with the cells of earlier stages frozen as decided and the non-sensitive cells of later
    stages held published (the attacker is assumed to know them — pessimistic, so later
    stages can only hide more, and protection is monotone in the suppressed set); the
    sensitive cells of every stage so far must be protected. Each stage is optimal given the
    earlier ones, not the whole pattern; the pattern is protected against the whole system
    (the last stage checks every sensitive cell, and the attack checks again). When a stage
    cannot protect its cells alone, the cells of later and then of earlier stages are
    released to it at a high cost."""
    fixed = primary | system.hidden if forced is None else primary | forced | system.hidden
    if not primary.any():
        return Pattern(primary.copy(), fixed.copy(), rounds=0, cuts=0, loss=0)
    upl, lpl = protection_levels(system, primary, policy)
    base = np.maximum(system.values, 1) if policy.cost == "value" else np.ones(system.size, np.int64)
    weight: FloatArray = np.where(fixed, 0, base).astype(np.float64)
    separator = Separator(system, primary, upl, lpl, weight)
    stage = np.zeros(system.size, dtype=np.int64) if stages is None else np.asarray(stages, dtype=np.int64).copy()
    # one number shown in two places is decided once, at its earliest stage
    stage = _across_identities(stage, np.array(system.identities, dtype=np.int64).reshape(-1, 2), np.minimum)
    tagged = [(int(stage[s]), cut) for s, cut in _seed_cuts(system, primary, upl, lpl)]
    seen = {(c.cells, c.coefs, c.rhs) for _, c in tagged}
    solver = _Master(system, fixed, weight, time_limit)
    y = fixed.copy()
    rounds = 0
    for current in sorted(set(stage.tolist())):
        earlier, later = stage < current, stage > current
        separator.active = primary & (stage <= current)
        lower = np.where(earlier, y, fixed).astype(np.float64)
        upper = np.where(earlier, y, np.where(later & ~fixed, False, True)).astype(np.float64)
        y, used = _stage(solver, separator, tagged, seen, current, lower, upper, earlier, later, weight)
        rounds += used
    return Pattern(primary.copy(), y, rounds=rounds, cuts=len(tagged), loss=int(weight @ y))


def _stage(solver: _Master, separator: Separator, tagged: list[tuple[int, Cut]], seen: set[tuple[tuple[int, ...], tuple[float, ...], float]],
           current: int, lower: FloatArray, upper: FloatArray, earlier: BoolArray,
           later: BoolArray, weight: FloatArray) -> tuple[BoolArray, int]:
    """One stage of :func:`protect`: row generation until every active sensitive cell holds."""
    relaxations = [(upper, weight),
                   (np.where(earlier, upper, 1.0), np.where(later, 1000 * weight, weight)),
                   (np.ones_like(upper), np.where(later | earlier, 1000 * weight, weight))]
    level = 0
    y: BoolArray = lower > 0.5
    for rounds in range(1, _MAX_ROUNDS + 1):
        bounds_upper, cost = relaxations[level]
        bounds_lower = lower  # what an earlier stage hid stays hidden
        cuts = [c for k, c in tagged if k <= current]
        if rounds > _EXACT_ROUNDS:
            return _sequential(solver, separator, y, cuts, relaxations[-1][1]), rounds
        try:
            y = solver.solve(cuts, lower=bounds_lower, upper=bounds_upper, weight=cost)
        except _OutOfWork:
            return _sequential(solver, separator, bounds_lower > 0.5, cuts, relaxations[-1][1]), rounds
        except DisclosureError:
            if level == len(relaxations) - 1:
                raise
            level += 1
            continue
        found = separator.cuts(y, limit=_EXACT_CUTS)
        if len(found) > _EXACT_CUTS:
            return _sequential(solver, separator, y, [*cuts, *found], relaxations[-1][1]), rounds
        if not found:
            try:
                tied = solver.solve(cuts, keep_loss=float(cost @ y), lower=bounds_lower, upper=bounds_upper,
                                    weight=cost)
            except _OutOfWork:
                tied = y
            found = [] if np.array_equal(tied, y) else separator.cuts(tied)
            y = tied
            if not found:
                return y, rounds
        fresh = [c for c in found if (c.cells, c.coefs, c.rhs) not in seen]
        if not fresh:  # numerical safety: forbid this pattern and all of its subsets
            outside = tuple(int(i) for i in np.flatnonzero(~y & (bounds_upper > 0)))
            if not outside:
                raise DisclosureError("complementary suppression cannot protect every sensitive cell")
            fresh = [Cut(outside, (1.0,) * len(outside), 1.0)]
        _keep(fresh, seen, tagged, current)
    raise DisclosureError(f"complementary suppression did not converge in {_MAX_ROUNDS} rounds")


def _sequential(solver: _Master, separator: Separator, start: BoolArray, cuts: list[Cut],
                weight: FloatArray) -> BoolArray:
    """The stage completed by the sequential heuristic (:meth:`Separator.complete`) from
    ``start`` with the known cuts met first; any cell may be added (at ``weight``)."""
    upper = np.ones(start.size)
    y = solver.cover(start, cuts, upper=upper, weight=weight)
    return separator.complete(y, lambda pattern, found: solver.cover(pattern, found, upper=upper, weight=weight))


def _keep(cuts: list[Cut], seen: set[tuple[tuple[int, ...], tuple[float, ...], float]],
          tagged: list[tuple[int, Cut]], current: int) -> None:
    for cut in cuts:
        key = (cut.cells, cut.coefs, cut.rhs)
        if key not in seen:
            seen.add(key)
            tagged.append((current, cut))


class _Master:
    """The master MILP over binary suppression variables. Each solve works on the variables
    its bounds leave free only (cells fixed by bounds, or equal by an identity to a fixed cell,
    are substituted into the cuts), so a stage of a modular protection is a small programme."""

    def __init__(self, system: LinearSystem, fixed: BoolArray, weight: FloatArray, time_limit: float) -> None:
        self.size = system.size
        self.weight = weight
        self.rank = np.where(fixed, 0.0, np.arange(1, system.size + 1, dtype=np.float64))
        self.lower = np.where(fixed, 1.0, 0.0)
        self.upper = np.ones(system.size)
        self.time_limit = time_limit
        self.pairs = np.array(system.identities, dtype=np.int64).reshape(-1, 2)

    def _propagate(self, lower: FloatArray, upper: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Bounds with identities applied (a cell equal to a fixed cell is fixed too)."""
        lo = _across_identities(lower, self.pairs, np.maximum)
        hi = _across_identities(upper, self.pairs, np.minimum)
        if (lo > hi).any():
            raise DisclosureError("complementary suppression MILP failed: identities contradict the fixed cells")
        return lo, hi

    def solve(self, cuts: list[Cut], keep_loss: float | None = None, *, lower: FloatArray | None = None,
              upper: FloatArray | None = None, weight: FloatArray | None = None) -> BoolArray:
        weight = self.weight if weight is None else weight
        lo, hi = self._propagate(self.lower if lower is None else lower, self.upper if upper is None else upper)
        free = np.flatnonzero(lo < hi)
        position = np.full(self.size, -1, dtype=np.int64)
        position[free] = np.arange(free.size)
        constraints: list[LinearConstraint] = []
        if cuts:
            rows = np.concatenate([np.full(len(c.cells), k) for k, c in enumerate(cuts)])
            cols = np.concatenate([np.array(c.cells, dtype=np.int64) for c in cuts])
            data = np.concatenate([np.array(c.coefs) for c in cuts])
            matrix = sparse.csr_array((data, (rows, cols)), shape=(len(cuts), self.size))
            rhs = np.array([c.rhs for c in cuts]) - matrix @ np.where(lo == hi, lo, 0.0)
            local = sparse.csr_array(matrix[:, free]) if free.size else None
            open_rows = np.flatnonzero(rhs > 1e-9)
            if open_rows.size:
                if local is None or (np.diff(local.indptr)[open_rows] == 0).any():
                    raise DisclosureError("complementary suppression MILP failed: a cut cannot be met")
                constraints.append(LinearConstraint(local[open_rows, :], rhs[open_rows] - 1e-9, np.inf))
        if free.size == 0:
            return lo > 0.5
        both = self.pairs[(position[self.pairs[:, 0]] >= 0) & (position[self.pairs[:, 1]] >= 0)] \
            if self.pairs.size else np.zeros((0, 2), np.int64)
        if both.size:
            k = len(both)
            same = sparse.csr_array((np.tile([1.0, -1.0], k), (np.repeat(np.arange(k), 2), position[both].ravel())),
                                    shape=(k, free.size))
            constraints.append(LinearConstraint(same, 0.0, 0.0))
        objective = weight[free]
        if keep_loss is not None:
            spent = float(weight @ np.where(lo == hi, lo, 0.0))
            constraints.append(LinearConstraint(weight[free].reshape(1, -1), -np.inf, keep_loss + 0.5 - spent))
            objective = self.rank[free]
        result = milp(
            objective, integrality=np.ones(free.size), bounds=Bounds(lo[free], hi[free]), constraints=constraints,
            options={"mip_rel_gap": 0.0, "time_limit": min(self.time_limit, _SOLVE_SECONDS), "presolve": True,
                     "node_limit": _NODE_LIMIT},
        )
        if result.status == 1:  # an iteration, node or time limit: not proved optimal
            raise _OutOfWork()
        if result.status != 0 or result.x is None:
            raise DisclosureError(f"complementary suppression MILP failed: {result.message}")
        chosen = lo.copy()
        chosen[free] = np.asarray(result.x)
        picked: BoolArray = chosen > 0.5
        return picked

    def cover(self, start: BoolArray, cuts: list[Cut], *, upper: FloatArray, weight: FloatArray) -> BoolArray:
        """``start`` with cells added until every cut holds: for each cut in turn that does not,
        its cheapest cells per unit of the cut (cost ÷ coefficient, then canonical order) until it
        does; identities are kept. Deterministic, and each cut it meets stays met (cells are only
        added). A protected pattern, not a least-cost one (see :func:`protect`)."""
        y = _across_identities(start.copy(), self.pairs, np.maximum)
        for cut in cuts:
            have = sum(coef for i, coef in zip(cut.cells, cut.coefs, strict=True) if y[i])
            if have >= cut.rhs - 1e-9:
                continue
            offers = sorted((weight[i] / coef, i, coef) for i, coef in zip(cut.cells, cut.coefs, strict=True)
                            if not y[i] and upper[i] > 0 and coef > 0)
            for _, i, coef in offers:
                y[i] = True
                have += coef
                if have >= cut.rhs - 1e-9:
                    break
            else:
                raise DisclosureError("complementary suppression cannot protect every sensitive cell")
            y = _across_identities(y, self.pairs, np.maximum)
        return y


def _across_identities(values: npt.NDArray[Any], pairs: IntArray, combine: np.ufunc) -> npt.NDArray[Any]:
    """``values`` made equal across every identity pair by ``combine`` (``np.minimum`` or
    ``np.maximum``), to a fixed point (chains of identities)."""
    out = values.copy()
    if pairs.size == 0:
        return out
    while True:
        before = out.copy()
        combine.at(out, pairs[:, 0], out[pairs[:, 1]])
        combine.at(out, pairs[:, 1], out[pairs[:, 0]])
        if np.array_equal(before, out):
            return out


def _seed_cuts(system: LinearSystem, primary: BoolArray, upl: FloatArray, lpl: FloatArray) -> list[tuple[int, Cut]]:
    """Capacity cuts of each single equation through each sensitive cell (with the cell)."""
    values = system.values
    columns = system.matrix.tocsc()
    rows_of = system.matrix.tocsr()
    cuts: list[tuple[int, Cut]] = []
    for s in np.flatnonzero(primary):
        for e in columns.indices[columns.indptr[s]:columns.indptr[s + 1]]:
            start, stop = rows_of.indptr[e], rows_of.indptr[e + 1]
            cells, signs = rows_of.indices[start:stop], rows_of.data[start:stop]
            sign_s = signs[cells == s][0]
            others = [(int(j), sg == sign_s) for j, sg in zip(cells, signs, strict=True) if j != s]
            for need, same_cap, opposite_cap in ((upl[s], "down", "up"), (lpl[s], "up", "down")):
                if need <= 0:
                    continue
                coef = {
                    j: min(need, float(values[j])) if (same_cap if same else opposite_cap) == "down" else need
                    for j, same in others
                }
                kept = sorted((j, c) for j, c in coef.items() if c > 0)
                cuts.append((int(s), Cut(tuple(j for j, _ in kept), tuple(c for _, c in kept), float(need))))
    return cuts
