"""The linkage review queue: the uncertain band of the link run in force and, per pair, the two
records side by side with a form to decide match / not a match / unsure.

Analysts and administrators review every program's pairs; a program coordinator only the pairs of
roster rows of the programs on their account (another program's pair answers 404, as a pair that
does not exist). The records are read by the linkage service (``review_pair``), never here; every
view of a pair and every decision is an audit event that names the pair by its ids only — names,
birth dates and e-mails never reach a URL, a log line, an error message or the audit log.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ristra.core.linkage import LinkageInputError
from ristra.core.linkage_decisions import DECISIONS
from ristra.services.linkage import LinkageService
from ristra.services.linkage_review import PairNotInQueue, decide, review_band, review_pair
from ristra.web import audit
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import programs_of, role_of
from ristra.web.roles import PROGRAM_STAFF, Role
from ristra.web.runtime import workspace, workspace_for


def _programs(request: HttpRequest) -> tuple[str, ...] | None:
    """The programs whose pairs the person may review: all (``None``) or a coordinator's own."""
    return programs_of(request.user) if role_of(request.user) is Role.COORDINATOR else None


def _target(roster_id: str, person_id: str) -> str:
    return f"review pair {roster_id}/{person_id}"


@allow(PROGRAM_STAFF)
def review_queue_page(request: HttpRequest) -> HttpResponse:
    """The uncertain band (ids, scores, the model's tier, decisions marked); ``?program=`` narrows it."""
    allowed = _programs(request)
    chosen = request.GET.get("program", "").strip()
    programs: tuple[str, ...] | None = allowed
    if chosen:
        programs = (chosen,) if allowed is None or chosen in allowed else ()
    try:
        band = review_band(LinkageService(workspace()), programs)
    except LinkageInputError as error:
        return render(request, "ristra/review_queue.html", {"band": None, "message": str(error), "chosen": chosen})
    return render(request, "ristra/review_queue.html", {"band": band, "chosen": chosen, "allowed": allowed})


@allow(PROGRAM_STAFF, change=PROGRAM_STAFF)
def review_pair_page(request: HttpRequest, roster_id: str, person_id: str) -> HttpResponse:
    """One pair side by side (GET; audited) and its decision (POST; recorded with who and when)."""
    allowed = _programs(request)
    status = 200
    if request.method == "POST":
        service = LinkageService(workspace_for(request.user.get_username()))
        try:
            made = decide(service, roster_id, person_id, request.POST.get("decision", ""), allowed)
        except PairNotInQueue:
            raise Http404("no such pair in your review queue") from None
        except LinkageInputError as error:
            messages.error(request, str(error))
            status = 400
        else:
            audit.record(request, AuditEvent.REVIEW_DECISION, _target(roster_id, person_id),
                         detail={"link": service.link_name, "decision": made.decision})
            messages.success(request, f"Recorded “{made.decision}” for this pair.")
            return redirect("review_queue")
    service = LinkageService(workspace())
    try:
        pair = review_pair(service, roster_id, person_id, allowed)
    except PairNotInQueue:
        raise Http404("no such pair in your review queue") from None
    except LinkageInputError:
        raise Http404("no link run yet") from None
    audit.record(request, AuditEvent.REVIEW_VIEW, _target(roster_id, person_id),
                 detail={"link": service.link_name, "run": pair.run_id, "program": pair.pair.program_id})
    return render(request, "ristra/review_pair.html", {"review": pair, "decisions": DECISIONS}, status=status)
