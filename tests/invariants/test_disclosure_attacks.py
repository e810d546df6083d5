"""Attacks on released tables, each by an attacker written here from scratch.

The attacker reads only what a release publishes (``ReleasedTable.to_dict()``), writes down
the additive equations it knows from the layout (margins, subtotals, the same table in other
years, a margin shared by two tables), and solves one linear programme per suppressed cell
with ``scipy.optimize.linprog`` over *all* cells at once. Nothing from
``ristra.core.disclosure``'s audit or system code is used.

Protection required (docs/disclosure.md): for every cell with ``1 <= count < k`` the attacker
can neither exclude 0 nor exclude ``k + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ristra.core.disclosure import SUPPRESSED, Policy, across_years, release, same_column
from ristra.core.tables import crosstab, nested_crosstab

Cell = tuple[int, int, int]  # (table number, row, column)
Equation = tuple[Cell, list[Cell]]  # total == sum(parts)


def margin_equations(t: int, n_rows: int, n_cols: int) -> list[Equation]:
    """A body with a total row (last) and a total column (last)."""
    eqs: list[Equation] = [((t, r, n_cols - 1), [(t, r, c) for c in range(n_cols - 1)]) for r in range(n_rows)]
    eqs += [((t, n_rows - 1, c), [(t, r, c) for r in range(n_rows - 1)]) for c in range(n_cols)]
    return eqs


def attack(grids: Sequence[list[list[object]]], equations: list[Equation]) -> dict[Cell, tuple[float, float]]:
    """For every suppressed cell, the least and greatest value consistent with what is shown."""
    index: dict[Cell, int] = {}
    bounds: list[tuple[float, float | None]] = []
    for t, grid in enumerate(grids):
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                index[(t, r, c)] = len(index)
                bounds.append((0.0, None) if value == SUPPRESSED else (float(value), float(value)))  # type: ignore[arg-type]
    a_eq = np.zeros((len(equations), len(index)))
    for e, (total, parts) in enumerate(equations):
        a_eq[e, index[total]] += 1
        for part in parts:
            a_eq[e, index[part]] -= 1
    out: dict[Cell, tuple[float, float]] = {}
    for cell, i in index.items():
        if bounds[i][1] is not None:
            continue
        c = np.zeros(len(index))
        c[i] = 1
        low = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
        assert low.status == 0, low.message
        out[cell] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def assert_protected(
    truth: Sequence[np.ndarray], grids: Sequence[list[list[object]]], equations: list[Equation], k: int, insider: bool = True
) -> None:
    intervals = attack(grids, equations)
    for t, table in enumerate(truth):
        for (r, c), value in np.ndenumerate(table):
            if 1 <= value < k:
                assert (t, r, c) in intervals, f"small cell {(t, r, c)} = {value} is published"
                low, high = intervals[(t, r, c)]
                assert low <= 1e-6, f"cell {(t, r, c)} = {value}: attacker excludes zero (>= {low})"
                assert high >= k + insider - 1e-6, f"cell {(t, r, c)} = {value}: attacker bounds it by {high}"


def cells_of(released: object) -> list[list[object]]:
    return released.to_dict()["cells"]  # type: ignore[attr-defined, no-any-return]


# -- recomputing a suppressed cell from margins ---------------------------------------------

def test_margins_attack_on_a_hand_checked_table() -> None:
    body = [[3, 20, 30], [15, 25, 12], [40, 14, 50]]
    table = crosstab("t", body, rows=["r1", "r2", "r3"], cols=["A", "B", "C"])
    released = release(table, Policy("public", 11))
    intervals = attack([cells_of(released)], margin_equations(0, 4, 4))
    assert intervals[(0, 0, 0)] == pytest.approx((0, 18))  # 3 lies anywhere in 0..18
    assert_protected([table.array], [cells_of(released)], margin_equations(0, 4, 4), 11)


def test_primary_suppression_alone_would_be_recomputed() -> None:
    """The attack works: hiding only the small cell lets the margin give it away."""
    table = crosstab("t", [[3, 20], [15, 25]], rows=["a", "b"], cols=["x", "y"])
    naive: list[list[object]] = [list(row) for row in table.counts]
    naive[0][0] = SUPPRESSED
    low, high = attack([naive], margin_equations(0, 3, 3))[(0, 0, 0)]
    assert low == pytest.approx(3)
    assert high == pytest.approx(3)


def test_margins_attack_on_a_wide_table_with_several_small_cells() -> None:
    rng = np.random.default_rng(5)
    body = rng.poisson(rng.lognormal(2.0, 0.9, size=(8, 1)) * np.ones((1, 6)))
    table = crosstab("wide", body, rows=[f"d{i}" for i in range(8)], cols=[f"c{j}" for j in range(6)])
    released = release(table, Policy("public", 11))
    assert released.suppression_summary.primary > 3
    assert_protected([table.array], [cells_of(released)], margin_equations(0, 9, 7), 11)


def test_hierarchy_attack_department_within_school() -> None:
    groups = {
        "Clinical": {"Surgery": [30, 2, 25], "Pediatrics": [18, 14, 4]},
        "Basic science": {"Biochemistry": [12, 9, 20], "Physiology": [40, 16, 11]},
    }
    table = nested_crosstab("faculty", groups, ["F", "M", "X"], group_dim="school", row_dim="department")
    released = release(table, Policy("public", 11))
    # rows: 0 Surgery, 1 Pediatrics, 2 Clinical total, 3 Biochemistry, 4 Physiology, 5 Basic total, 6 Total
    eqs: list[Equation] = [((0, r, 3), [(0, r, c) for c in range(3)]) for r in range(7)]
    for c in range(4):
        eqs += [((0, 2, c), [(0, 0, c), (0, 1, c)]), ((0, 5, c), [(0, 3, c), (0, 4, c)]), ((0, 6, c), [(0, 2, c), (0, 5, c)])]
    assert_protected([table.array], [cells_of(released)], eqs, 11)


# -- the same table in another year ---------------------------------------------------------

def _years() -> tuple[list[np.ndarray], list[str], list[str]]:
    rows, cols = ["d1", "d2", "d3"], ["F", "M"]
    return [np.array([[3, 40], [22, 30], [14, 25]]), np.array([[20, 35], [25, 4], [12, 30]]),
            np.array([[15, 33], [19, 28], [2, 26]])], rows, cols


def _year_equations(n_years: int) -> list[Equation]:
    eqs = [eq for t in range(n_years + 1) for eq in margin_equations(t, 4, 3)]
    eqs += [((n_years, r, c), [(t, r, c) for t in range(n_years)]) for r in range(4) for c in range(3)]
    return eqs


def test_separate_yearly_releases_leak_through_the_multi_year_total() -> None:
    bodies, rows, cols = _years()
    years = [crosstab(f"y{i}", b, rows=rows, cols=cols) for i, b in enumerate(bodies)]
    total = crosstab("all years", sum(bodies), rows=rows, cols=cols)
    policy = Policy("public", 11)
    separate = [cells_of(release(t, policy)) for t in (*years, total)]
    intervals = attack(separate, _year_equations(3))
    low, high = intervals[(0, 0, 0)]  # year 0, d1, F = 3
    assert high < 12, "the multi-year total should let the attacker narrow year 0's 3"


def test_linked_years_withstand_the_multi_year_attack() -> None:
    bodies, rows, cols = _years()
    years = [crosstab(f"y{i}", b, rows=rows, cols=cols) for i, b in enumerate(bodies)]
    total = crosstab("all years", sum(bodies), rows=rows, cols=cols)
    released = release([*years, total], Policy("public", 11), equations=across_years(years, total))
    truth = [t.array for t in (*years, total)]
    assert_protected(truth, [cells_of(r) for r in released], _year_equations(3), 11)


# -- differencing two tables of one release that share a margin -----------------------------

def _sharing() -> tuple[object, object]:
    by_sex = crosstab("faculty by sex", [[3, 40], [30, 50]], rows=["d1", "d2"], cols=["F", "M"])
    men_by_rank = crosstab("men by rank", [[20, 20], [25, 25]], rows=["d1", "d2"], cols=["Asst", "Assoc"])
    return by_sex, men_by_rank


def _sharing_equations() -> list[Equation]:
    # table 0: F, M, Total; table 1: Asst, Assoc, Total; men's total per department = column M
    return margin_equations(0, 3, 3) + margin_equations(1, 3, 3) + [((0, r, 1), [(1, r, 2)]) for r in range(3)]


def test_separate_releases_leak_by_differencing_a_shared_margin() -> None:
    by_sex, men_by_rank = _sharing()
    policy = Policy("public", 11)
    grids = [cells_of(release(by_sex, policy)), cells_of(release(men_by_rank, policy))]  # type: ignore[arg-type]
    low, high = attack(grids, _sharing_equations())[(0, 0, 0)]
    assert (low, high) == pytest.approx((3, 3)), "the second table should give the 3 away"


def test_one_release_of_both_tables_withstands_differencing() -> None:
    by_sex, men_by_rank = _sharing()
    equations = same_column(by_sex, 1, men_by_rank, 2)  # type: ignore[arg-type]
    released = release([by_sex, men_by_rank], Policy("public", 11), equations=equations)  # type: ignore[list-item]
    truth = [by_sex.array, men_by_rank.array]  # type: ignore[attr-defined]
    assert_protected(truth, [cells_of(r) for r in released], _sharing_equations(), 11)


# -- property: random small tables with margins ---------------------------------------------

small_counts = st.one_of(st.integers(0, 12), st.integers(0, 60))


@st.composite
def bodies(draw: st.DrawFn, largest: int = 4) -> np.ndarray:
    n_rows = draw(st.integers(1, largest))
    n_cols = draw(st.integers(1, largest))
    return np.array([[draw(small_counts) for _ in range(n_cols)] for _ in range(n_rows)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies(), k=st.sampled_from([3, 5, 11]), insider=st.booleans(), show_zeros=st.booleans(),
       cost=st.sampled_from(["value", "cells"]))
def test_property_no_small_cell_is_pinned(body: np.ndarray, k: int, insider: bool, show_zeros: bool, cost: str) -> None:
    from ristra.core.disclosure import Protection

    n_rows, n_cols = body.shape
    table = crosstab("p", body, rows=[f"r{i}" for i in range(n_rows)], cols=[f"c{j}" for j in range(n_cols)])
    policy = Policy("test", k, show_zeros=show_zeros, protection=Protection(insider=insider), cost=cost)  # type: ignore[arg-type]
    released = release(table, policy)
    assert_protected([table.array], [cells_of(released)], margin_equations(0, n_rows + 1, n_cols + 1), k, insider)
    assert release(table, policy).to_dict() == released.to_dict()  # deterministic
    if not show_zeros:
        intervals = attack([cells_of(released)], margin_equations(0, n_rows + 1, n_cols + 1))
        for (r, c), value in np.ndenumerate(table.array):
            if value == 0:
                assert intervals[(0, r, c)][1] >= k + insider - 1e-6


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=bodies(largest=3), seed=st.integers(0, 10_000))
def test_property_linked_years_no_small_cell_is_pinned(first: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    second = rng.integers(0, 30, size=first.shape)
    rows = [f"r{i}" for i in range(first.shape[0])]
    cols = [f"c{j}" for j in range(first.shape[1])]
    years = [crosstab("y1", first, rows=rows, cols=cols), crosstab("y2", second, rows=rows, cols=cols)]
    total = crosstab("both", first + second, rows=rows, cols=cols)
    released = release([*years, total], Policy("public", 11), equations=across_years(years, total))
    n_rows, n_cols = first.shape[0] + 1, first.shape[1] + 1
    eqs = [eq for t in range(3) for eq in margin_equations(t, n_rows, n_cols)]
    eqs += [((2, r, c), [(0, r, c), (1, r, c)]) for r in range(n_rows) for c in range(n_cols)]
    assert_protected([t.array for t in (*years, total)], [cells_of(r) for r in released], eqs, 11)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=bodies(), second=bodies())
def test_property_hierarchy_no_small_cell_is_pinned(first: np.ndarray, second: np.ndarray) -> None:
    cols = min(first.shape[1], second.shape[1])
    groups = {
        "g1": {f"a{i}": list(map(int, row[:cols])) for i, row in enumerate(first)},
        "g2": {f"b{i}": list(map(int, row[:cols])) for i, row in enumerate(second)},
    }
    table = nested_crosstab("h", groups, [f"c{j}" for j in range(cols)])
    released = release(table, Policy("public", 11))
    n1, n2 = first.shape[0], second.shape[0]
    sub1, sub2, grand = n1, n1 + 1 + n2, n1 + n2 + 2
    eqs: list[Equation] = [((0, r, cols), [(0, r, c) for c in range(cols)]) for r in range(grand + 1)]
    for c in range(cols + 1):
        eqs.append(((0, sub1, c), [(0, r, c) for r in range(n1)]))
        eqs.append(((0, sub2, c), [(0, r, c) for r in range(sub1 + 1, sub2)]))
        eqs.append(((0, grand, c), [(0, sub1, c), (0, sub2, c)]))
    assert_protected([table.array], [cells_of(released)], eqs, 11)
