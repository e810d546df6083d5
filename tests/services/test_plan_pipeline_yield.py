"""A ``pipeline-yield`` plan measure on the linked synthetic school (tests/support/linked_school.py):
the live series is the outcomes service's counts by hand; the released values are computed from
the published cells of the dashboard's outcomes-by-cohort table of the program (a suppressed cell
withholds its cohort), Wilson against statsmodels; without a link run the status is insufficient
data saying the rosters are not linked; an unknown program is refused, naming the field, and the
stored plan is left unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.disclosure import INTERNAL
from ristra.core.plan import PlanFileError
from ristra.core.plan.status import INSUFFICIENT
from ristra.reports.scorecard import DASHBOARD_TEMPLATE, scorecard_id
from ristra.services import publication
from ristra.services.plans import PlanService
from ristra.services.program_outcomes import outcomes
from ristra.services.publication.values import DASHBOARD
from ristra.services.workspace import Settings, Workspace
from support.linked_school import GROUP, copy_of
from support.yield_plan import YIELD_PLAN

pytestmark = GROUP
PROGRAM = "PP03"
TABLE = f"dashboard/outcomes-{PROGRAM}"
PLAN = YIELD_PLAN


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_of(tmp_path_factory, "plan-yield-school")
    service = PlanService(Workspace(Settings(data_dir=root, user="planner")))
    service.import_text(PLAN, "a pipeline-yield measure")
    service.close()
    return Path(root)


def _service(root: Path) -> PlanService:
    return PlanService(Workspace(Settings(data_dir=root, user="planner")))


def test_the_live_series_is_the_outcomes_services_counts(school: Path) -> None:
    service = _service(school)
    points, error = service.series(service.store.require("yield-plan").plan)["M-YIELD"]
    assert error is None
    cohorts = sorted((c for c in outcomes(service.workspace).cohorts if c.program_id == PROGRAM),
                     key=lambda c: c.cohort)
    expected = [(c.cohort, c.rates["applied"].k, c.participants - c.not_yet_old_enough) for c in cohorts
                if c.participants > c.not_yet_old_enough]
    assert len(points) >= 5
    assert [(p.year, p.count, p.total) for p in points] == expected
    for p, (_, k, n) in zip(points, expected, strict=True):
        lower, upper = proportion_confint(k, n, method="wilson")
        assert p.value == pytest.approx(k / n)
        assert (p.lower, p.upper) == pytest.approx((lower, upper), abs=1e-12)
    status = service.status("yield-plan").measure("M-YIELD")
    assert [p.year for p in status.points] == [y for y, _, _ in expected if y >= 2016]  # from the baseline on
    service.close()


def test_the_released_values_come_from_the_published_cells_of_the_programs_table(school: Path) -> None:
    service = _service(school)
    released = service.released("yield-plan", "internal")
    made = publication.current(service.workspace, INTERNAL, wait=True).publication
    assert made is not None
    table = made.tables[TABLE]
    columns = {label: c for c, label in enumerate(table.col_labels)}
    expected, suppressed = [], []
    for r, (label,) in enumerate(table.row_labels):
        if not label.isdigit():
            continue
        participants, too_young, applied = (table.cells[r][columns[name]]
                                            for name in ("Participants", "Not yet old enough", "Applied"))
        if participants is None or too_young is None or applied is None:
            suppressed.append(int(label))
        elif participants > too_young and int(label) >= 2016:
            expected.append((int(label), applied, participants - too_young))
    assert expected
    status = released.card.measure("M-YIELD")
    assert [(p.year, p.count, p.total) for p in status.points] == expected
    for p, (_, k, n) in zip(status.points, expected, strict=True):
        lower, upper = proportion_confint(k, n, method="wilson")
        assert (p.value, p.lower, p.upper) == pytest.approx((k / n, lower, upper), abs=1e-12)
    assert released.card.suppressed_years["M-YIELD"] == tuple(y for y in suppressed if y >= 2016)
    service.close()


def test_the_scorecard_reads_the_dashboard_table_and_adds_none_of_its_own(school: Path) -> None:
    service = _service(school)
    service.released("yield-plan", "internal")
    made = publication.current(service.workspace, INTERNAL, wait=True).publication
    assert made is not None
    card = made.scorecards[scorecard_id("yield-plan")]
    assert DASHBOARD_TEMPLATE == DASHBOARD
    assert card.table_key("M-YIELD") == TABLE
    assert not [k for k in made.tables if k.startswith(f"{scorecard_id('yield-plan')}/")]
    section = next(s for s in card.template.sections if s.id == "s-M-YIELD")
    assert section.kind == "text"
    assert "lower bound" in (section.text or "")
    trend = card.trend_table("M-YIELD", made.tables)
    assert trend is not None
    values = {int(d.column): d.value for d in trend.derived if not d.suppressed}
    status = card.statuses(made.tables).measure("M-YIELD")
    assert status.points
    assert {p.year: values[p.year] for p in status.points} == pytest.approx({p.year: p.value for p in status.points})
    service.close()


def test_without_outcome_tables_the_released_status_says_the_rosters_are_not_linked(school: Path) -> None:
    service = _service(school)
    service.released("yield-plan", "internal")
    made = publication.current(service.workspace, INTERNAL, wait=True).publication
    assert made is not None
    card = made.scorecards[scorecard_id("yield-plan")]
    unlinked = card.statuses({}).measure("M-YIELD")
    assert unlinked.status == INSUFFICIENT
    assert "rosters have not been linked" in unlinked.reason
    assert unlinked.points == ()
    other = {k: t for k, t in made.tables.items() if k == "dashboard/outcomes-PP01"}
    assert other
    missing = card.statuses(other).measure("M-YIELD")
    assert missing.status == INSUFFICIENT
    assert "no participant of program PP03" in missing.reason
    service.close()


def test_without_a_link_run_the_live_status_is_insufficient_data_never_a_zero(tmp_path: Path) -> None:
    service = _service(tmp_path / "data")
    service.import_text(PLAN, "no data, no link run")
    status = service.status("yield-plan").measure("M-YIELD")
    assert status.status == INSUFFICIENT
    assert status.points == ()
    assert "rosters have not been linked to the applications" in status.reason
    assert "not a zero" in status.reason
    service.close()


def test_an_unknown_program_is_refused_naming_the_field_and_the_stored_plan_is_unchanged(school: Path) -> None:
    service = _service(school)
    before = service.store.require("yield-plan")
    with pytest.raises(PlanFileError) as caught:
        service.import_text(PLAN.replace("program: PP03", "program: PP33"), "a typo")
    (problem,) = caught.value.problems
    assert (problem.line, problem.item, problem.field) == (10, "measure M-YIELD", "measures[0].metric.program")
    assert "unknown program 'PP33'" in problem.message
    after = service.store.require("yield-plan")
    assert after.version == before.version
    assert after.plan.measure("M-YIELD").metric.option("program") == PROGRAM
    service.close()
