"""The plain table value the engine produces and the disclosure module releases.

A :class:`Table` is a frozen grid of integer **counts** with labelled rows and columns, its
**additive structure** (which rows are totals or subtotals of which rows, which columns are
totals of which columns) and optional **derived cells** (shares, rates, ratios, intervals),
each of which names the counts it is computed from.

Contract
--------
* Counts are non-negative integers; the additive structure must hold exactly on them
  (a :class:`TableError` names the first equation that fails). The structure is what an
  attacker is assumed to know, so it must be complete: every total or subtotal the table
  shows is declared, otherwise disclosure control cannot account for it.
* A :class:`Sum` on rows says ``row[total] == sum(row[p] for p in parts)`` in *every* column;
  on columns, ``col[total] == sum(col[p] ...)`` in every row. Hierarchies (department within
  school within institution) are sums of sums.
* A :class:`DerivedCell` is placed by row index and a derived-column label; its ``sources``
  are ``(row, col)`` positions of counts in the same table. It is suppressed on release when
  any source count is suppressed.
* A table never leaves the engine as is: :func:`ristra.core.disclosure.release` turns it into
  a :class:`~ristra.core.disclosure.ReleasedTable`.

Helpers :func:`crosstab` and :func:`nested_crosstab` add margins (and subtotals) from a bare
cross-tabulation, so callers rarely write :class:`Sum` by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

DerivedKind = Literal["share", "rate", "ratio", "interval", "other"]
DerivedValue = float | tuple[float, float] | None
Cell = tuple[int, int]


class TableError(ValueError):
    """A table (or a link between tables) is malformed or its additive structure does not hold."""


@dataclass(frozen=True)
class Sum:
    """Line ``total`` is the sum of lines ``parts`` (rows for ``row_sums``, columns for ``col_sums``)."""

    total: int
    parts: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(int(p) for p in self.parts))
        if not self.parts:
            raise TableError(f"sum into line {self.total} has no parts")
        if self.total in self.parts or len(set(self.parts)) != len(self.parts):
            raise TableError(f"sum into line {self.total} repeats a line or includes itself")


@dataclass(frozen=True)
class DerivedCell:
    """A statistic computed from counts of the same table: ``value`` at ``(row, column)``.

    ``column`` is the label of a derived column (e.g. ``"% women"``); ``sources`` are the
    ``(row, col)`` count cells it derives from (numerator *and* denominator). An interval is
    a ``(low, high)`` pair.
    """

    row: int
    column: str
    kind: DerivedKind
    value: DerivedValue
    sources: tuple[Cell, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple((int(r), int(c)) for r, c in self.sources))
        if self.kind not in ("share", "rate", "ratio", "interval", "other"):
            raise TableError(f"unknown derived kind {self.kind!r}")
        if self.kind == "interval" and not (isinstance(self.value, tuple) or self.value is None):
            raise TableError("an interval's value is a (low, high) pair")


def _label_tuple(label: str | Sequence[str]) -> tuple[str, ...]:
    return (label,) if isinstance(label, str) else tuple(str(part) for part in label)


@dataclass(frozen=True)
class Table:
    """A frozen table of counts with its additive structure (see the module docstring).

    ``counts`` may be given as a nested sequence or a 2-D integer numpy array; it is stored
    as a tuple of tuples of ``int``. ``row_labels`` may be plain strings (one row dimension)
    or tuples with one entry per name in ``row_dims``. ``key`` identifies the table inside a
    release (links refer to it); it defaults to the title.
    """

    title: str
    row_dims: tuple[str, ...]
    row_labels: tuple[tuple[str, ...], ...]
    col_dim: str
    col_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_sums: tuple[Sum, ...] = ()
    col_sums: tuple[Sum, ...] = ()
    derived: tuple[DerivedCell, ...] = ()
    key: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "row_dims", _label_tuple(self.row_dims))
        put(self, "row_labels", tuple(_label_tuple(label) for label in self.row_labels))
        put(self, "col_labels", tuple(str(label) for label in self.col_labels))
        put(self, "counts", _as_count_rows(self.counts))
        put(self, "row_sums", tuple(self.row_sums))
        put(self, "col_sums", tuple(self.col_sums))
        put(self, "derived", tuple(self.derived))
        put(self, "notes", tuple(self.notes))
        if not self.key:
            put(self, "key", self.title)
        self._validate()

    # -- validation -------------------------------------------------------------------------
    def _validate(self) -> None:
        n_rows, n_cols = len(self.row_labels), len(self.col_labels)
        if n_rows == 0 or n_cols == 0:
            raise TableError(f"table {self.key!r} has no rows or no columns")
        if len(self.counts) != n_rows or any(len(row) != n_cols for row in self.counts):
            raise TableError(f"table {self.key!r}: counts are not {n_rows} x {n_cols}")
        if any(len(label) != len(self.row_dims) for label in self.row_labels):
            raise TableError(f"table {self.key!r}: each row label needs {len(self.row_dims)} part(s)")
        if len(set(self.row_labels)) != n_rows or len(set(self.col_labels)) != n_cols:
            raise TableError(f"table {self.key!r}: row or column labels repeat")
        grid = self.array
        for axis, sums, size in ((0, self.row_sums, n_rows), (1, self.col_sums, n_cols)):
            totals = [s.total for s in sums]
            if len(set(totals)) != len(totals):
                raise TableError(f"table {self.key!r}: a line is declared the total of two sums")
            for s in sums:
                if not all(0 <= i < size for i in (s.total, *s.parts)):
                    raise TableError(f"table {self.key!r}: a sum refers to a line out of range")
                line = np.take(grid, s.total, axis=axis)
                parts = np.take(grid, list(s.parts), axis=axis).sum(axis=axis)
                if not np.array_equal(line, parts):
                    kind, labels = ("row", self.row_labels) if axis == 0 else ("column", self.col_labels)
                    raise TableError(
                        f"table {self.key!r}: {kind} {labels[s.total]!r} is not the sum of its parts"
                    )
        for cell in self.derived:
            if not 0 <= cell.row < n_rows:
                raise TableError(f"table {self.key!r}: derived cell row {cell.row} out of range")
            for r, c in cell.sources:
                if not (0 <= r < n_rows and 0 <= c < n_cols):
                    raise TableError(f"table {self.key!r}: derived cell source {(r, c)} out of range")

    # -- views ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_labels), len(self.col_labels)

    @property
    def array(self) -> npt.NDArray[np.int64]:
        """A fresh ``int64`` copy of the counts."""
        return np.array(self.counts, dtype=np.int64).reshape(self.shape)

    def row_index(self, label: str | Sequence[str]) -> int:
        return self.row_labels.index(_label_tuple(label))

    def col_index(self, label: str) -> int:
        return self.col_labels.index(label)

    def equations(self) -> list[tuple[Cell, tuple[Cell, ...]]]:
        """Every additive equation of the table as ``(total_cell, part_cells)``."""
        n_rows, n_cols = self.shape
        out: list[tuple[Cell, tuple[Cell, ...]]] = []
        for s in self.row_sums:
            out.extend(((s.total, c), tuple((p, c) for p in s.parts)) for c in range(n_cols))
        for s in self.col_sums:
            out.extend(((r, s.total), tuple((r, p) for p in s.parts)) for r in range(n_rows))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The unprotected content, for tests and the engine's internal use only."""
        return {
            "key": self.key, "title": self.title, "row_dims": list(self.row_dims),
            "row_labels": [list(label) for label in self.row_labels], "col_dim": self.col_dim,
            "col_labels": list(self.col_labels), "counts": [list(row) for row in self.counts],
        }


def _as_count_rows(counts: Any) -> tuple[tuple[int, ...], ...]:
    grid = np.asarray(counts)
    if grid.ndim != 2:
        raise TableError("counts must be two-dimensional")
    if grid.size and not (np.issubdtype(grid.dtype, np.integer) or np.issubdtype(grid.dtype, np.bool_)):
        if not np.issubdtype(grid.dtype, np.floating) or not np.all(grid == np.round(grid)):
            raise TableError("counts must be whole numbers")
    if grid.size and grid.min() < 0:
        raise TableError("counts must not be negative")
    return tuple(tuple(int(v) for v in row) for row in grid.tolist())


def crosstab(
    title: str,
    counts: Any,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    row_dim: str = "row",
    col_dim: str = "column",
    total: str = "Total",
    key: str = "",
    notes: Sequence[str] = (),
) -> Table:
    """A table from an ``r x c`` cross-tabulation with a total row, a total column and the
    grand total added (the last row and the last column)."""
    grid = np.asarray(counts, dtype=np.int64)
    if grid.shape != (len(rows), len(cols)):
        raise TableError(f"counts are {grid.shape}, labels say {(len(rows), len(cols))}")
    full = np.zeros((len(rows) + 1, len(cols) + 1), dtype=np.int64)
    full[:-1, :-1] = grid
    full[-1, :-1] = grid.sum(axis=0)
    full[:, -1] = full[:, :-1].sum(axis=1)
    return Table(
        title=title, row_dims=(row_dim,), row_labels=tuple((r,) for r in (*rows, total)),
        col_dim=col_dim, col_labels=(*cols, total), counts=_as_count_rows(full),
        row_sums=(Sum(len(rows), tuple(range(len(rows)))),),
        col_sums=(Sum(len(cols), tuple(range(len(cols)))),), key=key, notes=tuple(notes),
    )


def nested_crosstab(
    title: str,
    groups: Mapping[str, Mapping[str, Sequence[int]]],
    cols: Sequence[str],
    *,
    group_dim: str = "group",
    row_dim: str = "row",
    col_dim: str = "column",
    total: str = "Total",
    key: str = "",
    notes: Sequence[str] = (),
) -> Table:
    """A two-level hierarchy (e.g. department within school): ``groups[g][item]`` is the row
    of counts of ``item`` in group ``g``. Rows are each group's items then its subtotal
    ``(g, total)``; the last row is the grand total ``(total, total)``, which is declared the
    sum of the subtotals (and the subtotals the sums of their items); a total column is added."""
    labels: list[tuple[str, str]] = []
    body: list[list[int]] = []
    row_sums: list[Sum] = []
    subtotals: list[int] = []
    for group, items in groups.items():
        first = len(body)
        for item, values in items.items():
            if len(values) != len(cols):
                raise TableError(f"row {(group, item)!r} has {len(values)} values for {len(cols)} columns")
            labels.append((group, item))
            body.append([int(v) for v in values])
        if len(body) == first:
            raise TableError(f"group {group!r} has no rows")
        labels.append((group, total))
        body.append(np.sum(body[first:], axis=0).astype(int).tolist())
        row_sums.append(Sum(len(body) - 1, tuple(range(first, len(body) - 1))))
        subtotals.append(len(body) - 1)
    if not body:
        raise TableError("a nested table needs at least one group")
    labels.append((total, total))
    body.append(np.sum([body[i] for i in subtotals], axis=0).astype(int).tolist())
    row_sums.append(Sum(len(body) - 1, tuple(subtotals)))
    grid = np.array(body, dtype=np.int64)
    full = np.concatenate([grid, grid.sum(axis=1, keepdims=True)], axis=1)
    return Table(
        title=title, row_dims=(group_dim, row_dim), row_labels=tuple(labels), col_dim=col_dim,
        col_labels=(*cols, total), counts=_as_count_rows(full), row_sums=tuple(row_sums),
        col_sums=(Sum(len(cols), tuple(range(len(cols)))),), key=key, notes=tuple(notes),
    )


def share_column(table: Table, numerator_col: int, denominator_col: int, label: str) -> Table:
    """The table with a derived ``share`` column ``count / denominator`` for every row (``None``
    where the denominator is 0); each share names both counts as its sources."""
    grid = table.array
    cells = [
        DerivedCell(
            row=r, column=label, kind="share",
            value=None if grid[r, denominator_col] == 0 else float(grid[r, numerator_col] / grid[r, denominator_col]),
            sources=((r, numerator_col), (r, denominator_col)),
        )
        for r in range(table.shape[0])
    ]
    return Table(
        title=table.title, row_dims=table.row_dims, row_labels=table.row_labels, col_dim=table.col_dim,
        col_labels=table.col_labels, counts=table.counts, row_sums=table.row_sums,
        col_sums=table.col_sums, derived=(*table.derived, *cells), key=table.key, notes=table.notes,
    )
