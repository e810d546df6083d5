"""The strategic plan's pages: the plan tree, the scorecard, a measure, editing and action updates.

Every number and status on these pages comes from the audience's protected publication
(:mod:`ristra.services.publication`): the scorecard's tables are part of it and each status is
computed from its released counts only (:meth:`ristra.reports.scorecard.Scorecard.statuses`);
nothing of the live, unreleased ``ristra plan status`` reaches a page. The plan document itself
(titles, owners, targets, action updates) holds no counts and is shown as stored.

Editing: admins and planners store a new version of the document (a YAML upload or the text,
with a reason; refused when someone saved since the form was opened, and with every problem's
line and field when the file is wrong). An action's owner — the person whose user name, full name
or e-mail is the action's ``owner`` — adds dated updates with a note, a link and a small evidence
file (:func:`apply_update`, shared with the API; the file is checked — type, size, not empty —
before anything is stored, kept under the data directory, and downloaded only by those who may
read the plan). Every change and every evidence download is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from ristra.core.plan import Action, Plan, PlanFileError
from ristra.core.plan.status import STATUS_LABELS
from ristra.services.charts import trend_chart
from ristra.services.errors import StalePlanError, UnknownPlanError
from ristra.services.plans import (
    ALLOWED_TYPES,
    MAX_BYTES,
    ClosedStatus,
    EvidenceNotFound,
    EvidenceRefused,
    PlanStore,
    PlanVersion,
    cycle_history,
    evidence_file,
)
from ristra.services.publication import Publication
from ristra.services.publication.scorecards import Scorecard, ScorecardStatus, scorecard_id, scorecard_view
from ristra.web import audit, plan_bodies
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import role_of
from ristra.web.roles import INTERNAL_ROLES, PLANNERS, READERS, role_policy
from ristra.web.runtime import workspace

ACTION_STATUSES = ("not_started", "in_progress", "done", "blocked", "dropped")
FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html"}


def _store() -> PlanStore:
    return workspace().plans


def _stored(plan_id: str) -> PlanVersion:
    try:
        return _store().require(plan_id)
    except UnknownPlanError:
        raise Http404(f"no plan {plan_id!r}") from None


def _identity(stored: PlanVersion) -> tuple[str, int, str]:
    """The stored version as a key of its rendered bodies: id, number and a digest of the
    document (two data directories served by one process may hold different plans of one id)."""
    return stored.plan_id, stored.version, hashlib.sha256(repr(stored.to_dict()).encode()).hexdigest()


def served(request: HttpRequest, plan_id: str, *,
           wait: float | None = None) -> tuple[Publication | None, Scorecard | None, str]:
    """The audience's publication and the plan's scorecard in it, or why there is none yet
    (waiting for it up to ``wait`` seconds, by default the setting ``RISTRA_PUBLICATION_WAIT``)."""
    from ristra.services import publication
    from ristra.web.publishing import audit_entry, flush

    ws = workspace()
    state = publication.in_force(ws)
    if not state[0]:
        return None, None, "No data has been imported yet, so the measures have no values."
    waited = float(getattr(settings, "RISTRA_PUBLICATION_WAIT", 5.0)) if wait is None else wait
    status = publication.current(ws, role_policy(role_of(request.user)), state=state, wait=waited,
                                 audit_log=audit_entry)
    flush()
    if status.publication is None:
        if status.state == "failed":
            return None, None, f"The figures for the current data could not be published: {status.error}"
        return None, None, "The figures for the current data are being prepared and protected; reload shortly."
    card = status.publication.scorecards.get(scorecard_id(plan_id))
    if card is None:
        return status.publication, None, "This plan is not in the publication yet; reload shortly."
    return status.publication, card, ""


def history_for(request: HttpRequest, plan_id: str, measure_id: str | None = None) -> tuple[ClosedStatus, ...]:
    """The statuses frozen in the plan's closed cycles for the audience of the person asking
    (public or internal: the same audience as the page's publication)."""
    return cycle_history(workspace(), plan_id, role_policy(role_of(request.user)).audience, measure_id)


def _internal_view(request: HttpRequest, what: str, made: Publication | None) -> None:
    if made is not None and role_of(request.user) in INTERNAL_ROLES:
        audit.record(request, AuditEvent.INTERNAL_VIEW, what, snapshots=dict(made.snapshots),
                     category_version=made.category_version, detail={"threshold": made.threshold})


def owns(user: Any, action: Action) -> bool:
    """Whether ``user`` is the action's owner (user name, full name or e-mail, any case)."""
    owner = action.owner.strip().casefold()
    names = {user.get_username(), user.get_full_name(), getattr(user, "email", "")}
    return bool(owner) and owner in {n.strip().casefold() for n in names if n and n.strip()}


def _may_edit(request: HttpRequest) -> bool:
    return role_of(request.user) in PLANNERS


def plan_value(plan: Plan, card: ScorecardStatus | None) -> dict[str, Any]:
    """The plan tree with each item's published status (None without a publication)."""
    measures = {m.measure: m for m in card.measures} if card else {}
    rollups = {r.item: r for r in card.rollups} if card else {}

    def measure(m: Any) -> dict[str, Any]:
        s = measures.get(m.id)
        return {"id": m.id, "title": m.title, "kind": m.metric.kind, "direction": m.direction,
                "target": m.target.to_dict(), "status": s.status if s else None, "label": s.label if s else None,
                "reason": s.reason if s else None}

    def item(kind: str, x: Any) -> dict[str, Any]:
        r = rollups.get(x.id)
        return {"id": x.id, "kind": kind, "title": x.title, "aligns_to": list(getattr(x, "aligns_to", ())),
                "status": r.status if r else None, "label": STATUS_LABELS.get(r.status) if r else None,
                "failing": list(r.failing) if r else [], "without_status": list(r.without_status) if r else [],
                "objectives": [item("objective", o) for o in plan.children(x.id)],
                "actions": [_with_downloads(plan.id, a.to_dict()) for a in plan.actions if a.parent == x.id],
                "measures": [measure(m) for m in plan.measures if m.parent == x.id]}

    return {"id": plan.id, "title": plan.title, "cycle": plan.cycle, "years": [plan.start_year, plan.end_year],
            "owner": plan.owner, "description": plan.description, "goals": [item("goal", g) for g in plan.goals]}


def _with_downloads(plan_id: str, action: dict[str, Any]) -> dict[str, Any]:
    """An action's dict with the download address of each evidence file its updates name."""
    for update in action.get("updates", ()):
        for e in update.get("evidence", ()):
            if e.get("kind") == "file" and re.fullmatch(r"[0-9a-f]{64}", str(e.get("sha256", ""))) \
                    and re.fullmatch(r"[A-Za-z0-9._-]+", str(e.get("name", ""))):
                e["download"] = reverse("plan_evidence", args=[plan_id, e["sha256"], e["name"]])
    return action


@allow(READERS, change=PLANNERS)
def plans_page(request: HttpRequest) -> HttpResponse:
    """The stored plans; POST (admins, planners): a new plan from a YAML upload."""
    store = _store()
    found = [store.current(pid) for pid in store.plan_ids()]
    context: dict[str, Any] = {"plans": [p for p in found if p is not None], "may_edit": _may_edit(request),
                               "based_on": 0, "text": "", "reason": ""}
    if request.method == "POST":
        return _save(request, context, "ristra/plan_list.html")
    return render(request, "ristra/plan_list.html", context)


@allow(READERS, change=READERS)
def plan_detail(request: HttpRequest, plan_id: str) -> HttpResponse:
    """The plan tree with every item's published status; POST: an action owner's update."""
    stored = _stored(plan_id)
    error, status = "", 200
    if request.method == "POST":  # the update first: a refused one is shown on the page as it was
        result = _update_action(request, stored)
        if isinstance(result, HttpResponse):
            return result
        error, status = result
    # a refused update is answered at once (the statuses show when the publication is ready)
    made, card, unavailable = served(request, plan_id, wait=0.0 if error else None)
    statuses = scorecard_view(card, made.tables, made.fingerprint).statuses if made is not None and card is not None else None
    may_edit = _may_edit(request)
    mine = [a.id for a in stored.plan.actions if may_edit or owns(request.user, a)]
    plan = plan_value(stored.plan, statuses)
    context: dict[str, Any] = {"stored": stored, "plan": plan, "unavailable": unavailable,
                               "may_edit": may_edit, "statuses": ACTION_STATUSES, "error": error,
                               "today": dt.date.today().isoformat(), "evidence_types": EVIDENCE_TYPES,
                               "evidence_mb": MAX_BYTES // (1024 * 1024),
                               "evidence_accept": ",".join(f".{k}" for k in ALLOWED_TYPES), "mine": mine}
    # a reader with no action to update sees a body that depends on the plan and publication only
    key = None if mine or error or made is None or card is None else (
        "tree", _identity(stored), card.plan_version, made.fingerprint, may_edit)
    body = plan_bodies.body(key, "ristra/plan_tree_body.html", lambda: context, request)
    return render(request, "ristra/plan_tree.html", {"plan": plan, "body": body}, status=status)


class UpdateRefused(Exception):
    """An action update that is refused: the message for the person, and the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


EVIDENCE_TYPES = ", ".join(k for k in ALLOWED_TYPES if k != "jpeg")


def apply_update(request: HttpRequest, stored: PlanVersion, action_id: str, fields: Mapping[str, str],
                 uploads: Sequence[Any] = ()) -> tuple[PlanVersion, dict[str, Any], int]:
    """Add one dated update to an action (the page's form and the API): ``fields`` has ``note``
    (required), ``date`` (YYYY-MM-DD, today by default), ``link`` (http or https), ``status`` and
    ``based_on`` (the version the edit was made from); ``uploads`` are evidence files. Only the
    action's owner, an admin or a planner may; the update is written to the audit log. Returns
    the new version, the update and the version it was based on; :class:`UpdateRefused` (400 bad
    input, 403 not theirs, 404 no such action, 409 stale) with nothing stored otherwise."""
    from ristra.services.plans import PlanService

    action = next((a for a in stored.plan.actions if a.id == action_id), None)
    if action is None:
        raise UpdateRefused(f"no action {action_id!r} in this plan", 404)
    if not (_may_edit(request) or owns(request.user, action)):
        raise UpdateRefused(f"only the owner of {action.id} ({action.owner}), an admin or a planner may update it", 403)
    note = str(fields.get("note", "") or "").strip()
    day = str(fields.get("date", "") or "").strip() or dt.date.today().isoformat()
    link = str(fields.get("link", "") or "").strip()
    new_status = str(fields.get("status", "") or "").strip()
    if not note:
        raise UpdateRefused("an update needs a note")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise UpdateRefused(f"the date {day!r} is not a date (YYYY-MM-DD)") from None
    if link and urlparse(link).scheme not in ("http", "https"):
        raise UpdateRefused("a link must start with http:// or https://")
    if new_status and new_status not in ACTION_STATUSES:
        raise UpdateRefused(f"unknown status {new_status!r}")
    try:
        based_on = int(str(fields.get("based_on", "") or stored.version))
    except ValueError:
        raise UpdateRefused("based_on must be the plan version the update was made from") from None
    files = []
    for upload in uploads:
        if upload.size is not None and upload.size > MAX_BYTES:  # refused before it is read
            raise UpdateRefused(f"the evidence file {upload.name!r} is {upload.size / 1024 / 1024:.1f} MB; the "
                                f"largest accepted is {MAX_BYTES / 1024 / 1024:.0f} MB")
        files.append((str(upload.name or ""), upload.read()))
    update: dict[str, Any] = {"date": day, "note": note, "author": request.user.get_username()}
    if new_status:
        update["status"] = new_status
    if link:
        update["evidence"] = [{"kind": "link", "href": link}]
    service = PlanService(workspace())
    try:
        saved = service.update_action(stored.plan_id, action.id, update, based_on, request.user.get_username(),
                                      files=files)
    except StalePlanError as error:
        raise UpdateRefused(str(error), 409) from None
    except PlanFileError as error:
        raise UpdateRefused("; ".join(str(p) for p in error.problems)) from None
    except (EvidenceRefused, ValueError) as error:
        raise UpdateRefused(str(error)) from None
    finally:
        service.close()
    done = next(a for a in saved.plan.actions if a.id == action.id).updates[-1].to_dict()
    audit.record(request, AuditEvent.PLAN_ACTION_UPDATE, f"plan {saved.plan_id} action {action.id}",
                 detail={"plan_version": saved.version, "from_version": based_on, "update": done})
    return saved, done, based_on


def _update_action(request: HttpRequest, stored: PlanVersion) -> HttpResponse | tuple[str, int]:
    action_id = request.POST.get("action", "")
    try:
        saved, _, _ = apply_update(request, stored, action_id, request.POST,
                                   [f for f in request.FILES.getlist("evidence_file") if f.name])
    except UpdateRefused as refused:
        if refused.status == 403:
            return render(request, "ristra/denied.html", {"reason": str(refused)}, status=403)
        return str(refused), 400 if refused.status == 404 else refused.status
    return HttpResponseRedirect(reverse("plan_detail", args=[saved.plan_id]) + f"#{action_id}")


@allow(READERS)
def plan_evidence(request: HttpRequest, plan_id: str, sha256: str, name: str) -> HttpResponse:
    """An evidence file the plan's current version names, for those who may read the plan (audited)."""
    _stored(plan_id)
    try:
        data, content_type = evidence_file(workspace(), plan_id, sha256, name)
    except EvidenceNotFound:
        raise Http404(f"no evidence file {name!r}") from None
    audit.record(request, AuditEvent.EXPORT, f"plan {plan_id} evidence {name}",
                 detail={"sha256": sha256, "size": len(data)})
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def scorecard_value(card: Scorecard, made: Publication) -> dict[str, Any]:
    """The scorecard for the API: statuses from the released counts, with the publication's provenance."""
    return {**scorecard_view(card, made.tables, made.fingerprint).statuses.to_dict(), "plan_version": card.plan_version, "audience": made.audience,
            "threshold": made.threshold, "snapshots": dict(made.snapshots),
            "category_version": made.category_version, "publication": made.fingerprint}


@allow(READERS)
def plan_scorecard(request: HttpRequest, plan_id: str) -> HttpResponse:
    stored = _stored(plan_id)
    made, card, unavailable = served(request, plan_id)

    def context() -> dict[str, Any]:
        rows = []
        if made is not None and card is not None:
            view = scorecard_view(card, made.tables, made.fingerprint)
            statuses = view.statuses
            for m in stored.plan.measures:
                s = statuses.measure(m.id)
                table = view.trends.get(m.id)
                rows.append({"measure": m, "status": s, "latest": s.points[-1] if s.points else None,
                             "chart": trend_chart(table, m, small=True) if table is not None else None,
                             "suppressed": statuses.suppressed_years.get(m.id, ())})
        return {"stored": stored, "rows": rows, "unavailable": unavailable, "publication": made,
                "formats": tuple(FORMATS)}

    key = None if made is None or card is None else (
        "scorecard", _identity(stored), card.plan_version, made.fingerprint)
    if made is not None and card is not None:
        _internal_view(request, f"plan scorecard {plan_id}", made)
    return render(request, "ristra/plan_scorecard.html",
                  {"stored": stored, "body": plan_bodies.body(key, "ristra/plan_scorecard_body.html", context, request),
                   "history": history_for(request, plan_id),
                   "history_audience": role_policy(role_of(request.user)).audience})


@allow(READERS)
def plan_measure(request: HttpRequest, plan_id: str, measure_id: str) -> HttpResponse:
    stored = _stored(plan_id)
    try:
        measure = stored.plan.measure(measure_id)
    except KeyError:
        raise Http404(f"no measure {measure_id!r}") from None
    made, card, unavailable = served(request, plan_id)

    def context() -> dict[str, Any]:
        found: dict[str, Any] = {"stored": stored, "measure": measure, "unavailable": unavailable}
        if made is not None and card is not None:
            view = scorecard_view(card, made.tables, made.fingerprint)
            statuses = view.statuses
            status = statuses.measure(measure_id)
            table = view.trends.get(measure_id)
            found.update(status=status, table=table, suppressed=statuses.suppressed_years.get(measure_id, ()),
                         chart=trend_chart(table, measure, status.projection) if table is not None else None,
                         publication=made)
        return found

    key = None if made is None or card is None else (
        "measure", _identity(stored), card.plan_version, made.fingerprint, measure_id)
    if made is not None and card is not None:
        _internal_view(request, f"plan measure {plan_id}/{measure_id}", made)
    return render(request, "ristra/plan_measure.html",
                  {"measure": measure, "body": plan_bodies.body(key, "ristra/plan_measure_body.html", context, request),
                   "history": history_for(request, plan_id, measure_id),
                   "history_audience": role_policy(role_of(request.user)).audience})


@allow(READERS)
def scorecard_download(request: HttpRequest, plan_id: str, file_format: str) -> HttpResponse:
    """The scorecard as a report file (DOCX, XLSX or HTML) of the audience's publication."""
    from ristra.services.reports import render as render_report

    if file_format not in FORMATS:
        raise Http404(f"no format {file_format!r}")
    _stored(plan_id)
    made, card, unavailable = served(request, plan_id)
    if made is None or card is None:
        return render(request, "ristra/error.html", {"message": unavailable}, status=503)
    document = made.documents[card.template.id]
    audit.record(request, AuditEvent.EXPORT, f"plan scorecard {plan_id} ({file_format})",
                 snapshots=dict(made.snapshots), category_version=made.category_version,
                 detail={"audience": made.audience, "threshold": made.threshold, "publication": made.fingerprint})
    response = HttpResponse(render_report(document, file_format), content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="scorecard-{plan_id}.{file_format}"'
    return response


@allow(PLANNERS, change=PLANNERS)
def plan_edit(request: HttpRequest, plan_id: str) -> HttpResponse:
    """GET: the current document to edit; POST: a new version (see the module docstring)."""
    stored = _stored(plan_id)
    context: dict[str, Any] = {"stored": stored, "based_on": stored.version, "reason": "",
                               "text": _store().export_yaml(plan_id)}
    if request.method == "POST":
        return _save(request, context, "ristra/plan_edit.html", plan_id)
    return render(request, "ristra/plan_edit.html", context)


def document_id(text: str) -> str | None:
    """The plan id a YAML document names (None when it cannot be read; the import says why)."""
    import yaml

    try:
        head = (yaml.safe_load(text) or {}).get("plan")
    except (yaml.YAMLError, AttributeError):
        return None
    return str(head.get("id")) if isinstance(head, dict) and head.get("id") is not None else None


def _save(request: HttpRequest, context: dict[str, Any], template: str, plan_id: str | None = None) -> HttpResponse:
    from ristra.services.plans import PlanService

    upload = request.FILES.get("plan_file")
    text = upload.read().decode("utf-8", errors="replace") if upload is not None else request.POST.get("document", "")
    reason = request.POST.get("reason", "").strip()
    context.update(text=text, reason=reason)
    try:
        based_on = int(request.POST.get("based_on", ""))
    except ValueError:
        context["error"] = "the form lost the version it was based on; reload the page"
        return render(request, template, context, status=400)
    context["based_on"] = based_on
    named = document_id(text)
    if plan_id is not None and named is not None and named != plan_id:
        context["error"] = f"this page edits plan {plan_id}, but the document is plan {named}; add it on the plans page"
        return render(request, template, context, status=400)
    service = PlanService(workspace())
    status = 200
    try:
        saved = service.import_text(text, reason, based_on, request.user.get_username())
    except StalePlanError as error:
        context["error"], status = str(error), 409
    except PlanFileError as error:
        context["problems"], status = error.problems, 400
    except (ValueError, UnknownPlanError) as error:
        context["error"], status = str(error), 400
    else:
        audit.record(request, AuditEvent.PLAN_CHANGE, f"plan {saved.plan_id} version {saved.version}",
                     detail={"plan_version": saved.version, "from_version": based_on, "reason": saved.reason})
        return HttpResponseRedirect(reverse("plan_detail", args=[saved.plan_id]))
    finally:
        service.close()
    return render(request, template, context, status=status)
