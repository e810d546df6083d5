"""A dataset's append-only history log, ``<dataset>/history.jsonl``: one JSON object per line, one
:class:`~ristra.core.manifest.HistoryEvent` each.

Appends happen only under the dataset's import lock, as one ``write`` of a whole line followed by
``fsync``. A process killed mid-append can leave a partial last line (no trailing newline):
readers ignore it, and :func:`repair_tail` (run under the lock before every append and by
recovery) truncates it. A malformed *complete* line is never skipped silently: it raises
:class:`~ristra.snapshots.errors.CorruptSnapshot`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ristra.core.manifest import HistoryEvent

from .durable import fsync_dir
from .errors import CorruptSnapshot


def read_events(path: Path) -> list[HistoryEvent]:
    """Every complete event of the log, oldest first ([] when there is no log)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    complete = data[: data.rfind(b"\n") + 1]
    events = []
    for number, line in enumerate(complete.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(HistoryEvent.from_dict(json.loads(line)))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptSnapshot(f"history log {path} line {number} is unreadable: {exc}") from None
    return events


def repair_tail(path: Path) -> bool:
    """Truncate a partial last line left by a killed append. True if something was cut.
    Call only while holding the dataset's import lock."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size == 0:
        return False
    with open(path, "r+b") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return False
        handle.seek(0)
        data = handle.read()
        handle.truncate(data.rfind(b"\n") + 1)
        os.fsync(handle.fileno())
    return True


def append_event(path: Path, event: HistoryEvent) -> None:
    """Append one event durably. Call only while holding the dataset's import lock."""
    repair_tail(path)
    line = (json.dumps(event.to_dict(), sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, line)
        if written != len(line):  # pragma: no cover - regular files write whole small buffers
            raise OSError(f"short write to history log {path}")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
