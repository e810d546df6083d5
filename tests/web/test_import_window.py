"""The data window on the web (issue 15, item 8): the import form and the API declare the first day
an extract covers, which the snapshot's manifest keeps and the snapshots page shows; a bad or
future date is refused with the field named and nothing imported; over employees whose extract
start was not declared, the dashboard says the retention panel does not apply and why."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from ristra.services.workspace import Settings, Workspace
from ristra.web.models import ImportJob


def _upload(client: Any, sources: Path, extract_start: str, dataset: str = "employees") -> Any:
    return client.post("/imports/", {"dataset": dataset, "extract_start": extract_start,
                                     "file": SimpleUploadedFile(f"{dataset}.csv",
                                                                (sources / f"{dataset}.csv").read_bytes())},
                       follow=True)


def _current(data_dir: Path, dataset: str) -> Any:
    manifest = Workspace(Settings(data_dir=data_dir)).snapshots.current(dataset)
    assert manifest is not None
    return manifest


def test_the_import_form_declares_the_extract_start_into_the_manifest(client_as: Any, data_dir: Path,
                                                                      school_sources: Path) -> None:
    client = client_as("analyst")
    form = client.get("/imports/").content.decode()
    assert 'name="extract_start"' in form
    assert 'type="date"' in form
    assert "employees and employee_events" in form
    response = _upload(client, school_sources, "2016-01-01")
    job = ImportJob.objects.get()
    assert response.status_code == 200
    assert job.state == ImportJob.VALID
    assert job.to_dict()["extract_start"] == "2016-01-01"
    assert "2016-01-01" in response.content.decode()
    client.post(f"/imports/{job.pk}/confirm", follow=True)
    job.refresh_from_db()
    assert job.state == ImportJob.IMPORTED
    manifest = _current(data_dir, "employees")
    assert manifest.snapshot_id == job.snapshot_id
    assert manifest.extract_start == "2016-01-01"
    page = client.get("/snapshots/").content.decode()
    assert "Extract starts" in page
    assert "<td>2016-01-01</td>" in page
    listed = client.get("/api/snapshots").json()
    employees = next(d for d in listed if d["dataset"] == "employees")
    assert employees["snapshots"][0]["extract_start"] == "2016-01-01"


def test_a_bad_or_future_extract_start_is_refused_with_the_field_named(client_as: Any, data_dir: Path,
                                                                       school_sources: Path) -> None:
    client = client_as("analyst")
    before = _current(data_dir, "employees").snapshot_id
    for bad, why in (("2015-02-30", "must be a date written YYYY-MM-DD"), ("soon", "must be a date written"),
                     ("2999-01-01", "must lie between 1900-01-01 and today"),
                     ("1899-12-31", "must lie between 1900-01-01 and today")):
        response = _upload(client, school_sources, bad)
        page = html.unescape(response.content.decode())
        assert response.status_code == 400, bad
        assert "the extract start" in page, bad
        assert why in page, bad
        assert "nothing was imported" in page, bad
        assert f'value="{bad}"' in page  # the form keeps what was typed
    assert ImportJob.objects.count() == 0  # nothing staged
    assert _current(data_dir, "employees").snapshot_id == before
    api = client.post("/api/imports", {"dataset": "employees", "extract_start": "2999-01-01",
                                       "file": SimpleUploadedFile("employees.csv", b"a,b\n1,2\n")})
    assert api.status_code == 400
    assert "the extract start" in api.json()["detail"]
    assert ImportJob.objects.count() == 0


def test_the_api_upload_declares_the_extract_start(client_as: Any, data_dir: Path, school_sources: Path) -> None:
    client = client_as("analyst")
    upload = client.post("/api/imports", {"dataset": "employee_events", "extract_start": "2017-07-01",
                                          "file": SimpleUploadedFile("employee_events.csv",
                                                                     (school_sources / "employee_events.csv").read_bytes())})
    assert upload.status_code == 200
    assert upload.json()["extract_start"] == "2017-07-01"
    done = client.post(f"/api/imports/{upload.json()['id']}/confirm")
    assert done.status_code == 200
    assert done.json()["state"] == ImportJob.IMPORTED
    assert _current(data_dir, "employee_events").extract_start == "2017-07-01"


def test_undeclared_employees_the_dashboard_says_retention_does_not_apply_and_why(
        client_as: Any, data_dir: Path, school_sources: Path) -> None:
    from ristra.services import imports

    declared = client_as("viewer").get("/dashboard/", {"category": "women"}).context["dashboard"]
    assert "retention" in [p.key for p in declared.panels]
    assert imports.import_file(Workspace(Settings(data_dir=data_dir, user="setup")), "employees",
                               school_sources / "employees.csv").imported  # no extract start
    page = client_as("viewer").get("/dashboard/", {"category": "women"})
    built = page.context["dashboard"]
    assert page.status_code == 200
    assert built.state == "ready"
    assert [p.key for p in built.panels] == ["path", "funnel", "trend", "departments"]
    assert "Faculty retention does not apply: the employees import did not declare the first day" in built.notice
    assert "`ristra import employees FILE --extract-start YYYY-MM-DD`" in built.notice
    assert html.escape(built.notice) in page.content.decode() or built.notice in html.unescape(page.content.decode())
