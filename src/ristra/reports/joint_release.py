"""Releasing every table of a report pack together, one independent group at a time.

**The equations between the tables** (:func:`equations_between`) follow from what each count
means (:class:`~ristra.reports.measures.Meaning`):

* **identity** — two cells with the same meaning show the same number (the total of every
  category's table is the same count; faculty by rank appear in the LCME tables and on the path);
* **sum** — a cell equals the sum of the cells that add one ``eq`` atom to its meaning (all
  years = the sum of the years shown; all ranks = the sum of the ranks), when it does so on the
  counts. When the parts shown do not cover the whole (three of ten cycles), the sum does not
  hold and no equation is added: the attacker then knows only an inequality (parts ≤ whole),
  which the attack does not model (docs/reports.md, "What the audit covers").

Adding an equation that holds on the data can only make protection stronger (the attacker is
assumed to know more), never weaker.

**Release by group.** Tables tied by no equation — no shared margin, no identity, no sum across
them — give an attacker nothing to combine: the attacker's linear system is block
diagonal, so each group's feasible intervals, its optimal complementary-suppression pattern and
its tie-break are the same whether the groups are released in one call or one call each (the
MILP's objective and constraints separate by group, and every group must be at its own optimum
for the sum to be optimal). :func:`release_jointly` therefore calls
:func:`ristra.core.disclosure.release` once per connected group of tables tied by equations — which is much
faster, since the cost of the exact programme grows faster than its size — and merges the
groups' audits into one :class:`~ristra.core.disclosure.SuppressionSummary`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ristra.core.disclosure import (
    Carried,
    CellRef,
    Equation,
    Order,
    Policy,
    ReleasedTable,
    SuppressionSummary,
    release,
)
from ristra.core.tables import Table
from ristra.reports.measures import Meaning
from ristra.reports.sections import SectionTable


@dataclass(frozen=True)
class JointRelease:
    """The released tables by key, the merged audit, and a fingerprint of everything released."""

    tables: dict[str, ReleasedTable]
    summary: SuppressionSummary
    fingerprint: str


def equations_between(tables: Sequence[SectionTable]) -> tuple[Equation, ...]:
    """Identity and sum equations between the cells of ``tables`` (see the module docstring)."""
    first: dict[Meaning, CellRef] = {}
    value: dict[Meaning, int] = {}
    equations: list[Equation] = []
    for shown in sorted(tables, key=lambda t: t.table.key):
        for (row, col), what in sorted(shown.meanings.items()):
            ref = CellRef(shown.table.key, row, col)
            count = shown.table.counts[row][col]
            if what not in first:
                first[what], value[what] = ref, count
            elif value[what] == count:
                equations.append(Equation(first[what], (ref,)))
    parts: dict[tuple[Meaning, str], list[Meaning]] = defaultdict(list)
    for what in first:
        for atom in what.atoms:
            if atom[0] == "eq":
                base = Meaning(what.dataset, tuple(a for a in what.atoms if a != atom), what.category, what.level)
                parts[(base, atom[1])].append(what)
    for (base, _), members in sorted(parts.items(), key=lambda item: repr(item[0])):
        if base in first and sum(value[m] for m in members) == value[base]:
            cells = tuple(sorted(first[m] for m in members))
            if first[base] not in cells:
                equations.append(Equation(first[base], cells))
    return tuple(equations)


def groups(tables: Sequence[Table], equations: Sequence[Equation],
           orders: Sequence[Order] = ()) -> list[tuple[list[Table], list[Equation], list[Order]]]:
    """Tables split into groups that no equation or order relation joins, each with its
    equations and orders, in key order."""
    parent = {t.key: t.key for t in tables}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    pairs = [(equation.total.table, part.table) for equation in equations for part in equation.parts]
    pairs += [(order.smaller.table, order.larger.table) for order in orders]
    for x, y in pairs:
        a, b = root(x), root(y)
        if a != b:
            parent[max(a, b)] = min(a, b)
    found: dict[str, tuple[list[Table], list[Equation], list[Order]]] = {}
    for table in sorted(tables, key=lambda t: t.key):
        found.setdefault(root(table.key), ([], [], []))[0].append(table)
    for equation in equations:
        found[root(equation.total.table)][1].append(equation)
    for order in orders:
        found[root(order.larger.table)][2].append(order)
    return [found[k] for k in sorted(found)]


def release_jointly(tables: Sequence[Table], policy: Policy, equations: Sequence[Equation], orders: Sequence[Order] = (),
                    carried: Carried | None = None, stages: Mapping[str, int] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> JointRelease:
    """Release ``tables`` with ``equations`` and ``orders`` (see the module docstring), keeping what
    ``carried`` says an earlier publication suppressed. Raises what
    :func:`~ristra.core.disclosure.release` raises; nothing is released if any group fails."""
    released: dict[str, ReleasedTable] = {}
    summaries: list[SuppressionSummary] = []
    found = groups(tables, equations, orders)
    for done, (members, joining, ordering) in enumerate(found):
        if progress is not None:
            progress(done, len(found))
        for table in release(members, policy, equations=joining, ordered=ordering, carried=carried, stages=stages):
            released[table.key] = table
        summaries.append(released[members[0].key].suppression_summary)
    summary = merge(summaries, policy)
    digest = hashlib.sha256("".join(released[k].fingerprint for k in sorted(released)).encode()).hexdigest()
    return JointRelease(released, summary, digest)


def merge(summaries: Sequence[SuppressionSummary], policy: Policy) -> SuppressionSummary:
    """One summary for several independent releases (counts added, intervals and kinds joined)."""
    return SuppressionSummary(
        audience=policy.audience, threshold=policy.threshold,
        tables=tuple(sorted(k for s in summaries for k in s.tables)), cells=sum(s.cells for s in summaries),
        primary=sum(s.primary for s in summaries), secondary=sum(s.secondary for s in summaries),
        required_lower=policy.required_lower, required_upper=policy.required_upper,
        intervals=tuple(i for s in summaries for i in s.intervals), passed=all(s.passed for s in summaries),
        rounds=sum(s.rounds for s in summaries), cuts=sum(s.cuts for s in summaries),
        _kinds=tuple(k for s in summaries for k in s._kinds), _loss=sum(s._loss for s in summaries))
