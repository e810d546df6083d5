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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ristra.core.disclosure import Policy
from ristra.services.workspace import Workspace
from ristra.web.dashboard_values import Dashboard, Filters

if TYPE_CHECKING:  # imported on first use: the web layer starts without DuckDB
    from ristra.services.metrics import MetricsService

_CACHE: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


_SERVICES: OrderedDict[Path, MetricsService] = OrderedDict()
_SERVICES_KEPT = 4


def service_for(workspace: Workspace) -> MetricsService:
    """One metrics service per data directory (it caches per snapshot and category version); the
    least recently used is closed when more than a few directories are served. The service is
    imported on first use: the web layer starts without DuckDB."""
    from ristra.services.metrics import MetricsService

    key = workspace.root
    with _LOCK:
        service = _SERVICES.get(key)
        if service is None:
            service = _SERVICES[key] = MetricsService(workspace)
            while len(_SERVICES) > _SERVICES_KEPT:
                _SERVICES.popitem(last=False)[1].close()
        _SERVICES.move_to_end(key)
        return service


#: how long a page waits for a publication being built before it says "being prepared"
WAIT_SECONDS = 1.0


def build(workspace: Workspace, policy: Policy, filters: Filters, *, wait: float | None = None) -> Dashboard:
    """The dashboard for ``policy`` and ``filters``: a slice of the publication of the snapshots
    in force (see the module docstring)."""
    from django.conf import settings

    from ristra.services import publication

    state = publication.in_force(workspace)
    snapshots, version = dict(state[0]), state[1]
    if not snapshots:
        return Dashboard(filters, policy.audience, policy.threshold, snapshots, version,
                         unavailable="No data has been imported yet.")
    waited = wait if wait is not None else float(getattr(settings, "RISTRA_PUBLICATION_WAIT", WAIT_SECONDS))
    from ristra.web.publishing import audit_entry, flush

    status = publication.current(workspace, policy, state=state, wait=waited, audit_log=audit_entry)
    flush()
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
    from ristra.web.dashboard_panels import panels

    built = panels(built_from, filters, dict(built_from.snapshots), built_from.category_version)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built
