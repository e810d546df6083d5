"""Releasing every table of a report pack together, one independent group at a time.

Tables tied by no equation — no shared margin, no identity, no sum across them (see
:mod:`.linking`) — give an attacker nothing to combine: the attacker's linear system is block
diagonal, so each group's feasible intervals, its optimal complementary-suppression pattern and
its tie-break are the same whether the groups are released in one call or one call each (the
MILP's objective and constraints separate by group, and every group must be at its own optimum
for the sum to be optimal). :func:`release_jointly` therefore calls
:func:`ristra.core.disclosure.release` once per connected group of linked tables — which is much
faster, since the cost of the exact programme grows faster than its size — and merges the
groups' audits into one :class:`~ristra.core.disclosure.SuppressionSummary`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ristra.core.disclosure import Carried, Link, Order, Policy, ReleasedTable, SuppressionSummary, release
from ristra.core.tables import Table


@dataclass(frozen=True)
class JointRelease:
    """The released tables by key, the merged audit, and a fingerprint of everything released."""

    tables: dict[str, ReleasedTable]
    summary: SuppressionSummary
    fingerprint: str


def groups(tables: Sequence[Table], links: Sequence[Link],
           orders: Sequence[Order] = ()) -> list[tuple[list[Table], list[Link], list[Order]]]:
    """Tables split into groups that no link or order relation joins, each with its links and
    orders, in key order."""
    parent = {t.key: t.key for t in tables}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    pairs = [(link.total.table, part.table) for link in links for part in link.parts]
    pairs += [(order.smaller.table, order.larger.table) for order in orders]
    for x, y in pairs:
        a, b = root(x), root(y)
        if a != b:
            parent[max(a, b)] = min(a, b)
    found: dict[str, tuple[list[Table], list[Link], list[Order]]] = {}
    for table in sorted(tables, key=lambda t: t.key):
        found.setdefault(root(table.key), ([], [], []))[0].append(table)
    for link in links:
        found[root(link.total.table)][1].append(link)
    for order in orders:
        found[root(order.larger.table)][2].append(order)
    return [found[k] for k in sorted(found)]


def release_jointly(tables: Sequence[Table], policy: Policy, links: Sequence[Link], orders: Sequence[Order] = (),
                    carried: Carried | None = None, stages: Mapping[str, int] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> JointRelease:
    """Release ``tables`` with ``links`` and ``orders`` (see the module docstring), keeping what
    ``carried`` says an earlier publication suppressed. Raises what
    :func:`~ristra.core.disclosure.release` raises; nothing is released if any group fails."""
    released: dict[str, ReleasedTable] = {}
    summaries: list[SuppressionSummary] = []
    found = groups(tables, links, orders)
    for done, (members, joining, ordering) in enumerate(found):
        if progress is not None:
            progress(done, len(found))
        for table in release(members, policy, linked=joining, ordered=ordering, carried=carried, stages=stages):
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
