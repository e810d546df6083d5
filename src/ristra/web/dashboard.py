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

import importlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ristra.core.disclosure import Policy, ReleasedTable
from ristra.services.workspace import Workspace
from ristra.web.charts import Chart


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to (all optional)."""

    year: int | None = None
    program: str | None = None
    department: str | None = None
    category: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        raw_year = (query.get("year") or "").strip()
        year = int(raw_year) if raw_year.isdigit() and len(raw_year) == 4 else None
        program = (query.get("program") or "").strip()[:100] or None
        department = (query.get("department") or "").strip()[:100] or None
        category = (query.get("category") or "").strip()[:63] or None
        return cls(year, program, department, category)

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "program": self.program, "department": self.department, "category": self.category}


@dataclass(frozen=True)
class Panel:
    """One chart and the released table it draws."""

    key: str
    heading: str
    table: ReleasedTable
    chart: Chart | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "heading": self.heading, "table": self.table.to_dict(),
                "chart": self.chart.to_dict() if self.chart else None}


@dataclass(frozen=True)
class Dashboard:
    """The dashboard for one policy and set of filters, with the data it was computed from."""

    filters: Filters
    audience: str
    threshold: int
    snapshots: dict[str, str]
    category_version: int
    panels: tuple[Panel, ...] = ()
    choices: dict[str, list[str]] = field(default_factory=dict)
    unavailable: str = ""
    category: str | None = None
    category_labels: tuple[tuple[str, str], ...] = ()
    notice: str = ""
    publication: str = ""
    information_loss: str = ""
    #: ``ready``, ``preparing`` (then ``stage`` says where) or ``failed`` (then ``unavailable`` says why)
    state: str = "ready"
    stage: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"filters": self.filters.to_dict(), "category": self.category, "audience": self.audience,
                "threshold": self.threshold, "state": self.state, "stage": self.stage or None,
                "snapshots": self.snapshots, "category_version": self.category_version,
                "publication": self.publication or None, "information_loss": self.information_loss or None,
                "panels": [p.to_dict() for p in self.panels], "choices": self.choices,
                "category_labels": dict(self.category_labels), "notice": self.notice or None,
                "unavailable": self.unavailable or None}


_CACHE: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def metrics_service() -> Any:
    """The metrics service module (imported on first use: the web layer starts without DuckDB)."""
    return importlib.import_module("ristra.services.metrics")


_SERVICES: OrderedDict[Any, Any] = OrderedDict()
_SERVICES_KEPT = 4


def service_for(module: Any, workspace: Workspace) -> Any:
    """One metrics service per data directory (it caches per snapshot and category version); the
    least recently used is closed when more than a few directories are served."""
    key = workspace.root
    with _LOCK:
        service = _SERVICES.get(key)
        if service is None:
            service = _SERVICES[key] = module.MetricsService(workspace)
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
