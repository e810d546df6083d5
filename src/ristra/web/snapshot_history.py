"""Snapshot history as values for the snapshots page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ristra.core.datasets import DATASETS
from ristra.services.workspace import Workspace


@dataclass(frozen=True)
class SnapshotLine:
    snapshot_id: str
    current: bool
    row_count: int
    source_name: str
    imported_by: str
    imported_at: str
    events: tuple[str, ...]
    #: the first day the extract covers, as the import declared it ('' when it did not)
    extract_start: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"snapshot_id": self.snapshot_id, "current": self.current, "row_count": self.row_count,
                "source_name": self.source_name, "imported_by": self.imported_by,
                "imported_at": self.imported_at, "events": list(self.events),
                "extract_start": self.extract_start or None}


@dataclass(frozen=True)
class DatasetHistory:
    dataset: str
    snapshots: tuple[SnapshotLine, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "snapshots": [s.to_dict() for s in self.snapshots]}


def dataset_history(workspace: Workspace, dataset: str) -> DatasetHistory:
    lines = tuple(
        SnapshotLine(e.manifest.snapshot_id, e.is_current, e.manifest.row_count, e.manifest.source_name or "",
                     e.manifest.imported_by, e.manifest.imported_at,
                     tuple(f"{ev.event} by {ev.by} at {ev.at}" for ev in e.events), e.manifest.extract_start or "")
        for e in reversed(workspace.snapshots.history(dataset)))
    return DatasetHistory(dataset, lines)


def history(workspace: Workspace) -> tuple[DatasetHistory, ...]:
    """Every dataset, newest snapshot first."""
    return tuple(dataset_history(workspace, name) for name in DATASETS)
