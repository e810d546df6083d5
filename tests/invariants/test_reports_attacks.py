"""Attacks on published reports, by an attacker written here from scratch.

The attacker reads only what reports publish (``ReleasedTable.to_dict()``: labels, published
counts, the suppression marker and the tables' declared margins), writes down the equations it can
infer from the layout — each table's margins, the same number shown in two tables (matched by
label), a total over years — and solves one linear programme per suppressed cell with
``scipy.optimize.linprog`` over every cell of every table it reads. Nothing of the disclosure
module's system, suppression or audit code is used.

Ground truth comes from the same reports released with threshold 1 (nothing suppressed). For every
suppressed cell whose true count is from 1 to 10 the public policy (threshold 11, insider
protection) requires that the attacker can rule out neither 0 nor 12.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from ristra.core.disclosure import SUPPRESSED
from ristra.services import reports
from support.report_school import shared_school

PACK = ("lcme-3.3", "acgme-recruitment-retention", "annual-outcomes")
Cell = tuple[str, int, int]
Equation = tuple[Cell, list[Cell]]
CATEGORIES = ("women", "urm_nm", "rural_school")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every table of the public pack as published, by key."""
    docs = reports.documents(shared_school(tmp_path_factory), PACK, "public")
    return {t.released.key: t.released.to_dict() for d in docs.values() for t in d.tables}


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[int]]]:
    docs = reports.documents(shared_school(tmp_path_factory), PACK, "internal", threshold=1)
    return {t.released.key: [[int(v or 0) for v in r] for r in t.released.cells] for d in docs.values() for t in d.tables}


def margins(key: str, table: dict[str, Any]) -> list[Equation]:
    """The margins a table publishes with its layout."""
    n_rows, n_cols = len(table["row_labels"]), len(table["col_labels"])
    out: list[Equation] = []
    for s in table["row_sums"]:
        out += [((key, s["total"], c), [(key, p, c) for p in s["parts"]]) for c in range(n_cols)]
    for s in table["col_sums"]:
        out += [((key, r, s["total"]), [(key, r, p) for p in s["parts"]]) for r in range(n_rows)]
    return out


def same(a: Cell, b: Cell) -> Equation:
    return (a, [b])


def row_of(table: dict[str, Any], *labels: str) -> int:
    return [tuple(x) for x in table["row_labels"]].index(labels)


def col_of(table: dict[str, Any], label: str) -> int:
    return list(table["col_labels"]).index(label)


def attack(tables: dict[str, dict[str, Any]], equations: Sequence[Equation]) -> dict[Cell, tuple[float, float]]:
    """For every suppressed cell, the least and greatest value consistent with what is published."""
    index: dict[Cell, int] = {}
    bounds: list[tuple[float, float | None]] = []
    for key, table in tables.items():
        for r, row in enumerate(table["cells"]):
            for c, value in enumerate(row):
                index[(key, r, c)] = len(index)
                bounds.append((0.0, None) if value == SUPPRESSED else (float(value), float(value)))
    rows, cols, data = [], [], []
    for e, (total, parts) in enumerate(equations):
        for cell, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            rows.append(e)
            cols.append(index[cell])
            data.append(sign)
    a_eq = sparse.csr_array((data, (rows, cols)), shape=(len(equations), len(index)))
    b_eq = np.zeros(len(equations))
    out: dict[Cell, tuple[float, float]] = {}
    for cell, i in index.items():
        if bounds[i][1] is not None:
            continue
        objective = np.zeros(len(index))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0, low.message
        out[cell] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def assert_protected(intervals: dict[Cell, tuple[float, float]], truth: dict[str, list[list[int]]]) -> int:
    """Every suppressed cell with a true count from 1 to 10 keeps [0, 12] within reach; returns how many
    such cells were checked."""
    checked = 0
    for (key, r, c), (low, high) in intervals.items():
        if 1 <= truth[key][r][c] <= 10:
            checked += 1
            assert low <= 1e-6, ((key, r, c), truth[key][r][c], (low, high))
            assert high >= 12 - 1e-6, ((key, r, c), truth[key][r][c], (low, high))
    return checked


def test_suppressed_cells_cannot_be_recomputed_from_margins(published: dict[str, dict[str, Any]],
                                                            truth: dict[str, list[list[int]]]) -> None:
    key = "lcme-3.3/offers"
    offers = published[key]
    equations = margins(key, offers)
    totals = [r for r, labels in enumerate(offers["row_labels"]) if labels[1] == "All"]
    equations += [same((key, totals[0], c), (key, r, c)) for r in totals[1:] for c in range(len(offers["col_labels"]))]
    assert assert_protected(attack({key: offers}, equations), truth) > 10
    # The attacker is not toothless: with only the small counts hidden, it recomputes some exactly.
    naive = dict(offers)
    naive["cells"] = [[SUPPRESSED if 1 <= v <= 10 else v for v in row] for row in truth[key]]
    exact = [cell for cell, (low, high) in attack({key: naive}, equations).items() if high - low < 0.5]
    assert exact


def test_suppressed_cells_cannot_be_recomputed_from_other_years(published: dict[str, dict[str, Any]],
                                                               truth: dict[str, list[list[int]]]) -> None:
    for section in ("enrollment_trend", "hires_trend", "applicant_trend"):
        keys = [f"annual-outcomes/{section}.{c}" for c in CATEGORIES]
        tables = {k: published[k] for k in keys}
        equations = [e for k in keys for e in margins(k, tables[k])]
        n_rows = len(tables[keys[0]]["row_labels"])
        total = col_of(tables[keys[0]], "All")
        equations += [same((keys[0], r, total), (k, r, col_of(tables[k], "All"))) for k in keys[1:] for r in range(n_rows)]
        assert_protected(attack(tables, equations), truth)


def test_two_reports_of_one_release_cannot_be_differenced(published: dict[str, dict[str, Any]],
                                                         truth: dict[str, list[list[int]]]) -> None:
    """The LCME report and the annual report show the same faculty counts in different tables."""
    rank, hires, senior = "lcme-3.3/faculty_rank", "lcme-3.3/faculty", "lcme-3.3/senior_administrative"
    paths = {c: f"annual-outcomes/path.{c}" for c in CATEGORIES}
    trends = {c: f"annual-outcomes/hires_trend.{c}" for c in CATEGORIES}
    keys = [rank, hires, senior, *paths.values(), *trends.values()]
    tables = {k: published[k] for k in keys}
    equations = [e for k in keys for e in margins(k, tables[k])]
    levels = ("In category", "Not in category or unknown")  # unknown is merged by rule
    labels = {c: published[paths[c]]["col_labels"] for c in CATEGORIES}
    for c in CATEGORIES:
        category = published[paths[c]]["col_dim"]
        for level in (*levels, "All"):
            col = list(labels[c]).index(level)
            row = row_of(tables[rank], category, level)
            for rank_name in ("instructor", "assistant professor", "associate professor", "professor"):
                equations.append(same((rank, row, col_of(tables[rank], f"Rank: {rank_name.capitalize()}")),
                                      (paths[c], row_of(tables[paths[c]], f"Faculty: {rank_name}"), col)))
            equations.append(same((hires, row_of(tables[hires], category, level), col_of(tables[hires], "Total faculty (current)")),
                                  (rank, row, col_of(tables[rank], "All ranks"))))
            equations.append(same((senior, row_of(tables[senior], category, level), col_of(tables[senior], "Total (current)")),
                                  (paths[c], row_of(tables[paths[c]], "Senior administrative staff"), col)))
            for year in ("2023", "2024", "2025"):
                equations.append(same((hires, row_of(tables[hires], category, level), col_of(tables[hires], f"{year}: New hires")),
                                      (trends[c], row_of(tables[trends[c]], year), col)))
    intervals = attack(tables, equations)
    assert assert_protected(intervals, truth) > 5
