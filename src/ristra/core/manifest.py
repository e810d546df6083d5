"""Snapshot manifests and history events: the values that describe an immutable snapshot.

A snapshot is one published import of one dataset: a directory of files (usually a single
``data.parquet``) plus a ``manifest.json`` holding a :class:`SnapshotManifest`. This module holds
only the *values* and their strict dict round-trip; reading and writing them on disk is the job of
``ristra.stores.snapshots`` (core is pure, see ``tests/invariants/test_core_purity.py``).

Contract of the dict form (``to_dict`` / ``from_dict``):

- ``to_dict()`` returns JSON-ready builtins only (str, int, None, list, dict);
- ``from_dict(to_dict(m)) == m`` for every valid value;
- ``from_dict`` is strict: a missing key, an unknown key, a wrong type or an invalid value raises
  :class:`ValueError` naming the offending key — a manifest is never half-understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

#: Version of the manifest's dict layout; stored as ``manifest_format`` in every manifest. Format 2
#: added ``extract_start``; a format-1 manifest is read with ``extract_start`` None.
MANIFEST_FORMAT = 2
READABLE_FORMATS = (1, 2)

#: ``20261126T173015.123456Z-a1b2c3``: UTC time to the microsecond, then a random suffix, so that ids
#: sort by time and stay unique within the same microsecond.
SNAPSHOT_ID_RE = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{6}$")
#: Dataset names are identifiers: they become directory names.
DATASET_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: A file in a snapshot is a plain name (no directories, not hidden, not the manifest itself).
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
MANIFEST_FILE = "manifest.json"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SUFFIX_RE = re.compile(r"^[0-9a-f]{6}$")
#: Kinds of history events.
EVENT_KINDS = ("publish", "rollback", "recovered")


def check_dataset_name(name: str) -> str:
    """Return ``name`` if it is a valid dataset name, else raise :class:`ValueError`."""
    if not isinstance(name, str) or not DATASET_NAME_RE.match(name):
        raise ValueError(f"invalid dataset name {name!r}: use lower-case letters, digits and _ "
                         "(starting with a letter, at most 64 characters)")
    return name


def is_snapshot_id(text: str) -> bool:
    """True if ``text`` has the form of a snapshot id (see :data:`SNAPSHOT_ID_RE`)."""
    return isinstance(text, str) and SNAPSHOT_ID_RE.match(text) is not None


def utc_instant(moment: datetime) -> datetime:
    """``moment`` converted to UTC; a naive datetime is refused (its zone would be a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required (got a naive one)")
    return moment.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and a ``Z``: ``2026-11-26T17:30:15.123456Z``."""
    m = utc_instant(moment)
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
            f".{m.microsecond:06d}Z")


def format_snapshot_id(moment: datetime, suffix: str) -> str:
    """The snapshot id for an instant and a 6-hex-digit random suffix (chosen by the caller)."""
    if not _SUFFIX_RE.match(suffix):
        raise ValueError(f"snapshot id suffix must be 6 lower-case hex digits, got {suffix!r}")
    m = utc_instant(moment)
    return (f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}"
            f".{m.microsecond:06d}Z-{suffix}")


def _check_instant_text(key: str, text: str) -> None:
    if not isinstance(text, str) or not (text.endswith("Z") or text.endswith("+00:00")):
        raise ValueError(f"{key} must be an ISO 8601 UTC timestamp ending in Z, got {text!r}")
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{key} is not a valid ISO 8601 timestamp: {text!r}") from None


def _check_type(key: str, value: Any, kinds: type | tuple[type, ...], optional: bool = False) -> None:
    if value is None and optional:
        return
    # bool is an int subclass; a manifest never means True when it says 1.
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise ValueError(f"{key} has the wrong type: bool")
    if not isinstance(value, kinds):
        raise ValueError(f"{key} has the wrong type: {type(value).__name__}")


def _strict_keys(what: str, d: Any, expected: set[str]) -> None:
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(d).__name__}")
    missing = expected - set(d)
    unknown = set(d) - expected
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing keys {sorted(missing)}")
        if unknown:
            parts.append(f"unknown keys {sorted(str(k) for k in unknown)}")
        raise ValueError(f"{what}: " + "; ".join(parts))


@dataclass(frozen=True)
class FileEntry:
    """One file of a snapshot: its plain name, sha256 (lower-case hex), size in bytes and, for a
    Parquet file, its row count (``None`` when the file has no rows to count)."""

    name: str
    sha256: str
    bytes: int
    rows: int | None

    def __post_init__(self) -> None:
        _check_type("file name", self.name, str)
        if not FILE_NAME_RE.match(self.name) or self.name == MANIFEST_FILE:
            raise ValueError(f"invalid snapshot file name {self.name!r}")
        _check_type("sha256", self.sha256, str)
        if not _SHA256_RE.match(self.sha256):
            raise ValueError(f"sha256 of {self.name} must be 64 lower-case hex digits")
        _check_type("bytes", self.bytes, int)
        _check_type("rows", self.rows, int, optional=True)
        if self.bytes < 0 or (self.rows is not None and self.rows < 0):
            raise ValueError(f"bytes and rows of {self.name} must not be negative")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "bytes": self.bytes, "rows": self.rows}

    @classmethod
    def from_dict(cls, d: Any) -> FileEntry:
        _strict_keys("file entry", d, {"name", "sha256", "bytes", "rows"})
        return cls(name=d["name"], sha256=d["sha256"], bytes=d["bytes"], rows=d["rows"])


_MANIFEST_KEYS_V1 = {
    "manifest_format", "snapshot_id", "dataset", "schema_version", "row_count", "files", "source_name",
    "source_sha256", "source_format", "imported_by", "imported_at", "column_map", "note",
}
_MANIFEST_KEYS = {*_MANIFEST_KEYS_V1, "extract_start"}


def check_extract_start(text: str | None) -> str | None:
    """``text`` if it is None or a calendar date written ``YYYY-MM-DD``, else :class:`ValueError`."""
    if text is None:
        return None
    if not isinstance(text, str) or len(text) != 10:
        raise ValueError(f"extract_start must be a date written YYYY-MM-DD, got {text!r}")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"extract_start must be a date written YYYY-MM-DD, got {text!r}") from None
    return text


@dataclass(frozen=True)
class SnapshotManifest:
    """What one snapshot holds and where it came from.

    ``files`` lists every file of the snapshot directory except ``manifest.json`` itself, sorted by
    name. ``source_*`` describe the imported file (``None`` when the snapshot was not made from a
    file). ``imported_at`` is ISO 8601 UTC (``...Z``); ``snapshot_id`` begins with the same instant.
    ``extract_start`` (``YYYY-MM-DD``, or None when not declared) is the first day the imported
    extract covers, as declared by whoever imported it: records of what ended before it are not in
    the data, so time-to-event metrics open their data window there (left truncation).
    """

    snapshot_id: str
    dataset: str
    schema_version: int
    row_count: int
    files: tuple[FileEntry, ...]
    source_name: str | None
    source_sha256: str | None
    source_format: str | None
    imported_by: str
    imported_at: str
    column_map: str | None = None
    note: str | None = None
    extract_start: str | None = None

    def __post_init__(self) -> None:
        check_extract_start(self.extract_start)
        _check_type("snapshot_id", self.snapshot_id, str)
        if not is_snapshot_id(self.snapshot_id):
            raise ValueError(f"invalid snapshot id {self.snapshot_id!r}")
        check_dataset_name(self.dataset)
        _check_type("schema_version", self.schema_version, int)
        _check_type("row_count", self.row_count, int)
        if self.schema_version < 1 or self.row_count < 0:
            raise ValueError("schema_version must be >= 1 and row_count >= 0")
        _check_type("files", self.files, tuple)
        names = [f.name for f in self.files if isinstance(f, FileEntry)]
        if len(names) != len(self.files):
            raise ValueError("files must hold FileEntry values")
        if len(set(names)) != len(names):
            raise ValueError("a file is listed twice in the manifest")
        for key in ("source_name", "source_sha256", "source_format", "column_map", "note"):
            _check_type(key, getattr(self, key), str, optional=True)
        if self.source_sha256 is not None and not _SHA256_RE.match(self.source_sha256):
            raise ValueError("source_sha256 must be 64 lower-case hex digits")
        _check_type("imported_by", self.imported_by, str)
        if not self.imported_by.strip():
            raise ValueError("imported_by must name who imported the snapshot")
        _check_instant_text("imported_at", self.imported_at)

    def file(self, name: str) -> FileEntry:
        """The entry for ``name``; :class:`KeyError` if the snapshot has no such file."""
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(f"snapshot {self.snapshot_id} of {self.dataset} has no file {name!r}; "
                       f"it has: {', '.join(f.name for f in self.files) or 'no files'}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest_format": MANIFEST_FORMAT,
            "snapshot_id": self.snapshot_id,
            "dataset": self.dataset,
            "schema_version": self.schema_version,
            "row_count": self.row_count,
            "files": [f.to_dict() for f in self.files],
            "source_name": self.source_name,
            "source_sha256": self.source_sha256,
            "source_format": self.source_format,
            "imported_by": self.imported_by,
            "imported_at": self.imported_at,
            "column_map": self.column_map,
            "note": self.note,
            "extract_start": self.extract_start,
        }

    @classmethod
    def from_dict(cls, d: Any) -> SnapshotManifest:
        version = d.get("manifest_format") if isinstance(d, dict) else None
        if isinstance(d, dict) and "manifest_format" in d and (
                isinstance(version, bool) or version not in READABLE_FORMATS):
            raise ValueError(f"unsupported manifest_format {version!r} "
                             f"(this version reads {', '.join(map(str, READABLE_FORMATS))})")
        _strict_keys("snapshot manifest", d, _MANIFEST_KEYS_V1 if version == 1 else _MANIFEST_KEYS)
        if not isinstance(d["files"], list):
            raise ValueError("files must be a list")
        return cls(
            snapshot_id=d["snapshot_id"], dataset=d["dataset"], schema_version=d["schema_version"],
            row_count=d["row_count"], files=tuple(FileEntry.from_dict(f) for f in d["files"]),
            source_name=d["source_name"], source_sha256=d["source_sha256"],
            source_format=d["source_format"], imported_by=d["imported_by"],
            imported_at=d["imported_at"], column_map=d["column_map"], note=d["note"],
            extract_start=d.get("extract_start"),
        )


_EVENT_KEYS = {"event", "snapshot_id", "by", "at", "previous", "note"}


@dataclass(frozen=True)
class HistoryEvent:
    """One line of a dataset's append-only history log.

    ``event`` is ``publish`` (a new snapshot became current), ``rollback`` (CURRENT moved to an
    earlier published snapshot) or ``recovered`` (recovery found CURRENT changed by an operation
    killed before it could log itself, and recorded the fact). ``previous`` is the snapshot that was
    current before the event (``None`` for the first publish).
    """

    event: str
    snapshot_id: str
    by: str
    at: str
    previous: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.event not in EVENT_KINDS:
            raise ValueError(f"unknown history event {self.event!r}; expected one of {EVENT_KINDS}")
        for key in ("snapshot_id", "previous"):
            value = getattr(self, key)
            if not (value is None and key == "previous") and not is_snapshot_id(value):
                raise ValueError(f"invalid {key} {value!r} in history event")
        _check_type("by", self.by, str)
        _check_type("note", self.note, str, optional=True)
        _check_instant_text("at", self.at)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "snapshot_id": self.snapshot_id, "by": self.by, "at": self.at,
                "previous": self.previous, "note": self.note}

    @classmethod
    def from_dict(cls, d: Any) -> HistoryEvent:
        _strict_keys("history event", d, _EVENT_KEYS)
        return cls(event=d["event"], snapshot_id=d["snapshot_id"], by=d["by"], at=d["at"],
                   previous=d["previous"], note=d["note"])


@dataclass(frozen=True)
class SnapshotEntry:
    """One published snapshot as listed by a dataset's history: its manifest, whether it is the
    current one, and every history event that concerns it (its publish, rollbacks to it), oldest
    first."""

    manifest: SnapshotManifest
    is_current: bool
    events: tuple[HistoryEvent, ...] = field(default=())

    @property
    def snapshot_id(self) -> str:
        return self.manifest.snapshot_id

    def to_dict(self) -> dict[str, Any]:
        return {"manifest": self.manifest.to_dict(), "is_current": self.is_current,
                "events": [e.to_dict() for e in self.events]}
