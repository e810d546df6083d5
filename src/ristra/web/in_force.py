"""What data is in force: the current snapshot of each dataset and the current category version.

Every audit event about data, every dashboard and every report records these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ristra.core.datasets import DATASETS
from ristra.services.workspace import Workspace


def snapshots_in_force(workspace: Workspace) -> dict[str, str]:
    """``{dataset: current snapshot id}`` for every dataset that has one."""
    out: dict[str, str] = {}
    for name in workspace.snapshots.datasets():
        manifest = workspace.snapshots.current(name)
        if manifest is not None:
            out[name] = manifest.snapshot_id
    return out


def category_version(workspace: Workspace) -> int:
    """The current category version (remembered until the category directory changes)."""
    from ristra.services.publication import category_version as current_version

    return current_version(workspace)


@dataclass(frozen=True)
class DatasetInForce:
    dataset: str
    snapshot_id: str | None
    row_count: int | None
    imported_at: str | None
    imported_by: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "snapshot_id": self.snapshot_id, "row_count": self.row_count,
                "imported_at": self.imported_at, "imported_by": self.imported_by}


@dataclass(frozen=True)
class Overview:
    datasets: tuple[DatasetInForce, ...]
    category_version: int

    def to_dict(self) -> dict[str, Any]:
        return {"datasets": [d.to_dict() for d in self.datasets], "category_version": self.category_version}


def overview(workspace: Workspace) -> Overview:
    rows = []
    for name in DATASETS:
        manifest = workspace.snapshots.current(name)
        rows.append(DatasetInForce(name, manifest.snapshot_id if manifest else None,
                                   manifest.row_count if manifest else None,
                                   manifest.imported_at if manifest else None,
                                   manifest.imported_by if manifest else None))
    return Overview(tuple(rows), category_version(workspace))
