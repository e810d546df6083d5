"""The writer side of an import: a temporary directory the caller fills, and the publish protocol
that turns it into an immutable snapshot.

Publish protocol (run by :meth:`SnapshotStore.writer <ristra.stores.snapshots.store.SnapshotStore.writer>`
on a clean exit, with the dataset's import lock held):

1. hash every file of the temporary directory (sha256, streaming) and fsync it;
2. write ``manifest.json`` (fsynced) and fsync the temporary directory;
3. rename the temporary directory to ``<dataset>/<snapshot_id>/`` and fsync both parents;
4. reconcile the history log with CURRENT (a predecessor killed after its commit point gets its
   publish event now, so its snapshot is never lost from the history), then swap
   ``<dataset>/CURRENT`` atomically (temp file, fsync, ``os.replace``, fsync) — **the commit
   point**: before it nothing visible has changed, after it the snapshot is current;
5. append a ``publish`` event to ``<dataset>/history.jsonl`` (fsynced).

A failure before step 4 removes everything the import wrote. A kill before step 4 leaves only
leftovers that readers never see and :meth:`recover` removes; a kill between steps 4 and 5 leaves a
current snapshot whose publish event :meth:`recover` writes.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ristra.core.manifest import (
    FILE_NAME_RE,
    FileEntry,
    HistoryEvent,
    SnapshotManifest,
)
from ristra.stores.atomic import fsync_dir

from .durable import hash_and_fsync, pause, sha256_file, write_new_file
from .errors import SnapshotError
from .history_log import append_event, reconcile
from .layout import DATA, MANIFEST, Layout, manifest_file
from .pointer import manifest_bytes, read_current_id, swap_current


@dataclass
class SnapshotWriter:
    """Handed to the caller inside ``with store.writer(...) as w``.

    The caller writes the snapshot's files (plain names, no sub-directories; typically
    ``data.parquet``) into :attr:`directory` and sets :attr:`row_count` (when left ``None`` it is
    the sum of the row counts of the ``.parquet`` files). :attr:`file_rows` may declare the row
    count of non-Parquet files; :attr:`note` becomes the manifest's note. After the ``with`` block
    exits cleanly, :attr:`manifest` holds the published manifest.
    """

    dataset: str
    snapshot_id: str
    directory: Path
    row_count: int | None = None
    note: str | None = None
    file_rows: dict[str, int] = field(default_factory=dict)
    #: The source file's sha256 when the caller already computed it (else the store hashes it).
    source_sha256: str | None = None
    #: The first day the imported extract covers (``YYYY-MM-DD``), when declared.
    extract_start: str | None = None
    manifest: SnapshotManifest | None = None

    def path(self, name: str = DATA) -> Path:
        """Where to write the file ``name`` of the snapshot being built (by default its data file,
        :data:`~ristra.stores.snapshots.layout.DATA`)."""
        return self.directory / name


@dataclass(frozen=True)
class Provenance:
    """What the store records about an import besides its files."""

    imported_by: str
    imported_at: str
    schema_version: int
    source: Path | None
    source_format: str | None
    column_map: str | None


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq  # imported lazily: reading a manifest needs no pyarrow

    try:
        return int(pq.read_metadata(path).num_rows)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SnapshotError(f"{path.name} is not a readable Parquet file: {exc}") from None


def _entries(writer: SnapshotWriter) -> tuple[FileEntry, ...]:
    names = sorted(os.listdir(writer.directory))
    if not names:
        raise SnapshotError(f"the import of {writer.dataset} wrote no files into its snapshot directory")
    entries = []
    for name in names:
        path = writer.directory / name
        mode = os.lstat(path).st_mode
        if name == MANIFEST or not FILE_NAME_RE.match(name) or not stat.S_ISREG(mode):
            raise SnapshotError(
                f"{name!r} cannot be part of a snapshot: a snapshot holds regular files with plain "
                f"names (letters, digits, _ . -), and {MANIFEST} is written by the store")
        os.chmod(path, 0o444)  # published files are immutable; make accidents fail loudly
        digest, size = hash_and_fsync(path)
        rows = writer.file_rows.get(name)
        if rows is None and name.endswith(".parquet"):
            rows = _parquet_rows(path)
        entries.append(FileEntry(name=name, sha256=digest, bytes=size, rows=rows))
    unknown = set(writer.file_rows) - set(names)
    if unknown:
        raise SnapshotError(f"file_rows names files that were not written: {sorted(unknown)}")
    return tuple(entries)


def build_manifest(writer: SnapshotWriter, provenance: Provenance) -> SnapshotManifest:
    """Steps 1–2 of the protocol, minus writing: hash and fsync the files, hash the source."""
    files = _entries(writer)
    row_count = writer.row_count
    if row_count is None:
        parquet = [f.rows for f in files if f.name.endswith(".parquet") and f.rows is not None]
        if not parquet:
            raise SnapshotError("set writer.row_count: the snapshot has no Parquet file to count rows from")
        row_count = sum(parquet)
    source_name = source_sha = None
    if provenance.source is not None:
        source_name = provenance.source.name
        source_sha = writer.source_sha256
        if source_sha is None:
            try:
                source_sha, _ = sha256_file(provenance.source)
            except OSError as exc:
                raise SnapshotError(f"cannot read the source file {provenance.source} to checksum it: {exc}") from None
    return SnapshotManifest(
        snapshot_id=writer.snapshot_id, dataset=writer.dataset, schema_version=provenance.schema_version,
        row_count=row_count, files=files, source_name=source_name, source_sha256=source_sha,
        source_format=provenance.source_format, imported_by=provenance.imported_by,
        imported_at=provenance.imported_at, column_map=provenance.column_map, note=writer.note,
        extract_start=writer.extract_start,
    )


def publish(layout: Layout, writer: SnapshotWriter, provenance: Provenance) -> SnapshotManifest:
    """Run the publish protocol (module docstring) for a filled writer; the caller holds the
    dataset's import lock. On a failure before the commit point nothing visible is left behind."""
    manifest = build_manifest(writer, provenance)
    pause("hashed")
    write_new_file(manifest_file(writer.directory), manifest_bytes(manifest), mode=0o444)
    fsync_dir(writer.directory)
    pause("manifest-written")

    dataset_dir = layout.dataset_dir(writer.dataset)
    if not dataset_dir.is_dir():
        dataset_dir.mkdir(parents=True, exist_ok=True)
        fsync_dir(layout.root)
    final = layout.snapshot_dir(writer.dataset, writer.snapshot_id)
    reconcile(layout, writer.dataset, provenance.imported_at)  # log a predecessor killed after its commit
    previous = read_current_id(layout, writer.dataset)
    os.rename(writer.directory, final)
    try:
        fsync_dir(writer.directory.parent)
        fsync_dir(dataset_dir)
        pause("renamed")
        swap_current(layout, writer.dataset, writer.snapshot_id)
    except BaseException:
        # Not committed: take the directory back out of sight (the caller then deletes it).
        if read_current_id(layout, writer.dataset) != writer.snapshot_id:
            os.rename(final, writer.directory)
        raise
    try:
        append_event(layout.history_file(writer.dataset), HistoryEvent(
            event="publish", snapshot_id=writer.snapshot_id, by=provenance.imported_by,
            at=provenance.imported_at, previous=previous))
    except OSError as exc:
        raise SnapshotError(
            f"snapshot {writer.snapshot_id} of {writer.dataset} is published and current, but its "
            f"history event could not be written ({exc}); SnapshotStore.recover() will add it") from exc
    return manifest


def discard(directory: Path) -> None:
    """Remove a writer's temporary directory (a failed or abandoned import)."""
    shutil.rmtree(directory, ignore_errors=True)
