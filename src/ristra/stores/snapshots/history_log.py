"""A dataset's append-only history log, ``<dataset>/history.jsonl``: one JSON object per line, one
:class:`~ristra.core.manifest.HistoryEvent` each.

Appends happen only under the dataset's import lock, as one ``write`` of a whole line followed by
``fsync``. A process killed mid-append can leave a partial last line (no trailing newline):
readers ignore it, and :func:`repair_tail` (run under the lock before every append and by
recovery) truncates it. :func:`reconcile` makes the log agree with CURRENT after a process was
killed between its pointer swap and its log append. A malformed *complete* line is never skipped silently: it raises
:class:`~ristra.stores.snapshots.errors.CorruptSnapshot`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ristra.core.manifest import HistoryEvent
from ristra.stores.atomic import fsync_dir

from .errors import CorruptSnapshot
from .layout import Layout
from .pointer import load_manifest, read_current_id


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


def reconcile(layout: Layout, dataset: str, at: str) -> list[str]:
    """Make the log agree with CURRENT; return what was done. Call only under the import lock.

    - a partial last line is truncated;
    - a current snapshot with no publish event (an import killed after its commit point) gets
      its publish event, stamped from its manifest;
    - a CURRENT that is not the snapshot of the last logged event (a rollback killed after its
      swap) gets a ``recovered`` event stamped ``at``.

    Run by recovery, and by every publish and rollback before it swaps CURRENT, so the snapshot a
    killed operation made current is never lost from the history.
    """
    done = []
    history = layout.history_file(dataset)
    if repair_tail(history):
        done.append(f"{dataset}: dropped a partial last line of {history.name}")
    current = read_current_id(layout, dataset)
    if current is None:
        return done
    events = read_events(history)
    published = {e.snapshot_id for e in events if e.event in ("publish", "recovered")}
    last = events[-1].snapshot_id if events else None
    if current not in published:
        manifest = load_manifest(layout, dataset, current)
        append_event(history, HistoryEvent(
            event="publish", snapshot_id=current, by=manifest.imported_by, at=manifest.imported_at,
            previous=last, note="logged by recovery: the import was killed after it became current"))
        done.append(f"{dataset}: logged the publish event of current snapshot {current}")
    elif last != current:
        append_event(history, HistoryEvent(
            event="recovered", snapshot_id=current, by="recovery", at=at, previous=last,
            note="CURRENT was moved by an operation killed before it could log itself (a rollback)"))
        done.append(f"{dataset}: logged that CURRENT points at {current} (an unlogged rollback)")
    return done
