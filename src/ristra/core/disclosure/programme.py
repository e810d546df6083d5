"""The attacker's linear programmes, solved by HiGHS and kept warm between solves.

The attack (:mod:`.attack`) and the separation of complementary suppression (:mod:`.separation`)
solve many linear programmes that differ only in their objective and in the bounds of one or two
cells: the minimum and the maximum of every suppressed cell of one component, over the same
equations. :class:`Programme` holds one such programme in a HiGHS instance: each
:meth:`~Programme.solve` changes the costs and bounds it is given, solves starting from the
basis of the previous solve (a few simplex pivots instead of a solve from scratch), and puts
the costs and bounds back. The answer of each solve is the optimum of the programme as stated,
whatever the starting basis: warm starting changes how fast it is found, not what it is (where
an optimum has several optimal points, the point returned may differ; callers use points only
as certificates that are checked, never as the answer).

HiGHS is the solver SciPy ships and :func:`scipy.optimize.linprog` calls (Huangfu & Hall 2018,
*Parallelizing the dual revised simplex method*, Math. Prog. Comp. 10:119-142); ``highspy`` is
its own Python binding, used here because ``linprog`` builds a new instance for every solve and
cannot start from an earlier basis. The compiled class is used directly (its Python subclass
writes a banner to standard output when made, which would corrupt the CLI's JSON output).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from highspy import _core as highs
from scipy import sparse

from ristra.core.disclosure.errors import DisclosureError

FloatArray = npt.NDArray[np.float64]
INFINITY = float(highs.kHighsInf)
Status = Literal["optimal", "unbounded", "infeasible"]


@dataclass(frozen=True)
class Solution:
    """One solve: the status, and for an optimum the objective, the point and the row duals
    (the derivative of the optimum with respect to each equation's right-hand side, as
    ``linprog``'s ``eqlin.marginals``)."""

    status: Status
    objective: float
    x: FloatArray | None
    duals: FloatArray | None


class Programme:
    """``min cost @ x  s.t.  matrix @ x == rhs,  lower <= x <= upper`` (``INFINITY`` for no bound).

    :meth:`solve` takes changes to the cost and to the bounds of single columns, valid for that
    solve only; each solve starts from the previous solve's basis. One instance is used by one
    thread at a time."""

    def __init__(self, matrix: sparse.csc_array | sparse.csr_array, rhs: FloatArray, lower: FloatArray,
                 upper: FloatArray, cost: FloatArray | None = None) -> None:
        columns = sparse.csc_array(matrix)
        columns.sort_indices()
        n_rows, n_cols = columns.shape
        self.size = n_cols
        self.cost = np.zeros(n_cols) if cost is None else np.asarray(cost, dtype=np.float64).copy()
        self.lower = np.asarray(lower, dtype=np.float64).copy()
        self.upper = np.asarray(upper, dtype=np.float64).copy()
        lp = highs.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = n_cols
        lp.a_matrix_.num_row_ = n_rows
        lp.a_matrix_.start_ = columns.indptr.astype(np.int32)
        lp.a_matrix_.index_ = columns.indices.astype(np.int32)
        lp.a_matrix_.value_ = columns.data.astype(np.float64)
        lp.col_cost_ = self.cost
        lp.col_lower_ = self.lower
        lp.col_upper_ = self.upper
        lp.row_lower_ = np.asarray(rhs, dtype=np.float64)
        lp.row_upper_ = np.asarray(rhs, dtype=np.float64)
        self._solver = highs._Highs()
        self._solver.setOptionValue("output_flag", False)
        self._solver.setOptionValue("random_seed", 0)
        # the primal simplex: a new objective leaves the last basis primal feasible, so the
        # next solve continues from it (about ten times faster than a fresh solve)
        self._solver.setOptionValue("simplex_strategy", 4)
        if self._solver.passModel(lp) == highs.HighsStatus.kError:
            raise DisclosureError("the attacker's linear programme could not be built")

    def solve(self, cost: Mapping[int, float] | None = None,
              bounds: Mapping[int, tuple[float, float]] | None = None) -> Solution:
        """The optimum with ``cost`` (column → cost) and ``bounds`` (column → (lower, upper))
        replacing the programme's own for this solve only."""
        cost = cost or {}
        bounds = bounds or {}
        if cost:
            self._costs(list(cost), list(cost.values()))
        if bounds:
            self._bounds(list(bounds), [b[0] for b in bounds.values()], [b[1] for b in bounds.values()])
        try:
            return self._run()
        finally:
            if cost:
                columns = list(cost)
                self._costs(columns, self.cost[columns].tolist())
            if bounds:
                columns = list(bounds)
                self._bounds(columns, self.lower[columns].tolist(), self.upper[columns].tolist())

    def _costs(self, columns: list[int], values: list[float]) -> None:
        self._solver.changeColsCost(len(columns), np.array(columns, dtype=np.int32), np.array(values, dtype=np.float64))

    def _bounds(self, columns: list[int], lower: list[float], upper: list[float]) -> None:
        self._solver.changeColsBounds(len(columns), np.array(columns, dtype=np.int32),
                                      np.array(lower, dtype=np.float64), np.array(upper, dtype=np.float64))

    def _run(self) -> Solution:
        status = self._status()
        if status == highs.HighsModelStatus.kUnboundedOrInfeasible:
            # presolve may not tell the two apart; the simplex without it does
            self._solver.setOptionValue("presolve", "off")
            try:
                self._solver.clearSolver()
                status = self._status()
            finally:
                self._solver.setOptionValue("presolve", "choose")
        if status == highs.HighsModelStatus.kOptimal:
            solution = self._solver.getSolution()
            return Solution("optimal", float(self._solver.getInfo().objective_function_value),
                            np.asarray(solution.col_value, dtype=np.float64),
                            np.asarray(solution.row_dual, dtype=np.float64))
        if status == highs.HighsModelStatus.kUnbounded:
            return Solution("unbounded", -INFINITY, None, None)
        if status == highs.HighsModelStatus.kInfeasible:
            return Solution("infeasible", INFINITY, None, None)
        raise DisclosureError(f"the attacker's linear programme stopped: {self._solver.modelStatusToString(status)}")

    def _status(self) -> highs.HighsModelStatus:
        if self._solver.run() == highs.HighsStatus.kError:
            raise DisclosureError("the attacker's linear programme could not be solved")
        return self._solver.getModelStatus()

