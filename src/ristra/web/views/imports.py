"""The import flow (upload → validation report → confirm → snapshot) and snapshot history
with rollback."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from ristra.core.datasets import DATASETS, UnknownDataset
from ristra.services import imports as import_service
from ristra.services.errors import SnapshotError
from ristra.web import audit, import_flow
from ristra.web.access import allow
from ristra.web.models import AuditEvent, ImportJob
from ristra.web.people import role_of
from ristra.web.roles import ANALYSTS
from ristra.web.runtime import workspace, workspace_for
from ristra.web.snapshot_history import history


def _audit_job(actor: str, role: str, via: str) -> Callable[[ImportJob], None]:
    def done(job: ImportJob) -> None:
        if job.state == ImportJob.IMPORTED:
            audit.record(None, AuditEvent.IMPORT, f"{job.dataset}: {job.file_name}", actor=actor, role=role, via=via,
                         snapshots={job.dataset: job.snapshot_id}, detail={"job": job.pk, "size": job.size})
        elif job.state == ImportJob.BUSY:
            audit.record(None, AuditEvent.IMPORT_REFUSED, f"{job.dataset}: {job.file_name}", actor=actor, role=role,
                         via=via, detail={"job": job.pk, "reason": "another import of the dataset was running"})
        elif job.state in (ImportJob.VALID, ImportJob.INVALID):
            audit.record(None, AuditEvent.UPLOAD, f"{job.dataset}: {job.file_name}", actor=actor, role=role, via=via,
                         detail={"job": job.pk, "size": job.size, "valid": job.state == ImportJob.VALID,
                                 "issue_total": job.report.get("issue_total")})
    return done


def audit_hook(request: HttpRequest) -> Callable[[ImportJob], None]:
    """Records what became of a job, also when it finishes on a worker thread."""
    via = "api" if request.path.startswith("/api/") else "web"
    return _audit_job(request.user.get_username(), role_of(request.user).value, via)


@allow(ANALYSTS, change=ANALYSTS)
def import_page(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and recent uploads. POST: stage and validate an upload."""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise import_flow.UploadRefused("choose a file to upload")
            job = import_flow.stage(upload, request.POST.get("dataset", ""), request.user.get_username(),
                                    request.POST.get("extract_start", ""))
        except import_flow.UploadRefused as refused:
            messages.error(request, str(refused))
            status = 400
        else:
            import_flow.run(job, import_flow.validate, on_done=audit_hook(request))
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(reverse("import_job", kwargs={"job_id": job.pk}))
            return redirect("import_job", job_id=job.pk)
    jobs = ImportJob.objects.all()[:20]
    return render(request, "ristra/imports.html",
                  {"datasets": list(DATASETS), "jobs": jobs, "max_upload_mb": _max_upload_mb(),
                   "windowed": import_service.WINDOWED_DATASETS, "today": workspace().settings.today.isoformat(),
                   "extract_start": request.POST.get("extract_start", "") if request.method == "POST" else ""},
                  status=status)


def _max_upload_mb() -> int:
    from django.conf import settings

    return int(settings.RISTRA_MAX_UPLOAD_BYTES) // (1024 * 1024)


@allow(ANALYSTS)
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """One upload: its state, its validation report, and the confirm button when it is valid.
    Polled by htmx (the fragment only) while validation or import runs."""
    job = get_object_or_404(ImportJob, pk=job_id)
    template = "ristra/import_job_state.html" if getattr(request, "htmx", False) else "ristra/import_job.html"
    status = 409 if job.state == ImportJob.BUSY else 200
    return render(request, template, {"job": job, "job_file_kept": import_flow.can_validate_again(job)},
                  status=status)


@allow(ANALYSTS, change=ANALYSTS)
@require_POST
def confirm_import(request: HttpRequest, job_id: int) -> HttpResponse:
    """POST only: import a valid upload (GET, HEAD and OPTIONS answer 405 and change nothing)."""
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.state not in (ImportJob.VALID, ImportJob.BUSY):
        messages.error(request, f"This upload is {job.state}; only a valid upload can be imported.")
        return redirect("import_job", job_id=job.pk)
    import_flow.run(job, import_flow.confirm, request.user.get_username(), on_done=audit_hook(request))
    return redirect("import_job", job_id=job.pk)


@allow(ANALYSTS, change=ANALYSTS)
@require_POST
def validate_again(request: HttpRequest, job_id: int) -> HttpResponse:
    """POST only: check a failed upload's kept file again (after the server stopped mid-job)."""
    job = get_object_or_404(ImportJob, pk=job_id)
    if not import_flow.can_validate_again(job):
        messages.error(request, f"This upload is {job.state}; only a failed upload whose file is kept can be "
                                "validated again.")
        return redirect("import_job", job_id=job.pk)
    import_flow.run(job, import_flow.validate, on_done=audit_hook(request))
    return redirect("import_job", job_id=job.pk)


@allow(ANALYSTS, change=ANALYSTS)
def snapshots_page(request: HttpRequest) -> HttpResponse:
    """Snapshot history of every dataset (who, when, what) with rollback."""
    status = 200
    if request.method == "POST":
        dataset, snapshot_id = request.POST.get("dataset", ""), request.POST.get("snapshot_id", "")
        try:
            manifest = import_service.rollback(workspace_for(request.user.get_username()), dataset, snapshot_id)
            from ristra.web import publishing

            publishing.start(workspace_for(request.user.get_username()))
        except (SnapshotError, UnknownDataset, ValueError) as error:
            messages.error(request, str(error).strip("'\""))
            status = 409
        else:
            audit.record(request, AuditEvent.ROLLBACK, dataset, snapshots={dataset: manifest.snapshot_id})
            messages.success(request, f"{dataset} is now at snapshot {manifest.snapshot_id}.")
            return redirect("snapshots")
    return render(request, "ristra/snapshots.html", {"history": history(workspace())}, status=status)
