"""Where everything lives under the store's root (``data_dir/snapshots``)::

    <root>/
      .locks/<dataset>.lock          per-dataset import lock (flock; holds the holder's pid and name)
      .tmp/<dataset>.<id>/           a writer's temporary directory (never read by readers)
      .tmp/<dataset>.<id>.lock       flocked by that writer for as long as it lives
      .orphaned/<dataset>/<id>/      complete snapshot directories never published (moved here by recovery)
      <dataset>/CURRENT              the current snapshot id + newline, swapped atomically
      <dataset>/history.jsonl        append-only log of publish / rollback / recovered events
      <dataset>/<id>/manifest.json   an immutable snapshot: its manifest ...
      <dataset>/<id>/data.parquet    ... and its files
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CURRENT = "CURRENT"
HISTORY = "history.jsonl"


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
