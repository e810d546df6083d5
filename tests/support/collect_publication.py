"""Collect what one audience is served from a publication, for the test-side intruder.

Everything an audience can obtain — every report, every dashboard panel under every filter the
page and the API offer — is a slice of its publication (``ristra.services.publication``). This
module turns a publication into :class:`support.intruder.Observed` tables (published cells, what
each cell means, and the true counts from a publication of the same data at threshold 1, which
the intruder uses only to check candidate relations and to report), and it lists every dashboard
panel of every filter combination with the publication cell each of its counts comes from, so a
test can check that a panel shows nothing its publication does not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from support.intruder import CellMeaning, Observed


def _meaning(m: Any) -> CellMeaning:
    return CellMeaning(m.dataset, frozenset(tuple(str(p) for p in a) for a in m.atoms), m.category, m.level)


def observe(publication: Any, truth: Any, prefix: str = "") -> list[Observed]:
    """Every table of ``publication`` as the intruder holds it (``truth``: the same data published
    with threshold 1, so nothing is suppressed)."""
    out = []
    for key, table in sorted(publication.tables.items()):
        true = truth.tables[key]
        assert true.row_labels == table.row_labels, key
        assert true.col_labels == table.col_labels, key
        meanings = {cell: _meaning(m) for cell, m in publication.meanings[key].items()}
        out.append(Observed.from_dict(table.to_dict(), key=prefix + key, meanings=meanings,
                                      truth=[[int(v or 0) for v in row] for row in true.cells],
                                      source="dashboard" if key.startswith("dashboard/") else "report"))
    return out


def filter_combinations(publication: Any) -> Iterator[Any]:
    """Every filter combination the dashboard page and the API accept, plus unknown values."""
    from ristra.services.dashboard import Filters, choices

    offered = choices(publication)
    years = [None, *map(int, offered["year"]), 1999]
    programs = [None, *offered["program"], "XX"]
    departments = [None, *offered["department"][:3], "No such department"]
    categories = [*offered["category"], "no_such_category"]
    for category, year, program, department in itertools.product(categories, years, programs, departments):
        yield Filters(year, program, department, category)


def source_cells(publication: Any, panel: Any) -> list[tuple[tuple[int, int], tuple[str, int, int]]]:
    """For each count cell of a dashboard panel, the publication cell it shows (by labels)."""
    table = panel.table
    category = table.key.split(".", 1)[1] if "." in table.key else ""
    label = dict(publication.dashboard.categories).get(category, "")
    out = []
    if panel.key in ("path", "retention"):
        key = f"dashboard/{panel.key}.{category}"
        return [((r, c), (key, r, c)) for r in range(len(table.row_labels)) for c in range(len(table.col_labels))]
    if panel.key == "departments":
        key = f"dashboard/departments.{category}"
        names = [row[0] for row in publication.tables[key].row_labels]
        return [((r, c), (key, names.index(labels[0]), c)) for r, labels in enumerate(table.row_labels)
                for c in range(len(table.col_labels))]
    programs = "program " in table.title
    key = "dashboard/funnel_programs" if programs else "dashboard/funnel"
    source = publication.tables[key]
    rows = {labels: r for r, labels in enumerate(source.row_labels)}
    for r, labels in enumerate(table.row_labels):
        for c, column in enumerate(table.col_labels):
            if panel.key == "trend":
                name = f"{column}: Applied"
            elif programs:
                name = f"{column}: {table.title.rsplit('program ', 1)[1]}"
            elif "cycle " in table.title:
                name = f"{table.title.rsplit('cycle ', 1)[1][:4]}: {column}"
            else:
                name = f"All cycles: {column.lower()}"
            out.append(((r, c), (key, rows[(label, *labels)], list(source.col_labels).index(name))))
    return out
