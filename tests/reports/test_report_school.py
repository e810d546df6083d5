"""The report tests' fixture school imports through the ordinary import service with the row counts
its description promises."""

from __future__ import annotations

from pathlib import Path

from ristra.services.workspace import Workspace
from support.report_school import import_school


def test_the_fixture_school_imports(workspace: Workspace, tmp_path: Path) -> None:
    import_school(workspace, tmp_path / "school")
    counts = {d: workspace.snapshots.current(d).row_count for d in workspace.snapshots.datasets()}  # type: ignore[union-attr]
    assert counts == {"applications": 141, "students": 37, "employees": 30, "trainees": 19, "programs": 2,
                      "participants": 55}
