"""The dashboard: the path from the state population to senior leadership, the admissions
funnel with selection-rate ratios, applicants by cycle, retention curves and departments —
each a slice of the viewer's audience's protected publication with its chart — filtered by
category, year or program, and department.

The publication (:mod:`ristra.services.publication`) is built once per change of snapshots or
category version, in the background; until it is ready the dashboard says it is being prepared
(with the stage), and if it fails it says so — it never mixes an earlier publication with the
new snapshots. Built dashboards are cached per (publication, filters), so a warm dashboard
costs a dictionary lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from ristra.core.disclosure import Policy
from ristra.services.dashboard.panels import choices, panels
from ristra.services.dashboard.values import Dashboard, Filters, Panel
from ristra.services.publication import AuditLog
from ristra.services.workspace import Workspace

__all__ = ["WAIT_SECONDS", "Dashboard", "Filters", "Panel", "build", "choices", "panels"]

_CACHE: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()
#: how long a page waits for a publication being built before it says "being prepared"
WAIT_SECONDS = 1.0


def build(workspace: Workspace, policy: Policy, filters: Filters, *, wait: float = WAIT_SECONDS,
          audit_log: AuditLog | None = None) -> Dashboard:
    """The dashboard for ``policy`` and ``filters``: a slice of the publication of the snapshots
    in force (see the module docstring). ``wait`` is how long to wait for a publication being
    built; ``audit_log`` records the publication's release, when one is built here."""
    from ristra.services import publication

    state = publication.in_force(workspace)
    snapshots, version = dict(state[0]), state[1]
    if not snapshots:
        return Dashboard(filters, policy.audience, policy.threshold, snapshots, version,
                         unavailable="No data has been imported yet.")
    status = publication.current(workspace, policy, state=state, wait=wait, audit_log=audit_log)
    if status.publication is None:
        if status.state == "failed":
            return Dashboard(filters, policy.audience, policy.threshold, snapshots, version, state="failed",
                             unavailable=f"The figures for the current data could not be published: {status.error} "
                                         "Nothing is shown rather than figures of other data.")
        stage = status.stage + (f" ({status.done} of {status.total})" if status.total else "")
        return Dashboard(filters, policy.audience, policy.threshold, snapshots, version, state="preparing",
                         stage=stage, unavailable="The figures for the current data are being prepared and "
                                                  "protected; this page updates when they are ready.")
    built_from = status.publication
    key = (built_from.fingerprint, policy, filters)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    built = panels(built_from, filters, dict(built_from.snapshots), built_from.category_version)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built
