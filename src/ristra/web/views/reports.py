"""Reports: choose template, audience and format; generate; download; history."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ristra.web import audit, report_generation
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import role_of
from ristra.web.roles import READERS
from ristra.web.runtime import workspace

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv", "html": "text/html", "zip": "application/zip",
}


@allow(READERS, change=READERS)
def reports_page(request: HttpRequest) -> HttpResponse:
    role = role_of(request.user)
    status = 200
    if request.method == "POST":
        try:
            made = report_generation.generate(
                workspace(), role, request.user.get_username(), request.POST.get("template", ""),
                request.POST.get("audience", "public"), request.POST.get("format", ""))
        except report_generation.ReportRefused as refused:
            messages.error(request, str(refused))
            status = 400
        else:
            record = made.record
            audit.record(request, AuditEvent.REPORT, f"report {record.pk}: {record.template}",
                         snapshots=record.snapshots, category_version=record.category_version,
                         detail={"audience": record.audience, "format": record.file_format,
                                 "suppression": made.release_audit or record.suppression})
            messages.success(request, f"Report {record.template} ({record.audience}, {record.file_format}) is ready.")
            return redirect("reports")
    return render(request, "ristra/reports.html",
                  {"choices": report_generation.choices(role), "history": report_generation.visible_reports(role)[:50]},
                  status=status)


@allow(READERS)
def report_download(request: HttpRequest, report_id: int) -> FileResponse:
    role = role_of(request.user)
    record = report_generation.visible_reports(role).filter(pk=report_id).first()
    if record is None or not Path(record.path).is_file():
        raise Http404("no such report")
    audit.record(request, AuditEvent.EXPORT, f"report {record.pk}: {record.template}", snapshots=record.snapshots,
                 category_version=record.category_version,
                 detail={"audience": record.audience, "format": record.file_format})
    path = Path(record.path)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type=CONTENT_TYPES.get(record.file_format, "application/octet-stream"))
