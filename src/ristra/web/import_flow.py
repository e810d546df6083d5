"""The import flow of the web application: upload → validation report → confirm → snapshot.

An upload is checked (dataset, size, kind of file), staged under
``<data_dir>/web-uploads/<job>/`` and recorded as an :class:`~ristra.web.models.ImportJob`;
validation and import call :mod:`ristra.services.imports`. Files larger than the background
threshold are validated and imported on a worker thread while the page polls the job's state;
smaller ones in the request itself.

Two imports of one dataset at once: the snapshot store lets one run and refuses the other with
``ImportInProgress``; the refused job keeps its staged file and state ``busy`` so that it can be
confirmed again — neither upload is lost. A staged file is deleted once imported.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, transaction

from ristra.core.columnmap import ColumnMapError
from ristra.core.datasets import DATASETS, UnknownDataset
from ristra.ingest.progress import Report
from ristra.ingest.sources import UnreadableFile
from ristra.services import imports
from ristra.snapshots import ImportInProgress, SnapshotError
from ristra.web.models import ImportJob
from ristra.web.runtime import workspace, workspace_for

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


def stage(upload: UploadedFile, dataset_name: str, uploaded_by: str) -> ImportJob:
    """Check and stage an uploaded file; :class:`UploadRefused` for a wrong dataset, an empty or
    oversize file or a file that is not CSV, XLSX or Parquet by its name."""
    if dataset_name not in DATASETS:
        raise UploadRefused(f"choose a dataset: one of {', '.join(DATASETS)}")
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
                                    uploaded_by=uploaded_by)


def _refusal(job: ImportJob, error: Exception) -> None:
    job.state = ImportJob.INVALID
    job.message = str(error).strip("'\"")
    job.report = {"valid": False, "issue_total": 1, "issues": [], "row_count": 0}


def progress_recorder(job: ImportJob) -> Report:
    """Records a background job's progress (at most twice a second) for the polling page."""
    last = [0.0]

    def record(step: str, percent: float) -> None:
        now = time.monotonic()
        if percent >= 100 or now - last[0] >= 0.5:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(step=step[:100], progress=round(percent, 1))

    return record


def validate(job: ImportJob, *, report: Report | None = None, done: Done | None = None) -> ImportJob:
    """Validate the staged file; the job ends ``valid`` or ``invalid`` with its report."""
    job.state = ImportJob.VALIDATING
    job.save(update_fields=["state", "updated_at"])
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


def confirm(job: ImportJob, acting_user: str, *, report: Report | None = None,
            done: Done | None = None) -> ImportJob:
    """Import a validated job as a new snapshot (validating again: the file is the evidence)."""
    job.state = ImportJob.IMPORTING
    job.save(update_fields=["state", "updated_at"])
    try:
        result = imports.import_file(workspace_for(acting_user), job.dataset, Path(job.staged_path), report=report)
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
    return job


def _settle(job: ImportJob, done: Done | None) -> None:
    """Save the job's outcome and let ``done`` record it (the audit event) in one transaction, so
    nobody sees a finished job whose audit event is not there yet."""
    with transaction.atomic():
        job.save()
        if done is not None:
            done(job)


def run(job: ImportJob, step: Callable[..., ImportJob], *args: Any,
        on_done: Callable[[ImportJob], None] | None = None) -> bool:
    """Run ``step(job, *args)`` now, or on a worker thread when the file is large; returns whether
    it ran in the background (the page then polls the job). ``on_done`` is called with the job in
    the transaction that saves its outcome."""

    def work() -> None:
        try:
            step(job, *args, report=progress_recorder(job), done=on_done)
        except Exception as error:  # a worker must record its failure, not vanish
            job.state = ImportJob.FAILED
            job.message = f"internal error ({type(error).__name__}); nothing was imported"
            job.save()
        finally:
            close_old_connections()

    if job.size > int(settings.RISTRA_BACKGROUND_IMPORT_BYTES):
        threading.Thread(target=work, name=f"ristra-import-{job.pk}", daemon=True).start()
        return True
    step(job, *args, done=on_done)
    return False
