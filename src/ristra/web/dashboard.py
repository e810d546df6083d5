"""The dashboard: the path from the state population to senior leadership, the admissions
funnel with selection-rate ratios, retention curves and trends — each a released table with
its chart — for the viewer's role, filtered by year, program and department.

The figures come from the metrics service (:mod:`ristra.services.metrics`), which caches its
results per snapshot and category version; this module releases them under the viewer's
policy and draws the charts, and caches that per (snapshots, category version, policy,
filters) so a warm dashboard costs a dictionary lookup.
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
from ristra.web.in_force import category_version, snapshots_in_force

UNAVAILABLE = "Metrics are not available in this build: the metrics engine (ristra.services.metrics) is not installed."


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

    def to_dict(self) -> dict[str, Any]:
        return {"filters": self.filters.to_dict(), "category": self.category, "audience": self.audience,
                "threshold": self.threshold,
                "snapshots": self.snapshots, "category_version": self.category_version,
                "panels": [p.to_dict() for p in self.panels], "choices": self.choices,
                "unavailable": self.unavailable or None}


_CACHE: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def metrics_service() -> Any:
    """The metrics service module (imported on first use: the web layer starts without DuckDB)."""
    return importlib.import_module("ristra.services.metrics")
    try:
        return importlib.import_module("ristra.services.metrics")
    except Exception:  # absent, or not importable in this build: the page says it is unavailable
        return None


def build(workspace: Workspace, policy: Policy, filters: Filters) -> Dashboard:
    """The dashboard for ``policy`` and ``filters`` (cached per snapshots and category version)."""
    snapshots = snapshots_in_force(workspace)
    version = category_version(workspace)
    key = (tuple(sorted(snapshots.items())), version, policy, filters)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    service = metrics_service()
    if service is None:
        return Dashboard(filters, policy.audience, policy.threshold, snapshots, version, unavailable=UNAVAILABLE)
    from ristra.web.dashboard_panels import panels

    built = panels(service, workspace, policy, filters, snapshots, version)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built
