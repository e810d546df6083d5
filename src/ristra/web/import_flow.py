"""The import flow of the web application: upload → validation report → confirm → snapshot.

An upload is checked (dataset, size, kind of file), staged under
``<data_dir>/web-uploads/<job>/`` and recorded as an :class:`~ristra.web.models.ImportJob`;
validation and import call :mod:`ristra.services.imports`. Files larger than the background
threshold are validated and imported on a worker thread while the page polls the job's state;
smaller ones in the request itself.

Two imports of one dataset at once: the snapshot store lets one run and refuses the other with
``ImportInProgress``; the refused job keeps its staged file and state ``busy`` so that it can be
confirmed again — neither upload is lost. A staged file is deleted once imported.

A job being validated or imported holds a lock file (``web-uploads/.running/<job>.lock``) for as
long as the work runs, in a request or on a worker thread. A server that dies mid-job releases it
with its process: :func:`recover_interrupted`, run when ``ristra serve`` starts, marks each such
job failed with a message (or imported, if its snapshot was published just before), and a failed
job whose file is kept can be validated again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, transaction

from ristra.core.columnmap import ColumnMapError
from ristra.core.datasets import DATASETS, UnknownDataset
from ristra.services import imports
from ristra.services.errors import ImportInProgress, InvalidProvenance, SnapshotError, UnreadableFile
from ristra.services.imports import ProgressCallback
from ristra.web.models import ImportJob
from ristra.web.runtime import workspace, workspace_for

log = logging.getLogger(__name__)

#: Called with a job whose outcome is being saved (in the same transaction).
Done = Callable[[ImportJob], None]

ACCEPTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRefused(ValueError):
    """An upload that cannot be staged; the message says why and what to do."""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def upload_root() -> Path:
    return Path(settings.RISTRA_DATA_DIR) / "web-uploads"


def extract_start(text: str | None) -> dt.date | None:
    """The first day the extract covers, as typed in the form's "extract start" field (``YYYY-MM-DD``;
    None when left empty); :class:`UploadRefused`, naming the field, for text that is not a date or a
    day before 1900 or after today (the import service's rule: nothing is staged or imported)."""
    if not text or not text.strip():
        return None
    try:
        checked = imports.check_extract_start(text, workspace().settings.today)
    except InvalidProvenance as error:
        raise UploadRefused(str(error)) from None  # "the extract start must …; nothing was imported"
    return dt.date.fromisoformat(checked) if checked else None


def stage(upload: UploadedFile, dataset_name: str, uploaded_by: str, declared_start: str | None = None) -> ImportJob:
    """Check and stage an uploaded file; :class:`UploadRefused` for a wrong dataset, an empty or
    oversize file, a file that is not CSV, XLSX or Parquet by its name, or a declared extract start
    (``declared_start``, ``YYYY-MM-DD``; see :func:`extract_start`) that cannot be right."""
    if dataset_name not in DATASETS:
        raise UploadRefused(f"choose a dataset: one of {', '.join(DATASETS)}")
    start = extract_start(declared_start)
    name = Path(upload.name or "upload").name
    limit = int(settings.RISTRA_MAX_UPLOAD_BYTES)
    size = int(upload.size or 0)
    if size > limit:
        raise UploadRefused(f"{name} is {_megabytes(size)}; the largest file accepted is {_megabytes(limit)}. "
                            "Split it, or ask the administrator to raise RISTRA_MAX_UPLOAD_MB.")
    if size == 0:
        raise UploadRefused(f"{name} is empty")
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise UploadRefused(f"{name} is not a CSV, XLSX or Parquet file (accepted: {', '.join(ACCEPTED_SUFFIXES)})")
    safe = _SAFE_NAME.sub("_", name).lstrip(".") or "upload.csv"
    directory = upload_root() / uuid.uuid4().hex
    directory.mkdir(parents=True)
    path = directory / safe
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return ImportJob.objects.create(dataset=dataset_name, file_name=name, size=size, staged_path=str(path),
                                    uploaded_by=uploaded_by, extract_start=start)


def _refusal(job: ImportJob, error: Exception) -> None:
    job.state = ImportJob.INVALID
    job.message = str(error).strip("'\"")
    job.report = {"valid": False, "issue_total": 1, "issues": [], "row_count": 0}


def progress_recorder(job: ImportJob) -> ProgressCallback:
    """Records a background job's progress (at most twice a second) for the polling page."""
    last = [0.0]

    def record(step: str, percent: float) -> None:
        now = time.monotonic()
        if percent >= 100 or now - last[0] >= 0.5:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(step=step[:100], progress=round(percent, 1))

    return record


def _lock_path(job: ImportJob) -> Path:
    return upload_root() / ".running" / f"{job.pk}.lock"


@contextlib.contextmanager
def _running(job: ImportJob) -> Iterator[None]:
    """Hold the job's lock while it is validated or imported (released by the process's death)."""
    path = _lock_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def can_validate_again(job: ImportJob) -> bool:
    """A failed job (the server stopped, an internal error) whose staged file is still there."""
    return job.state == ImportJob.FAILED and Path(job.staged_path).is_file()


def validate(job: ImportJob, *, report: ProgressCallback | None = None, done: Done | None = None) -> ImportJob:
    """Validate the staged file; the job ends ``valid`` or ``invalid`` with its report."""
    with _running(job):
        job.state = ImportJob.VALIDATING
        job.message = ""
        job.save(update_fields=["state", "message", "updated_at"])
        try:
            outcome = imports.validate(workspace(), job.dataset, Path(job.staged_path), report=report)
        except (UnreadableFile, UnknownDataset, ColumnMapError) as error:
            _refusal(job, error)
        else:
            job.report = outcome.to_dict()
            job.state = ImportJob.VALID if outcome.valid else ImportJob.INVALID
            job.message = (f"{outcome.row_count:,} rows, no problems: ready to import" if outcome.valid else
                           f"{outcome.issue_total:,} problem(s) found; nothing was imported")
        _settle(job, done)
    return job


def confirm(job: ImportJob, acting_user: str, *, report: ProgressCallback | None = None,
            done: Done | None = None) -> ImportJob:
    """Import a validated job as a new snapshot (validating again: the file is the evidence)."""
    with _running(job):
        job.state = ImportJob.IMPORTING
        job.save(update_fields=["state", "updated_at"])
        try:
            result = imports.import_file(workspace_for(acting_user), job.dataset, Path(job.staged_path), report=report,
                                         extract_start=job.extract_start)
        except ImportInProgress as error:
            job.state = ImportJob.BUSY
            job.message = f"{error} Your file is kept: confirm again to import it."
        except (UnreadableFile, UnknownDataset, ColumnMapError) as error:
            _refusal(job, error)
        except SnapshotError as error:
            job.state = ImportJob.FAILED
            job.message = str(error)
        else:
            job.report = result.report.to_dict()
            if result.manifest is None:
                job.state = ImportJob.INVALID
                job.message = f"{result.report.issue_total:,} problem(s) found; nothing was imported"
            else:
                job.state = ImportJob.IMPORTED
                job.snapshot_id = result.manifest.snapshot_id
                job.message = f"imported {result.manifest.row_count:,} rows as snapshot {result.manifest.snapshot_id}"
                shutil.rmtree(Path(job.staged_path).parent, ignore_errors=True)
        _settle(job, done)
        if job.state == ImportJob.IMPORTED:
            from ristra.web import publishing

            publishing.start(workspace_for(acting_user))
    return job


def _settle(job: ImportJob, done: Done | None) -> None:
    """Save the job's outcome and let ``done`` record it (the audit event) in one transaction, so
    nobody sees a finished job whose audit event is not there yet."""
    with transaction.atomic():
        job.save()
        if done is not None:
            done(job)


STOPPED = {
    ImportJob.VALIDATING: "The server stopped while this file was being checked; nothing was imported. "
                          "Validate it again.",
    ImportJob.IMPORTING: "The server stopped during this import; nothing was imported. Validate the file again, "
                         "then import it.",
}


def recover_interrupted() -> list[ImportJob]:
    """Settle the jobs a dead server left ``validating`` or ``importing`` (their lock is free):
    failed with a message saying so (the staged file is kept, so they can be validated again), or
    imported when the dataset's current snapshot was published from this very file after the
    import began. Jobs another live process is running keep their state. Returns the jobs settled."""
    settled: list[ImportJob] = []
    for job in ImportJob.objects.filter(state__in=tuple(STOPPED)).order_by("pk"):
        path = _lock_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live server is running it
            job.refresh_from_db()
            if job.state not in STOPPED:
                continue
            published = _published_from(job) if job.state == ImportJob.IMPORTING else None
            if published is not None:
                job.state, job.snapshot_id = ImportJob.IMPORTED, published
                job.message = (f"imported as snapshot {published}; the server stopped before it could say so")
                shutil.rmtree(Path(job.staged_path).parent, ignore_errors=True)
            else:
                job.message = STOPPED[job.state]
                job.state = ImportJob.FAILED
            job.step, job.progress = "", None
            job.save()
            path.unlink(missing_ok=True)
        settled.append(job)
    return settled


def _published_from(job: ImportJob) -> str | None:
    """The current snapshot of the job's dataset, if it was made from the job's staged file after
    the import began (the server died between publishing it and recording it)."""
    from ristra.services.imports import published_from_file

    return published_from_file(workspace(), job.dataset, Path(job.staged_path),
                               job.updated_at - dt.timedelta(seconds=1))


def run(job: ImportJob, step: Callable[..., ImportJob], *args: Any,
        on_done: Callable[[ImportJob], None] | None = None) -> bool:
    """Run ``step(job, *args)`` now, or on a worker thread when the file is large; returns whether
    it ran in the background (the page then polls the job). ``on_done`` is called with the job in
    the transaction that saves its outcome."""

    def guarded(report: ProgressCallback | None) -> None:
        try:
            step(job, *args, report=report, done=on_done)
        except Exception as error:  # record the failure on the job, never leave it "validating"
            log.exception("import job %s failed", job.pk)
            job.state = ImportJob.FAILED
            job.message = f"internal error ({type(error).__name__}); nothing was imported"
            job.step, job.progress = "", None
            job.save()

    def work() -> None:
        try:
            guarded(progress_recorder(job))
        finally:
            close_old_connections()

    if job.size > int(settings.RISTRA_BACKGROUND_IMPORT_BYTES):
        threading.Thread(target=work, name=f"ristra-import-{job.pk}", daemon=True).start()
        return True
    guarded(None)
    return False
