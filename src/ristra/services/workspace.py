"""The workspace: one data directory holding snapshots, category versions and scratch space.

Configuration is explicit: a :class:`Workspace` is built from a :class:`Settings` value that
the front end assembles once (from flags and the environment) and passes down.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ristra.stores.categories import CategoryStore
from ristra.stores.evidence import EvidenceStore
from ristra.stores.link_runs import LinkRunStore
from ristra.stores.plans import PlanStore
from ristra.stores.snapshots import SnapshotStore

DATA_DIR_ENV = "RISTRA_DATA_DIR"
DEFAULT_DATA_DIR = Path("ristra-data")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Settings:
    """Everything a use case needs to know about where and when it runs.

    ``user`` is recorded as who imported or rolled back; ``clock`` decides what "the future"
    means to validation (tests fix it); ``engine`` is the id of the backend that answers metric
    plans (:data:`ristra.engine.ENGINES`; DuckDB, the embedded default), with ``memory_limit``.
    """

    data_dir: Path
    user: str = "ristra"
    clock: Callable[[], dt.datetime] = field(default=_utc_now, compare=False)
    memory_limit: str = "1GB"
    engine: str = "duckdb"

    @property
    def today(self) -> dt.date:
        return self.clock().date()


def resolve_data_dir(flag: str | None, environ: dict[str, str] | os._Environ[str]) -> Path:
    """``--data-dir``, else ``RISTRA_DATA_DIR``, else ``./ristra-data``."""
    if flag:
        return Path(flag)
    if environ.get(DATA_DIR_ENV):
        return Path(environ[DATA_DIR_ENV])
    return DEFAULT_DATA_DIR


class Workspace:
    """A data directory opened for use: leftovers of killed work are cleaned on opening."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.data_dir
        self.root.mkdir(parents=True, exist_ok=True)
        self.snapshots = SnapshotStore(self.root / "snapshots", clock=settings.clock)
        self.recovered: list[str] = self.snapshots.recover() + self._clean_scratch()

    @property
    def categories(self) -> CategoryStore:
        """The category definitions' versions (``<data dir>/categories/``)."""
        return CategoryStore(self.root)

    @property
    def plans(self) -> PlanStore:
        """The strategic plans' versions and closed cycles (``<data dir>/plans/``)."""
        return PlanStore(self.root)

    @property
    def link_runs(self) -> LinkRunStore:
        """The linkage runs and their clerical decisions (derived snapshots under the data directory)."""
        return LinkRunStore(self.root, clock=self.settings.clock)

    @property
    def evidence(self) -> EvidenceStore:
        """Evidence files attached to plan action updates."""
        return EvidenceStore(self.root)

    @property
    def scratch_root(self) -> Path:
        return self.root / ".work"

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private scratch directory, removed afterwards (and on the next opening if this
        process is killed: the directory's lock is then free)."""
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        directory = self.scratch_root / uuid.uuid4().hex
        directory.mkdir()
        lock_path = directory.with_suffix(".lock")
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield directory
            finally:
                shutil.rmtree(directory, ignore_errors=True)
                lock_path.unlink(missing_ok=True)

    def _clean_scratch(self) -> list[str]:
        removed: list[str] = []
        if not self.scratch_root.is_dir():
            return removed
        for lock_path in self.scratch_root.glob("*.lock"):
            with lock_path.open("a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                directory = lock_path.with_suffix("")
                shutil.rmtree(directory, ignore_errors=True)
                lock_path.unlink(missing_ok=True)
                removed.append(str(directory))
        for directory in self.scratch_root.iterdir():
            if directory.is_dir() and not directory.with_suffix(".lock").exists():
                shutil.rmtree(directory, ignore_errors=True)
                removed.append(str(directory))
        return removed
