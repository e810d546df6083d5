"""The dashboard as values: what it is narrowed to, its panels (a released table and its chart),
and the whole page's content — built by :func:`ristra.services.dashboard.build`, rendered by the
page, the API and the tests alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ristra.core.disclosure import ReleasedTable
from ristra.services.charts import Chart


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
