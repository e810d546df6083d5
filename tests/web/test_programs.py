"""Program pages are slices of the internal publication: the table a page shows is the
publication's own, and its counts are the roster's."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from ristra.core.disclosure import INTERNAL
from ristra.services import publication
from ristra.services.workspace import Settings, Workspace


def test_a_program_page_shows_the_publications_table_with_the_rosters_counts(
        client_as: Any, data_dir: Path, school_sources: Path) -> None:
    page = client_as("coordinator").get("/programs/PP01/")
    shown = page.context["result"].participation
    served = publication.current(Workspace(Settings(data_dir=data_dir, user="test")), INTERNAL, wait=True)
    assert served.publication is not None
    assert shown is served.publication.tables["dashboard/participation-PP01"]
    with (school_sources / "participants.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["program_id"] == "PP01"]
    by_year = Counter(r["year"] for r in rows)
    completed = Counter(r["year"] for r in rows if r["completed"] == "yes")
    assert [label[0] for label in shown.row_labels] == [*sorted(by_year), "All years"]
    expected = [[by_year[y], completed[y], by_year[y] - completed[y]] for y in sorted(by_year)]
    expected.append([len(rows), sum(completed.values()), len(rows) - sum(completed.values())])
    for r, row in enumerate(shown.cells):
        for c, value in enumerate(row):
            assert value is None or value == expected[r][c], (r, c)
    assert shown.policy.threshold == INTERNAL.threshold


def test_the_api_gives_the_same_program_table(client_as: Any, data_dir: Path) -> None:
    client = client_as("coordinator")
    page = client.get("/programs/PP01/").context["result"].participation
    answer = client.get("/api/programs/PP01").json()
    assert answer["state"] == "ready"
    assert answer["participation"]["cells"] == [["suppressed" if v is None else v for v in row] for row in page.cells]
