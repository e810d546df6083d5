"""The plan scorecards a publication holds: one for the current version of every stored plan."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from ristra.core.disclosure import ReleasedTable
from ristra.core.metrics.plans import Context
from ristra.reports.scorecard import Scorecard, ScorecardStatus, scorecard, scorecard_id
from ristra.services.workspace import Workspace
from ristra.stores.plans import CorruptPlanError, PlanStore

#: what the plan pages use of a scorecard
__all__ = ["Scorecard", "ScorecardStatus", "ScorecardView", "plan_versions", "scorecard_id", "scorecard_view",
           "scorecards"]

_VIEWS: OrderedDict[tuple[str, str, int], ScorecardView] = OrderedDict()
_VIEWS_KEPT = 64
_VIEWS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ScorecardView:
    """A scorecard read against one publication's released tables: every measure's status and
    the released slice each trend chart is drawn from (None where the measure has no table)."""

    statuses: ScorecardStatus
    trends: Mapping[str, ReleasedTable | None]


def scorecard_view(card: Scorecard, tables: Mapping[str, ReleasedTable], fingerprint: str) -> ScorecardView:
    """The statuses and trend tables of ``card`` in the publication whose released ``tables``
    and ``fingerprint`` are given — computed once per publication and plan version (both are
    immutable, so a page asking again gets the same value without recomputing it)."""
    key = (fingerprint, card.plan.id, card.plan_version)
    with _VIEWS_LOCK:
        cached = _VIEWS.get(key)
        if cached is not None:
            _VIEWS.move_to_end(key)
            return cached
    made = ScorecardView(card.statuses(tables), {m.id: card.trend_table(m.id, tables) for m in card.plan.measures})
    with _VIEWS_LOCK:
        _VIEWS[key] = made
        while len(_VIEWS) > _VIEWS_KEPT:
            _VIEWS.popitem(last=False)
    return made

def plan_versions(workspace: Workspace) -> tuple[tuple[str, int], ...]:
    """Every stored plan with its current version number (what a publication's scorecards are
    made from); read from the directory listing only."""
    return PlanStore(workspace.root).current_versions()


def scorecards(workspace: Workspace, context: Context) -> dict[str, Scorecard]:
    """The scorecard of every stored plan's current version, by template id (a plan file that
    cannot be read is left out; the plan commands report it)."""
    store = PlanStore(workspace.root)
    out: dict[str, Scorecard] = {}
    for plan_id, version in plan_versions(workspace):
        try:
            stored = store.get(plan_id, version)
        except CorruptPlanError:
            continue
        card = scorecard(stored.plan, stored.version, context)
        out[card.template.id] = card
    return out
