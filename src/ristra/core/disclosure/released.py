"""The only table value that may leave the engine: :class:`ReleasedTable`.

One release path
----------------
Only :func:`ristra.core.disclosure.release` can build a :class:`ReleasedTable`. The class takes
a private construction token as an ``InitVar`` and ``__post_init__`` refuses any other value,
so

* calling ``ReleasedTable(...)`` directly raises :class:`DisclosureError`;
* ``dataclasses.replace(released, ...)`` raises (an ``InitVar`` must be passed again, and only
  the release module holds the token);
* ``copy.copy`` / ``copy.deepcopy`` return the same immutable object (nothing new is built);
* pickling is refused, so no altered copy can be unpickled.

(Deliberate tampering with ``object.__setattr__`` or ``object.__new__`` is outside what a
Python type can prevent; the guarantee is that no *ordinary* code path yields an unprotected
table.)

``to_dict()`` gives the cells as numbers or the marker :data:`SUPPRESSED`, the policy, the
release-wide suppression summary and the flags. The summary holds only what an attacker can
compute anyway (the intervals) and counts; which suppressed cell is primary and which is
complementary is confidential and appears only in :meth:`SuppressionSummary.audit_record`,
meant for the internal audit log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import InitVar, dataclass, field, replace
from typing import Any, Final, NoReturn

from ristra.core.disclosure.errors import DisclosureError
from ristra.core.disclosure.policy import Policy
from ristra.core.tables import DerivedCell, DerivedKind, DerivedValue, Sum

#: What a slice's derived cells are computed from: the slice's published cells only.
Published = tuple[tuple[int | None, ...], ...]

#: How a suppressed cell appears in ``to_dict()``.
SUPPRESSED: Final = "suppressed"

_TOKEN: Final = object()


def _refuse_pickle(self: object, protocol: object = None) -> NoReturn:
    raise TypeError(f"a {type(self).__name__} cannot be pickled; release the table again instead")


@dataclass(frozen=True)
class CellInterval:
    """What an attacker can derive about one suppressed cell (``upper`` None: unbounded)."""

    table: str
    row: int
    col: int
    lower: int
    upper: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row": self.row, "col": self.col, "lower": self.lower, "upper": self.upper}


@dataclass(frozen=True)
class SuppressionSummary:
    """The outcome of one release (all of its tables together): its suppressions and the attack on them."""

    audience: str
    threshold: int
    tables: tuple[str, ...]
    cells: int
    primary: int
    secondary: int
    required_lower: int | None
    required_upper: int
    intervals: tuple[CellInterval, ...]
    passed: bool
    rounds: int
    cuts: int
    _kinds: tuple[str, ...] = field(default=(), repr=False)
    _loss: int = field(default=0, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Safe to publish: counts, the attacker intervals and the verdict."""
        return {
            "audience": self.audience, "threshold": self.threshold, "tables": list(self.tables),
            "cells": self.cells, "primary": self.primary, "secondary": self.secondary,
            "required_lower": self.required_lower, "required_upper": self.required_upper,
            "intervals": [i.to_dict() for i in self.intervals], "passed": self.passed,
            "milp_rounds": self.rounds, "cuts": self.cuts,
        }

    def restricted(self, key: str, cells: dict[tuple[str, int, int], tuple[int, int]]) -> SuppressionSummary:
        """The summary of a slice: the same release and verdict, with the intervals of the
        slice's own suppressed cells (renumbered to the slice) only."""
        kept = [(CellInterval(key, *cells[(i.table, i.row, i.col)], i.lower, i.upper), k)
                for i, k in zip(self.intervals, self._kinds or ("",) * len(self.intervals), strict=True)
                if (i.table, i.row, i.col) in cells]
        return replace(self, intervals=tuple(i for i, _ in kept), _kinds=tuple(k for _, k in kept))

    def audit_record(self) -> dict[str, Any]:
        """Confidential (internal audit log only): adds each suppressed cell's kind
        (``primary``/``secondary``) and the information lost."""
        record = self.to_dict()
        for interval, kind in zip(record["intervals"], self._kinds, strict=True):
            interval["kind"] = kind
        record["information_lost"] = self._loss
        return record


@dataclass(frozen=True)
class ReleasedDerived:
    """A derived cell as released (``value`` None when suppressed)."""

    row: int
    column: str
    kind: DerivedKind
    value: DerivedValue
    suppressed: bool

    def to_dict(self) -> dict[str, Any]:
        value: Any = SUPPRESSED if self.suppressed else (list(self.value) if isinstance(self.value, tuple) else self.value)
        return {"row": self.row, "column": self.column, "kind": self.kind, "value": value}


@dataclass(frozen=True)
class ReleasedTable:
    """A protected table (see the module docstring). ``cells[r][c]`` is the published count or
    ``None`` when suppressed."""

    key: str
    title: str
    row_dims: tuple[str, ...]
    row_labels: tuple[tuple[str, ...], ...]
    col_dim: str
    col_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_sums: tuple[Sum, ...]
    col_sums: tuple[Sum, ...]
    derived: tuple[ReleasedDerived, ...]
    notes: tuple[str, ...]
    policy: Policy
    suppression_summary: SuppressionSummary
    flags: tuple[str, ...]
    fingerprint: str
    _token: InitVar[object]

    def __post_init__(self, _token: object) -> None:
        if _token is not _TOKEN:
            raise DisclosureError("a ReleasedTable can only be built by ristra.core.disclosure.release()")

    def __copy__(self) -> ReleasedTable:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReleasedTable:
        return self

    __reduce_ex__ = _refuse_pickle
    __reduce__ = _refuse_pickle

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_labels), len(self.col_labels)

    def is_suppressed(self, row: int, col: int) -> bool:
        return self.cells[row][col] is None

    def slice(self, key: str, title: str, rows: Sequence[int], cols: Sequence[int], *,
              derive: Callable[[Published], Iterable[DerivedCell]] | None = None,
              notes: Sequence[str] | None = None, row_dims: tuple[str, ...] | None = None,
              row_labels: Sequence[tuple[str, ...]] | None = None,
              col_labels: Sequence[str] | None = None) -> ReleasedTable:
        """Rows ``rows`` and columns ``cols`` of this table as a table of their own: the same
        published cells (nothing new is released), the margins whose total and parts are all
        kept, and derived cells computed by ``derive`` from the slice's *published* cells only
        (``None`` for a suppressed one); a derived cell whose sources include a suppressed count
        is suppressed. Labels may be renamed (``row_labels``/``col_labels``, same lengths)."""
        rows, cols = list(rows), list(cols)
        cells = tuple(tuple(self.cells[r][c] for c in cols) for r in rows)
        rpos = {r: i for i, r in enumerate(rows)}
        cpos = {c: i for i, c in enumerate(cols)}
        row_sums = tuple(Sum(rpos[s.total], tuple(rpos[p] for p in s.parts)) for s in self.row_sums
                         if s.total in rpos and all(p in rpos for p in s.parts))
        col_sums = tuple(Sum(cpos[s.total], tuple(cpos[p] for p in s.parts)) for s in self.col_sums
                         if s.total in cpos and all(p in cpos for p in s.parts))
        derived = []
        for cell in (derive(cells) if derive is not None else ()):
            hidden = any(cells[r][c] is None for r, c in cell.sources)
            derived.append(ReleasedDerived(cell.row, cell.column, cell.kind, None if hidden else cell.value, hidden))
        mapping = {(self.key, r, c): (rpos[r], cpos[c]) for r in rows for c in cols}
        summary = self.suppression_summary.restricted(key, mapping)
        labels_r = tuple(row_labels) if row_labels is not None else tuple(self.row_labels[r] for r in rows)
        labels_c = tuple(col_labels) if col_labels is not None else tuple(self.col_labels[c] for c in cols)
        if len(labels_r) != len(rows) or len(labels_c) != len(cols):
            raise DisclosureError("a slice's labels must match its rows and columns")
        content = {"key": key, "cells": [list(r) for r in cells], "derived": [d.to_dict() for d in derived],
                   "labels": [list(map(list, labels_r)), list(labels_c)], "title": title, "of": self.fingerprint}
        fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
        flags = tuple(dict.fromkeys((*(f for f in self.flags if f != "suppressed_cells"),
                                     *(("suppressed_cells",) if any(v is None for r in cells for v in r) else ()),
                                     "slice_of_publication")))
        return ReleasedTable(
            key=key, title=title, row_dims=row_dims or self.row_dims, row_labels=labels_r, col_dim=self.col_dim,
            col_labels=labels_c, cells=cells, row_sums=row_sums, col_sums=col_sums, derived=tuple(derived),
            notes=tuple(notes) if notes is not None else self.notes, policy=self.policy,
            suppression_summary=summary, flags=flags, fingerprint=fingerprint, _token=_TOKEN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "row_dims": list(self.row_dims),
            "row_labels": [list(label) for label in self.row_labels], "col_dim": self.col_dim,
            "col_labels": list(self.col_labels),
            "cells": [[SUPPRESSED if v is None else v for v in row] for row in self.cells],
            "row_sums": [{"total": s.total, "parts": list(s.parts)} for s in self.row_sums],
            "col_sums": [{"total": s.total, "parts": list(s.parts)} for s in self.col_sums],
            "derived": [d.to_dict() for d in self.derived], "notes": list(self.notes),
            "policy": self.policy.to_dict(), "suppression_summary": self.suppression_summary.to_dict(),
            "flags": list(self.flags), "fingerprint": self.fingerprint,
        }
