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
from ninja import File, Form, NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from ristra.core.categories import CategoryFileError, changes
from ristra.core.datasets import UnknownDataset
from ristra.services import imports as import_service
from ristra.services.errors import SnapshotError, StaleVersionError, UnknownPlanError
from ristra.web import audit, category_editing, import_flow, report_generation
from ristra.web.access import RoleGate, allow
from ristra.web.in_force import overview, snapshots_in_force
from ristra.web.models import AuditEvent, ImportJob
from ristra.web.people import PersonError, create_person, describe, parse_role, role_of
from ristra.web.roles import ADMINS, ANALYSTS, PROGRAM_STAFF, READERS, SIGNED_IN
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
    return describe(request.user)


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


@api.get("/programs/{program_id}", auth=RoleGate(PROGRAM_STAFF), response=Json, tags=["programs"])
def program(request: HttpRequest, program_id: str) -> Json:
    from ristra.core.disclosure import INTERNAL

    found = next((p for p in program_views.visible_programs(request) if p.program_id == program_id), None)
    if found is None:
        raise HttpError(404, "no such program among yours")
    result = program_views.roster_for(found)
    audit.record(request, AuditEvent.INTERNAL_VIEW, f"program {program_id}", snapshots=result.snapshots,
                 detail={"page": "program", "threshold": INTERNAL.threshold})
    return result.to_dict()


@api.get("/imports", auth=RoleGate(ANALYSTS), response=list[Json], tags=["imports"])
def import_jobs(request: HttpRequest) -> list[Json]:
@api.get("/programs/{program_id}/outcomes", auth=RoleGate(PROGRAM_STAFF), response=Json, tags=["programs"])
def program_outcomes(request: HttpRequest, program_id: str) -> Json:
    """The program's participants and outcomes by cohort: the released table of the publication."""
    from ristra.core.disclosure import INTERNAL

    found = next((p for p in program_views.visible_programs(request) if p.program_id == program_id), None)
    if found is None:
        raise HttpError(404, "no such program among yours")
    result = program_views.roster_for(found)
    audit.record(request, AuditEvent.INTERNAL_VIEW, f"program {program_id}", snapshots=result.snapshots,
                 detail={"page": "program outcomes", "threshold": INTERNAL.threshold})
    return result.outcomes_dict()


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
    statuses = card.statuses(made.tables) if made is not None and card is not None else None
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
    statuses = card.statuses(made.tables)
    table = card.trend_table(measure_id, made.tables)
    return {"measure": measure.to_dict(), "status": statuses.to_dict()["measures"][
                [m.measure for m in statuses.measures].index(measure_id)],
            "table": table.to_dict() if table is not None else None, "audience": made.audience,
            "threshold": made.threshold, "publication": made.fingerprint}


def url_patterns() -> tuple[list[Any], str, str]:
    """The API's URL patterns for the route table, ninja's own root page given its rule too."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", "") == "api-root":
            allow(SIGNED_IN)(pattern.callback)
    return patterns, app_name, namespace
