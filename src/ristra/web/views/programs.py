"""Pipeline programs: the registry and each program's participation (a coordinator sees only
the programs they run)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ristra.core import program_evidence as evaluation
from ristra.core.disclosure import INTERNAL
from ristra.services import charts
from ristra.services import programs as program_service
from ristra.web import audit
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import programs_of, role_of
from ristra.web.roles import PROGRAM_STAFF, Role
from ristra.web.runtime import workspace


def visible_programs(request: HttpRequest) -> tuple[program_service.Program, ...]:
    """All programs for analysts and administrators; a coordinator's own programs only."""
    only = programs_of(request.user) if role_of(request.user) is Role.COORDINATOR else None
    return program_service.programs(workspace(), only)


def roster_for(program: program_service.Program) -> program_service.ProgramRoster:
    """The program's participation from the internal publication (program staff know their
    participants), waiting for it as the dashboard does."""
    from django.conf import settings

    from ristra.web.publishing import audit_entry, flush

    wait = float(getattr(settings, "RISTRA_PUBLICATION_WAIT", 1.0))
    result = program_service.roster(workspace(), program, INTERNAL, wait=wait, audit_log=audit_entry)
    flush()
    return result


def evidence_for(program: program_service.Program, result: program_service.ProgramRoster
                 ) -> evaluation.ProgramEvidence | None:
    """The program's linkage-quality and comparison figures from the same internal publication
    as its tables (:mod:`ristra.core.program_evidence`); ``None`` until it is ready."""
    from ristra.core.linkage_decisions import labels_from_decisions
    from ristra.services import publication
    from ristra.services.linkage import LinkageService

    if result.state != "ready":
        return None
    served = publication.current(workspace(), INTERNAL).publication
    if served is None:
        return None
    labelled = bool(labels_from_decisions(LinkageService(workspace()).decisions()))
    return evaluation.evidence(program.program_id, served.tables, INTERNAL.threshold,
                               outcomes_key=result.outcomes.key if result.outcomes is not None
                               else f"{publication.DASHBOARD}/outcomes-{program.program_id}",
                               clerical_sample=labelled)


@allow(PROGRAM_STAFF)
def programs_page(request: HttpRequest) -> HttpResponse:
    return render(request, "ristra/programs.html", {"programs": visible_programs(request)})


@allow(PROGRAM_STAFF)
def program_detail(request: HttpRequest, program_id: str) -> HttpResponse:
    """One program's participation: a slice of the internal publication; every view is written to
    the audit log."""
    program = next((p for p in visible_programs(request) if p.program_id == program_id), None)
    if program is None:
        raise Http404("no such program among yours")
    result = roster_for(program)
    audit.record(request, AuditEvent.INTERNAL_VIEW, f"program {program_id}", snapshots=result.snapshots,
                 detail={"page": "program", "threshold": INTERNAL.threshold})
    chart = charts.table_chart(result.participation, "bar", x="row") if result.participation else None
    return render(request, "ristra/program_detail.html",
                  {"result": result, "chart": chart, "evidence": evidence_for(program, result)})
