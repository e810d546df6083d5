"""Immutable, checksummed snapshots of imported datasets, published atomically, with history and
rollback. See :mod:`ristra.stores.snapshots.store` and ``docs/snapshots.md``."""

from ristra.core.manifest import FileEntry, HistoryEvent, SnapshotEntry, SnapshotManifest

from .errors import CorruptSnapshot, ImportInProgress, InvalidProvenance, SnapshotError, SnapshotNotFound
from .store import SnapshotStore
from .writer import SnapshotWriter

__all__ = [
    "CorruptSnapshot", "FileEntry", "HistoryEvent", "ImportInProgress", "InvalidProvenance", "SnapshotEntry",
    "SnapshotError",
    "SnapshotManifest", "SnapshotNotFound", "SnapshotStore", "SnapshotWriter",
]
