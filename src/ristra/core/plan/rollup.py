"""Objective and goal status from their measures, never hiding a failing one.

A roll-up keeps the count of every status beneath an item and names the measures getting worse
and those without enough data. Its headline ``status`` is the worst status among the measures
with a status (order :data:`SEVERITY`: getting worse, little or no change, improving, target met)
— one measure getting worse makes its objective and goal "getting worse", whatever the others
do; ``insufficient_data`` only when no measure beneath has a status, and ``incomplete`` says when
some have none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ristra.core.plan.model import Plan
from ristra.core.plan.status import (
    IMPROVING,
    INSUFFICIENT,
    NO_CHANGE,
    STATUSES,
    TARGET_MET,
    WITHHELD,
    WORSE,
    MeasureStatus,
)

SEVERITY = (WORSE, NO_CHANGE, IMPROVING, TARGET_MET)


@dataclass(frozen=True)
class Rollup:
    item: str
    kind: str
    status: str
    counts: tuple[tuple[str, int], ...]
    failing: tuple[str, ...]
    without_status: tuple[str, ...]
    measures: tuple[str, ...]

    @property
    def incomplete(self) -> bool:
        return bool(self.without_status) and self.status != INSUFFICIENT

    def to_dict(self) -> dict[str, object]:
        return {
            "item": self.item,
            "kind": self.kind,
            "status": self.status,
            "counts": dict(self.counts),
            "failing": list(self.failing),
            "without_status": list(self.without_status),
            "measures": list(self.measures),
            "incomplete": self.incomplete,
        }


def rollup(
    item: str, kind: str, statuses: Mapping[str, MeasureStatus], measure_ids: tuple[str, ...]
) -> Rollup:
    """The roll-up of the measures ``measure_ids`` (see the module docstring); a measure without a
    computed status counts as insufficient data."""
    found = [statuses[m].status if m in statuses else INSUFFICIENT for m in measure_ids]
    counts = tuple((s, found.count(s)) for s in (*STATUSES, *((WITHHELD,) if WITHHELD in found else ())))
    ranked = [s for s in SEVERITY if s in found]
    headline = ranked[0] if ranked else INSUFFICIENT
    failing = tuple(m for m, s in zip(measure_ids, found, strict=True) if s == WORSE)
    # a published status withheld (a value it needs is suppressed) is a measure without a status
    without = tuple(m for m, s in zip(measure_ids, found, strict=True) if s in (INSUFFICIENT, WITHHELD))
    return Rollup(item, kind, headline, counts, failing, without, measure_ids)


def plan_rollups(plan: Plan, statuses: Mapping[str, MeasureStatus]) -> tuple[Rollup, ...]:
    """A roll-up for every objective and goal of ``plan`` (objectives include the measures of the
    objectives beneath them), goals first, in plan order."""
    out = [rollup(g.id, "goal", statuses, tuple(m.id for m in plan.measures_under(g.id))) for g in plan.goals]
    out += [
        rollup(o.id, "objective", statuses, tuple(m.id for m in plan.measures_under(o.id)))
        for o in plan.objectives
    ]
    return tuple(out)
