"""Separation for complementary suppression: find the capacity cuts a pattern violates.

For each sensitive cell *s* and direction the attacker LP (in deviations ``d = x - a``)

    max +-d[s]  s.t.  A d = 0 over the suppressed component of s,  d[i] >= -a[i],
                      d[i] = 0 for published cells,  +-d[s] <= need

is solved with HiGHS (:mod:`.programme`: one programme per group of cells, kept warm, so
each solve starts from the basis of the last solve on the same cells). The cap on ``d[s]`` keeps it bounded, so
every solution is a concrete **attack**: a feasible deviation of the suppressed cells. An
attack stays feasible for any later pattern that still suppresses all of its cells, and it
protects every sensitive cell it moves far enough; attacks are therefore cached and reused,
so each round solves LPs only for cells whose certificate the new pattern broke. When the LP
falls short, its optimal duals give the capacity cut of Fischetti & Salazar-González (2001)
(see :mod:`.complementary`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ristra.core.disclosure.errors import DisclosureError
from ristra.core.disclosure.programme import INFINITY, Programme
from ristra.core.disclosure.system import BoolArray, IntArray, LinearSystem

FloatArray = npt.NDArray[np.float64]
_TOL = 1e-7
_CLOSURES = 2  # neighbourhood closures tried before the whole component
_DEPTH = 3  # extra cuts sought for each violated protection level in one round
_PENALTY = 1e-3  # total weight of the movement penalty, shared by all cells
_KEPT = 16  # programmes kept warm (the components most recently attacked)


@dataclass(frozen=True)
class Cut:
    """``sum(coefs[k] * y[cells[k]]) >= rhs`` over the suppression variables."""

    cells: tuple[int, ...]
    coefs: tuple[float, ...]
    rhs: float


@dataclass(frozen=True)
class _Attack:
    cells: IntArray
    moves: FloatArray


class Separator:
    """Checks patterns against the protection levels, remembering attacks between rounds."""

    def __init__(
        self, system: LinearSystem, primary: BoolArray, upl: FloatArray, lpl: FloatArray, weight: FloatArray
    ) -> None:
        self.system = system
        self.weight = weight
        self.primary = primary
        #: the sensitive cells to check (all of them, unless a staged protection says otherwise)
        self.active = primary
        self.need = {1.0: upl, -1.0: lpl}
        self.values = system.values.astype(np.float64)
        self.proof: dict[tuple[int, float], _Attack] = {}
        self.pattern: BoolArray = np.zeros(system.size, dtype=bool)
        #: warm programmes by (kind, cells): the equations touching a set of cells, restricted to
        #: them, depend on the cells only, so one programme serves every pattern with that group
        self._programmes: dict[tuple[str, bytes], Programme] = {}

    def cuts(self, y: BoolArray, limit: int | None = None) -> list[Cut]:
        """Capacity cuts violated by pattern ``y`` (empty when every sensitive cell is protected;
        at most about ``limit`` when given — the search stops once that many are found).

        Each cell is first attacked within a small neighbourhood (see :meth:`_local_attack`;
        the other suppressed cells held at their values, a restriction of the attacker, so a
        successful local attack is a real one); only when that falls short is the whole
        component used, which decides and yields the cut."""
        found: list[Cut] = []
        self.pattern = y
        for component in self.system.components(y):
            cells = component.cells
            todo = [
                (int(s), direction)
                for s in cells if self.active[s]
                for direction in (1.0, -1.0)
                if self.need[direction][s] > 0 and not self._still_proved(int(s), direction, y)
            ]
            if not todo:
                continue
            block = self.system.matrix[component.rows, :]
            local = sparse.csc_array(block[:, cells])
            incidence = sparse.csc_array(abs(local))
            where = {int(cell): k for k, cell in enumerate(cells)}
            for s, direction in todo:
                if self._still_proved(s, direction, y):
                    continue  # proved by an attack found earlier in this round
                if self._local_attack(local, incidence, cells, where[s], direction):
                    continue
                if local.shape[0] and self._push(local, cells, where[s], direction)[0]:
                    continue  # a sparse attack over the whole component
                cut = self._attack(block, local, cells, where[s], direction)
                if cut is not None:
                    found.append(cut)
                    found.extend(self._deepen(y, s, direction, cut))
                    if limit is not None and len(found) > limit:
                        return found
        return found

    def complete(self, y: BoolArray, cover: Callable[[BoolArray, list[Cut]], BoolArray]) -> BoolArray:
        """``y`` grown until every active sensitive cell is protected, **one cell at a time**: in
        canonical order, each cell is attacked over its component of the current pattern; while
        the attack falls short, ``cover`` adds cells that meet its capacity cut, and the cell is
        attacked again. A cell protected once stays protected (more suppression only widens the
        attacker's intervals), so one pass protects them all. This is the sequential heuristic of
        the established tools for large or dense systems: protected, not least-cost."""
        y = y.copy()
        self.pattern = y
        found = {int(c): comp for comp in self.system.components(y) for c in comp.cells}
        for s in np.flatnonzero(self.active):
            for direction in (1.0, -1.0):
                if self.need[direction][s] <= 0:
                    continue
                while not self._still_proved(int(s), direction, y):
                    component = found[int(s)]
                    block = self.system.matrix[component.rows, :]
                    local = sparse.csc_array(block[:, component.cells])
                    position = int(np.flatnonzero(component.cells == s)[0])
                    if local.shape[0] and self._push(local, component.cells, position, direction)[0]:
                        break
                    cut = self._attack(block, local, component.cells, position, direction)
                    if cut is None:
                        break
                    y = cover(y, [cut])
                    self.pattern = y
                    found = {int(c): comp for comp in self.system.components(y) for c in comp.cells}
        return y

    def _deepen(self, y: BoolArray, s: int, direction: float, cut: Cut) -> list[Cut]:
        """Cuts the next rounds would find: add the cheapest cell the cut offers to the
        pattern and attack again, up to :data:`_DEPTH` times (each cut is valid on its own;
        this only saves master solves on tables whose protection needs several steps, such
        as linked years)."""
        extra: list[Cut] = []
        pattern = y.copy()
        for _ in range(_DEPTH):
            offers = [(self.weight[i] / coef, i) for i, coef in zip(cut.cells, cut.coefs, strict=True) if not pattern[i]]
            if not offers:
                break
            pattern[min(offers)[1]] = True
            component = self.system.component_of(pattern, s)
            block = self.system.matrix[component.rows, :]
            local = sparse.csc_array(block[:, component.cells])
            position = int(np.flatnonzero(component.cells == s)[0])
            deeper = self._attack(block, local, component.cells, position, direction)
            if deeper is None:
                break
            extra.append(deeper)
            cut = deeper
        return extra

    def _still_proved(self, s: int, direction: float, y: BoolArray) -> bool:
        attack = self.proof.get((s, direction))
        return attack is not None and bool(y[attack.cells].all())

    def _remember(self, cells: IntArray, moves: FloatArray) -> None:
        """Keep an attack as the proof for every sensitive cell it moves far enough (unless a
        sparser proof that is still valid for the current pattern is already known)."""
        moving = np.abs(moves) > _TOL
        attack = _Attack(cells[moving], moves[moving])
        primary = self.primary[attack.cells]
        for direction in (1.0, -1.0):
            need = self.need[direction][attack.cells]
            far = primary & (need > 0) & (direction * attack.moves >= need - _TOL)
            for cell in attack.cells[far].tolist():
                known = self.proof.get((cell, direction))
                if known is None or known.cells.size > attack.cells.size or not self.pattern[known.cells].all():
                    self.proof[(cell, direction)] = attack

    def _local_attack(
        self, local: sparse.csc_array, incidence: sparse.csc_array, cells: IntArray, position: int, direction: float
    ) -> bool:
        """Attack within growing neighbourhoods: the cell with every cell sharing an equation
        with it, closed once, then again (up to :data:`_CLOSURES` times), under "shares two or
        more equations with the neighbourhood" (the corners that close 2-D rectangles, then
        3-D boxes)."""
        by_row = incidence.tocsr()
        member = np.zeros(cells.size, dtype=bool)
        member[position] = True
        member |= (incidence.T @ (incidence[:, [position]].toarray().ravel() > 0).astype(np.float64)) > 0
        for _ in range(_CLOSURES):
            rows = (by_row @ member.astype(np.float64)) > 0
            grown = member | ((incidence.T @ rows.astype(np.float64)) >= 2)
            if np.array_equal(grown, member) or grown.all():
                return False
            member = grown
            members = np.flatnonzero(member)
            rows = (by_row @ member.astype(np.float64)) > 0
            sub = sparse.csc_array(local[np.flatnonzero(rows), :][:, members])
            at = int(np.flatnonzero(members == position)[0])
            if self._push(sub, cells[members], at, direction)[0]:
                return True
        return False

    def _programme(self, kind: str, local: sparse.csc_array, cells: IntArray) -> Programme:
        """The warm programme of ``kind`` ("attack": deviations ``d``; "push": ``d = up - down``
        with the movement penalty) over ``cells`` (``local`` their equations)."""
        key = (kind, cells.tobytes())
        programme = self._programmes.pop(key, None)
        if programme is None:
            values = self.values[cells]
            zeros = np.zeros(cells.size)
            if kind == "attack":
                programme = Programme(local, np.zeros(local.shape[0]),
                                      -values, np.full(cells.size, INFINITY))
            else:
                penalty = np.where(self.primary[cells], 0.1, 1.0) * (_PENALTY / cells.size)
                programme = Programme(sparse.hstack([local, -local], format="csc"), np.zeros(local.shape[0]),
                                      np.concatenate([zeros, zeros]),
                                      np.concatenate([np.full(cells.size, INFINITY), values]),
                                      cost=np.concatenate([penalty, penalty]))
            while len(self._programmes) >= _KEPT:
                self._programmes.pop(next(iter(self._programmes)))
        self._programmes[key] = programme
        return programme

    def _attack(self, block: sparse.csr_array, local: sparse.csc_array, cells: IntArray, position: int, direction: float) -> Cut | None:
        """The plain attacker LP over the whole component (``max direction * d[s]``, capped at
        the protection level): None if it reaches the level, else the capacity cut."""
        s = int(cells[position])
        need = float(self.need[direction][s])
        if local.shape[0] == 0:
            self.proof[(s, direction)] = _Attack(cells[:0], np.zeros(0))
            return None  # no equation holds the cell: the attacker learns nothing
        lower = float(-self.values[s])
        cap = (lower, need) if direction > 0 else (max(lower, -need), INFINITY)
        result = self._programme("attack", local, cells).solve(cost={position: -direction}, bounds={position: cap})
        if result.status != "optimal" or result.x is None or result.duals is None:
            raise DisclosureError(f"attacker LP failed during complementary suppression: {result.status}")
        moves = result.x
        self._remember(cells, moves)
        if direction * moves[position] >= need - _TOL:
            return None
        return self._capacity_cut(block, s, direction, need, result.duals)

    def _push(self, local: sparse.csc_array, cells: IntArray, position: int, direction: float) -> tuple[bool, FloatArray]:
        """Find a sparse attack moving ``cells[position]`` by its protection level.

        A tiny penalty on total movement (``d = up - down``) makes the attack a sparse,
        cycle-like move that later patterns are likely to keep feasible; it is remembered."""
        s = int(cells[position])
        need = float(self.need[direction][s])
        n = cells.size
        programme = self._programme("push", local, cells)
        penalty = float(programme.cost[position])
        cost = {position: penalty - direction, n + position: penalty + direction}
        if direction > 0:
            bounds = {position: (0.0, need)}
        else:
            bounds = {n + position: (0.0, float(min(self.values[s], need)))}
        result = programme.solve(cost=cost, bounds=bounds)
        if result.status != "optimal" or result.x is None:
            raise DisclosureError(f"attacker LP failed during complementary suppression: {result.status}")
        moves = np.asarray(result.x[:n] - result.x[n:], dtype=np.float64)
        self._remember(cells, moves)
        return bool(direction * moves[position] >= need - _TOL), moves

    def _capacity_cut(self, block: sparse.csr_array, s: int, direction: float, need: float, duals: FloatArray) -> Cut:
        """The Fischetti-Salazar cut from the attacker LP's optimal duals (reduced costs ``r``):
        a published cell *i* would add ``a[i] * r[i]`` of downward room if ``r[i] > 0`` and
        unlimited upward room if ``r[i] < 0``; each coefficient is capped at ``need``."""
        objective = np.zeros(self.system.size)
        objective[s] = -direction
        reduced = objective - block.T @ duals
        coefs: list[tuple[int, float]] = []
        for i in np.union1d(block.indices, [s]):
            r = float(reduced[i])
            if r < -_TOL:
                coef = need
            elif r > _TOL:
                coef = min(need, float(self.values[i]) * r)
            else:
                continue
            coef = round(coef, 9)
            if coef > 0:
                coefs.append((int(i), coef))
        return Cut(tuple(i for i, _ in coefs), tuple(c for _, c in coefs), need)
