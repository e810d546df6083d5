"""Start-up recovery: remove what killed imports and rollbacks left behind, and make each
dataset's history agree with its CURRENT pointer.

What recovery does (each action is reported as one line of its return value):

- ``.tmp/<dataset>.<id>/`` and its ``.lock``: removed when the lock is free — the writer that held
  it is dead (flock dies with its process). A live writer's directory is never touched.
- per dataset, only while the dataset's import lock is free (a dataset being imported is skipped):
  ``.CURRENT.tmp-*.part`` files from a killed swap are removed; a partial last line of
  ``history.jsonl`` is truncated; a current snapshot with no publish event (killed after the commit
  point) gets its publish event, stamped from its manifest; a CURRENT that differs from what the log
  last recorded (a rollback killed after its swap) gets a ``recovered`` event; a complete snapshot
  directory that was never published (killed after the rename, before the commit point) is moved to
  ``.orphaned/<dataset>/<id>/`` — kept for inspection, never listed, never read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime

from ristra.core.manifest import DATASET_NAME_RE, format_instant, is_snapshot_id
from ristra.stores.atomic import fsync_dir, is_leftover

from . import locks
from .errors import SnapshotError
from .history_log import read_events, reconcile
from .layout import CURRENT, Layout


def recover(layout: Layout, now: Callable[[], datetime]) -> list[str]:
    """Run recovery over the whole store (module docstring); return what was done."""
    if not layout.root.is_dir():
        return []
    done = _clean_temp(layout)
    for name in sorted(os.listdir(layout.root)):
        if not DATASET_NAME_RE.match(name) or not layout.dataset_dir(name).is_dir():
            continue
        layout.locks.mkdir(parents=True, exist_ok=True)
        lock = locks.acquire(layout.import_lock(name))
        if lock is None:
            continue  # an import or rollback is running: it owns the dataset's directory
        with lock:
            locks.write_owner(lock, f"recovery, pid {os.getpid()}")
            try:
                done.extend(_repair_dataset(layout, name, now))
            except SnapshotError as exc:
                done.append(f"{name}: could not repair: {exc}")
    return done


def _clean_temp(layout: Layout) -> list[str]:
    try:
        names = os.listdir(layout.tmp)
    except FileNotFoundError:
        return []
    done = []
    for base in sorted({n.removesuffix(".lock") for n in names}):
        directory = layout.tmp / base
        lock_path = layout.temp_lock(directory)
        if lock_path.exists():
            lock = locks.acquire(lock_path, create=False)
            if lock is None:
                continue  # its writer is alive (or just finished)
            try:
                if directory.exists():
                    shutil.rmtree(directory)
                    done.append(f"removed {directory.relative_to(layout.root)}/ (an import that did not finish)")
                else:
                    done.append(f"removed {lock_path.relative_to(layout.root)} (a writer's stale lock)")
            finally:
                lock.release(unlink=True)
        elif directory.is_dir():
            # A live writer creates its lock before its directory and removes it after: no lock, no writer.
            shutil.rmtree(directory)
            done.append(f"removed {directory.relative_to(layout.root)}/ (an import that did not finish)")
    if done:
        fsync_dir(layout.tmp)
    return done


def _repair_dataset(layout: Layout, dataset: str, now: Callable[[], datetime]) -> list[str]:
    done = []
    directory = layout.dataset_dir(dataset)
    for name in sorted(os.listdir(directory)):
        if is_leftover(name, of=CURRENT):
            os.unlink(directory / name)
            done.append(f"{dataset}: removed {name} (a pointer swap that did not finish)")
    done.extend(reconcile(layout, dataset, format_instant(now())))
    events = read_events(layout.history_file(dataset))
    published = {e.snapshot_id for e in events if e.event in ("publish", "recovered")}
    for name in sorted(os.listdir(directory)):
        if is_snapshot_id(name) and name not in published and (directory / name).is_dir():
            target = layout.orphaned / dataset / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(directory / name, target)
            fsync_dir(directory)
            fsync_dir(target.parent)
            done.append(f"{dataset}: moved unpublished snapshot directory {name} to "
                        f"{target.relative_to(layout.root)} (an import killed before it became current)")
    if not os.listdir(directory):
        directory.rmdir()
        fsync_dir(layout.root)
        done.append(f"{dataset}: removed the empty dataset directory (a first import that did not finish)")
    return done
