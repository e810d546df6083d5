"""The plan scorecard's graduation, retention and promotion measures on the synthetic school:
each value is recomputed from the published counts of its table (cohorts and graduates; a yearly
life table per year), the relations of the life tables hold and link the separations to the
retention reports, a suppressed count withholds the status, and the size of the difference
between the life-table estimate and the live Kaplan–Meier (exact times) is bounded."""

from __future__ import annotations

from typing import Any

import pytest

from ristra.core.disclosure import CellRef, Policy
from ristra.core.plan.life_table import LIFE_COLUMNS
from ristra.core.plan.status import WITHHELD
from ristra.core.publication.relations import PlacedCell, relations_for
from ristra.reports.scorecard import scorecard_id
from ristra.services import publication
from ristra.services.imports import import_file
from ristra.services.plans import PlanService
from ristra.services.workspace import Settings, Workspace
from ristra.stores.plans import demo_plan_text
from ristra.synth import extract_starts, generate

ORDER = ("programs", "participants", "applications", "students", "trainees", "employees", "employee_events")
PLAN = "som-dei-2030"
EXTRA = """  - id: M-GRAD
    parent: G1.1
    title: URM-NM students graduating within 4 years
    metric: {kind: graduation, category: urm_nm, within: 4}
    direction: increase
    baseline: {year: 2016}
    target: {value: 0.9, year: 2030}
  - id: M-PROMO
    parent: G2.1
    title: Promotion of URM-NM assistant professors within 7 years
    metric: {kind: promotion, category: urm_nm, from_rank: assistant_professor, to_rank: associate_professor,
             horizon: 7}
    direction: increase
    baseline: {year: 2016}
    target: {value: 0.6, year: 2030}
    years: [2016, 2024]
  - id: M-RET-RECENT
    parent: G2.1
    title: Five-year retention of URM-NM faculty, to the end of the data
    metric: {kind: retention, category: urm_nm, population: faculty, horizon: 5}
    direction: increase
    baseline: {year: 2021}
    target: {value: 0.85, year: 2030}
    years: [2021, 2025]
  - id: M-STAFF-RET
    parent: G2.1
    title: Three-year retention of URM-NM staff
    metric: {kind: retention, category: urm_nm, population: staff, horizon: 3}
    direction: increase
    baseline: {year: 2016}
    target: {value: 0.85, year: 2030}
    years: [2016, 2024]
"""
SURVIVAL = ("M-URM-FAC-RET", "M-PROMO", "M-RET-RECENT", "M-STAFF-RET")


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("scorecard-life-tables")
    paths = generate(root / "source", seed=20250701, applications_per_cycle=1700)
    workspace = Workspace(Settings(data_dir=root / "data"))
    starts = extract_starts()
    for name in ORDER:
        assert import_file(workspace, name, paths[name], extract_start=starts.get(name)).imported
    plans = PlanService(workspace)
    plans.import_text(demo_plan_text() + EXTRA, "the demo plan with survival and graduation measures")
    plans.close()
    publication.clear_cache()
    return workspace


@pytest.fixture(scope="module")
def unprotected(school: Workspace) -> Any:
    """The internal publication with threshold 1: every count published (the numbers' truth)."""
    return publication.build(school, Policy("internal", 1), record=False)


@pytest.fixture(scope="module")
def internal(school: Workspace) -> Any:
    return publication.build(school, Policy("internal", 5), record=False)


def _product(table: Any, year: int) -> float:
    """The life-table estimate at the horizon from the table's cells of ``year``, by hand."""
    survival = 1.0
    column = {name: LIFE_COLUMNS.index(name) for name in LIFE_COLUMNS}
    for r, labels in enumerate(table.row_labels):
        if labels[0] == str(year):
            cells = {name: table.cells[r][c] for name, c in column.items()}
            at_risk = cells["followed"] - (cells["entering_during"] + cells["censored_during"]) / 2
            survival *= 1 - cells["events"] / at_risk
    return survival


@pytest.mark.parametrize("measure_id", SURVIVAL)
def test_each_survival_value_is_the_product_over_its_published_life_table(unprotected: Any, measure_id: str) -> None:
    card = unprotected.scorecards[f"plan-scorecard.{PLAN}"]
    table = unprotected.tables[card.table_key(measure_id)]
    status = card.statuses(unprotected.tables).measure(measure_id)
    assert len(status.points) >= 5
    for point in status.points:
        expected = _product(table, point.year)
        if measure_id == "M-PROMO":
            expected = 1 - expected
        assert point.value == pytest.approx(expected, abs=1e-12)


def test_graduation_values_from_the_published_counts_are_the_live_values(school: Workspace, unprotected: Any) -> None:
    card = unprotected.scorecards[f"plan-scorecard.{PLAN}"]
    released = {p.year: p for p in card.statuses(unprotected.tables).measure("M-GRAD").points}
    service = PlanService(school)
    live = {p.year: p for p in service.status(PLAN).measure("M-GRAD").points}
    service.close()
    assert sorted(released) == sorted(live)
    for year, point in live.items():
        assert released[year].value == pytest.approx(point.value, abs=1e-12)
    for year, point in live.items():
        assert (released[year].lower, released[year].upper) == pytest.approx((point.lower, point.upper), abs=1e-12)


@pytest.mark.parametrize("measure_id", SURVIVAL)
def test_the_life_table_estimate_is_within_a_point_of_the_live_kaplan_meier(school: Workspace, unprotected: Any,
                                                                                measure_id: str) -> None:
    """Grouping to whole years moves the estimate from the live Kaplan–Meier on exact times
    (docs/plan.md, "The scorecard", gives the measured sizes)."""
    card = unprotected.scorecards[f"plan-scorecard.{PLAN}"]
    released = {p.year: p.value for p in card.statuses(unprotected.tables).measure(measure_id).points}
    service = PlanService(school)
    live = {p.year: p.value for p in service.status(PLAN).measure(measure_id).points}
    service.close()
    assert sorted(released) == sorted(live)
    differences = [abs(released[y] - live[y]) for y in live]
    assert max(differences) < 0.01


def test_the_life_table_relations_hold_and_link_the_separations_to_the_retention_reports(unprotected: Any) -> None:
    assert unprotected.relations["declared_not_holding"] == 0
    cells = [PlacedCell(CellRef(key, r, c), m, int(unprotected.tables[key].cells[r][c]))
             for key, meanings in unprotected.meanings.items() for (r, c), m in meanings.items()]
    relations = relations_for(cells)
    recent = f"plan-scorecard.{PLAN}/s-M-RET-RECENT"
    linked = [e for e in relations.equations
              if e.total.table != recent and {p.table for p in e.parts} == {recent} and len(e.parts) == 5]
    # the separations of each interval (as of 31 December 2025, after the end of the data) add
    # up to the retention reports' "separations within 5 years" of URM-NM faculty
    assert len(linked) >= 1


@pytest.mark.parametrize("measure_id", [*SURVIVAL, "M-GRAD"])
def test_a_status_is_withheld_exactly_when_its_baseline_or_latest_counts_are_suppressed(internal: Any,
                                                                                       measure_id: str) -> None:
    card = internal.scorecards[f"plan-scorecard.{PLAN}"]
    found = card.statuses(internal.tables)
    status, hidden = found.measure(measure_id), found.suppressed_years.get(measure_id, ())
    measure = card.plan.measure(measure_id)
    series = card.series(measure, internal.tables[card.table_key(measure_id)])
    years = [y.year for y in series if y.year >= measure.baseline.year]
    needed = {measure.baseline.year, years[-1]} & set(hidden)
    assert (status.status == WITHHELD) == bool(needed)


@pytest.mark.parametrize("measure_id", ["M-URM-MATRIC", *SURVIVAL, "M-GRAD"])
def test_a_measures_trend_chart_is_drawn_from_its_released_table_with_the_projection(unprotected: Any,
                                                                                    measure_id: str) -> None:
    from ristra.reports.page_charts import trend_chart

    card = unprotected.scorecards[f"plan-scorecard.{PLAN}"]
    status = card.statuses(unprotected.tables).measure(measure_id)
    table = card.trend_table(measure_id, unprotected.tables)
    assert table is not None
    values = {int(d.column): d.value for d in table.derived if d.column.isdigit()}
    assert values == pytest.approx({p.year: p.value for p in status.points}, abs=1e-12)
    assert status.projection is not None
    assert trend_chart(table, card.plan.measure(measure_id), status.projection) is not None


@pytest.mark.parametrize(("measure_id", "population", "horizon"), [("M-URM-FAC-RET", "faculty", 5),
                                                                 ("M-STAFF-RET", "staff", 3)])
def test_each_published_life_table_is_that_of_the_engines_own_follow_up_records(
        school: Workspace, unprotected: Any, measure_id: str, population: str, horizon: int) -> None:
    """Measures of different populations share one query; each table still holds its own people."""
    from ristra.core.metrics.plans import Context, plan_for
    from ristra.core.metrics.plans.survival import _analyse
    from ristra.core.metrics.specs import make_spec
    from ristra.core.plan.life_table import life_table
    from ristra.engine import MetricsEngine
    from ristra.services.metrics import MetricsService

    service = MetricsService(school)
    files = service.current_files()
    context = Context(service.categories(), service.benchmarks, {k: f.ref for k, f in files.items()},
                      merge_unknown=True, require_declared_window=True)
    spec = make_spec("retention", category="urm_nm", population=population, horizons=(float(horizon),),
                     as_of="2024-12-31")
    plan = plan_for(spec, context)
    engine = MetricsEngine(files)
    computed = engine.compute([plan])
    engine.close()
    service.close()
    records = _analyse(plan.grouping, computed.answers, *plan.spell_asks).records["yes"]
    expected = [list(i.counts()) for i in life_table(records.entry, records.exit, records.event, horizon,
                                                       records.weight)]
    card = unprotected.scorecards[f"plan-scorecard.{PLAN}"]
    table = unprotected.tables[card.table_key(measure_id)]
    published = [list(row) for row, labels in zip(table.cells, table.row_labels, strict=True) if labels[0] == "2024"]
    assert published == expected


def test_a_dated_update_makes_a_new_scorecard_but_does_not_protect_the_tables_again(school: Workspace) -> None:
    """A note on an action makes a new plan version: the publication's scorecard document is of the
    new version, and its protected tables are the very same (not recomputed, so not re-suppressed)."""
    policy = Policy("public", 11)
    before = publication.build(school, policy, record=False)
    plans = PlanService(school)
    try:
        stored = plans.store.require(PLAN)
        action = stored.plan.actions[0].id
        plans.update_action(PLAN, action, {"date": "2026-01-15", "note": "Progress reported to the dean."},
                            expected_version=stored.version)
    finally:
        plans.close()
    after = publication.build(school, policy, record=False)
    card = scorecard_id(PLAN)
    assert before.scorecards[card].plan_version == stored.version
    assert after.scorecards[card].plan_version == stored.version + 1
    assert after.tables is before.tables
    assert after.fingerprint == before.fingerprint
    assert after.documents[card].metadata.template_version == stored.version + 1
