"""Validate and import files into immutable snapshots."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ristra.core.datasets import SCHEMA_VERSION, dataset
from ristra.core.manifest import SnapshotManifest
from ristra.core.validation_issues import ValidationReport
from ristra.ingest.columnmap_file import load_column_map
from ristra.ingest.place_keys import write_place_keys
from ristra.ingest.progress import ProgressCallback as ProgressCallback
from ristra.ingest.sources import check_regular_file, detect_format
from ristra.ingest.validation import validate_file
from ristra.services.workspace import Workspace
from ristra.stores.snapshots.durable import sha256_file
from ristra.stores.snapshots.errors import InvalidProvenance


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the validation report and, when it was valid, the new snapshot."""

    report: ValidationReport
    manifest: SnapshotManifest | None

    @property
    def imported(self) -> bool:
        return self.manifest is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "snapshot_id": self.manifest.snapshot_id if self.manifest else None,
            "report": self.report.to_dict(),
        }


class _Rejected(Exception):
    def __init__(self, report: ValidationReport) -> None:
        super().__init__("invalid input")
        self.report = report


def validate(workspace: Workspace, dataset_name: str, path: Path, map_path: Path | None = None,
             *, report: ProgressCallback | None = None, sheet: str | None = None,
             max_bytes: int | None = None) -> ValidationReport:
    """Validate ``path`` as ``dataset_name`` without changing anything.

    ``path`` must be a regular file (checked before it is opened: a named pipe or a device is
    refused) of at most ``max_bytes`` when given; ``sheet`` names the worksheet of a workbook
    (default: the first visible one). Raises ``UnknownDataset``, ``ColumnMapError`` or
    ``UnreadableFile`` (all with plain messages).
    """
    ds = dataset(dataset_name)
    check_regular_file(path, max_bytes=max_bytes)
    column_map = load_column_map(map_path, ds)
    with workspace.scratch() as work:
        return validate_file(ds, path, workdir=work, column_map=column_map, today=workspace.settings.today,
                             memory_limit=workspace.settings.memory_limit, report=report, sheet=sheet)


#: datasets whose declared first day (``extract_start``) opens a metric's data window: retention
#: (employees) and promotion (the later of employees and employee events)
WINDOWED_DATASETS = ("employees", "employee_events")


def check_extract_start(extract_start: dt.date | str | None, today: dt.date) -> str | None:
    """The declared first day of an extract as ``YYYY-MM-DD`` (None when not declared); raises
    :class:`~ristra.stores.snapshots.errors.InvalidProvenance` for text that is not a date, or a day
    before 1900 or after ``today``."""
    if extract_start is None:
        return None
    if isinstance(extract_start, str):
        try:
            day = dt.date.fromisoformat(extract_start.strip())
        except ValueError:
            raise InvalidProvenance(f"the extract start must be a date written YYYY-MM-DD, not {extract_start!r}; "
                                    "nothing was imported") from None
    else:
        day = extract_start
    if not dt.date(1900, 1, 1) <= day <= today:
        raise InvalidProvenance(f"the extract start {day.isoformat()} must lie between 1900-01-01 and today "
                                f"({today.isoformat()}); nothing was imported")
    return day.isoformat()


def import_file(workspace: Workspace, dataset_name: str, path: Path, map_path: Path | None = None,
                *, wait_seconds: float = 0.0, report: ProgressCallback | None = None, sheet: str | None = None,
                max_bytes: int | None = None, extract_start: dt.date | str | None = None) -> ImportResult:
    """Validate ``path`` and, only if it is valid, publish it as a new snapshot of ``dataset_name``.

    An invalid file changes nothing; a second import of the same dataset while one runs
    raises ``ImportInProgress`` (or waits ``wait_seconds``). ``report(step, percent)`` is
    called as the file is read. ``path``, ``sheet`` and ``max_bytes`` as for :func:`validate`.
    ``extract_start`` declares the first day the extract covers (a date, or text ``YYYY-MM-DD``);
    it is recorded in the snapshot's manifest and opens the data window of retention and
    promotion (:func:`check_extract_start` says what is refused, before anything is read).
    """
    declared = check_extract_start(extract_start, workspace.settings.today)
    ds = dataset(dataset_name)
    check_regular_file(path, max_bytes=max_bytes)
    column_map = load_column_map(map_path, ds)
    source_format = detect_format(path)
    settings = workspace.settings
    try:
        with workspace.scratch() as work, workspace.snapshots.writer(
            ds.name,
            imported_by=settings.user,
            schema_version=SCHEMA_VERSION,
            source=path,
            source_format=source_format,
            column_map=None if column_map.name == "identity" else column_map.name,
            wait_seconds=wait_seconds,
        ) as writer:
            with ThreadPoolExecutor(max_workers=1) as pool:  # hash the source while DuckDB reads it
                source_hash = pool.submit(sha256_file, path)
                outcome = validate_file(ds, path, workdir=work, column_map=column_map, today=settings.today,
                                        output=writer.path(), memory_limit=settings.memory_limit,
                                        report=report, sheet=sheet)
                if not outcome.valid:
                    raise _Rejected(outcome)
                write_place_keys(ds, writer.path(), writer.directory, settings.memory_limit)
                writer.source_sha256 = source_hash.result()[0]
            writer.extract_start = declared
            writer.row_count = outcome.row_count
    except _Rejected as rejected:
        return ImportResult(rejected.report, None)
    return ImportResult(outcome, writer.manifest)


def rollback(workspace: Workspace, dataset_name: str, snapshot_id: str) -> SnapshotManifest:
    """Make an earlier snapshot of ``dataset_name`` current again (logged)."""
    ds = dataset(dataset_name)
    return workspace.snapshots.rollback(ds.name, snapshot_id, by=workspace.settings.user)


def published_from_file(workspace: Workspace, dataset_name: str, path: Path, since: dt.datetime) -> str | None:
    """The dataset's current snapshot id if it was imported from the file at ``path`` (same
    sha256) no earlier than ``since``; else ``None`` (e.g. a server that died between publishing
    a snapshot and recording the import finds what it published)."""
    current = workspace.snapshots.current(dataset_name)
    if current is None or not path.is_file() or current.source_sha256 is None:
        return None
    imported_at = dt.datetime.fromisoformat(current.imported_at.replace("Z", "+00:00"))
    if imported_at < since:
        return None
    return current.snapshot_id if sha256_file(path)[0] == current.source_sha256 else None
