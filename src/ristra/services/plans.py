"""Plan use cases: import and export plans, compute every measure from the current snapshots,
their statuses and roll-ups, and close a cycle.

Contract
--------
* :class:`PlanService` computes a measure's series through the metrics service
  (:class:`~ristra.services.metrics.MetricsService`), one shared computation for all the
  measures of a plan (the metrics it binds to are specifications of the engine, never
  re-implemented); an entered measure's series is its typed values, marked as entered. A
  ``pipeline-yield`` measure's series is read from the program outcomes through the linkage in
  force (:func:`ristra.services.program_outcomes.outcomes`, computed once for all such measures;
  :mod:`ristra.core.plan.pipeline_yield`): with no link run it is empty and the status is
  "insufficient data" saying the rosters are not linked, never a zero.
* :meth:`PlanService.status` gives a :class:`PlanStatus`: each measure's
  :class:`~ristra.core.plan.MeasureStatus`, the roll-up of every objective and goal (a failing
  measure is never hidden), the parent items no measure reaches, and the snapshots and category
  version the numbers came from. A measure the engine cannot compute (no data imported yet) is
  "insufficient data" with the engine's message as its reason.
* :meth:`PlanService.released` gives a :class:`ReleasedPlanStatus`: the statuses anyone may read,
  from the plan scorecard of one audience's protected publication
  (:attr:`~ristra.services.publication.Publication.scorecards`), each computed from released
  counts only or withheld with them. :meth:`PlanService.status` (the live, unreleased values) is
  an analyst's working view and never leaves the command line unmarked.
* :meth:`PlanService.close_cycle` freezes the *released* statuses of one cycle, for every audience
  (each from its own publication, with its snapshot ids, category version, threshold and the plan
  version), once (a closed cycle never changes); new imports change the current statuses, never a
  closed cycle. :func:`cycle_history` reads them back for one audience: the history of statuses
  across cycles that the pages, the API and ``ristra plan status --history`` show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
from ristra.core.plan.bindings import LINKED_KINDS
from ristra.core.plan.pipeline_yield import NO_PARTICIPANTS, NOT_LINKED, live_points
from ristra.core.plan.status import INSUFFICIENT, STATUS_LABELS
from ristra.reports.scorecard import ScorecardStatus, scorecard_id
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Workspace
from ristra.stores.evidence import ALLOWED_TYPES as ALLOWED_TYPES  # re-exported: the plan pages name them
from ristra.stores.evidence import MAX_BYTES as MAX_BYTES
from ristra.stores.evidence import EvidenceNotFound as EvidenceNotFound
from ristra.stores.evidence import EvidenceRefused as EvidenceRefused
from ristra.stores.evidence import EvidenceStore
from ristra.stores.plans import PlanStore as PlanStore  # re-exported: the plan pages name it
from ristra.stores.plans import PlanVersion as PlanVersion
from ristra.stores.plans import StalePlanError, demo_plan_text

#: the audiences a closed cycle freezes statuses for (each from its own publication)
AUDIENCES = ("public", "internal")


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


@dataclass(frozen=True)
class ReleasedPlanStatus:
    """The statuses of one plan from one audience's protected publication (module docstring)."""

    plan: Plan
    plan_version: int
    audience: str
    threshold: int
    publication: str
    built_at: str
    category_version: int
    snapshots: tuple[tuple[str, str], ...]
    card: ScorecardStatus
    unmeasured: tuple[ParentItem, ...]

    @property
    def measures(self) -> tuple[MeasureStatus, ...]:
        return self.card.measures

    @property
    def rollups(self) -> tuple[Rollup, ...]:
        return self.card.rollups

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json_safe({
            **self.card.to_dict(), "plan_version": self.plan_version, "audience": self.audience,
            "threshold": self.threshold, "publication": self.publication, "built_at": self.built_at,
            "category_version": self.category_version,
            "snapshots": [{"dataset": d, "snapshot_id": s} for d, s in self.snapshots],
            "unmeasured_parent_items": [i.to_dict() for i in self.unmeasured]})
        return data


@dataclass(frozen=True)
class ClosedStatus:
    """One measure's status frozen in one closed cycle, for one audience: what it was, its latest
    value, and the snapshots, category version and plan version it came from."""

    cycle: str
    closed_at: str
    closed_by: str
    measure: str
    status: str
    label: str
    year: int | None
    value: float | None
    lower: float | None
    upper: float | None
    snapshots: tuple[tuple[str, str], ...]
    category_version: int | None
    plan_version: int | None
    threshold: int | None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json_safe({
            "cycle": self.cycle, "closed_at": self.closed_at, "closed_by": self.closed_by, "measure": self.measure,
            "status": self.status, "label": self.label, "year": self.year, "value": self.value,
            "lower": self.lower, "upper": self.upper,
            "snapshots": [{"dataset": d, "snapshot_id": s} for d, s in self.snapshots],
            "category_version": self.category_version, "plan_version": self.plan_version,
            "threshold": self.threshold})
        return data


def cycle_history(workspace: Workspace, plan_id: str, audience: str,
                  measure_id: str | None = None) -> tuple[ClosedStatus, ...]:
    """The statuses frozen for ``audience`` in every closed cycle of the plan (oldest first), of
    every measure or of ``measure_id``. A cycle closed before statuses were frozen per audience
    (it holds unreleased values) has nothing for any audience and is left out."""
    out = []
    for record in workspace.plans.cycles(plan_id):
        frozen = (record.get("audiences") or {}).get(audience)
        if not isinstance(frozen, dict):
            continue
        snapshots = tuple((str(s["dataset"]), str(s["snapshot_id"])) for s in frozen.get("snapshots", ()))
        for m in frozen.get("measures", ()):
            if measure_id is not None and m.get("measure") != measure_id:
                continue
            latest = m.get("latest") or {}
            out.append(ClosedStatus(
                str(record.get("cycle")), str(record.get("closed_at")), str(record.get("closed_by", "")),
                str(m.get("measure")), str(m.get("status")),
                str(m.get("label") or STATUS_LABELS.get(str(m.get("status")), m.get("status"))),
                latest.get("year"), latest.get("value"), latest.get("lower"), latest.get("upper"), snapshots,
                frozen.get("category_version"), frozen.get("plan_version"), frozen.get("threshold")))
    return tuple(out)


def referenced_evidence(plan: Plan) -> set[tuple[str, str]]:
    """The ``(sha256, name)`` of every evidence file the plan's action updates name."""
    return {(e.sha256, e.name) for a in plan.actions for u in a.updates for e in u.evidence if e.kind == "file"}


def evidence_file(workspace: Workspace, plan_id: str, sha256: str, name: str) -> tuple[bytes, str]:
    """The bytes and content type of an evidence file that the plan's current version names
    (:class:`~ristra.stores.evidence.EvidenceNotFound` for any other, stored or not)."""
    current = workspace.plans.require(plan_id)
    if (sha256, name) not in referenced_evidence(current.plan):
        raise EvidenceNotFound(f"no evidence file {name!r} in plan {plan_id}")
    return EvidenceStore(workspace.root).open(plan_id, sha256, name)


class PlanService:
    """See the module docstring."""

    def __init__(self, workspace: Workspace, metrics: MetricsService | None = None) -> None:
        self.workspace = workspace
        self.metrics = metrics or MetricsService(workspace)
        self.store = PlanStore(workspace.root, categories=self._categories, clock=self._now,
                               programs=self._programs)

    def _now(self) -> str:
        return self.workspace.settings.clock().isoformat(timespec="seconds")

    def _categories(self) -> tuple[int, tuple[str, ...]]:
        current = self.metrics.categories()
        return current.version, current.ids

    def _programs(self) -> tuple[str, ...] | None:
        """The program registry's ids (None when no registry has been imported)."""
        from ristra.services.programs import programs

        if self.workspace.snapshots.current("programs") is None:
            return None
        return tuple(p.program_id for p in programs(self.workspace))

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
        linked = [m for m in plan.measures if m.metric.kind in LINKED_KINDS]
        out.update(self._linked_series(linked))
        for m in plan.measures:
            if m.metric.kind == "entered":
                out[m.id] = (m.entered, None)
            elif m.metric.kind in LINKED_KINDS:
                continue
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

    def _linked_series(self, measures: Sequence[Measure]) -> dict[str, tuple[tuple[Point, ...], str | None]]:
        """The series of measures read from the program outcomes (:mod:`ristra.core.plan.pipeline_yield`)."""
        if not measures:
            return {}
        from ristra.core.linkage import LinkageInputError
        from ristra.services.program_outcomes import outcomes

        try:
            cohorts = outcomes(self.workspace).cohorts
        except LinkageInputError:
            return {m.id: ((), NOT_LINKED.format(program=m.metric.option("program"))) for m in measures}
        out: dict[str, tuple[tuple[Point, ...], str | None]] = {}
        for m in measures:
            program = str(m.metric.option("program"))
            mine = [c for c in cohorts if c.program_id == program]
            out[m.id] = ((live_points(program, mine, m.years), None) if mine
                         else ((), NO_PARTICIPANTS.format(program=program)))
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

    def released(self, plan_id: str, audience: str = "internal", threshold: int | None = None) -> ReleasedPlanStatus:
        """The plan's statuses from the protected publication of ``audience`` (built now if it is
        not built yet; :class:`~ristra.services.publication.PublicationError` when nothing can be
        published). Every value and status is computed from that publication's released counts."""
        from ristra.services import publication
        from ristra.services.reports import policy_for

        stored = self.store.require(plan_id)
        status = publication.current(self.workspace, policy_for(audience, threshold), wait=True)
        made = status.publication
        if made is None:
            raise publication.PublicationError(status.error or "the publication could not be made")
        card = made.scorecards.get(scorecard_id(plan_id))
        if card is None or card.plan_version != stored.version:
            raise publication.PublicationError(
                f"plan {plan_id} version {stored.version} is not in the {audience} publication; try again")
        return ReleasedPlanStatus(stored.plan, stored.version, made.audience, made.threshold, made.fingerprint,
                                  made.built_at, made.category_version, tuple(sorted(made.snapshots.items())),
                                  card.statuses(made.tables), unmeasured_parent_items(stored.plan, self.store.catalogue))

    def close_cycle(
        self, plan_id: str, cycle: str | None = None, reason: str = "", author: str | None = None
    ) -> dict[str, Any]:
        """Freeze the released statuses of ``cycle`` (the plan's own cycle by default) for every
        audience (:data:`AUDIENCES`), each with the publication, snapshots and category version it
        came from (see the module docstring)."""
        stored = self.store.require(plan_id)
        name = cycle or stored.plan.cycle
        if any(c.get("cycle") == name for c in self.store.cycles(plan_id)):
            raise StalePlanError(f"cycle {name} of plan {plan_id} is already closed; a closed cycle is never changed")
        frozen = {audience: self.released(plan_id, audience).to_dict() for audience in AUDIENCES}
        record = {
            "cycle": name,
            "plan_id": plan_id,
            "plan_version": stored.version,
            "closed_at": self._now(),
            "closed_by": author or self.workspace.settings.user,
            "reason": reason,
            "computed_from": "released counts",
            "audiences": frozen,
        }
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
        files: Sequence[tuple[str, bytes]] = (),
    ) -> PlanVersion:
        """A new plan version with ``update`` (date, note, optional status and evidence) added to
        the action's updates, and the action's status set to the update's status when it has one.
        ``files`` (name, bytes) are evidence files: each is checked first
        (:class:`~ristra.stores.evidence.EvidenceRefused` names what is wrong; nothing is stored),
        kept under the data directory and named in the update as ``file`` evidence.
        Refused like any edit when the plan changed since ``expected_version``
        (:class:`~ristra.stores.plans.StalePlanError`) or the update is not valid
        (:class:`~ristra.core.plan.PlanFileError`, naming the field)."""
        current = self.store.require(plan_id)
        document = current.plan.to_dict()
        action = next((a for a in document["actions"] if a["id"] == action_id), None)
        if action is None:
            raise KeyError(f"no action {action_id!r} in plan {plan_id}")
        stored = EvidenceStore(self.workspace.root)
        kept: list[tuple[str, str]] = []
        update = dict(update)
        evidence = [dict(e) for e in update.get("evidence", ())]
        for upload in files or ():  # every file checked before any is kept: a refusal stores nothing
            stored.check(*upload)
        try:
            for name, data in files or ():
                found, created = stored.put(plan_id, name, data)
                if created:
                    kept.append((found.sha256, found.name))
                evidence.append({"kind": "file", "name": found.name, "sha256": found.sha256})
            if evidence:
                update["evidence"] = evidence
            action.setdefault("updates", []).append(update)
            if update.get("status"):
                action["status"] = update["status"]
            who = author or self.workspace.settings.user
            return self.store.save(document, who, f"update of action {action_id}", expected_version)
        except BaseException:
            for sha256, name in kept:  # the update was refused: the files it brought go with it
                stored.discard(plan_id, sha256, name)
            raise
