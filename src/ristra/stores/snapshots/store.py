"""The snapshot store: every import becomes an immutable, checksummed snapshot directory,
published by one atomic swap of a ``CURRENT`` pointer, with an append-only history and rollback.

Guarantees (the on-disk layout is in :mod:`ristra.stores.snapshots.layout`, the publish protocol in
:mod:`ristra.stores.snapshots.writer`, the full story in ``docs/snapshots.md``):

- readers take no lock: :meth:`SnapshotStore.current` reads CURRENT, then the manifest of an
  immutable directory, so a reader sees the old or the new snapshot completely, never a mix;
- the store never modifies or deletes a published snapshot; rollback only moves CURRENT;
- one import (or rollback) per dataset at a time, enforced with ``fcntl.flock``;
- a failed import leaves no trace; a killed one leaves only hidden leftovers that
  :meth:`SnapshotStore.recover` removes (run it at start-up);
- a snapshot is *published* when the history log records its publish event or CURRENT names it;
  a complete snapshot directory that is neither (an import killed just before its commit point)
  is an orphan: never listed, never returned, moved to ``.orphaned/`` by recovery.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ristra.core.manifest import (
    DATASET_NAME_RE,
    HistoryEvent,
    SnapshotEntry,
    SnapshotManifest,
    check_dataset_name,
    format_instant,
    format_snapshot_id,
    is_snapshot_id,
)

from . import locks
from .durable import sha256_file
from .errors import CorruptSnapshot, ImportInProgress, SnapshotNotFound
from .history_log import append_event, read_events, reconcile
from .layout import DATA, MANIFEST, Layout, manifest_file, place_keys_family
from .pointer import load_manifest, read_current_id, swap_current
from .recovery import recover
from .writer import Provenance, SnapshotWriter, discard, publish


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SnapshotStore:
    """Snapshots of every dataset under ``root`` (normally ``data_dir / "snapshots"``).

    Constructing a store touches nothing on disk and does not recover; call :meth:`recover` at
    start-up. ``clock`` (timezone-aware, default: now in UTC) stamps snapshot ids, manifests and
    history events.
    """

    def __init__(self, root: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root)
        self.layout = Layout(self.root)
        self._clock = clock or _utc_now

    def __repr__(self) -> str:
        return f"SnapshotStore({str(self.root)!r})"

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def writer(self, dataset: str, *, imported_by: str, schema_version: int, source: Path | None = None,
               source_format: str | None = None, column_map: str | None = None,
               wait_seconds: float = 0.0) -> Iterator[SnapshotWriter]:
        """Build and publish one snapshot of ``dataset``.

        Takes the dataset's import lock (waiting up to ``wait_seconds``, else raising
        :class:`ImportInProgress`), yields a :class:`SnapshotWriter` whose ``directory`` is a fresh
        hidden temporary directory, and on a clean exit publishes it (see
        :mod:`ristra.stores.snapshots.writer`); ``writer.manifest`` then holds the manifest. If the block
        raises, the temporary directory is deleted, the lock released and the exception re-raised:
        nothing visible changes.
        """
        check_dataset_name(dataset)
        if not imported_by or not imported_by.strip():
            raise ValueError("imported_by must name who is importing")
        lock = self._lock(dataset, wait_seconds, doing=f"import by {imported_by}")
        try:
            moment = self._now()
            snapshot_id = format_snapshot_id(moment, secrets.token_hex(3))
            directory = self.layout.temp_dir(dataset, snapshot_id)
            temp_lock = locks.acquire(self.layout.temp_lock(directory))
            assert temp_lock is not None  # a fresh name: nobody else can hold it
            try:
                directory.mkdir()
                writer = SnapshotWriter(dataset=dataset, snapshot_id=snapshot_id, directory=directory)
                provenance = Provenance(
                    imported_by=imported_by, imported_at=format_instant(moment),
                    schema_version=schema_version, source=Path(source) if source is not None else None,
                    source_format=source_format, column_map=column_map)
                try:
                    yield writer
                    writer.manifest = publish(self.layout, writer, provenance)
                finally:
                    discard(directory)  # gone already after a successful publish
            finally:
                temp_lock.release(unlink=True)
        finally:
            lock.release()

    def rollback(self, dataset: str, snapshot_id: str, *, by: str, wait_seconds: float = 0.0) -> SnapshotManifest:
        """Point CURRENT at an earlier published snapshot and log a ``rollback`` event.

        Runs under the dataset's import lock (:class:`ImportInProgress` if an import is running).
        Raises :class:`SnapshotNotFound` for an id that was never published and
        :class:`CorruptSnapshot` if the target no longer matches its checksums. Rolling back to the
        snapshot that is already current changes nothing and logs nothing.
        """
        check_dataset_name(dataset)
        if not by or not by.strip():
            raise ValueError("rollback needs `by`: who is rolling back")
        with self._lock(dataset, wait_seconds, doing=f"rollback by {by}"):
            at = format_instant(self._now())
            reconcile(self.layout, dataset, at)
            manifest = self.get(dataset, snapshot_id)
            problems = self.verify(manifest)
            if problems:
                raise CorruptSnapshot(f"cannot roll {dataset} back to {snapshot_id}: the snapshot is damaged: "
                                      + "; ".join(problems))
            previous = read_current_id(self.layout, dataset)
            if previous == snapshot_id:
                return manifest
            swap_current(self.layout, dataset, snapshot_id)
            append_event(self.layout.history_file(dataset), HistoryEvent(
                event="rollback", snapshot_id=snapshot_id, by=by, at=at,
                previous=previous))
            return manifest

    def recover(self) -> list[str]:
        """Remove the leftovers of killed imports and return a description of each thing done.

        Safe while other processes import: a temporary directory is removed only when its
        writer's lock is free (its writer is dead), and a dataset is repaired only while its
        import lock is free. See :func:`ristra.stores.snapshots.recovery.recover`.
        """
        return recover(self.layout, self._now)

    # -- reading (no locks) -----------------------------------------------------------------------

    def dataset_names(self) -> list[str]:
        """Names of the dataset directories (with or without a current snapshot), unsorted: the
        cheap listing for callers that look at each one's pointer anyway."""
        try:
            return [n for n in os.listdir(self.root) if DATASET_NAME_RE.match(n)]
        except FileNotFoundError:
            return []

    def datasets(self) -> list[str]:
        """Names of the datasets that have a current snapshot, sorted."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if DATASET_NAME_RE.match(n) and self.layout.current_file(n).is_file())

    def current(self, dataset: str) -> SnapshotManifest | None:
        """The manifest of the dataset's current snapshot, or ``None`` if it has none yet."""
        check_dataset_name(dataset)
        snapshot_id = read_current_id(self.layout, dataset)
        if snapshot_id is None:
            return None
        return self._load(dataset, snapshot_id)

    def get(self, dataset: str, snapshot_id: str) -> SnapshotManifest:
        """The manifest of a published snapshot; :class:`SnapshotNotFound` otherwise."""
        check_dataset_name(dataset)
        if not is_snapshot_id(snapshot_id):
            raise SnapshotNotFound(f"{snapshot_id!r} is not a snapshot id (they look like "
                                   f"20261126T173015.123456Z-a1b2c3); list them with `ristra snapshots {dataset}`")
        if snapshot_id not in self._published_ids(dataset):
            raise SnapshotNotFound(f"dataset {dataset} has no published snapshot {snapshot_id}; "
                                   f"list them with `ristra snapshots {dataset}`")
        return self._load(dataset, snapshot_id)

    def events(self, dataset: str) -> list[HistoryEvent]:
        """The dataset's history log, oldest first."""
        check_dataset_name(dataset)
        return read_events(self.layout.history_file(dataset))

    def history(self, dataset: str) -> list[SnapshotEntry]:
        """Every published snapshot of the dataset in the order it was first published (oldest
        first), each with ``is_current`` and the history events that concern it. A current snapshot
        whose publish event a kill prevented is listed last, with no events, until recovery logs it.
        """
        check_dataset_name(dataset)
        events = self.events(dataset)
        current = read_current_id(self.layout, dataset)
        ids = self._published_ids(dataset, events, current)
        return [SnapshotEntry(manifest=self._load(dataset, sid), is_current=sid == current,
                              events=tuple(e for e in events if e.snapshot_id == sid)) for sid in ids]

    def path(self, manifest: SnapshotManifest, name: str = DATA) -> Path:
        """The path of file ``name`` of a snapshot (by default its data file,
        :data:`~ristra.stores.snapshots.layout.DATA`); :class:`SnapshotNotFound` if it has no such file."""
        try:
            manifest.file(name)
        except KeyError as exc:
            raise SnapshotNotFound(str(exc.args[0])) from None
        return self.layout.snapshot_dir(manifest.dataset, manifest.snapshot_id) / name

    def place_keys(self, manifest: SnapshotManifest) -> dict[str, Path]:
        """The place keys the import of a snapshot stored, per place family (``{}`` for a snapshot
        with none, e.g. one imported before place keys were stored)."""
        directory = self.layout.snapshot_dir(manifest.dataset, manifest.snapshot_id)
        found = {}
        for entry in manifest.files:
            family = place_keys_family(entry.name)
            if family is not None:
                found[family] = directory / entry.name
        return found

    def verify(self, manifest: SnapshotManifest) -> list[str]:
        """Check a snapshot on disk against ``manifest``: every problem found (a missing file, a
        size or sha256 mismatch, an unexpected file, a manifest.json that differs); ``[]`` means
        intact. Reads every byte of every file."""
        directory = self.layout.snapshot_dir(manifest.dataset, manifest.snapshot_id)
        where = f"{manifest.dataset}/{manifest.snapshot_id}"
        if not directory.is_dir():
            return [f"{where}: the snapshot directory is missing"]
        problems = []
        try:
            on_disk = SnapshotManifest.from_dict(json.loads(manifest_file(directory).read_bytes()))
            if on_disk != manifest:
                problems.append(f"{where}/{MANIFEST}: differs from the manifest being verified")
        except FileNotFoundError:
            problems.append(f"{where}/{MANIFEST}: missing")
        except ValueError as exc:
            problems.append(f"{where}/{MANIFEST}: unreadable ({exc})")
        for entry in manifest.files:
            path = directory / entry.name
            try:
                digest, size = sha256_file(path)
            except FileNotFoundError:
                problems.append(f"{where}/{entry.name}: missing")
                continue
            if size != entry.bytes:
                problems.append(f"{where}/{entry.name}: {size} bytes, the manifest says {entry.bytes}")
            elif digest != entry.sha256:
                problems.append(f"{where}/{entry.name}: sha256 mismatch")
        expected = {e.name for e in manifest.files} | {MANIFEST}
        for extra in sorted(set(os.listdir(directory)) - expected):
            problems.append(f"{where}/{extra}: not listed in the manifest")
        return problems

    # -- internals ---------------------------------------------------------------------------------

    def _now(self) -> datetime:
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the store's clock must return timezone-aware datetimes")
        return moment

    def _lock(self, dataset: str, wait_seconds: float, *, doing: str) -> locks.HeldLock:
        path = self.layout.import_lock(dataset)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.layout.tmp.mkdir(parents=True, exist_ok=True)

        def busy() -> ImportInProgress:
            owner = locks.read_owner(path)
            waited = f" (waited {wait_seconds:g} s)" if wait_seconds > 0 else ""
            return ImportInProgress(
                f"another import of dataset {dataset!r} is in progress{waited}"
                + (f": {owner}" if owner else "") + "; try again when it has finished")

        lock = locks.acquire(path, wait_seconds=wait_seconds, on_busy=busy)
        assert lock is not None
        locks.write_owner(lock, f"{doing}, pid {os.getpid()}, since {format_instant(self._now())}")
        return lock

    def _published_ids(self, dataset: str, events: list[HistoryEvent] | None = None,
                       current: str | None = None) -> list[str]:
        if events is None:
            events = self.events(dataset)
            current = read_current_id(self.layout, dataset)
        ids = list(dict.fromkeys(e.snapshot_id for e in events if e.event in ("publish", "recovered")))
        if current is not None and current not in ids:
            ids.append(current)
        return ids

    def _load(self, dataset: str, snapshot_id: str) -> SnapshotManifest:
        return load_manifest(self.layout, dataset, snapshot_id)
