"""Released tables as rows and cells ready for a template (and the same in JSON through
``to_dict()`` of the released table itself).

Only a :class:`~ristra.core.disclosure.ReleasedTable` can be presented: the type is checked,
so an unprotected table cannot reach a page by accident. Suppressed cells read "suppressed";
released counts below :data:`SMALL` are flagged, because shares built on them are unstable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ristra.core.disclosure import ReleasedTable

#: Counts below this are flagged as small (their shares have wide intervals).
SMALL = 30


@dataclass(frozen=True)
class CellView:
    text: str
    numeric: bool = True
    suppressed: bool = False
    small: bool = False


@dataclass(frozen=True)
class RowView:
    label: str
    cells: tuple[CellView, ...]
    total: bool = False


@dataclass(frozen=True)
class TableView:
    key: str
    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[RowView, ...]
    notes: tuple[str, ...]
    audience: str
    threshold: int
    suppressed: int
    any_small: bool


def _derived_text(kind: str, value: Any) -> str:
    if value is None:
        return "—"
    if kind == "interval" and isinstance(value, tuple | list):
        return f"{100 * value[0]:.1f}–{100 * value[1]:.1f}%"
    if kind in ("share", "rate"):
        return f"{100 * float(value):.1f}%"
    if kind == "other":
        number = float(value)
        return "<0.001" if 0 <= number < 0.001 else f"{number:.3g}"
    return f"{float(value):.2f}"


def table_view(table: ReleasedTable) -> TableView:
    """The template-ready form of a released table (``TypeError`` for anything else)."""
    if not isinstance(table, ReleasedTable):
        raise TypeError("only a ReleasedTable (from ristra.core.disclosure.release) can be shown")
    derived_columns = tuple(dict.fromkeys(d.column for d in table.derived))
    derived = {(d.row, d.column): d for d in table.derived}
    totals = {s.total for s in table.row_sums}
    rows = []
    any_small = False
    for r, label in enumerate(table.row_labels):
        cells = []
        for value in table.cells[r]:
            if value is None:
                cells.append(CellView("suppressed", suppressed=True))
            else:
                small = 0 < value < SMALL
                any_small = any_small or small
                cells.append(CellView(f"{value:,}", small=small))
        for column in derived_columns:
            d = derived.get((r, column))
            if d is None:
                cells.append(CellView(""))
            elif d.suppressed:
                cells.append(CellView("suppressed", suppressed=True))
            else:
                cells.append(CellView(_derived_text(d.kind, d.value)))
        rows.append(RowView(" / ".join(label), tuple(cells), total=r in totals))
    return TableView(
        key=table.key, title=table.title, row_header=" / ".join(table.row_dims),
        columns=(*table.col_labels, *derived_columns), rows=tuple(rows), notes=table.notes,
        audience=table.policy.audience, threshold=table.policy.threshold,
        suppressed=sum(1 for row in table.cells for v in row if v is None), any_small=any_small,
    )
