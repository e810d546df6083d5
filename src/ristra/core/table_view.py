"""The one view of a released table that every front end shows: web pages (through a template
tag), the API's JSON (``ReleasedTable.to_dict()``) and the report documents (DOCX, XLSX, HTML,
CSV renderers).

Contract: only a :class:`~ristra.core.disclosure.ReleasedTable` can be viewed — the type is
checked, so an unprotected table cannot reach a page or a document by accident. Counts are
written with thousands separators; a derived value in the format its column asks for (in a
document, the report template's ``formats``; on a page, the format its kind implies: shares and
rates as percentages, intervals of shares as percentage ranges, p-values with ``<0.001``,
anything else to two decimals); a value that cannot be computed (a share of nobody) is :data:`UNDEFINED_MARK`. How a
suppressed cell reads is the front end's choice (``suppressed_text``): the word on a page, for
screen readers, and the mark :data:`SUPPRESSED_MARK` in a document, explained once in it.
Released counts below :data:`SMALL` are flagged, because shares built on them are unstable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ristra.core.disclosure import ReleasedTable

#: Counts below this are flagged as small (their shares have wide intervals).
SMALL = 30
SUPPRESSED_MARK = "—"
SUPPRESSED_WORD = "suppressed"
UNDEFINED_MARK = "n/a"
#: the format a derived column's kind implies when no template names one
KIND_FORMATS: Mapping[str, str] = {"share": "percent", "rate": "percent", "interval": "interval_percent",
                                   "other": "pvalue"}


def count_text(value: int | None, suppressed_text: str = SUPPRESSED_MARK) -> str:
    """A released count: thousands separated, or ``suppressed_text``."""
    return suppressed_text if value is None else f"{value:,}"


def derived_text(value: Any, fmt: str, suppressed: bool = False, suppressed_text: str = SUPPRESSED_MARK) -> str:
    """A released derived value as text in the format ``fmt`` (``percent``, ``interval_percent``,
    ``pvalue``, ``interval`` or ``ratio``); ``""`` for a row without the column."""
    if suppressed:
        return suppressed_text
    if value == "":
        return ""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return UNDEFINED_MARK
    if isinstance(value, tuple | list):
        low, high = value
        if not (math.isfinite(low) and math.isfinite(high)):
            return UNDEFINED_MARK
        if fmt == "interval_percent":
            return f"{100 * low:.1f}–{100 * high:.1f}%"
        return f"{low:.2f}–{high:.2f}"
    if fmt == "percent":
        return f"{100 * value:.1f}%"
    if fmt == "pvalue":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class CellView:
    """One shown cell: its text and whether it is a number, suppressed or a small count."""

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
    """A released table as shown: its number in a document (0 on a page), the formats of its
    derived columns, and the category it is about (for a document's charts)."""

    released: ReleasedTable
    number: int = 0
    formats: Mapping[str, str] | None = None
    category_label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.released, ReleasedTable):
            raise TypeError("only a ReleasedTable (from ristra.core.disclosure.release) can be shown")

    # -- what a document's renderers read ---------------------------------------------------------

    @cached_property
    def derived_columns(self) -> tuple[str, ...]:
        """Labels of the derived columns, in order of first appearance."""
        return tuple(dict.fromkeys(d.column for d in self.released.derived))

    @cached_property
    def _suppressed(self) -> Mapping[tuple[int, str], bool]:
        """Whether each derived cell, by (row, column), is suppressed: found once per view (a page
        renders every cell)."""
        found: dict[tuple[int, str], bool] = {}
        for d in self.released.derived:
            found[(d.row, d.column)] = found.get((d.row, d.column), False) or d.suppressed
        return found

    @cached_property
    def _kinds(self) -> Mapping[str, str]:
        """Each derived column's kind (that of its first cell)."""
        kinds: dict[str, str] = {}
        for d in self.released.derived:
            kinds.setdefault(d.column, d.kind)
        return kinds

    def format_of(self, column: str) -> str:
        """The format of a derived column: in a document, the template's (a column it does not name
        is a ratio); on a page (no ``formats``), the one the column's kind implies."""
        if self.formats is not None:
            return self.formats.get(column, "ratio")
        return KIND_FORMATS.get(self._kinds.get(column, ""), "ratio")

    def derived_grid(self) -> list[list[Any]]:
        """``grid[row][k]``: the released derived value of row and derived column *k* — a number or
        pair, ``None`` when suppressed or undefined, or ``""`` when the row has no such cell."""
        columns = self.derived_columns
        grid: list[list[Any]] = [[""] * len(columns) for _ in self.released.row_labels]
        for d in self.released.derived:
            grid[d.row][columns.index(d.column)] = None if d.suppressed else d.value
        return grid

    def derived_suppressed(self, row: int, column: str) -> bool:
        return self._suppressed.get((row, column), False)

    def body(self, suppressed_text: str = SUPPRESSED_MARK) -> list[tuple[list[str], list[str]]]:
        """Each row as (row labels, shown values of its count and derived columns)."""
        r = self.released
        grid = self.derived_grid()
        columns = self.derived_columns
        out = []
        for i, labels in enumerate(r.row_labels):
            counts = [count_text(v, suppressed_text) for v in r.cells[i]]
            extra = [derived_text(v, self.format_of(columns[k]), self.derived_suppressed(i, columns[k]),
                                  suppressed_text) for k, v in enumerate(grid[i])]
            out.append((list(labels), [*counts, *extra]))
        return out

    # -- what a page's template reads --------------------------------------------------------------

    @property
    def key(self) -> str:
        return self.released.key

    @property
    def title(self) -> str:
        return self.released.title

    @property
    def row_header(self) -> str:
        return " / ".join(self.released.row_dims)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.released.col_labels, *self.derived_columns)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.released.notes)

    @property
    def audience(self) -> str:
        return self.released.policy.audience

    @property
    def threshold(self) -> int:
        return self.released.policy.threshold

    @property
    def suppressed(self) -> int:
        """Suppressed count cells."""
        return sum(1 for row in self.released.cells for v in row if v is None)

    @property
    def any_small(self) -> bool:
        return any(v is not None and 0 < v < SMALL for row in self.released.cells for v in row)

    @property
    def rows(self) -> tuple[RowView, ...]:
        """The rows as a page shows them: suppressed cells read "suppressed", small counts flagged."""
        totals = {s.total for s in self.released.row_sums}
        n_counts = len(self.released.col_labels)
        rows = []
        for r, (labels, texts) in enumerate(self.body(SUPPRESSED_WORD)):
            cells = []
            for c, text in enumerate(texts):
                if c < n_counts:
                    value = self.released.cells[r][c]
                    cells.append(CellView(text, suppressed=value is None,
                                          small=value is not None and 0 < value < SMALL))
                else:
                    column = self.derived_columns[c - n_counts]
                    cells.append(CellView(text, suppressed=self.derived_suppressed(r, column)))
            rows.append(RowView(" / ".join(labels), tuple(cells), total=r in totals))
        return tuple(rows)
