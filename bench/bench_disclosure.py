"""Disclosure control speed (issue 4).

* Complementary suppression + audit of a 40 × 12 table with margins (public policy, threshold
  11): at most 2 s. Baseline in the same run: one attacker LP (``scipy.optimize.linprog``,
  HiGHS) over a table of the same size; the ratio says how many such solves the release costs.
* The same table over three years linked to a three-year total table (4 × 41 × 13 cells, the
  yearly cells summing to the total's): reported, with a loose bound (no target in the issue).

The tables are synthetic faculty counts: 40 departments of log-normal size spread over 12
categories (Dirichlet shares), Poisson noise, fixed seeds; about 30 % of the body cells fall
between 1 and 10.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from bench.harness import Measurement, timed
from ristra.core.disclosure import PUBLIC, across_years, release
from ristra.core.tables import Table, crosstab


def faculty_counts(seed: int, departments: int, categories: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    size = rng.lognormal(3.0, 0.8, size=departments)
    shares = rng.dirichlet(np.full(categories, 2.0))
    return rng.poisson(np.outer(size, shares) * categories)


def table(seed: int, departments: int, categories: int, title: str) -> Table:
    return crosstab(title, faculty_counts(seed, departments, categories),
                    rows=[f"Department {i + 1}" for i in range(departments)],
                    cols=[f"Category {j + 1}" for j in range(categories)], row_dim="department",
                    col_dim="category")


def one_lp(t: Table) -> float:
    """The attacker's LP for one cell with every cell unknown except the grand total."""
    n_rows, n_cols = t.shape
    size = n_rows * n_cols
    equations = []
    for total, parts in t.equations():
        row = np.zeros(size)
        row[total[0] * n_cols + total[1]] = 1
        for r, c in parts:
            row[r * n_cols + c] -= 1
        equations.append(row)
    grand = np.zeros(size)
    grand[-1] = 1
    a_eq = np.vstack([*equations, grand])
    b_eq = np.zeros(len(a_eq))
    b_eq[-1] = t.counts[-1][-1]
    c = np.zeros(size)
    c[0] = -1
    result = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return float(-result.fun)


def run(quick: bool) -> list[Measurement]:
    departments, categories = (20, 6) if quick else (40, 12)
    single = table(1, departments, categories, "Faculty by department and category")
    lp_seconds, _ = timed(lambda: one_lp(single), repeat=5)
    seconds, released = timed(lambda: release(single, PUBLIC), repeat=1 if quick else 3)
    summary = released.suppression_summary
    out = [Measurement(
        name=f"suppression + audit, {departments}x{categories} table with margins",
        value=seconds, unit="s", target="at most 2 s", passed=seconds <= 2.0,
        baseline="one attacker LP (linprog) of the same size", baseline_value=lp_seconds,
        ratio=seconds / lp_seconds,
        detail=f"{summary.primary} primary, {summary.secondary} complementary, {summary.rounds} MILP rounds, "
               f"{summary.cuts} cuts, audit passed={summary.passed}",
    )]
    years = [table(10 + y, departments, categories, f"Year {2022 + y}") for y in range(3)]
    total = crosstab("Three years", sum(t.array[:-1, :-1] for t in years),
                     rows=[label[0] for label in years[0].row_labels[:-1]], cols=list(years[0].col_labels[:-1]))
    equations = across_years(years, total)
    linked_seconds, linked = timed(lambda: release([*years, total], PUBLIC, equations=equations), repeat=1)
    s = linked[0].suppression_summary
    out.append(Measurement(
        name=f"suppression + audit, 3 linked years + total of {departments}x{categories}",
        value=linked_seconds, unit="s", target="reported (no issue target); at most 60 s",
        passed=linked_seconds <= 60.0, baseline="one attacker LP (linprog) of the single-table size",
        baseline_value=lp_seconds, ratio=linked_seconds / lp_seconds,
        detail=f"{s.cells} cells, {s.primary} primary, {s.secondary} complementary, {s.rounds} MILP rounds, "
               f"{s.cuts} cuts, audit passed={s.passed}",
    ))
    return out
