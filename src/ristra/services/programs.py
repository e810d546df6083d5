"""Pipeline programs for the programs pages and the API: the registry (names, partners,
audience) and, per program, its participants by year and completion and their outcomes by cohort
through the linkage (``dashboard/outcomes-<id>``) — a slice of the audience's
protected publication (:mod:`ristra.services.publication`), never a release of its own, so a
program's page, the LCME pipeline table and every other table are protected together.

Linkage fields of participants (names, birth dates, e-mails) are never read here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ristra.core.disclosure import Policy, ReleasedTable
from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.plans import Ask
from ristra.core.metrics.results import SnapshotRef
from ristra.core.metrics.sql.source import dataset_source
from ristra.reports.program_outcomes import outcomes_key
from ristra.reports.programs import PROGRAM_ID, roster_key
from ristra.services import publication
from ristra.services.publication import AuditLog
from ristra.services.workspace import Workspace

_REGISTRY = ("name", "kind", "partners", "audience_level", "start_year", "end_year")


@dataclass(frozen=True)
class Program:
    """One program of the registry."""

    program_id: str
    name: str
    kind: str
    partners: str
    audience_level: str
    start_year: int
    end_year: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "name": self.name, "kind": self.kind, "partners": self.partners,
                "audience_level": self.audience_level, "start_year": self.start_year, "end_year": self.end_year}


@dataclass(frozen=True)
class ProgramRoster:
    """One program with its participation table and its participants' outcomes by cohort from the
    publication (``None`` when it has no participants — or, for the outcomes, no link run of the
    rosters to the applications yet: ``outcomes_note`` says so — or while the publication is
    ``preparing``, or when it ``failed``: then ``message`` says so). Both tables are released
    tables of the audience's publication, never unreleased counts."""

    program: Program
    participation: ReleasedTable | None
    snapshots: dict[str, str] = field(default_factory=dict)
    state: str = "ready"
    message: str = ""
    outcomes: ReleasedTable | None = None
    outcomes_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"program": self.program.to_dict(), "state": self.state, "message": self.message or None,
                "participation": self.participation.to_dict() if self.participation else None,
                "outcomes": self.outcomes.to_dict() if self.outcomes else None,
                "outcomes_note": self.outcomes_note or None, "snapshots": self.snapshots}

    def outcomes_dict(self) -> dict[str, Any]:
        """The program's released outcomes table only (the API's ``/programs/{id}/outcomes``)."""
        return {"program": self.program.to_dict(), "state": self.state, "message": self.message or None,
                "outcomes": self.outcomes.to_dict() if self.outcomes else None,
                "outcomes_note": self.outcomes_note or None, "snapshots": self.snapshots}


def programs(workspace: Workspace, only: Iterable[str] | None = None) -> tuple[Program, ...]:
    """The program registry (all programs, or only the ids in ``only``), by id, read through the
    metrics engine from the current ``programs`` snapshot."""
    from ristra.engine import open_engine

    manifest = workspace.snapshots.current("programs")
    wanted = None if only is None else set(only)
    if manifest is None or wanted == set():
        return ()
    ask = Ask(dataset_source("programs"), (PROGRAM_ID, *(grouping_column("programs", c) for c in _REGISTRY)))
    from ristra.engine import SnapshotFile

    registry = SnapshotFile(SnapshotRef("programs", manifest.snapshot_id, manifest.row_count),
                            workspace.snapshots.path(manifest), {})
    engine = open_engine(workspace.settings.engine, {"programs": registry},
                         memory_limit=workspace.settings.memory_limit)
    try:
        rows = sorted(engine.answer([ask]).table(ask), key=lambda key: str(key[0]))
    finally:
        engine.close()
    found = []
    for program_id, name, kind, partners, audience, start, end in rows:
        if program_id is None or (wanted is not None and str(program_id) not in wanted):
            continue
        found.append(Program(str(program_id), str(name), str(kind), str(partners or ""), str(audience),
                             int(str(start)), None if end is None else int(str(end))))
    return tuple(found)


def roster(workspace: Workspace, program: Program, policy: Policy, *, wait: bool | float = True,
           audit_log: AuditLog | None = None) -> ProgramRoster:
    """``program``'s participants by year and completion, from the publication of ``policy``'s
    audience for the snapshots in force (built if needed; ``wait`` as for
    :func:`ristra.services.publication.current`)."""
    status = publication.current(workspace, policy, wait=wait, audit_log=audit_log)
    if status.publication is None:
        if status.state == "failed":
            return ProgramRoster(program, None, state="failed",
                                 message=f"The figures for the current data could not be published: {status.error}")
        return ProgramRoster(program, None, state="preparing",
                             message="The figures for the current data are being prepared and protected.")
    served = status.publication
    snapshots = {k: v for k, v in served.snapshots.items() if k in ("programs", "participants", "applications")}
    outcomes = served.table(f"{publication.DASHBOARD}/{outcomes_key(program.program_id)}")
    note = "" if outcomes is not None else (
        "No outcomes yet: the participant rosters have not been linked to the applications (`ristra link run`), "
        "no applications have been imported, or this program's rosters hold no participant the link run read.")
    return ProgramRoster(program, served.table(f"{publication.DASHBOARD}/{roster_key(program.program_id)}"), snapshots,
                         outcomes=outcomes, outcomes_note=note)
