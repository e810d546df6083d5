"""Complementary suppression by an exact mixed-integer programme with capacity cuts.

Method (Fischetti & Salazar-González 2001, solved by row generation)
---------------------------------------------------------------------
Binary ``y[i] = 1`` when cell *i* is suppressed; primary cells are fixed to 1; cells that
identity links declare equal get equal ``y`` (a number is hidden everywhere or nowhere). The master
problem minimises the information lost, ``sum(w[i] * y[i])`` (``w`` = the count, at least 1,
or 1 per cell), subject to *capacity cuts*. For a sensitive cell *s* with upper protection
level ``UPL[s]`` the attacker's problem, in deviations ``d = x - a`` from the true counts ``a``,

    max d[s]   s.t.  A d = 0,   -a[i] y[i] <= d[i] <= +inf * y[i]

must reach ``UPL[s]`` (and ``min d[s] <= -LPL[s]`` for the lower level). For a pattern ``y*``
that fails, the optimal dual ``lambda`` of that LP gives reduced costs ``r = c - A^T lambda``
and, by weak duality, the valid inequality

    sum_i  min(UPL[s], a[i] * max(r[i], 0) + inf * max(-r[i], 0)) * y[i]  >=  UPL[s]

which ``y*`` violates. Single-equation versions of these cuts (one margin at a time) seed the
master: they alone force a partner for a lone suppressed cell in any row, column or link
(a cell whose row has no other non-zero contributor can only be partnered by its total,
or through its column). The loop is: solve the master
with ``scipy.optimize.milp`` (HiGHS, ``mip_rel_gap = 0``), solve the attacker LPs with
``scipy.optimize.linprog`` (HiGHS) for every sensitive cell, add the violated cuts, repeat
until no cut is violated. Because protection is monotone in the suppressed set and each
round removes the current pattern, the loop ends; its result is an optimal pattern of the
full programme.

Determinism: cells are in the canonical order of :class:`LinearSystem`; ties among optimal
patterns are broken lexicographically by a second MILP that keeps the optimal loss and
minimises the sum of the suppressed cells' canonical ranks (earlier cells preferred).

Reference: M. Fischetti, J.-J. Salazar-González, "Solving the cell suppression problem on
tabular data with linear constraints", *Management Science* 47(7), 2001, 1008-1027.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ristra.core.disclosure.errors import DisclosureError
from ristra.core.disclosure.policy import Policy
from ristra.core.disclosure.separation import Cut, FloatArray, Separator
from ristra.core.disclosure.system import BoolArray, LinearSystem

_MAX_ROUNDS = 500


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
            time_limit: float = 120.0) -> Pattern:
    """The optimal complementary-suppression pattern (see the module docstring).

    ``forced`` cells are suppressed whatever it costs but need no protection of their own: the
    hidden slack cells of order relations, and cells suppressed in an earlier publication to
    the same audience. Their loss is not counted (it was paid before, or is not a cell)."""
    fixed = primary | system.hidden if forced is None else primary | forced | system.hidden
    if not primary.any():
        return Pattern(primary.copy(), fixed.copy(), rounds=0, cuts=0, loss=0)
    upl, lpl = protection_levels(system, primary, policy)
    base = np.maximum(system.values, 1) if policy.cost == "value" else np.ones(system.size, np.int64)
    weight: FloatArray = np.where(fixed, 0, base).astype(np.float64)
    separator = Separator(system, primary, upl, lpl, weight)
    cuts = _seed_cuts(system, primary, upl, lpl)
    seen = {(c.cells, c.coefs, c.rhs) for c in cuts}
    solver = _Master(system, fixed, weight, time_limit)
    for rounds in range(1, _MAX_ROUNDS + 1):
        y = solver.solve(cuts)
        found = separator.cuts(y)
        if not found:
            tied = solver.solve(cuts, keep_loss=float(weight @ y))
            found = [] if np.array_equal(tied, y) else separator.cuts(tied)
            y = tied
            if not found:
                return Pattern(primary.copy(), y, rounds=rounds, cuts=len(cuts), loss=int(weight @ y))
        fresh = [c for c in found if (c.cells, c.coefs, c.rhs) not in seen]
        if not fresh:  # numerical safety: forbid this pattern and all of its subsets
            outside = tuple(int(i) for i in np.flatnonzero(~y))
            fresh = [Cut(outside, (1.0,) * len(outside), 1.0)]
        for cut in fresh:
            seen.add((cut.cells, cut.coefs, cut.rhs))
        cuts.extend(fresh)
    raise DisclosureError(f"complementary suppression did not converge in {_MAX_ROUNDS} rounds")


class _Master:
    """The master MILP over binary suppression variables."""

    def __init__(self, system: LinearSystem, fixed: BoolArray, weight: FloatArray, time_limit: float) -> None:
        self.size = system.size
        self.weight = weight
        self.rank = np.where(fixed, 0.0, np.arange(1, system.size + 1, dtype=np.float64))
        self.bounds = Bounds(np.where(fixed, 1.0, 0.0), np.ones(system.size))
        self.time_limit = time_limit
        self.fixed: list[LinearConstraint] = []
        if system.identities:
            pairs = np.array(system.identities, dtype=np.int64)
            k = len(pairs)
            rows = np.repeat(np.arange(k), 2)
            cols = pairs.ravel()
            data = np.tile([1.0, -1.0], k)
            same = sparse.csr_array((data, (rows, cols)), shape=(k, system.size))
            self.fixed.append(LinearConstraint(same, 0.0, 0.0))

    def solve(self, cuts: list[Cut], keep_loss: float | None = None) -> BoolArray:
        constraints = list(self.fixed)
        if cuts:
            rows = np.concatenate([np.full(len(c.cells), k) for k, c in enumerate(cuts)])
            cols = np.concatenate([np.array(c.cells, dtype=np.int64) for c in cuts])
            data = np.concatenate([np.array(c.coefs) for c in cuts])
            matrix = sparse.csr_array((data, (rows, cols)), shape=(len(cuts), self.size))
            constraints.append(LinearConstraint(matrix, np.array([c.rhs for c in cuts]) - 1e-9, np.inf))
        objective = self.weight
        if keep_loss is not None:
            constraints.append(LinearConstraint(self.weight.reshape(1, -1), -np.inf, keep_loss + 0.5))
            objective = self.rank
        result = milp(
            objective, integrality=np.ones(self.size), bounds=self.bounds, constraints=constraints,
            options={"mip_rel_gap": 0.0, "time_limit": self.time_limit, "presolve": True},
        )
        if result.status != 0 or result.x is None:
            raise DisclosureError(f"complementary suppression MILP failed: {result.message}")
        chosen: BoolArray = np.asarray(result.x) > 0.5
        return chosen


def _seed_cuts(system: LinearSystem, primary: BoolArray, upl: FloatArray, lpl: FloatArray) -> list[Cut]:
    """Capacity cuts of each single equation through each sensitive cell."""
    values = system.values
    columns = system.matrix.tocsc()
    rows_of = system.matrix.tocsr()
    cuts: list[Cut] = []
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
                cuts.append(Cut(tuple(j for j, _ in kept), tuple(c for _, c in kept), float(need)))
    return cuts
