"""Serving publications: the snapshots in force, one publication per audience and snapshots,
built in the background; a page never mixes a previous publication with new snapshots."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ristra.core.disclosure import (
    Policy,
)
from ristra.services.publication import building
from ristra.services.publication.values import AuditLog, Publication, PublicationError, Status
from ristra.services.workspace import Workspace

_BUILT: dict[tuple[object, ...], Publication] = {}
_RUNNING: dict[tuple[object, ...], Status] = {}
_FAILED: dict[tuple[object, ...], tuple[str, BaseException]] = {}
_LOCK = threading.Lock()


def in_force(workspace: Workspace) -> tuple[tuple[tuple[str, str], ...], int]:
    """The snapshots in force and the category version: what a publication is made from. The
    snapshots are read again only when a dataset's current-snapshot pointer changes (it is
    replaced atomically on every publish or rollback)."""
    store = workspace.snapshots
    stamp = []
    for name in sorted(store.dataset_names()):
        try:
            info = store.layout.current_file(name).stat()
        except FileNotFoundError:  # a dataset directory without a current snapshot yet
            continue
        stamp.append((name, info.st_mtime_ns, info.st_ino, info.st_size))
    known = _POINTERS.get(store.root)
    if known is not None and known[0] == tuple(stamp):
        snapshots = known[1]
    else:
        found = []
        for name, *_ in stamp:
            manifest = store.current(name)
            if manifest is not None and manifest.row_count:
                found.append((name, manifest.snapshot_id))
        snapshots = tuple(sorted(found))
        _POINTERS[store.root] = (tuple(stamp), snapshots)
    return snapshots, category_version(workspace)


_POINTERS: dict[Path, tuple[tuple[tuple[str, int, int, int], ...], tuple[tuple[str, str], ...]]] = {}


_VERSIONS: dict[Path, tuple[tuple[int, int], int]] = {}


def category_version(workspace: Workspace) -> int:
    """The current category version. Reading a version parses and checks every rule, so the number
    is remembered per directory until the directory changes (a new version is a new file)."""
    from ristra.stores.categories import CategoryStore

    store = CategoryStore(workspace.root)
    try:
        stamp = (store.directory.stat().st_mtime_ns, sum(1 for _ in store.directory.iterdir()))
    except FileNotFoundError:
        return store.current().version  # seeds version 1
    known = _VERSIONS.get(store.directory)
    if known is not None and known[0] == stamp:
        return known[1]
    version = store.current().version
    _VERSIONS[store.directory] = (stamp, version)
    return version


def _key(workspace: Workspace, policy: Policy, templates: tuple[str, ...],
         state: tuple[tuple[tuple[str, str], ...], int]) -> tuple[object, ...]:
    from ristra.services.linkage import linkage_stamp
    from ristra.services.publication.scorecards import plan_versions

    # a plan edit changes the scorecards, and a new link run or clerical decision the program
    # outcomes, so each makes a new publication like a new snapshot
    return (_resolved(workspace.root), policy, templates, state, plan_versions(workspace), linkage_stamp(workspace))


@functools.lru_cache(maxsize=64)
def _resolved(root: Path) -> str:
    """The data directory's real path (two workspaces of one directory share publications)."""
    return str(root.resolve())


def current(workspace: Workspace, policy: Policy, *, templates: Sequence[str | Path] | None = None,
            state: tuple[tuple[tuple[str, str], ...], int] | None = None,
            wait: bool | float = False, audit_log: AuditLog | None = None) -> Status:
    """The publication of the snapshots in force for ``policy`` (see the module docstring).
    ``templates`` replaces the shipped report templates (a publication of its own). With
    ``wait`` the call builds it if needed and returns when it is ready or failed — or, when
    ``wait`` is a number of seconds, at the latest then (still preparing)."""
    state = in_force(workspace) if state is None else state
    chosen = tuple(str(t) for t in templates) if templates is not None else ()
    key = _key(workspace, policy, chosen, state)
    with _LOCK:
        built = _BUILT.get(key)
        if built is not None:
            return Status("ready", built)
        if key in _FAILED:
            if wait is False:
                return Status("failed", error=_FAILED[key][0], cause=_FAILED[key][1])
            del _FAILED[key]  # a caller that waits tries again (the cause may have been fixed)
        running = _RUNNING.get(key)
        if running is None:
            _RUNNING[key] = Status("preparing", stage="starting")
            thread = threading.Thread(target=_build_in_background,
                                      args=(workspace, policy, templates, key, audit_log),
                                      name=f"publication-{policy.audience}", daemon=True)
            thread.start()
        else:
            thread = None
    if wait is not False:
        deadline = None if wait is True else time.monotonic() + float(wait)
        while deadline is None or time.monotonic() < deadline:
            with _LOCK:
                if key in _BUILT:
                    return Status("ready", _BUILT[key])
                if key in _FAILED:
                    return Status("failed", error=_FAILED[key][0], cause=_FAILED[key][1])
            time.sleep(0.02)
    with _LOCK:
        return _RUNNING.get(key) or (Status("ready", _BUILT[key]) if key in _BUILT else Status("preparing"))


def _build_in_background(workspace: Workspace, policy: Policy, templates: Sequence[str | Path] | None,
                         key: tuple[object, ...], audit_log: AuditLog | None) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        with _LOCK:
            _RUNNING[key] = Status("preparing", stage=stage, done=done, total=total)

    try:
        publication = building.build(workspace, policy, templates=templates, progress=progress, audit_log=audit_log)
    except Exception as error:  # recorded and shown; the previous publication is not mixed in
        message = str(error) if isinstance(error, PublicationError | ValueError) else \
            f"the publication could not be made ({type(error).__name__})"
        with _LOCK:
            _FAILED[key] = (message, error)
            _RUNNING.pop(key, None)
        return
    with _LOCK:
        for old in [k for k in _BUILT if k[:3] == key[:3]]:
            del _BUILT[old]
        _BUILT[key] = publication
        _FAILED.pop(key, None)
        _RUNNING.pop(key, None)


def clear_cache() -> None:
    """Forget built publications (tests and benchmarks)."""
    with _LOCK:
        _BUILT.clear()
        _FAILED.clear()
        building.forget()
