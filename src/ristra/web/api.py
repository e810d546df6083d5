"""The JSON API (django-ninja) with its OpenAPI document at ``/api/openapi.json`` and
``/api/docs``: the same values as the pages, the same access rules (each operation's
:class:`~ristra.web.access.RoleGate`) and the same audit. Scripts authenticate with an API
token (``Authorization: Bearer …``); a browser session works too, with its CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver
from ninja import File, Form, NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from ristra.core.categories import CategoryFileError, changes
from ristra.core.datasets import UnknownDataset
from ristra.core.plan import PlanFileError
from ristra.services import category_editing
from ristra.services import imports as import_service
from ristra.services.errors import SnapshotError, StalePlanError, StaleVersionError, UnknownPlanError
from ristra.services.programs import Program, ProgramRoster
from ristra.services.publication.scorecards import scorecard_view
from ristra.web import audit, import_flow, publishing, report_generation
from ristra.web.access import RoleGate, allow
from ristra.web.in_force import overview, snapshots_in_force
from ristra.web.models import AuditEvent, ImportJob
from ristra.web.people import PersonError, create_person, describe, parse_role, role_of, signed_in
from ristra.web.roles import ADMINS, ANALYSTS, PLANNERS, PROGRAM_STAFF, READERS, SIGNED_IN, role_policy
from ristra.web.runtime import workspace, workspace_for
from ristra.web.snapshot_history import history
from ristra.web.views import dashboard as dashboard_view
from ristra.web.views import imports as import_views
from ristra.web.views import plans as plan_views
from ristra.web.views import programs as program_views
from ristra.web.views import reports as report_views

api = NinjaAPI(title="ristra", version="1", urls_namespace="api", docs_decorator=allow(SIGNED_IN),
               description=__doc__ or "")
Json = dict[str, Any]


class CategoryEdit(Schema):
    definitions: str
    based_on: int
    reason: str = ""


class Rollback(Schema):
    snapshot_id: str


class ReportRequest(Schema):
    template: str
    audience: str = "public"
    format: str = "html"


class NewPerson(Schema):
    name: str
    role: str
    password: str | None = None
    programs: list[str] = []


@api.get("/me", auth=RoleGate(SIGNED_IN), response=Json, tags=["account"])
def me(request: HttpRequest) -> Json:
    return describe(signed_in(request.user))


@api.get("/overview", auth=RoleGate(SIGNED_IN), response=Json, tags=["data"])
def data_overview(request: HttpRequest) -> Json:
    return overview(workspace()).to_dict()


@api.get("/dashboard", auth=RoleGate(READERS), response=Json, tags=["dashboard"])
def dashboard(request: HttpRequest, category: str = "", year: str = "", program: str = "",
              department: str = "") -> Json:
    """The dashboard for your role: slices of your audience's protected publication (public or
    internal threshold); filters as on the page. ``state`` is ``preparing`` while the
    publication of new data is being protected, ``failed`` when it could not be."""
    return dashboard_view.dashboard_for(request).to_dict()


@api.get("/programs", auth=RoleGate(PROGRAM_STAFF), response=list[Json], tags=["programs"])
def programs(request: HttpRequest) -> list[Json]:
    return [p.to_dict() for p in program_views.visible_programs(request)]


def _program_served(request: HttpRequest, program_id: str, page: str) -> tuple[Program, ProgramRoster]:
    """The caller's program ``program_id`` and its slice of the internal publication, the view
    written to the audit log (404 for a program not among the caller's)."""
    from ristra.core.disclosure import INTERNAL

    found = next((p for p in program_views.visible_programs(request) if p.program_id == program_id), None)
    if found is None:
        raise HttpError(404, "no such program among yours")
    result = program_views.roster_for(found)
    audit.record(request, AuditEvent.INTERNAL_VIEW, f"program {program_id}", snapshots=result.snapshots,
                 detail={"page": page, "threshold": INTERNAL.threshold})
    return found, result


@api.get("/programs/{program_id}", auth=RoleGate(PROGRAM_STAFF), response=Json, tags=["programs"])
def program(request: HttpRequest, program_id: str) -> Json:
    _, result = _program_served(request, program_id, "program")
    return result.to_dict()


@api.get("/programs/{program_id}/outcomes", auth=RoleGate(PROGRAM_STAFF), response=Json, tags=["programs"])
def program_outcomes(request: HttpRequest, program_id: str) -> Json:
    """The program's participants and outcomes by cohort: the released table of the publication."""
    _, result = _program_served(request, program_id, "program outcomes")
    return result.outcomes_dict()


@api.get("/programs/{program_id}/evaluation", auth=RoleGate(PROGRAM_STAFF), response=Json, tags=["programs"])
def program_evaluation(request: HttpRequest, program_id: str) -> Json:
    """The program's linkage quality and comparison with non-participants, as on its page: each
    figure's value, or ``withheld`` with the reason, and the publication cells it rests on."""
    found, result = _program_served(request, program_id, "program evaluation")
    made = program_views.evidence_for(found, result)
    return {"program": found.to_dict(), "state": result.state, "message": result.message or None,
            "evidence": made.to_dict() if made is not None else None}


@api.get("/imports", auth=RoleGate(ANALYSTS), response=list[Json], tags=["imports"])
def import_jobs(request: HttpRequest) -> list[Json]:
    return [job.to_dict() for job in ImportJob.objects.all()[:50]]


@api.post("/imports", auth=RoleGate(ANALYSTS, change=ANALYSTS), response={200: Json, 400: Json}, tags=["imports"])
def upload(request: HttpRequest, dataset: Form[str], file: File[UploadedFile],
           extract_start: Form[str] = "") -> Status[Json]:
    """Upload a file and validate it; returns the job with its validation report. ``extract_start``
    (``YYYY-MM-DD``, optional) declares the first day the extract covers (employees, employee_events:
    it opens the data window of retention and promotion); a bad or future date answers 400."""
    try:
        job = import_flow.stage(file, dataset, request.user.get_username(), extract_start)
    except import_flow.UploadRefused as refused:
        return Status(400, {"detail": str(refused)})
    import_flow.run(job, import_flow.validate, on_done=import_views.audit_hook(request))
    job.refresh_from_db()
    return Status(200, job.to_dict())


@api.get("/imports/{int:job_id}", auth=RoleGate(ANALYSTS), response=Json, tags=["imports"])
def import_job(request: HttpRequest, job_id: int) -> Json:
    return get_object_or_404(ImportJob, pk=job_id).to_dict()


@api.post("/imports/{int:job_id}/confirm", auth=RoleGate(ANALYSTS, change=ANALYSTS), response={200: Json, 409: Json},
          tags=["imports"])
def confirm_import(request: HttpRequest, job_id: int) -> Status[Json]:
    """Import a valid upload as a new snapshot; 409 when another import of the dataset is running."""
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.state not in (ImportJob.VALID, ImportJob.BUSY):
        return Status(409, {"detail": f"this upload is {job.state}; only a valid upload can be imported", **job.to_dict()})
    import_flow.run(job, import_flow.confirm, request.user.get_username(), on_done=import_views.audit_hook(request))
    job.refresh_from_db()
    return Status((409 if job.state == ImportJob.BUSY else 200), job.to_dict())


@api.post("/imports/{int:job_id}/validate", auth=RoleGate(ANALYSTS, change=ANALYSTS),
          response={200: Json, 409: Json}, tags=["imports"])
def validate_again(request: HttpRequest, job_id: int) -> Status[Json]:
    """Check a failed upload's kept file again (after the server stopped mid-job); 409 otherwise."""
    job = get_object_or_404(ImportJob, pk=job_id)
    if not import_flow.can_validate_again(job):
        return Status(409, {"detail": f"this upload is {job.state}; only a failed upload whose file is kept "
                                      "can be validated again", **job.to_dict()})
    import_flow.run(job, import_flow.validate, on_done=import_views.audit_hook(request))
    job.refresh_from_db()
    return Status(200, job.to_dict())


@api.get("/snapshots", auth=RoleGate(ANALYSTS), response=list[Json], tags=["imports"])
def snapshots(request: HttpRequest) -> list[Json]:
    return [h.to_dict() for h in history(workspace())]


@api.post("/snapshots/{dataset}/rollback", auth=RoleGate(ANALYSTS, change=ANALYSTS), response={200: Json, 409: Json},
          tags=["imports"])
def rollback(request: HttpRequest, dataset: str, body: Rollback) -> Status[Json]:
    try:
        manifest = import_service.rollback(workspace_for(request.user.get_username()), dataset, body.snapshot_id)
        from ristra.web import publishing

        publishing.start(workspace_for(request.user.get_username()))
    except (SnapshotError, UnknownDataset, ValueError) as error:
        return Status(409, {"detail": str(error).strip("'\"")})
    audit.record(request, AuditEvent.ROLLBACK, dataset, snapshots={dataset: manifest.snapshot_id})
    return Status(200, {"dataset": dataset, "snapshot_id": manifest.snapshot_id, "row_count": manifest.row_count})


@api.get("/categories", auth=RoleGate(READERS), response=Json, tags=["categories"])
def categories(request: HttpRequest) -> Json:
    versions = workspace().categories.versions()
    return {"current": versions[-1].to_dict(),
            "versions": [{"version": v.version, "author": v.author, "created_at": v.created_at, "reason": v.reason}
                         for v in reversed(versions)]}


@api.get("/categories/{int:version}", auth=RoleGate(READERS), response=Json, tags=["categories"])
def category_version(request: HttpRequest, version: int) -> Json:
    try:
        return workspace().categories.get(version).to_dict()
    except KeyError:
        raise HttpError(404, f"no category version {version}") from None


@api.post("/categories/preview", auth=RoleGate(ANALYSTS, change=ANALYSTS), response=Json, tags=["categories"])
def preview_categories(request: HttpRequest, body: CategoryEdit) -> Json:
    return category_editing.preview(workspace(), body.definitions, body.based_on).to_dict()


@api.post("/categories", auth=RoleGate(ANALYSTS, change=ANALYSTS), response={200: Json, 400: Json, 409: Json},
          tags=["categories"])
def save_categories(request: HttpRequest, body: CategoryEdit) -> Status[Json]:
    """Save a new version; 409 when it was edited from a version that is no longer current."""
    ws = workspace()
    store = ws.categories
    before = store.current()
    try:
        saved = category_editing.save(ws, body.definitions, request.user.get_username(), body.reason, body.based_on)
        publishing.start(ws)
    except StaleVersionError as error:
        return Status(409, {"detail": str(error)})
    except CategoryFileError as error:
        return Status(400, {"detail": "the definitions have problems", "problems": [p.to_dict() for p in error.problems]})
    except ValueError as error:
        return Status(400, {"detail": str(error)})
    audit.record(request, AuditEvent.CATEGORY_CHANGE, f"categories version {saved.version}",
                 snapshots=snapshots_in_force(ws), category_version=saved.version,
                 detail={"from_version": body.based_on, "reason": saved.reason, "changes": list(changes(before, saved))})
    return Status(200, saved.to_dict())


@api.get("/reports", auth=RoleGate(READERS), response=Json, tags=["reports"])
def reports(request: HttpRequest) -> Json:
    role = role_of(request.user)
    return {"choices": report_generation.choices(role).to_dict(),
            "history": [r.to_dict() for r in report_generation.visible_reports(role)[:50]]}


@api.post("/reports", auth=RoleGate(READERS, change=READERS), response={200: Json, 400: Json}, tags=["reports"])
def generate_report(request: HttpRequest, body: ReportRequest) -> Status[Json]:
    try:
        made = report_generation.generate(workspace(), role_of(request.user), request.user.get_username(),
                                            body.template, body.audience, body.format)
    except report_generation.ReportRefused as refused:
        return Status(400, {"detail": str(refused)})
    record = made.record
    audit.record(request, AuditEvent.REPORT, f"report {record.pk}: {record.template}", snapshots=record.snapshots,
                 category_version=record.category_version,
                 detail={"audience": record.audience, "format": record.file_format,
                         "suppression": made.release_audit or record.suppression})
    return Status(200, record.to_dict())


@api.get("/reports/{int:report_id}/download", auth=RoleGate(READERS), tags=["reports"])
def download_report(request: HttpRequest, report_id: int) -> FileResponse:
    record = report_generation.visible_reports(role_of(request.user)).filter(pk=report_id).first()
    if record is None or not Path(record.path).is_file():
        raise HttpError(404, "no such report")
    audit.record(request, AuditEvent.EXPORT, f"report {record.pk}: {record.template}", snapshots=record.snapshots,
                 category_version=record.category_version, detail={"audience": record.audience,
                                                                   "format": record.file_format})
    path = Path(record.path)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type=report_views.CONTENT_TYPES.get(record.file_format, "application/octet-stream"))


@api.get("/users", auth=RoleGate(ADMINS), response=list[Json], tags=["users"])
def users(request: HttpRequest) -> list[Json]:
    return [describe(u) for u in get_user_model().objects.select_related("ristra_profile").order_by("username")]


@api.post("/users", auth=RoleGate(ADMINS, change=ADMINS), response={200: Json, 400: Json}, tags=["users"])
def new_user(request: HttpRequest, body: NewPerson) -> Status[Json]:
    try:
        role = parse_role(body.role)
        person = create_person(body.name, role, body.password, body.programs)
    except PersonError as error:
        return Status(400, {"detail": str(error)})
    audit.record(request, AuditEvent.USER_CHANGE, f"user {body.name}", detail={"created": True, "role": role.value})
    return Status(200, describe(person))


@api.get("/audit", auth=RoleGate(ADMINS), response=list[Json], tags=["audit"])
def audit_log(request: HttpRequest, actor: str = "", action: str = "", target: str = "", since: str = "",
              until: str = "") -> list[Json]:
    where = audit.AuditFilter.from_query({"actor": actor, "action": action, "target": target, "since": since,
                                          "until": until})
    return [e.to_dict() for e in audit.search(where)]


def _plan(request: HttpRequest, plan_id: str) -> tuple[Any, Any, Any]:
    """The stored plan and, from the audience's publication, its scorecard (503 while none)."""
    try:
        stored = workspace().plans.require(plan_id)
    except UnknownPlanError as error:
        raise HttpError(404, str(error)) from None
    made, card, unavailable = plan_views.served(request, plan_id)
    return stored, made, (card, unavailable)


@api.get("/plans", auth=RoleGate(READERS), response=list[Json], tags=["plan"])
def plans(request: HttpRequest) -> list[Json]:
    store = workspace().plans
    found = [store.current(p) for p in store.plan_ids()]
    return [{"plan_id": p.plan_id, "title": p.plan.title, "cycle": p.plan.cycle, "version": p.version,
             "created_at": p.created_at, "author": p.author, "reason": p.reason} for p in found if p is not None]


@api.get("/plans/{plan_id}", auth=RoleGate(READERS), response=Json, tags=["plan"])
def plan(request: HttpRequest, plan_id: str) -> Json:
    """The plan tree (goals, objectives, actions with their updates, measures) with each item's
    status from your audience's publication (null while it is being prepared)."""
    stored, made, (card, unavailable) = _plan(request, plan_id)
    statuses = scorecard_view(card, made.tables, made.fingerprint).statuses if made is not None and card is not None else None
    return {"version": stored.version, "unavailable": unavailable or None,
            "plan": plan_views.plan_value(stored.plan, statuses), "document": stored.plan.to_dict()}


@api.get("/plans/{plan_id}/statuses", auth=RoleGate(READERS), response=Json, tags=["plan"])
def plan_statuses(request: HttpRequest, plan_id: str) -> Json:
    """Every measure's status, computed from the released counts of your audience's publication
    (a status that needs a suppressed count is ``withheld``); 503 while it is being prepared."""
    _, made, (card, unavailable) = _plan(request, plan_id)
    if made is None or card is None:
        raise HttpError(503, unavailable)
    return plan_views.scorecard_value(card, made)


@api.get("/plans/{plan_id}/measures/{measure_id}", auth=RoleGate(READERS), response=Json, tags=["plan"])
def plan_measure(request: HttpRequest, plan_id: str, measure_id: str) -> Json:
    """One measure: its definition, and its values, status, projection and what it would take
    from the released counts; 503 while the publication is being prepared."""
    stored, made, (card, unavailable) = _plan(request, plan_id)
    try:
        measure = stored.plan.measure(measure_id)
    except KeyError:
        raise HttpError(404, f"no measure {measure_id!r} in plan {plan_id}") from None
    if made is None or card is None:
        raise HttpError(503, unavailable)
    statuses = scorecard_view(card, made.tables, made.fingerprint).statuses
    table = card.trend_table(measure_id, made.tables)
    return {"measure": measure.to_dict(), "status": statuses.to_dict()["measures"][
                [m.measure for m in statuses.measures].index(measure_id)],
            "table": table.to_dict() if table is not None else None, "audience": made.audience,
            "threshold": made.threshold, "publication": made.fingerprint}


YAML_BODY = {"requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}}


def _yaml_body(request: HttpRequest) -> str:
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "the plan document must be UTF-8 YAML") from None


def _store_plan(request: HttpRequest, text: str, reason: str, based_on: int,
                plan_id: str | None = None) -> Status[Json]:
    """Store a plan document as a new version (the edit page's rules: a reason, the version the
    edit was made from — 409 when someone saved since —, every problem with its line and field)."""
    from ristra.services.plans import PlanService

    named = plan_views.document_id(text)
    if plan_id is not None and named is not None and named != plan_id:
        return Status(400, {"detail": f"this address is plan {plan_id}, but the document is plan {named}"})
    service = PlanService(workspace())
    try:
        saved = service.import_text(text, reason, based_on, request.user.get_username())
    except StalePlanError as error:
        return Status(409, {"detail": str(error)})
    except PlanFileError as error:
        return Status(400, {"detail": "the plan file has problems; nothing was stored",
                            "problems": [p.to_dict() for p in error.problems]})
    except (ValueError, UnknownPlanError) as error:
        return Status(400, {"detail": str(error)})
    finally:
        service.close()
    audit.record(request, AuditEvent.PLAN_CHANGE, f"plan {saved.plan_id} version {saved.version}",
                 detail={"plan_version": saved.version, "from_version": based_on, "reason": saved.reason})
    return Status(200, {"plan_id": saved.plan_id, "version": saved.version, "author": saved.author,
                        "created_at": saved.created_at, "reason": saved.reason})


@api.post("/plans", auth=RoleGate(PLANNERS, change=PLANNERS), response={200: Json, 400: Json, 409: Json},
          tags=["plan"], openapi_extra=YAML_BODY)
def import_plan(request: HttpRequest, reason: str = "", based_on: int = 0) -> Status[Json]:
    """Import a plan file (the YAML document as the request body, ``Content-Type:
    application/yaml``) as a new plan (``based_on`` 0) or the next version of the plan it names
    (``based_on``: its current version); ``reason`` is required. 400 with every problem's line,
    item and field, 409 when the plan changed since ``based_on``; admins and planners only."""
    return _store_plan(request, _yaml_body(request), reason, based_on)


@api.put("/plans/{plan_id}", auth=RoleGate(PLANNERS, change=PLANNERS), response={200: Json, 400: Json, 409: Json},
         tags=["plan"], openapi_extra=YAML_BODY)
def replace_plan(request: HttpRequest, plan_id: str, based_on: int, reason: str = "") -> Status[Json]:
    """A new version of ``plan_id`` from the YAML body (see ``POST /plans``; the document must
    be this plan); 404 for a plan that does not exist."""
    try:
        workspace().plans.require(plan_id)
    except UnknownPlanError as error:
        raise HttpError(404, str(error)) from None
    return _store_plan(request, _yaml_body(request), reason, based_on, plan_id)


@api.post("/plans/{plan_id}/actions/{action_id}/updates", auth=RoleGate(READERS, change=READERS),
          response={200: Json, 400: Json, 403: Json, 404: Json, 409: Json}, tags=["plan"])
def update_action(request: HttpRequest, plan_id: str, action_id: str, note: Form[str] = "", based_on: Form[str] = "",
                  date: Form[str] = "", link: Form[str] = "", status: Form[str] = "") -> Status[Json]:
    """Add a dated update to an action (multipart form: ``note``, ``based_on`` — the plan version
    it was made from —, optional ``date``, ``link``, ``status`` and one ``evidence_file``: pdf,
    png, jpg, docx, xlsx, txt or csv, at most 5 MB). Only the action's owner, an admin or a
    planner may (403); 409 when the plan changed since ``based_on``; 400 for bad input, with
    nothing stored."""
    try:
        stored = workspace().plans.require(plan_id)
    except UnknownPlanError as error:
        raise HttpError(404, str(error)) from None
    fields = {"note": note, "based_on": based_on, "date": date, "link": link, "status": status}
    try:
        uploads = [f for f in request.FILES.getlist("evidence_file") if f.name]
        saved, update, _ = plan_views.apply_update(request, stored, action_id, fields, uploads)
    except plan_views.UpdateRefused as refused:
        return Status(refused.status, {"detail": str(refused)})
    return Status(200, {"plan_id": saved.plan_id, "version": saved.version, "action": action_id, "update": update})


@api.get("/plans/{plan_id}/history", auth=RoleGate(READERS), response=Json, tags=["plan"])
def plan_history(request: HttpRequest, plan_id: str, measure: str = "") -> Json:
    """The statuses frozen in every closed cycle of the plan (oldest first) for your audience:
    cycle, when it was closed, each measure's status and latest value, and the snapshots, category
    version and threshold they came from; ``measure`` keeps one measure's."""
    try:
        stored = workspace().plans.require(plan_id)
    except UnknownPlanError as error:
        raise HttpError(404, str(error)) from None
    if measure and measure not in {m.id for m in stored.plan.measures}:
        raise HttpError(404, f"no measure {measure!r} in plan {plan_id}")
    found = plan_views.history_for(request, plan_id, measure or None)
    return {"plan_id": plan_id, "audience": role_policy(role_of(request.user)).audience,
            "history": [h.to_dict() for h in found]}


def url_patterns() -> tuple[list[URLResolver | URLPattern], str, str]:
    """The API's URL patterns for the route table, ninja's own root page given its rule too."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name == "api-root":
            allow(SIGNED_IN)(pattern.callback)
    return patterns, app_name, namespace
