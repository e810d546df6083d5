"""The import flow: bad uploads refused clearly; a file with errors shows them and changes
nothing; a valid file becomes a snapshot once confirmed; two imports of one dataset at once:
one is refused clearly and kept, then imported; rollback."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from ristra.services.workspace import Settings, Workspace
from ristra.web.models import AuditEvent, ImportJob


def _upload(client: Any, dataset: str, name: str, content: bytes) -> Any:
    return client.post("/imports/", {"dataset": dataset, "file": SimpleUploadedFile(name, content)}, follow=True)


def _programs_with_an_error(sources: Path) -> bytes:
    text = (sources / "programs.csv").read_text(encoding="utf-8")
    return text.replace('"pipeline_program"', '"summer_camp"', 1).encode("utf-8")


def _current(data_dir: Path, dataset: str) -> str:
    manifest = Workspace(Settings(data_dir=data_dir)).snapshots.current(dataset)
    assert manifest is not None
    return manifest.snapshot_id


def test_wrong_type_and_oversize_uploads_get_a_clear_message(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    response = _upload(client, "programs", "programs.exe", b"MZ\x90\x00")
    assert response.status_code == 400
    assert "is not a CSV, XLSX or Parquet file" in response.content.decode()
    with override_settings(RISTRA_MAX_UPLOAD_BYTES=100):
        response = _upload(client, "programs", "big.csv", b"x" * 101)
    assert response.status_code == 400
    assert "the largest file accepted is" in response.content.decode()
    response = _upload(client, "no-such-dataset", "a.csv", b"a,b\n1,2\n")
    assert response.status_code == 400
    assert "choose a dataset" in response.content.decode()
    disguised = _upload(client, "programs", "programs.csv", b"\x00\x01\x02PK\x03\x04 not really a table")
    assert disguised.status_code == 200
    assert ImportJob.objects.get(file_name="programs.csv").state == ImportJob.INVALID
    assert ImportJob.objects.count() == 1


def test_errors_are_listed_and_nothing_changes_then_the_fixed_file_imports(
        client_as: Any, data_dir: Path, school_sources: Path) -> None:
    client = client_as("analyst")
    before = _current(data_dir, "programs")
    response = _upload(client, "programs", "programs.csv", _programs_with_an_error(school_sources))
    page = response.content.decode()
    assert response.status_code == 200
    assert "problem(s) found" in page
    assert "unknown_code" in page
    assert "<td>kind</td>" in page
    job = ImportJob.objects.get()
    assert job.state == ImportJob.INVALID
    assert job.report["issues"][0]["row"] == 2
    assert client.post(f"/imports/{job.pk}/confirm", follow=True).status_code == 200
    assert _current(data_dir, "programs") == before

    response = _upload(client, "programs", "programs.csv", (school_sources / "programs.csv").read_bytes())
    fixed = ImportJob.objects.order_by("-id").first()
    assert fixed is not None
    assert fixed.state == ImportJob.VALID
    assert "Import 8 rows" in response.content.decode()
    response = client.post(f"/imports/{fixed.pk}/confirm", follow=True)
    fixed.refresh_from_db()
    assert fixed.state == ImportJob.IMPORTED
    assert fixed.snapshot_id in response.content.decode()
    assert _current(data_dir, "programs") == fixed.snapshot_id != before
    event = AuditEvent.objects.filter(action=AuditEvent.IMPORT).get()
    assert event.actor == "the-analyst"
    assert event.snapshots == {"programs": fixed.snapshot_id}
    assert not Path(fixed.staged_path).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.UPLOAD).count() == 2


def test_a_second_import_of_a_dataset_at_once_is_refused_and_kept(
        client_as: Any, data_dir: Path, school_sources: Path) -> None:
    client = client_as("analyst")
    _upload(client, "programs", "programs.csv", (school_sources / "programs.csv").read_bytes())
    job = ImportJob.objects.get()
    other = Workspace(Settings(data_dir=data_dir, user="someone-else"))
    try:
        with other.snapshots.writer("programs", imported_by="someone-else", schema_version=1):
            response = client.post(f"/imports/{job.pk}/confirm", follow=True)
            raise RuntimeError("the other import is abandoned")
    except RuntimeError:
        pass
    assert response.status_code == 409
    assert "another import of dataset 'programs' is in progress" in html.unescape(response.content.decode())
    job.refresh_from_db()
    assert job.state == ImportJob.BUSY
    assert Path(job.staged_path).is_file()
    assert AuditEvent.objects.filter(action=AuditEvent.IMPORT_REFUSED).count() == 1
    client.post(f"/imports/{job.pk}/confirm")
    job.refresh_from_db()
    assert job.state == ImportJob.IMPORTED


def test_rollback_from_the_snapshot_history(client_as: Any, data_dir: Path, school_sources: Path) -> None:
    client = client_as("analyst")
    first = _current(data_dir, "programs")
    _upload(client, "programs", "programs.csv", (school_sources / "programs.csv").read_bytes())
    client.post(f"/imports/{ImportJob.objects.get().pk}/confirm")
    assert _current(data_dir, "programs") != first
    page = client.get("/snapshots/").content.decode()
    assert f"Roll back to {first}" in page
    response = client.post("/snapshots/", {"dataset": "programs", "snapshot_id": first}, follow=True)
    assert response.status_code == 200
    assert _current(data_dir, "programs") == first
    assert AuditEvent.objects.filter(action=AuditEvent.ROLLBACK).get().snapshots == {"programs": first}
    bad = client.post("/snapshots/", {"dataset": "programs", "snapshot_id": "nonsense"})
    assert bad.status_code == 409
    assert "is not a snapshot id" in bad.content.decode()


@pytest.mark.transactional
def test_large_files_are_checked_in_the_background(client_as: Any, data_dir: Path, school_sources: Path) -> None:
    client = client_as("analyst")
    with override_settings(RISTRA_BACKGROUND_IMPORT_BYTES=10):
        response = client.post("/imports/", {"dataset": "programs", "file": SimpleUploadedFile(
            "programs.csv", (school_sources / "programs.csv").read_bytes())})
        assert response.status_code == 302
        job_page = client.get(response["Location"])
        assert job_page.status_code == 200
        assert b"job-state" in job_page.content
        deadline = time.monotonic() + 30
        while not ImportJob.objects.get().finished and time.monotonic() < deadline:
            time.sleep(0.05)
        partial = client.get(response["Location"], headers={"HX-Request": "true"})
        assert partial.content.decode().lstrip().startswith('<section id="job-state"')
        assert ImportJob.objects.get().state == ImportJob.VALID
        job = ImportJob.objects.get()
        client.post(f"/imports/{job.pk}/confirm")
        while ImportJob.objects.get().state != ImportJob.IMPORTED and time.monotonic() < deadline:
            time.sleep(0.05)
    assert ImportJob.objects.get().state == ImportJob.IMPORTED
    assert AuditEvent.objects.filter(action=AuditEvent.IMPORT, actor="the-analyst").count() == 1


def _staged_job(school_sources: Path, state: str) -> ImportJob:
    from ristra.web import import_flow

    upload = SimpleUploadedFile("programs.csv", (school_sources / "programs.csv").read_bytes())
    job = import_flow.stage(upload, "programs", "the-analyst")
    ImportJob.objects.filter(pk=job.pk).update(state=state, step="reading", progress=40.0)
    job.refresh_from_db()
    return job


def test_jobs_a_dead_server_left_running_are_failed_at_start_and_can_be_validated_again(
        client_as: Any, data_dir: Path, school_sources: Path) -> None:
    from ristra.web import import_flow

    client = client_as("analyst")
    checking = _staged_job(school_sources, ImportJob.VALIDATING)
    importing = _staged_job(school_sources, ImportJob.IMPORTING)
    live = _staged_job(school_sources, ImportJob.VALIDATING)
    assert client.post(f"/imports/{checking.pk}/confirm").status_code == 302  # refused: not valid
    with import_flow._running(live):  # a live server is still working on this one
        settled = import_flow.recover_interrupted()
    assert sorted(j.pk for j in settled) == [checking.pk, importing.pk]
    for job in (checking, importing):
        job.refresh_from_db()
        assert job.state == ImportJob.FAILED
        assert "The server stopped" in job.message
        assert "nothing was imported" in job.message
        assert job.progress is None
    live.refresh_from_db()
    assert live.state == ImportJob.VALIDATING
    page = client.get(f"/imports/{checking.pk}/")
    assert "The server stopped while this file was being checked" in html.unescape(page.content.decode())
    assert f'action="/imports/{checking.pk}/validate"' in page.content.decode()
    assert client.get(f"/imports/{checking.pk}/validate").status_code == 405
    assert client.post(f"/imports/{checking.pk}/validate").status_code == 302
    checking.refresh_from_db()
    assert checking.state == ImportJob.VALID
    assert checking.message.endswith("ready to import")
    client.post(f"/imports/{checking.pk}/confirm")
    checking.refresh_from_db()
    assert checking.state == ImportJob.IMPORTED
    assert _current(data_dir, "programs") == checking.snapshot_id
    api = client.post(f"/api/imports/{importing.pk}/validate")
    assert api.status_code == 200
    assert api.json()["state"] == ImportJob.VALID
    assert client.post(f"/api/imports/{importing.pk}/validate").status_code == 409  # valid now: nothing to redo
    assert client.post(f"/imports/{checking.pk}/validate").status_code == 302  # imported: refused, unchanged
    checking.refresh_from_db()
    assert checking.state == ImportJob.IMPORTED


def test_an_import_published_just_before_the_server_died_is_recorded_as_imported(
        database: str, data_dir: Path, school_sources: Path) -> None:
    from ristra.services import imports
    from ristra.web import import_flow

    job = _staged_job(school_sources, ImportJob.IMPORTING)
    result = imports.import_file(Workspace(Settings(data_dir=data_dir, user="the-analyst")), "programs",
                                 Path(job.staged_path))
    assert result.manifest is not None
    assert [j.pk for j in import_flow.recover_interrupted()] == [job.pk]
    job.refresh_from_db()
    assert job.state == ImportJob.IMPORTED
    assert job.snapshot_id == result.manifest.snapshot_id
    assert not Path(job.staged_path).exists()


def test_a_crash_during_validation_in_the_request_fails_the_job(
        client_as: Any, data_dir: Path, school_sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ristra.services import imports

    def crash(*args: Any, **kwargs: Any) -> None:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(imports, "validate", crash)
    response = _upload(client_as("analyst"), "programs", "programs.csv", (school_sources / "programs.csv").read_bytes())
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert job.state == ImportJob.FAILED
    assert "internal error (UnicodeDecodeError)" in job.message
