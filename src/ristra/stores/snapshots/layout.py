"""Where everything lives under the store's root (``data_dir/snapshots``)::

    <root>/
      .locks/<dataset>.lock          per-dataset import lock (flock; holds the holder's pid and name)
      .tmp/<dataset>.<id>/           a writer's temporary directory (never read by readers)
      .tmp/<dataset>.<id>.lock       flocked by that writer for as long as it lives
      .orphaned/<dataset>/<id>/      complete snapshot directories never published (moved here by recovery)
      <dataset>/CURRENT              the current snapshot id + newline, swapped atomically
      <dataset>/history.jsonl        append-only log of publish / rollback / recovered events
      <dataset>/<id>/manifest.json   an immutable snapshot: its manifest ...
      <dataset>/<id>/data.parquet    ... its data (the validated rows of the import) ...
      <dataset>/<id>/place-keys-<family>.parquet   ... and the place keys the import stored

This module is the one home of those names: every other module (the store, the import, the metrics
engine, linkage, the link-run store) asks it — :func:`data_file`, :func:`manifest_file`,
:func:`place_keys_file`, :class:`Layout` — and never spells a file name itself
(``tests/stores/test_snapshot_layout.py`` checks this over the whole package). It computes names
only and touches nothing, so every layer that reads or writes a snapshot's files may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ristra.core.manifest import MANIFEST_FILE

CURRENT = "CURRENT"
HISTORY = "history.jsonl"
#: the manifest of a snapshot (the name is reserved by :mod:`ristra.core.manifest`: no file entry may take it)
MANIFEST = MANIFEST_FILE
#: the data of a snapshot: the validated rows of its import, one Parquet file
DATA = "data.parquet"
_PLACE_KEYS_RE = re.compile(r"^place-keys-(?P<family>[a-z][a-z0-9_]*)\.parquet$")


def data_file(snapshot_dir: Path) -> Path:
    """The data file of the snapshot (or snapshot being written) in ``snapshot_dir``."""
    return snapshot_dir / DATA


def manifest_file(snapshot_dir: Path) -> Path:
    """The manifest of the snapshot in ``snapshot_dir``."""
    return snapshot_dir / MANIFEST


def place_keys_name(family: str) -> str:
    """The name of the snapshot file holding the stored place keys of place family ``family``."""
    return f"place-keys-{family}.parquet"


def place_keys_file(snapshot_dir: Path, family: str) -> Path:
    """The stored place keys of ``family`` in the snapshot in ``snapshot_dir``."""
    return snapshot_dir / place_keys_name(family)


def place_keys_family(name: str) -> str | None:
    """The place family whose keys the snapshot file ``name`` holds, or ``None`` for any other file."""
    match = _PLACE_KEYS_RE.match(name)
    return None if match is None else match["family"]


@dataclass(frozen=True)
class Layout:
    """Paths of the on-disk layout (computes names only; touches nothing)."""

    root: Path

    @property
    def tmp(self) -> Path:
        return self.root / ".tmp"

    @property
    def locks(self) -> Path:
        return self.root / ".locks"

    @property
    def orphaned(self) -> Path:
        return self.root / ".orphaned"

    def import_lock(self, dataset: str) -> Path:
        return self.locks / f"{dataset}.lock"

    def dataset_dir(self, dataset: str) -> Path:
        return self.root / dataset

    def current_file(self, dataset: str) -> Path:
        return self.root / dataset / CURRENT

    def history_file(self, dataset: str) -> Path:
        return self.root / dataset / HISTORY

    def snapshot_dir(self, dataset: str, snapshot_id: str) -> Path:
        return self.root / dataset / snapshot_id

    def temp_dir(self, dataset: str, snapshot_id: str) -> Path:
        return self.tmp / f"{dataset}.{snapshot_id}"

    def temp_lock(self, temp_dir: Path) -> Path:
        return temp_dir.with_name(temp_dir.name + ".lock")
