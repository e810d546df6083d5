"""``release``: the one path from a :class:`~ristra.core.tables.Table` to a
:class:`~ristra.core.disclosure.released.ReleasedTable`.

Steps, for all tables of one release together:

1. build the attacker's linear system (cells in canonical order, every margin, subtotal and
   equation between tables) and check that it holds on the counts;
2. **primary suppression**: every count ``c`` with ``1 <= c < threshold`` (and zeros when the
   policy hides them);
3. **complementary suppression**: the exact MILP of :mod:`.complementary`;
4. **attack**: the attacker LPs of :mod:`.attack`, run on the released values only; any
   sensitive cell narrower than required raises :class:`DisclosureError` and nothing is
   released;
5. derived cells (shares, rates, ratios, intervals) with any suppressed source count are
   suppressed, so no statistic reveals a suppressed count; published counts are rounded
   if the policy says so.

Same input, same output: the pattern depends only on the counts, the structure, the table
keys and the policy, never on the order tables or equations were given in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import overload

import numpy as np

from ristra.core.disclosure.attack import attacker_intervals, violations
from ristra.core.disclosure.complementary import Pattern, protect
from ristra.core.disclosure.equations import Carried, Equation, Order
from ristra.core.disclosure.errors import DisclosureError, PolicyError
from ristra.core.disclosure.policy import Policy
from ristra.core.disclosure.released import (
    _TOKEN,
    CellInterval,
    ReleasedDerived,
    ReleasedTable,
    SuppressionSummary,
)
from ristra.core.disclosure.system import BoolArray, LinearSystem
from ristra.core.tables import Table, TableError


@overload
def release(tables: Table, policy: Policy, *, equations: Sequence[Equation] = (), ordered: Sequence[Order] = (),
            carried: Carried | None = None, stages: Mapping[str, int] | None = None) -> ReleasedTable: ...
@overload
def release(tables: Sequence[Table], policy: Policy, *, equations: Sequence[Equation] = (), ordered: Sequence[Order] = (),
            carried: Carried | None = None, stages: Mapping[str, int] | None = None) -> tuple[ReleasedTable, ...]: ...


def release(
    tables: Table | Sequence[Table], policy: Policy, *, equations: Sequence[Equation] = (), ordered: Sequence[Order] = (),
    carried: Carried | None = None, stages: Mapping[str, int] | None = None,
) -> ReleasedTable | tuple[ReleasedTable, ...]:
    """Protect and release one table, or several tables that an attacker may read together.

    ``equations`` holds the equations tying cells of different tables and ``ordered`` the order
    relations between cells (see :mod:`.equations`); ``carried`` what the same audience was served
    before (cells suppressed then stay suppressed; cells sensitive then stay protected);
    ``stages`` (table key → whole number) protects a large release module by module (see
    :func:`~ristra.core.disclosure.complementary.protect`; the attack still covers everything).
    Returns one :class:`ReleasedTable` for one table, else a tuple in the order given; all
    share one :class:`SuppressionSummary`. Raises :class:`PolicyError` for a bad policy,
    :class:`~ristra.core.tables.TableError` for inconsistent tables, equations or orders and
    :class:`DisclosureError` when the attack narrows a sensitive cell too far.
    """
    if not isinstance(policy, Policy):
        raise PolicyError(f"release needs a Policy, not {type(policy).__name__}")
    single = isinstance(tables, Table)
    given: tuple[Table, ...] = (tables,) if isinstance(tables, Table) else tuple(tables)
    if not given or not all(isinstance(t, Table) for t in given):
        raise TableError("release needs at least one Table")
    system = LinearSystem(given, tuple(equations), tuple(ordered))
    primary: BoolArray = np.array([policy.is_sensitive(int(v)) for v in system.values], dtype=bool)
    primary &= ~system.hidden
    forced: BoolArray = np.zeros(system.size, dtype=bool)
    if carried is not None:
        keys = set(system.offsets)
        for ref in carried.suppressed:
            if ref.table in keys:
                forced[system.index(ref)] = True
        for ref in carried.sensitive:
            if ref.table in keys and system.values[system.index(ref)] > 0:
                primary[system.index(ref)] = True
    stage = None
    if stages:
        stage = np.zeros(system.size, dtype=np.int64)
        for table in system.tables:
            start = system.offsets[table.key]
            stage[start:start + table.shape[0] * table.shape[1]] = int(stages.get(table.key, 0))
    pattern = protect(system, primary, policy, forced=forced, stages=stage)
    summary = _attack(system, pattern, policy)
    joined = bool(equations) or bool(ordered)
    released = tuple(_released_table(system, t, pattern.suppressed, policy, summary, joined) for t in given)
    return released[0] if single else released


def _attack(system: LinearSystem, pattern: Pattern, policy: Policy) -> SuppressionSummary:
    published = [None if s else int(v) for s, v in zip(pattern.suppressed, system.values, strict=True)]
    intervals = attacker_intervals(system, published)
    bad = violations(intervals, pattern.primary, policy.required_upper, policy.required_lower)
    if bad:
        where = ", ".join(str(system.locate(i.index)) for i in bad[:5])
        raise DisclosureError(f"audit failed: {len(bad)} sensitive cell(s) can be narrowed too far: {where}")
    cells = []
    shown = [i for i in intervals if not system.hidden[i.index]]
    for interval in shown:
        ref = system.locate(interval.index)
        cells.append(CellInterval(ref.table, ref.row, ref.col, interval.lower, interval.upper))
    kinds = tuple("primary" if pattern.primary[i.index] else "secondary" for i in shown)
    visible = ~system.hidden
    return SuppressionSummary(
        audience=policy.audience, threshold=policy.threshold, tables=tuple(t.key for t in system.tables),
        cells=system.table_cells, primary=int((pattern.primary & visible).sum()),
        secondary=int((pattern.suppressed & ~pattern.primary & visible).sum()),
        required_lower=policy.required_lower, required_upper=policy.required_upper,
        intervals=tuple(cells), passed=True, rounds=pattern.rounds, cuts=pattern.cuts,
        _kinds=kinds, _loss=pattern.loss,
    )


def _released_table(
    system: LinearSystem, table: Table, suppressed: BoolArray, policy: Policy, summary: SuppressionSummary, joined: bool
) -> ReleasedTable:
    n_rows, n_cols = table.shape
    start = system.offsets[table.key]
    mask = suppressed[start:start + n_rows * n_cols].reshape(n_rows, n_cols)
    cells = tuple(
        tuple(None if mask[r, c] else policy.publish(table.counts[r][c]) for c in range(n_cols)) for r in range(n_rows)
    )
    derived = []
    for cell in table.derived:
        hidden = any(mask[r, c] for r, c in cell.sources)
        derived.append(ReleasedDerived(cell.row, cell.column, cell.kind, None if hidden else cell.value, hidden))
    flags = []
    if mask.any():
        flags.append("suppressed_cells")
    if policy.rounding is not None:
        flags.append(f"rounded_to_{policy.rounding}")
    if not policy.show_zeros:
        flags.append("zeros_hidden")
    if joined or len(system.tables) > 1:
        flags.append("released_with_other_tables")
    content = {
        "key": table.key, "cells": [list(row) for row in cells], "derived": [d.to_dict() for d in derived],
        "labels": [list(map(list, table.row_labels)), list(table.col_labels)], "title": table.title,
        "policy": policy.to_dict(), "summary": summary.to_dict(),
    }
    fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return ReleasedTable(
        key=table.key, title=table.title, row_dims=table.row_dims, row_labels=table.row_labels,
        col_dim=table.col_dim, col_labels=table.col_labels, cells=cells, row_sums=table.row_sums,
        col_sums=table.col_sums, derived=tuple(derived), notes=table.notes, policy=policy,
        suppression_summary=summary, flags=tuple(flags), fingerprint=fingerprint, _token=_TOKEN,
    )
