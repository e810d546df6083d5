"""Errors raised by the snapshot store. Every message says which dataset and snapshot it is
about and, where there is one, what to do next."""

from __future__ import annotations


class SnapshotError(Exception):
    """Base class of every snapshot-store error."""


class ImportInProgress(SnapshotError):
    """Another import (or rollback) of the same dataset holds the dataset's import lock."""


class SnapshotNotFound(SnapshotError):
    """The dataset has no such published snapshot (or the snapshot has no such file)."""


class CorruptSnapshot(SnapshotError):
    """A snapshot on disk does not match its manifest, or the manifest or CURRENT pointer is unreadable."""


class InvalidProvenance(SnapshotError):
    """What an import declares about its extract cannot be right (e.g. an extract that starts after
    today); nothing is imported."""
