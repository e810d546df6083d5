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
from ristra.core.program_counts import COMPARISON_STAGES, PUBLISHED_TIERS
from ristra.core.program_outcomes import CohortOutcome
from ristra.services import publication
from ristra.services.linkage import LinkageService
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
    precision = next(f for f in evidence.quality if f.label == "Precision (clerical sample)")
    assert precision.withheld is not None
    assert precision.withheld.startswith("no clerical sample has been labelled")
    html = page.content.decode()
    assert "Linkage quality" in html
    assert "Comparison with non-participants" in html


def _internal_tables(root: Path) -> dict[str, Any]:
    made = publication.current(Workspace(Settings(data_dir=root, user="t")), INTERNAL, wait=True).publication
    assert made is not None
    return dict(made.tables)


def test_the_roster_rows_by_tier_are_the_links_in_force_or_withheld(client_as: Any, linked_dir: Path) -> None:
    evidence = client_as("coordinator").get(f"/programs/{OWN}/").context["evidence"]
    figures = {f.label.removeprefix("Roster rows "): f for f in evidence.quality if f.label.startswith("Roster rows")}
    assert list(figures) == [label for label, _ in PUBLISHED_TIERS]
    # the links in force, by final tier, summed here into the published tiers (written out, not taken from core)
    final = LinkageService(Workspace(Settings(data_dir=linked_dir, user="t"))).status().tiers
    truth = {"linked by identifier": final["linked by identifier"], "linked": final["linked"],
             "in review or decided in review": final["review"] + final["linked in review"]
             + final["rejected in review"] + final["superseded in review"], "not linked": final["not linked"]}
    table = _internal_tables(linked_dir)["dashboard/linkage_tiers"]
    assert [r[0] for r in table.row_labels] == [*truth, "All roster rows"]
    shown = 0
    for r, tier in enumerate(truth):
        cell = table.cells[r][0]
        if cell is None:
            assert figures[tier].withheld == (f"withheld: dashboard/linkage_tiers ({tier} / Roster rows) is suppressed in "
                                              "the publication; figures are computed only from released counts")
        else:
            assert (cell, figures[tier].text) == (truth[tier], str(truth[tier]))
            shown += 1
    assert shown >= 2  # "not linked" and "linked by identifier" are large in this school
    assert table.cells[-1][0] == sum(final.values())


def _raw_stage_counts(root: Path, cycles: tuple[int, ...]) -> tuple[int, ...]:
    """Applications of ``cycles`` reaching each stage, read from the applications snapshot."""
    import duckdb

    workspace = Workspace(Settings(data_dir=root, user="t"))
    manifest = workspace.snapshots.current("applications")
    assert manifest is not None
    listed = ", ".join(str(c) for c in cycles)
    row = duckdb.connect().execute(
        "SELECT count(*), count_if(completed), count_if(interviewed), count_if(offered), count_if(matriculated) "
        f"FROM read_parquet(?) WHERE cycle IN ({listed})", [str(workspace.snapshots.path(manifest))]).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


def test_the_comparison_table_is_the_services_counts_and_the_funnels_total(linked_dir: Path) -> None:
    from ristra.services.program_evaluation import evaluate

    value = outcomes(Workspace(Settings(data_dir=linked_dir, user="t")))
    counts = next(c for c in value.comparisons if c.program_id == OWN)
    # the three groups partition the applications of those cycles, as read straight from the snapshot
    assert counts.total.counts == _raw_stage_counts(linked_dir, counts.cycles)
    # participants and comparison group: the evaluation's per-cycle counts, summed
    applicants = evaluate(Workspace(Settings(data_dir=linked_dir, user="t")), OWN, replicates=10).applicants
    assert applicants is not None
    assert applicants.cycles == counts.cycles
    assert (applicants.participant_applications, applicants.non_participant_applications) == (
        counts.participants.at("applied"), counts.comparison.at("applied"))
    for compared in applicants.stages:
        previous = "applied" if compared.previous == "applications" else compared.previous
        assert (compared.participants.k, compared.participants.n) == (
            counts.participants.at(compared.stage), counts.participants.at(previous))
        assert (compared.non_participants.k, compared.non_participants.n) == (
            counts.comparison.at(compared.stage), counts.comparison.at(previous))
    table = _internal_tables(linked_dir)[f"dashboard/comparison-{OWN}"]
    groups = (counts.participants, counts.comparison, counts.other, counts.total)
    for r, stage in enumerate(COMPARISON_STAGES):
        for c, group in enumerate(groups):
            assert table.cells[r][c] in (None, group.at(stage)), (stage, c)


def test_the_comparison_figures_come_from_released_cells_or_are_withheld(client_as: Any, linked_dir: Path) -> None:
    evidence = client_as("analyst").get(f"/programs/{OWN}/").context["evidence"]
    tables = _internal_tables(linked_dir)
    assert len(evidence.comparison) == 12  # four stage rates per group and four ratios
    shown = 0
    for figure in evidence.comparison[:8]:
        part, whole = figure.rests_on
        table = tables[part.table]
        rows = [label[0] for label in table.row_labels]
        k = table.cells[rows.index(part.row)][table.col_labels.index(part.col)]
        n = table.cells[rows.index(whole.row)][table.col_labels.index(whole.col)]
        if k is None or n is None:
            assert figure.withheld is not None
            assert "is suppressed in the publication" in figure.withheld
        else:
            assert figure.text is not None
            assert figure.text.startswith(f"{k} of {n} (")
            shown += 1
    assert shown >= 4  # the comparison group's rates rest on large counts
    assert {f.kind for f in evidence.balanced} == {"model"}
    assert evidence.balanced[0].withheld is not None
    assert evidence.balanced[0].withheld.startswith(f"withheld: the publication holds no table dashboard/covariates-{OWN}")


def test_the_api_gives_the_pages_figures(client_as: Any, linked_dir: Path) -> None:
    client = client_as("coordinator")
    page = client.get(f"/programs/{OWN}/").context["evidence"]
    answer = client.get(f"/api/programs/{OWN}/evaluation").json()
    assert answer["state"] == "ready"
    assert answer["evidence"] == page.to_dict()
    assert client.get(f"/api/programs/{OTHER}/evaluation").status_code == 404
