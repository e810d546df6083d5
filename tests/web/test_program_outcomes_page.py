"""The program page's outcomes table and ``GET /api/programs/{id}/outcomes`` on a *linked* school:
every released cell is the count the outcomes service computes for the same school, or is
suppressed; a coordinator sees their own programs only; the public audience's tables of the same
outcomes (dashboard, LCME pipeline table, program outcomes report) hold released cells only.

A small synthetic school with identity datasets is imported and its rosters linked to the
applications once (threshold 5 bits, review band 12 bits); both audiences' publications are built
once, so that every copy of the school is served them; each test works on a copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from ristra.core.disclosure import INTERNAL, PUBLIC, Policy
from ristra.core.program_outcomes import CohortOutcome
from ristra.services import publication
from ristra.services.program_outcomes import outcomes
from ristra.services.workspace import Settings, Workspace
from support.linked_school import GROUP, prepared_copy

pytestmark = GROUP
OWN = "PP01"      # the test coordinator's program (tests/web/conftest.py)
OTHER = "PP02"
#: The outcomes table's columns, by label, as the service value's counts (written out here, not
#: taken from the reports module, so that the layout is checked too).
COLUMNS = {
    "Participants": lambda c: c.participants, "Linked": lambda c: c.linked, "Not linked": lambda c: c.not_linked,
    "Not yet old enough": lambda c: c.not_yet_old_enough, "Applied": lambda c: c.rates["applied"].k,
    "Completed an application": lambda c: c.rates["completed"].k, "Interviewed": lambda c: c.rates["interviewed"].k,
    "Offered a place": lambda c: c.rates["offered"].k, "Matriculated": lambda c: c.rates["matriculated"].k,
}


def _publish(root: Path) -> None:
    workspace = Workspace(Settings(data_dir=root, user="setup"))
    for policy in (INTERNAL, PUBLIC):  # once: every copy of the school is then served the same publications
        assert publication.current(workspace, policy, wait=True).state == "ready"


@pytest.fixture(scope="module")
def linked_school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepared_copy(tmp_path_factory, "program-outcomes-school", _publish)


@pytest.fixture
def linked_dir(linked_school: Path, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "data"
    shutil.copytree(linked_school, root)
    with override_settings(RISTRA_DATA_DIR=root):
        yield root


def expected_grid(root: Path, program_id: str) -> tuple[list[str], list[dict[str, int]]]:
    """The outcomes service's counts for ``program_id``: cohort labels and, per row, each column's
    count (the last row over all cohorts)."""
    value = outcomes(Workspace(Settings(data_dir=root, user="test")))
    cohorts = sorted((c for c in value.cohorts if c.program_id == program_id), key=lambda c: c.cohort)
    rows = [{label: int(get(c)) for label, get in COLUMNS.items()} for c in cohorts]
    rows.append({label: sum(int(get(c)) for c in cohorts) for label, get in COLUMNS.items()})
    return [str(c.cohort) for c in cohorts] + ["All cohorts"], rows


def _cells_against_service(table: Any, root: Path, program_id: str, policy: Policy) -> int:
    """Assert each cell of ``table`` is the service's count or suppressed; returns how many are shown."""
    labels, rows = expected_grid(root, program_id)
    assert [r[0] for r in table.row_labels] == labels
    assert list(table.col_labels) == list(COLUMNS)
    shown = 0
    for r, row in enumerate(table.cells):
        for c, value in enumerate(row):
            if value is None:
                continue
            shown += 1
            assert value == rows[r][table.col_labels[c]], (labels[r], table.col_labels[c])
            assert value == 0 or value >= policy.threshold, (labels[r], table.col_labels[c])
    return shown


def test_the_school_is_linked(linked_dir: Path) -> None:
    value = outcomes(Workspace(Settings(data_dir=linked_dir, user="test")))
    mine: list[CohortOutcome] = [c for c in value.cohorts if c.program_id == OWN]
    assert sum(c.linked for c in mine) >= 5  # four cycles of applications: the older cohorts applied before them
    assert sum(c.rates["applied"].k for c in mine) >= 5


def test_the_program_page_shows_the_released_outcomes_with_the_services_counts(
        client_as: Any, linked_dir: Path) -> None:
    page = client_as("coordinator").get(f"/programs/{OWN}/")
    assert page.status_code == 200
    shown = page.context["result"].outcomes
    served = publication.current(Workspace(Settings(data_dir=linked_dir, user="test")), INTERNAL, wait=True)
    assert served.publication is not None
    assert shown is served.publication.tables[f"dashboard/outcomes-{OWN}"]
    assert shown.policy.threshold == INTERNAL.threshold
    assert _cells_against_service(shown, linked_dir, OWN, INTERNAL) > 20
    assert shown.cells[-1][0] == expected_grid(linked_dir, OWN)[1][-1]["Participants"]
    assert "Not linked" in page.content.decode()


def test_the_api_gives_the_pages_outcomes_table(client_as: Any, linked_dir: Path) -> None:
    client = client_as("coordinator")
    page = client.get(f"/programs/{OWN}/").context["result"].outcomes
    answer = client.get(f"/api/programs/{OWN}/outcomes").json()
    assert answer["state"] == "ready"
    assert answer["outcomes"]["key"] == f"dashboard/outcomes-{OWN}"
    assert answer["outcomes"]["cells"] == [["suppressed" if v is None else v for v in row] for row in page.cells]
    assert answer["outcomes"]["policy"]["threshold"] == INTERNAL.threshold


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_analysts_see_every_programs_outcomes(role: str, client_as: Any, linked_dir: Path) -> None:
    client = client_as(role)
    answer = client.get(f"/api/programs/{OTHER}/outcomes").json()
    assert answer["outcomes"]["key"] == f"dashboard/outcomes-{OTHER}"
    table = client.get(f"/programs/{OTHER}/").context["result"].outcomes
    assert _cells_against_service(table, linked_dir, OTHER, INTERNAL) > 0


def test_a_coordinator_sees_only_their_own_programs(client_as: Any, linked_dir: Path) -> None:
    client = client_as("coordinator")
    assert client.get(f"/programs/{OTHER}/").status_code == 404
    assert client.get(f"/api/programs/{OTHER}/outcomes").status_code == 404
    assert client.get("/api/programs/XX99/outcomes").status_code == 404
    listed = [p["program_id"] for p in client.get("/api/programs").json()]
    assert listed == [OWN]


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_the_public_audience_has_no_program_page(role: str, client_as: Any, linked_dir: Path) -> None:
    client = client_as(role)
    assert client.get(f"/programs/{OWN}/").status_code == 403
    assert client.get(f"/api/programs/{OWN}/outcomes").status_code == 403


def test_anonymous_is_refused(client_as: Any, linked_dir: Path) -> None:
    client = client_as("anonymous")
    assert client.get(f"/programs/{OWN}/").status_code == 302
    assert client.get(f"/api/programs/{OWN}/outcomes").status_code == 401


def test_the_public_audience_sees_released_outcome_cells_only(client_as: Any, linked_dir: Path) -> None:
    """What a viewer can obtain of the outcomes (dashboard, LCME pipeline table, program outcomes
    report) is the public publication's tables: each cell the service's count, or suppressed."""
    served = publication.current(Workspace(Settings(data_dir=linked_dir, user="test")), PUBLIC, wait=True)
    made = served.publication
    assert made is not None
    shown = 0
    for key in (f"dashboard/outcomes-{OWN}", f"program-outcomes/outcomes-{OWN}", f"dashboard/outcomes-{OTHER}"):
        table = made.tables[key]
        assert table.policy.threshold == PUBLIC.threshold
        shown += _cells_against_service(table, linked_dir, key.rsplit("-", 1)[1], PUBLIC)
    assert shown > 20
    pipeline = made.tables["lcme-3.3-pipeline/outcomes"]
    value = outcomes(Workspace(Settings(data_dir=linked_dir, user="test")))
    ids = sorted({c.program_id for c in value.cohorts})
    for r, program_id in enumerate(ids):
        cohorts = [c for c in value.cohorts if c.program_id == program_id]
        for c, label in enumerate(pipeline.col_labels):
            released = pipeline.cells[r][c]
            assert released is None or released == sum(int(COLUMNS[label](x)) for x in cohorts), (program_id, label)
    assert pipeline.row_labels[-1] == ("All programs",)
    assert pipeline.cells[-1][0] == sum(c.participants for c in value.cohorts)


def test_the_program_page_shows_linkage_quality_from_released_cells_only(client_as: Any, linked_dir: Path) -> None:
    page = client_as("coordinator").get(f"/programs/{OWN}/")
    evidence = page.context["evidence"]
    table = page.context["result"].outcomes
    everyone = len(table.row_labels) - 1
    linked, participants = table.cells[everyone][1], table.cells[everyone][0]
    share = evidence.quality[0]
    assert share.label == "Participants linked to the school's applications"
    if linked is None:
        assert share.withheld == (f"withheld: dashboard/outcomes-{OWN} (All cohorts / Linked) is suppressed in the "
                                  "publication; figures are computed only from released counts")
    else:
        assert share.text is not None
        assert share.text.startswith(f"{linked} of {participants} (")
    tiers = [f for f in evidence.quality if f.label.startswith("Roster rows")]
    assert {f.text for f in tiers} == {None}
    precision = next(f for f in evidence.quality if f.label == "Precision (clerical sample)")
    assert precision.withheld is not None
    assert precision.withheld.startswith("no clerical sample has been labelled")
    html = page.content.decode()
    assert "Linkage quality" in html
    assert "Comparison with non-participants" in html
    assert "withheld: the publication holds no table dashboard/comparison-PP01" in html


def test_the_comparison_is_withheld_until_the_publication_releases_its_counts(client_as: Any,
                                                                              linked_dir: Path) -> None:
    evidence = client_as("analyst").get(f"/programs/{OWN}/").context["evidence"]
    assert [f.text for f in evidence.comparison] == [None] * len(evidence.comparison)
    assert len(evidence.comparison) == 12  # four stage rates per group and four ratios
    assert {f.kind for f in evidence.balanced} == {"model"}
    assert evidence.balanced[0].withheld == (f"withheld: the publication holds no table dashboard/covariates-{OWN} "
                                             "(and 21 more); figures are computed only from released counts")


def test_the_api_gives_the_pages_figures(client_as: Any, linked_dir: Path) -> None:
    client = client_as("coordinator")
    page = client.get(f"/programs/{OWN}/").context["evidence"]
    answer = client.get(f"/api/programs/{OWN}/evaluation").json()
    assert answer["state"] == "ready"
    assert answer["evidence"] == page.to_dict()
    assert client.get(f"/api/programs/{OTHER}/evaluation").status_code == 404
