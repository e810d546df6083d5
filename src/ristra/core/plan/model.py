"""The plan document: plan → goals → objectives (which may nest) → actions and measures.

Every value is frozen; :meth:`Plan.to_dict` gives the document's layout (the YAML file), and
:func:`~.parsing.plan_from_dict` is its inverse (``plan_from_dict(p.to_dict()) == p``).

Layout (one list per kind of item, each item naming its ``parent``)::

    plan: {id, title, cycle, start_year, end_year, owner?, description?}
    goals:      [{id, title, description?, aligns_to: [parent item ids]}]
    objectives: [{id, parent: goal or objective id, title, description?, aligns_to}]
    actions:    [{id, parent: objective id, title, owner, due, status, updates: [...]}]
    measures:   [{id, parent: objective id, title, metric: {kind, category, ...},
                  direction, baseline: {year, value?, lower?, upper?, snapshot?},
                  target: {value, year}, stretch?: {value}, years?: [from, to],
                  entered?: [{year, value, lower?, upper?, note?}]}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ristra.core.plan.bindings import MetricBinding, Point

ACTION_STATUSES = ("not_started", "in_progress", "done", "blocked", "dropped")
DIRECTIONS = ("increase", "decrease")
EVIDENCE_KINDS = ("note", "link", "file")


@dataclass(frozen=True)
class Evidence:
    """What backs an update: a ``note`` (``text``), a ``link`` (``href``) or a small ``file``
    (``name`` and its ``sha256``; the file itself is kept by the store)."""

    kind: str
    text: str = ""
    href: str = ""
    name: str = ""
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for key in ("text", "href", "name", "sha256"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class ActionUpdate:
    """A dated update of an action by ``author`` with its evidence."""

    date: str
    note: str
    author: str = ""
    status: str | None = None
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"date": self.date, "note": self.note}
        if self.author:
            data["author"] = self.author
        if self.status:
            data["status"] = self.status
        if self.evidence:
            data["evidence"] = [e.to_dict() for e in self.evidence]
        return data


@dataclass(frozen=True)
class Goal:
    id: str
    title: str
    description: str = ""
    aligns_to: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.description:
            data["description"] = self.description
        data["aligns_to"] = list(self.aligns_to)
        return data


@dataclass(frozen=True)
class Objective:
    id: str
    parent: str
    title: str
    description: str = ""
    aligns_to: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "parent": self.parent, "title": self.title}
        if self.description:
            data["description"] = self.description
        data["aligns_to"] = list(self.aligns_to)
        return data


@dataclass(frozen=True)
class Action:
    id: str
    parent: str
    title: str
    owner: str
    due: str
    status: str = "not_started"
    updates: tuple[ActionUpdate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "parent": self.parent,
            "title": self.title,
            "owner": self.owner,
            "due": self.due,
            "status": self.status,
        }
        if self.updates:
            data["updates"] = [u.to_dict() for u in self.updates]
        return data


@dataclass(frozen=True)
class Baseline:
    """The value a measure starts from: its ``year``, and (once pinned) the value with its
    interval and the snapshot it came from. Without a value the service reads it from the
    measure's series at ``year``."""

    year: int
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    snapshot: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"year": self.year}
        for key in ("value", "lower", "upper", "snapshot"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class Target:
    value: float
    year: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "year": self.year}


@dataclass(frozen=True)
class Measure:
    """A measure bound to a live metric (``metric``), or typed in (``entered``) when ristra has no
    data for it (metric kind ``entered``; such values are marked as entered everywhere)."""

    id: str
    parent: str
    title: str
    metric: MetricBinding
    direction: str
    baseline: Baseline
    target: Target
    stretch: float | None = None
    years: tuple[int, int] | None = None
    entered: tuple[Point, ...] = ()

    @property
    def series_years(self) -> tuple[int, ...]:
        """The years a survival measure is computed for (its ``years``, else baseline → target)."""
        first, last = self.years or (self.baseline.year, self.target.year)
        return tuple(range(first, last + 1))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "parent": self.parent,
            "title": self.title,
            "metric": self.metric.to_dict(),
            "direction": self.direction,
            "baseline": self.baseline.to_dict(),
            "target": self.target.to_dict(),
        }
        if self.stretch is not None:
            data["stretch"] = {"value": self.stretch}
        if self.years is not None:
            data["years"] = list(self.years)
        if self.entered:
            data["entered"] = [
                {
                    "year": p.year,
                    "value": p.value,
                    **({"lower": p.lower, "upper": p.upper} if math.isfinite(p.lower) else {}),
                }
                for p in self.entered
            ]
        return data


@dataclass(frozen=True)
class Plan:
    """One strategic plan (one version of its document)."""

    id: str
    title: str
    cycle: str
    start_year: int
    end_year: int
    owner: str = ""
    description: str = ""
    goals: tuple[Goal, ...] = ()
    objectives: tuple[Objective, ...] = ()
    actions: tuple[Action, ...] = ()
    measures: tuple[Measure, ...] = field(default=())

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(f"no measure {measure_id!r} in plan {self.id}")

    def children(self, item_id: str) -> tuple[Objective, ...]:
        """The objectives directly under a goal or an objective."""
        return tuple(o for o in self.objectives if o.parent == item_id)

    def measures_under(self, item_id: str) -> tuple[Measure, ...]:
        """Every measure of the objective or goal ``item_id`` and of the objectives below it."""
        ids = {item_id}
        frontier = [item_id]
        while frontier:
            below = [o.id for o in self.objectives if o.parent in frontier and o.id not in ids]
            ids.update(below)
            frontier = below
        return tuple(m for m in self.measures if m.parent in ids)

    def to_dict(self) -> dict[str, Any]:
        head: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "cycle": self.cycle,
            "start_year": self.start_year,
            "end_year": self.end_year,
        }
        if self.owner:
            head["owner"] = self.owner
        if self.description:
            head["description"] = self.description
        return {
            "plan": head,
            "goals": [g.to_dict() for g in self.goals],
            "objectives": [o.to_dict() for o in self.objectives],
            "actions": [a.to_dict() for a in self.actions],
            "measures": [m.to_dict() for m in self.measures],
        }
