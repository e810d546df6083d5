"""Plan use cases: import and export plans, compute every measure from the current snapshots,
their statuses and roll-ups, and close a cycle.

Contract
--------
* :class:`PlanService` computes a measure's series through the metrics service
  (:class:`~ristra.services.metrics.MetricsService`), one shared computation for all the
  measures of a plan (the metrics it binds to are specifications of the engine, never
  re-implemented); an entered measure's series is its typed values, marked as entered.
* :meth:`PlanService.status` gives a :class:`PlanStatus`: each measure's
  :class:`~ristra.core.plan.MeasureStatus`, the roll-up of every objective and goal (a failing
  measure is never hidden), the parent items no measure reaches, and the snapshots and category
  version the numbers came from. A measure the engine cannot compute (no data imported yet) is
  "insufficient data" with the engine's message as its reason.
* :meth:`PlanService.close_cycle` freezes the statuses of one cycle with the snapshot ids, the
  category version and the plan version they came from, once (a closed cycle never changes); new
  imports change the live status, never a closed cycle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ristra.core.metrics.errors import MetricError
from ristra.core.metrics.results import SnapshotRef
from ristra.core.metrics.specs import MetricSpec
from ristra.core.plan import (
    Measure,
    MeasureStatus,
    ParentItem,
    Plan,
    Point,
    Rollup,
    measure_status,
    plan_rollups,
    unmeasured_parent_items,
)
from ristra.core.plan.status import INSUFFICIENT
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Workspace
from ristra.stores.plans import PlanStore, PlanVersion, demo_plan_text


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as None (JSON has no NaN or infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class PlanStatus:
    """The live status of one plan version (see the module docstring)."""

    plan: Plan
    plan_version: int
    computed_at: str
    category_version: int
    snapshots: tuple[SnapshotRef, ...]
    measures: tuple[MeasureStatus, ...]
    rollups: tuple[Rollup, ...]
    unmeasured: tuple[ParentItem, ...]

    def measure(self, measure_id: str) -> MeasureStatus:
        for m in self.measures:
            if m.measure == measure_id:
                return m
        raise KeyError(f"no measure {measure_id!r}")

    def rollup(self, item_id: str) -> Rollup:
        for r in self.rollups:
            if r.item == item_id:
                return r
        raise KeyError(f"no goal or objective {item_id!r}")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json_safe(
            {
                "plan_id": self.plan.id,
                "plan_version": self.plan_version,
                "cycle": self.plan.cycle,
                "computed_at": self.computed_at,
                "category_version": self.category_version,
                "snapshots": [s.to_dict() for s in self.snapshots],
                "measures": [m.to_dict() for m in self.measures],
                "rollups": [r.to_dict() for r in self.rollups],
                "unmeasured_parent_items": [i.to_dict() for i in self.unmeasured],
            }
        )
        return data


class PlanService:
    """See the module docstring."""

    def __init__(self, workspace: Workspace, metrics: MetricsService | None = None) -> None:
        self.workspace = workspace
        self.metrics = metrics or MetricsService(workspace)
        self.store = PlanStore(workspace.root, categories=self._categories, clock=self._now)

    def _now(self) -> str:
        return self.workspace.settings.clock().isoformat(timespec="seconds")

    def _categories(self) -> tuple[int, tuple[str, ...]]:
        current = self.metrics.categories()
        return current.version, current.ids

    def close(self) -> None:
        self.metrics.close()

    # ------------------------------------------------------------------ documents

    def import_file(
        self, path: Any, reason: str, expected_version: int | None = None, author: str | None = None
    ) -> PlanVersion:
        return self.store.import_file(path, author or self.workspace.settings.user, reason, expected_version)

    def import_text(
        self, text: str, reason: str, expected_version: int | None = None, author: str | None = None
    ) -> PlanVersion:
        return self.store.import_text(text, author or self.workspace.settings.user, reason, expected_version)

    def import_demo(self, reason: str, expected_version: int | None = None, author: str | None = None) -> PlanVersion:
        """Store the synthetic school's demo plan as a new version (see :meth:`import_text`)."""
        return self.import_text(demo_plan_text(), reason, expected_version, author)

    def export_yaml(self, plan_id: str, version: int | None = None) -> str:
        return self.store.export_yaml(plan_id, version)

    # ------------------------------------------------------------------ computing

    def series(self, plan: Plan) -> dict[str, tuple[tuple[Point, ...], str | None]]:
        """Each measure's yearly series and, when the engine could not compute it, why."""
        wanted: list[tuple[Measure, tuple[MetricSpec, ...]]] = []
        out: dict[str, tuple[tuple[Point, ...], str | None]] = {}
        for m in plan.measures:
            if m.metric.kind == "entered":
                out[m.id] = (m.entered, None)
            else:
                wanted.append((m, m.metric.specs(m.series_years)))
        try:
            results = self.metrics.compute_many([s for _, specs in wanted for s in specs])
        except MetricError:
            results = None  # one measure's data are missing: compute the measures one by one
        start = 0
        for m, specs in wanted:
            try:
                mine = (
                    results[start : start + len(specs)]
                    if results is not None
                    else self.metrics.compute_many(specs)
                )
                out[m.id] = (m.metric.points(mine, m.series_years), None)
            except MetricError as err:
                out[m.id] = ((), str(err))
            start += len(specs)
        return out

    def status(self, plan_id: str, version: int | None = None) -> PlanStatus:
        """The live status of the plan (its current version unless ``version``)."""
        stored = self.store.get(plan_id, version) if version is not None else self.store.require(plan_id)
        plan = stored.plan
        categories = self.metrics.categories()
        files = self.metrics.current_files()
        series = self.series(plan)
        statuses = []
        for m in plan.measures:
            points, error = series[m.id]
            found = measure_status(m, points)
            if error is not None:
                found = MeasureStatus(m.id, INSUFFICIENT, error, None, None, (), None, None, None, None)
            statuses.append(found)
        by_id = {s.measure: s for s in statuses}
        return PlanStatus(
            plan,
            stored.version,
            self._now(),
            categories.version,
            tuple(f.ref for _, f in sorted(files.items())),
            tuple(statuses),
            plan_rollups(plan, by_id),
            unmeasured_parent_items(plan, self.store.catalogue),
        )

    def close_cycle(
        self, plan_id: str, cycle: str | None = None, reason: str = "", author: str | None = None
    ) -> dict[str, Any]:
        """Freeze the statuses of ``cycle`` (the plan's own cycle by default) with their inputs."""
        live = self.status(plan_id)
        name = cycle or live.plan.cycle
        record = {
            "cycle": name,
            "closed_at": self._now(),
            "closed_by": author or self.workspace.settings.user,
            "reason": reason,
            **live.to_dict(),
        }
        record["cycle"] = name
        self.store.write_cycle(plan_id, name, record)
        return record

    def cycles(self, plan_id: str) -> tuple[dict[str, Any], ...]:
        """The closed cycles of the plan, oldest first: the history of its statuses."""
        self.store.require(plan_id)
        return self.store.cycles(plan_id)

    def update_action(
        self,
        plan_id: str,
        action_id: str,
        update: dict[str, Any],
        expected_version: int,
        author: str | None = None,
    ) -> PlanVersion:
        """A new plan version with ``update`` (date, note, optional status and evidence) added to
        the action's updates, and the action's status set to the update's status when it has one.
        Refused like any edit when the plan changed since ``expected_version``
        (:class:`~ristra.stores.plans.StalePlanError`) or the update is not valid
        (:class:`~ristra.core.plan.PlanFileError`, naming the field)."""
        current = self.store.require(plan_id)
        document = current.plan.to_dict()
        action = next((a for a in document["actions"] if a["id"] == action_id), None)
        if action is None:
            raise KeyError(f"no action {action_id!r} in plan {plan_id}")
        action.setdefault("updates", []).append(update)
        if update.get("status"):
            action["status"] = update["status"]
        who = author or self.workspace.settings.user
        return self.store.save(document, who, f"update of action {action_id}", expected_version)
