"""The plan scorecards a publication holds: one for the current version of every stored plan."""

from __future__ import annotations

from ristra.core.metrics.plans import Context
from ristra.reports.scorecard import Scorecard, ScorecardStatus, scorecard, scorecard_id
from ristra.services.workspace import Workspace
from ristra.stores.plans import CorruptPlanError, PlanStore

#: what the plan pages use of a scorecard
__all__ = ["Scorecard", "ScorecardStatus", "plan_versions", "scorecard_id", "scorecards"]

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
