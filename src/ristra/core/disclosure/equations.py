"""Equations that tie cells of different tables of one release together.

An attacker who reads several tables of one report (or the same table over several years)
can combine them. An :class:`Equation` states one such equation, ``total == sum(parts)``, over
cells named by table key and position; identity (the same number shown twice) is an equation
with one part. Release treats these equations exactly like a table's own margins: they are part
of the attacker's system in the attack and of the complementary-suppression programme.

The helpers build the common cases: :func:`same_column` / :func:`same_row` (two tables of one
report share a margin, e.g. faculty by sex and faculty by race share the total per
department) and :func:`across_years` (a multi-year total table is the cell-wise sum of the
yearly tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ristra.core.tables import Table, TableError


@dataclass(frozen=True, order=True)
class CellRef:
    """A count cell: table ``key``, row index and column index."""

    table: str
    row: int
    col: int


@dataclass(frozen=True)
class Equation:
    """``total == sum(parts)`` across tables of one release."""

    total: CellRef
    parts: tuple[CellRef, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))
        if not self.parts:
            raise TableError("an equation needs at least one part")
        if self.total in self.parts or len(set(self.parts)) != len(self.parts):
            raise TableError("an equation repeats a cell")


@dataclass(frozen=True)
class Order:
    """``smaller <= larger``: an order relation an attacker knows (the rows of one count are a
    subset of the rows of another, e.g. offered <= interviewed). The release models it as
    ``larger == smaller + slack`` with a hidden, never-published slack cell ``slack >= 0``, so
    the attacker's LP and the complementary-suppression programme both carry it exactly."""

    smaller: CellRef
    larger: CellRef

    def __post_init__(self) -> None:
        if self.smaller == self.larger:
            raise TableError("an order relation needs two different cells")


@dataclass(frozen=True)
class Carried:
    """What an audience was served before (the publication history): cells that were suppressed
    in an earlier publication stay suppressed, and cells that were sensitive then stay held to
    the protection rule (so comparing two publications shows no cell newly, nor narrows one)."""

    suppressed: frozenset[CellRef] = frozenset()
    sensitive: frozenset[CellRef] = frozenset()


def same_cells(a: Table, b: Table, pairs: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> tuple[Equation, ...]:
    """Identity equations: cell ``pa`` of ``a`` shows the same number as cell ``pb`` of ``b``."""
    return tuple(Equation(CellRef(a.key, *pa), (CellRef(b.key, *pb),)) for pa, pb in pairs)


def same_column(a: Table, a_col: int, b: Table, b_col: int, rows: Sequence[tuple[int, int]] | None = None) -> tuple[Equation, ...]:
    """Column ``a_col`` of ``a`` equals column ``b_col`` of ``b`` row by row (rows paired by
    position unless ``rows`` gives ``(a_row, b_row)`` pairs)."""
    if rows is None:
        if a.shape[0] != b.shape[0]:
            raise TableError(f"tables {a.key!r} and {b.key!r} have different numbers of rows; pass rows=")
        rows = [(r, r) for r in range(a.shape[0])]
    return same_cells(a, b, [((ra, a_col), (rb, b_col)) for ra, rb in rows])


def same_row(a: Table, a_row: int, b: Table, b_row: int, cols: Sequence[tuple[int, int]] | None = None) -> tuple[Equation, ...]:
    """Row ``a_row`` of ``a`` equals row ``b_row`` of ``b`` column by column."""
    if cols is None:
        if a.shape[1] != b.shape[1]:
            raise TableError(f"tables {a.key!r} and {b.key!r} have different numbers of columns; pass cols=")
        cols = [(c, c) for c in range(a.shape[1])]
    return same_cells(a, b, [((a_row, ca), (b_row, cb)) for ca, cb in cols])


def across_years(years: Sequence[Table], total: Table) -> tuple[Equation, ...]:
    """Every cell of ``total`` is the sum of the same cell in each of ``years`` (same shape)."""
    if not years:
        raise TableError("across_years needs at least one yearly table")
    for table in years:
        if table.shape != total.shape:
            raise TableError(f"table {table.key!r} is {table.shape}, the total table is {total.shape}")
    n_rows, n_cols = total.shape
    return tuple(
        Equation(CellRef(total.key, r, c), tuple(CellRef(t.key, r, c) for t in years))
        for r in range(n_rows)
        for c in range(n_cols)
    )
