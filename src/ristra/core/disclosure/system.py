"""The attacker's linear system: every count cell of a release and every additive equation.

Cells of all tables are numbered in a **canonical order** — tables sorted by key, then row
by row — so the same data gives the same system (and the same suppression pattern) whatever
order the tables were passed in. Equations ``x[total] - sum(x[parts]) == 0`` come from each
table's margins and from the release's equations between tables; they are de-duplicated and sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ristra.core.disclosure.equations import CellRef, Equation, Order
from ristra.core.tables import Table, TableError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Component:
    """Suppressed cells that equations tie together, and the equations (rows) touching them."""

    cells: IntArray
    rows: IntArray


class LinearSystem:
    """Cells and additive equations of a release (see the module docstring)."""

    def __init__(self, tables: Sequence[Table], between: Sequence[Equation] = (), orders: Sequence[Order] = ()) -> None:
        keys = [t.key for t in tables]
        if len(set(keys)) != len(keys):
            raise TableError("tables of one release need distinct keys (set Table.key)")
        self.tables: tuple[Table, ...] = tuple(sorted(tables, key=lambda t: t.key))
        self._by_key: dict[str, Table] = {t.key: t for t in self.tables}
        self.offsets: dict[str, int] = {}
        start = 0
        for table in self.tables:
            self.offsets[table.key] = start
            start += table.shape[0] * table.shape[1]
        #: cells of the tables (published or suppressed); slack cells of order relations follow them
        self.table_cells = start
        table_values = np.concatenate([t.array.ravel() for t in self.tables]).astype(np.int64)
        pairs = sorted({(self.index(o.smaller), self.index(o.larger)) for o in orders})
        for small, large in pairs:
            if table_values[small] > table_values[large]:
                raise TableError(f"order relation {self.locate(small)} <= {self.locate(large)} does not hold on the counts")
        slack = np.array([table_values[large] - table_values[small] for small, large in pairs], dtype=np.int64)
        self.size = start + len(pairs)
        self.values: IntArray = np.concatenate([table_values, slack]).astype(np.int64)
        #: True for the hidden slack cells (never published, never sensitive)
        self.hidden: BoolArray = np.zeros(self.size, dtype=bool)
        self.hidden[start:] = True
        equations: set[tuple[int, tuple[int, ...]]] = set()
        for table in self.tables:
            for total_cell, part_cells in table.equations():
                flat_parts = tuple(sorted(self._flat(table.key, p) for p in part_cells))
                equations.add((self._flat(table.key, total_cell), flat_parts))
        identities: set[tuple[int, int]] = set()
        for equation in between:
            total = self.index(equation.total)
            parts = tuple(sorted(self.index(p) for p in equation.parts))
            if self.values[total] != self.values[list(parts)].sum():
                raise TableError(f"equation into {equation.total} does not hold on the counts")
            equations.add((total, parts))
            if len(parts) == 1:
                identities.add((min(total, parts[0]), max(total, parts[0])))
        for j, (small, large) in enumerate(pairs):
            equations.add((large, tuple(sorted((small, start + j)))))
        self.equations: tuple[tuple[int, tuple[int, ...]], ...] = tuple(sorted(equations))
        self.identities: tuple[tuple[int, int], ...] = tuple(sorted(identities))
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        for e, (total, parts) in enumerate(self.equations):
            rows.append(e)
            cols.append(total)
            data.append(1.0)
            rows.extend([e] * len(parts))
            cols.extend(parts)
            data.extend([-1.0] * len(parts))
        self._cell_rows: sparse.csr_array | None = None
        self._row_cells: sparse.csr_array | None = None
        self.matrix = sparse.csr_array(
            (np.array(data), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
            shape=(len(self.equations), self.size),
        )

    def _flat(self, key: str, cell: tuple[int, int]) -> int:
        return self.offsets[key] + cell[0] * self._by_key[key].shape[1] + cell[1]

    def index(self, ref: CellRef) -> int:
        """The global index of a cell named by an equation."""
        if ref.table not in self.offsets:
            raise TableError(f"an equation names an unknown table {ref.table!r}")
        n_rows, n_cols = self.table(ref.table).shape
        if not (0 <= ref.row < n_rows and 0 <= ref.col < n_cols):
            raise TableError(f"an equation names a cell outside table {ref.table!r}: {(ref.row, ref.col)}")
        return self._flat(ref.table, (ref.row, ref.col))

    def table(self, key: str) -> Table:
        return self._by_key[key]

    def locate(self, index: int) -> CellRef:
        """The table key, row and column of a global index (slack cells have none)."""
        if index >= self.table_cells:
            raise IndexError(f"cell {index} is the hidden slack of an order relation")
        for table in reversed(self.tables):
            start = self.offsets[table.key]
            if index >= start:
                row, col = divmod(index - start, table.shape[1])
                return CellRef(table.key, row, col)
        raise IndexError(index)

    def component_of(self, suppressed: BoolArray, cell: int) -> Component:
        """The connected group of suppressed cells holding ``cell`` (itself suppressed), found by
        growing it equation by equation (cheaper than every component when one is needed)."""
        incidence = self._incidence()
        by_row = self._incidence_rows()
        member = np.zeros(self.size, dtype=bool)
        member[cell] = True
        rows = np.zeros(incidence.shape[0], dtype=bool)
        while True:
            new_rows = (by_row @ member.astype(np.float64)) > 0
            grown = member | (((incidence @ new_rows.astype(np.float64)) > 0) & suppressed)
            if np.array_equal(grown, member) and np.array_equal(new_rows, rows):
                break
            member, rows = grown, new_rows
        return Component(cells=np.flatnonzero(member).astype(np.int64), rows=np.flatnonzero(rows).astype(np.int64))

    def _incidence(self) -> sparse.csr_array:
        """|A| transposed: cell × equation (cached)."""
        if self._cell_rows is None:
            self._cell_rows = sparse.csr_array(abs(self.matrix).T)
        return self._cell_rows

    def _incidence_rows(self) -> sparse.csr_array:
        """|A|: equation × cell (cached)."""
        if self._row_cells is None:
            self._row_cells = sparse.csr_array(abs(self.matrix))
        return self._row_cells

    def components(self, suppressed: BoolArray) -> list[Component]:
        """Connected groups of suppressed cells (two cells are tied when one equation holds both),
        in the order of their first cell."""
        cells = np.flatnonzero(suppressed).astype(np.int64)
        if cells.size == 0:
            return []
        sub = sparse.csr_array(self.matrix[:, cells])
        touching = np.flatnonzero(np.diff(sub.indptr) > 0) if sub.shape[0] else np.zeros(0, np.int64)
        block = sparse.csr_array(abs(sub[touching, :]))
        graph = (block.T @ block) if block.shape[0] else sparse.csr_array((cells.size, cells.size))
        count, labels = connected_components(graph, directed=False)
        # every row of the block touches one component only; name it by the row's first cell
        row_labels = labels[block.indices[block.indptr[:-1]]] if block.shape[0] else np.zeros(0, np.int64)
        cell_order = np.argsort(labels, kind="stable")
        cell_bounds = np.searchsorted(labels[cell_order], np.arange(count + 1))
        row_order = np.argsort(row_labels, kind="stable")
        row_bounds = np.searchsorted(row_labels[row_order], np.arange(count + 1))
        out: list[Component] = []
        for label in range(count):
            members = cell_order[cell_bounds[label]:cell_bounds[label + 1]]
            rows = np.sort(touching[row_order[row_bounds[label]:row_bounds[label + 1]]])
            out.append(Component(cells=cells[members], rows=rows.astype(np.int64)))
        return out
