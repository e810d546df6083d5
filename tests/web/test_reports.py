"""Reports from the web: choose template, audience and format; generate; download; history;
viewers get public reports only; generation and downloads are audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ristra.web.models import AuditEvent, ReportRecord


def test_an_analyst_generates_and_downloads_a_report(client_as: Any, shared_data_dir: Path) -> None:
    client = client_as("analyst")
    page = client.get("/reports/").content.decode()
    assert "annual-outcomes" in page
    assert 'value="internal"' in page
    response = client.post("/reports/", {"template": "annual-outcomes", "audience": "internal", "format": "html"},
                           follow=True)
    assert response.status_code == 200
    assert "is ready" in response.content.decode()
    record = ReportRecord.objects.get()
    assert record.audience == "internal"
    assert record.snapshots["applications"]
    assert record.category_version == 1
    event = AuditEvent.objects.get(action=AuditEvent.REPORT)
    assert event.snapshots == record.snapshots
    assert event.detail["format"] == "html"
    download = client.get(f"/reports/{record.pk}/download")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content)[:200].lower().find(b"<!doctype html") >= 0
    assert AuditEvent.objects.filter(action=AuditEvent.EXPORT).count() == 1


def test_viewers_get_public_reports_only(client_as: Any, shared_data_dir: Path) -> None:
    analyst = client_as("analyst")
    analyst.post("/reports/", {"template": "annual-outcomes", "audience": "internal", "format": "csv"})
    internal = ReportRecord.objects.get()
    viewer = client_as("viewer")
    refused = viewer.post("/reports/", {"template": "annual-outcomes", "audience": "internal", "format": "csv"})
    assert refused.status_code == 400
    assert b"public reports only" in refused.content
    assert viewer.get(f"/reports/{internal.pk}/download").status_code == 404
    made = viewer.post("/api/reports", {"template": "lcme-3.3", "audience": "public", "format": "xlsx"},
                       content_type="application/json")
    assert made.status_code == 200
    assert made.json()["audience"] == "public"
    listed = viewer.get("/api/reports").json()["history"]
    assert [r["audience"] for r in listed] == ["public"]


def test_unknown_choices_are_refused_clearly(client_as: Any, shared_data_dir: Path) -> None:
    client = client_as("analyst")
    assert b"unknown report template" in client.post("/reports/", {"template": "nope", "audience": "public",
                                                                   "format": "html"}).content
    assert b"choose a format" in client.post("/reports/", {"template": "lcme-3.3", "audience": "public",
                                                           "format": "pdf"}).content
    assert not ReportRecord.objects.exists()
