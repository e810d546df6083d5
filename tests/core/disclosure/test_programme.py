"""The warm-started attacker programme (core/disclosure/programme.py) against SciPy's ``linprog``
(the same solver, started from scratch for every solve)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from ristra.core.disclosure.programme import INFINITY, Programme


def _table_system(rng: np.random.Generator, rows: int, cols: int) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
    """A ``rows`` × ``cols`` table with its margins as ``A x = 0`` over (cells, row totals,
    column totals, grand total), the true counts, and the published mask (every other cell)."""
    counts = rng.integers(0, 30, size=(rows, cols))
    values = np.concatenate([counts.ravel(), counts.sum(axis=1), counts.sum(axis=0), [counts.sum()]])
    n = values.size
    equations = []
    for r in range(rows):
        equations.append({rows * cols + r: 1.0, **{r * cols + c: -1.0 for c in range(cols)}})
    for c in range(cols):
        equations.append({rows * cols + rows + c: 1.0, **{r * cols + c: -1.0 for r in range(rows)}})
    equations.append({n - 1: 1.0, **{rows * cols + r: -1.0 for r in range(rows)}})
    matrix = sparse.lil_array((len(equations), n))
    for e, coefs in enumerate(equations):
        for j, a in coefs.items():
            matrix[e, j] = a
    return sparse.csr_array(matrix), values.astype(np.float64), rng.random(n) < 0.35


def test_every_minimum_and_maximum_equals_linprog_from_scratch() -> None:
    rng = np.random.default_rng(7)
    matrix, values, hidden = _table_system(rng, 6, 5)
    cells = np.flatnonzero(hidden)
    local = sparse.csc_array(matrix[:, cells])
    rhs = -(matrix @ np.where(hidden, 0.0, values))
    programme = Programme(local, rhs, np.zeros(cells.size), np.full(cells.size, INFINITY))
    compared = 0
    for sense in (1.0, -1.0):
        for position in range(cells.size):
            warm = programme.solve(cost={position: sense})
            c = np.zeros(cells.size)
            c[position] = sense
            cold = linprog(c, A_eq=local, b_eq=rhs, bounds=(0, None), method="highs")
            if cold.status == 3:
                assert warm.status == "unbounded"
            else:
                assert warm.status == "optimal"
                assert warm.objective == pytest.approx(cold.fun, abs=1e-9)
                assert warm.x is not None
                np.testing.assert_allclose(local @ warm.x, rhs, atol=1e-9)
            compared += 1
    assert compared == 2 * cells.size


def test_changes_last_for_one_solve_only() -> None:
    # min x0 + x1 s.t. x0 + x1 + x2 = 10, x >= 0; the cost and the bound given to one solve are undone
    programme = Programme(sparse.csc_array(np.array([[1.0, 1.0, 1.0]])), np.array([10.0]), np.zeros(3),
                          np.full(3, INFINITY), cost=np.array([1.0, 1.0, 0.0]))
    assert programme.solve().objective == pytest.approx(0.0)
    capped = programme.solve(cost={2: 1.0}, bounds={2: (0.0, 4.0)})
    assert capped.objective == pytest.approx(10.0)
    assert capped.x is not None
    assert capped.x[2] == pytest.approx(4.0)
    again = programme.solve()
    assert again.objective == pytest.approx(0.0)
    assert again.x is not None
    assert again.x[2] == pytest.approx(10.0)


def test_duals_are_linprog_marginals() -> None:
    # max 2 x0 + 3 x1 s.t. x0 + x1 + s0 = 4, x0 + 3 x1 + s1 = 6 (a unique, non-degenerate optimum)
    a = np.array([[1.0, 1.0, 1.0, 0.0], [1.0, 3.0, 0.0, 1.0]])
    b = np.array([4.0, 6.0])
    c = np.array([-2.0, -3.0, 0.0, 0.0])
    cold = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    warm = Programme(sparse.csc_array(a), b, np.zeros(4), np.full(4, INFINITY), cost=c).solve()
    assert warm.objective == pytest.approx(cold.fun)
    assert warm.duals is not None
    np.testing.assert_allclose(warm.duals, cold.eqlin.marginals, atol=1e-9)


def test_unbounded_and_infeasible_are_told_apart() -> None:
    a = sparse.csc_array(np.array([[1.0, -1.0]]))
    free = Programme(a, np.array([0.0]), np.zeros(2), np.full(2, INFINITY))
    assert free.solve(cost={0: -1.0}).status == "unbounded"
    assert free.solve(cost={0: 1.0}).objective == pytest.approx(0.0)
    impossible = Programme(a, np.array([5.0]), np.zeros(2), np.array([1.0, 1.0]))
    assert impossible.solve().status == "infeasible"


def test_the_solver_writes_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    programme = Programme(sparse.csc_array(np.array([[1.0, 1.0]])), np.array([3.0]), np.zeros(2), np.full(2, INFINITY))
    assert programme.solve(cost={0: 1.0}).status == "optimal"
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
