"""Hand-computed expectations on tiny schools imported through the real import path."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from ristra.core.categories import SqlFragment
from ristra.core.metrics.errors import (
    CategoryNotApplicable,
    InvalidSpecification,
    NoData,
    UnknownCategory,
    UnknownColumn,
)
from ristra.core.metrics.plans import plan_for
from ristra.core.metrics.specs import PathSpec, RepresentationSpec, RetentionSpec
from ristra.core.sql_dialect import DUCKDB, Dialect
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Workspace
from support.hand_school import APPLICATIONS, EMPLOYEES, STUDENTS, app
from support.metrics import context_for, engine_over, engine_results, import_rows


@pytest.fixture
def service(workspace: Workspace, tmp_path: Path) -> MetricsService:
    import_rows(workspace, "applications", APPLICATIONS, tmp_path)
    import_rows(workspace, "students", STUDENTS, tmp_path)
    import_rows(workspace, "employees", EMPLOYEES, tmp_path)
    # undeclared employees: a service that may guess the window (the tests of the guess use it)
    svc = MetricsService(workspace, require_declared_window=False)
    yield svc  # type: ignore[misc]
    svc.close()


def rows(result: Any, **match: object) -> list[dict[str, object]]:
    return [r for r in result.records() if all(r.get(k) == v for k, v in match.items())]


def one(result: Any, **match: object) -> dict[str, object]:
    found = rows(result, **match)
    assert len(found) == 1, (match, found)
    return found[0]


def test_representation_counts_every_level_including_empty_ones(service: MetricsService) -> None:
    result = service.query("representation", category="urm_nm", dataset="applications", by=["cycle"])
    # 2024: yes = Hispanic (1) + Black (2); no = 3; unknown = 4 (unknown) and 5 (declined).
    assert [(r["cycle"], r["level"], r["count"], r["total"]) for r in result.records()] == [
        (2024, "yes", 2, 5), (2024, "no", 1, 5), (2024, "unknown", 2, 5),
        (2025, "yes", 1, 2), (2025, "no", 1, 2), (2025, "unknown", 0, 2),
    ]
    row = one(result, cycle=2024, level="yes")
    assert row["share"] == pytest.approx(0.4)
    assert row["known"] == 3
    assert row["share_of_known"] == pytest.approx(2 / 3)
    assert row["small_number"] is True
    assert one(result, cycle=2025, level="unknown")["share"] == 0.0
    assert result.snapshots[0].dataset == "applications"
    assert result.category_version == 1


def test_funnel_conversions(service: MetricsService) -> None:
    result = service.query("funnel", category="women", by=["cycle"])
    women_2024 = {r["stage"]: (r["count"], r["previous_count"], r["conversion"])
                  for r in rows(result, cycle=2024, level="yes")}
    assert women_2024 == {"applied": (2, None, None), "completed": (2, 2, 1.0), "interviewed": (2, 2, 1.0),
                          "offered": (1, 2, 0.5), "matriculated": (1, 1, 1.0)}
    # A stage nobody of a group passed: no woman was offered in 2025.
    assert one(result, cycle=2025, level="yes", stage="offered")["count"] == 0
    nobody = one(result, cycle=2025, level="yes", stage="matriculated")
    assert nobody["count"] == 0
    assert nobody["previous_count"] == 0
    assert nobody["conversion"] is None
    assert (nobody["lower"], nobody["upper"]) == (0.0, 1.0)


def test_selection_ratio_pooled_and_by_cycle(service: MetricsService) -> None:
    result = service.query("selection-ratio", category="women", stages=["offered"])
    pooled = rows(result, scope="pooled", stage="offered")
    # Interviewed → offered, pooled: women 1 of 2 (app 1, 2), men 1 of 1 (app 7), unknown 1 of 1 (app 5).
    assert {r["group"]: (r["selected"], r["total"]) for r in pooled} | {
        pooled[0]["reference_group"]: (pooled[0]["reference_selected"], pooled[0]["reference_total"])} == {
        "yes": (1, 2), "no": (1, 1), "unknown": (1, 1)}
    women = one(result, scope="pooled", group="yes")
    assert women["impact_ratio"] == pytest.approx(0.5)
    assert women["ratio_below_threshold"] is True
    assert women["below_four_fifths"] is None  # 1 of 2: too small to assert the rule
    assert women["fisher_p"] == pytest.approx(1.0)
    assert women["small_number"] is True
    assert women["strata"] == 1  # 2025 has no interviewed woman: that stratum carries no information


def test_representation_ratio_against_the_state_and_the_previous_stage(service: MetricsService) -> None:
    result = service.query("representation-ratio", category="urm_nm", dataset="applications", stage="interviewed")
    state = one(result, reference="state")
    # Interviewed: 1 (Hispanic), 2 (Black), 5 (declined → unknown), 7 (no): 2 of 3 known.
    assert (state["count"], state["known"], state["unknown"]) == (2, 3, 1)
    assert state["ratio"] == pytest.approx((2 / 3) / state["reference_share"])
    previous = one(result, reference="previous_stage")
    # Completed: 1, 2, 3, 5, 6, 7 → urm 1, 2, 6 of 5 known.
    assert (previous["reference_count"], previous["reference_known"]) == (3.0, 5.0)
    assert previous["ratio"] == pytest.approx((2 / 3) / (3 / 5))


def test_graduation_within_years(service: MetricsService) -> None:
    result = service.query("graduation", category="women", dataset="students")
    women = {r["outcome"]: (r["count"], r["total"], r["complete"]) for r in rows(result, level="yes")}
    assert women["graduated_within_4"] == (1, 2, True)
    assert women["graduated_within_5"] == (2, 2, True)
    men = {r["outcome"]: r["count"] for r in rows(result, level="no")}
    assert men == {"graduated_within_4": 0, "graduated_within_5": 0, "graduated_within_6": 0, "graduated": 0,
                   "attrition": 1, "enrolled": 1}
    assert result.parameters == (("as_of", "2025-06-01"),)


def test_retention_with_left_truncation_by_hand(service: MetricsService) -> None:
    result = service.query("retention", category="women", window_start="2015-01-01", as_of="2021-01-01",
                           horizons=[3, 5, 5.9])
    women = {(r["measure"], r["horizon"]): r for r in rows(result, level="yes")}
    # Women: H1 enters at 5.0 y (hired 2010, window 2015) and leaves at 6.0 y; H2 enters at 0 and leaves at
    # 3.0 y; H3 enters at 0, censored at 5.0 y; H4 enters at 10 y, censored at 16 y.
    # At 3.0007 y: at risk {H2, H3} → S = 1/2. At 6.0 y: at risk {H1} → S = 0.
    assert women[("retention", 3.0)]["estimate"] == 1.0
    assert women[("retention", 5.0)]["estimate"] == pytest.approx(0.5)
    assert women[("retention", 5.9)]["estimate"] == pytest.approx(0.5)
    assert women[("retention", 5.0)]["n"] == 4
    assert women[("retention", 5.0)]["events"] == 2
    assert women[("exit:resignation_personal", 5.0)]["estimate"] == pytest.approx(0.5)
    assert women[("exit:retirement", 5.0)]["estimate"] == 0.0
    men = one(result, level="no", measure="retention", horizon=3.0)
    assert men["n"] == 1
    assert men["events"] == 0
    assert men["estimate"] == 1.0
    assert ("window_start", "2015-01-01") in result.parameters
    assert ("window_source", "given") in result.parameters
    assert women[("retention", 5.0)]["logrank_p"] is not None


def test_retention_guesses_an_undeclared_window_only_where_allowed_and_says_so(service: MetricsService) -> None:
    result = service.query("retention", category="women")  # a service that does not require a declared window
    assert dict(result.parameters) == {"window_start": "2016-01-01", "as_of": "2018-01-01", "window_source": "guessed"}
    assert "guessed" in result.notes[0]
    assert "--extract-start" in result.notes[0]


def test_path_counts_each_stage(service: MetricsService) -> None:
    result = service.query("path", category="women")
    by_stage = {r["stage"]: r for r in result.records()}
    assert by_stage["applicants"]["count"] == 3
    assert by_stage["applicants"]["known"] == 6
    assert by_stage["matriculated"]["count"] == 1
    assert by_stage["matriculated"]["known"] == 2
    assert by_stage["graduates"]["count"] == 2
    assert by_stage["graduates"]["known"] == 2
    assert by_stage["faculty_assistant_professor"]["count"] == 2  # H3, H4 still employed; H5 a man
    assert "no trainees data" in str(by_stage["residents_fellows"]["note"])
    assert by_stage["state_population"]["share"] == pytest.approx(0.5052, abs=1e-4)


def test_unknown_names_are_refused_with_suggestions(service: MetricsService) -> None:
    with pytest.raises(UnknownCategory, match="did you mean urm_nm"):
        service.query("representation", category="urm")
    with pytest.raises(UnknownColumn, match="did you mean cycle"):
        service.query("representation", category="women", by=["cycel"])
    with pytest.raises(CategoryNotApplicable):
        service.query("representation", category="in_state", dataset="students")
    with pytest.raises(NoData, match="no trainees data"):
        service.query("graduation", category="women", dataset="trainees")


def test_all_unknown_and_one_person(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "applications", [app(1, 2025, "unknown", "unknown", ["unknown"], "ci")], tmp_path)
    svc = MetricsService(workspace)
    result = svc.query("representation", category="women", dataset="applications")
    assert [(r["level"], r["count"]) for r in result.records()] == [("yes", 0), ("no", 0), ("unknown", 1)]
    assert any("all 1 rows are unknown" in w for w in result.warnings)
    selection = svc.query("selection-ratio", category="women", stages=["offered"], by=[])
    # unknown is never the reference: with nobody of known membership the first known level is
    assert [(r["group"], r["reference_group"]) for r in selection.records()] == [("no", "yes"), ("unknown", "yes")]
    assert all(math.isnan(r.impact_ratio) for r in selection.rows)  # type: ignore[attr-defined]
    ratio = svc.query("representation-ratio", category="women", dataset="applications")
    assert ratio.records()[0]["known"] == 0
    assert ratio.records()[0]["ratio"] is None
    assert ratio.records()[0]["note"] == "nobody of known membership (1 unknown); the share and the ratio are undefined"
    svc.close()


def test_a_category_matching_nobody_is_warned(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "applications", [app(i, 2025, "male", "no", ["white"], "c") for i in range(3)], tmp_path)
    svc = MetricsService(workspace)
    result = svc.query("representation", category="women", dataset="applications")
    assert any("matches nobody" in w for w in result.warnings)
    svc.close()


def test_an_empty_snapshot_gives_no_rows_and_a_warning(tmp_path: Path) -> None:
    # Imports refuse empty files, but a snapshot written another way may hold no rows.
    specs = [RepresentationSpec("women", "applications"), PathSpec("women"), RetentionSpec("women")]
    results = engine_results(tmp_path, specs, {"applications": [], "employees": []})
    assert results[0].records() == []
    assert any("no rows" in w for w in results[0].warnings)
    assert [r["count"] for r in results[1].records()][1:3] == [0.0, 0.0]
    assert all(r["n"] == 0 for r in results[2].records())


def test_no_data_at_all(workspace: Workspace) -> None:
    svc = MetricsService(workspace)
    with pytest.raises(NoData, match="import a file"):
        svc.query("path", category="women")
    svc.close()


def test_cache_and_new_snapshots(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "applications", APPLICATIONS, tmp_path)
    svc = MetricsService(workspace)
    first = svc.query("representation", category="women", dataset="applications")
    again = svc.query("representation", category="women", dataset="applications")
    assert again is first
    assert svc.queries_run == 1
    import_rows(workspace, "applications", APPLICATIONS[:2], tmp_path)
    fresh = svc.query("representation", category="women", dataset="applications")
    assert fresh is not first
    assert sum(r["count"] for r in fresh.records()) == 2  # type: ignore[misc]
    assert fresh.snapshots[0].snapshot_id != first.snapshots[0].snapshot_id
    svc.close()


def test_dates_are_days(workspace: Workspace) -> None:
    assert dt.date(2016, 1, 1) - dt.date(2010, 1, 1) == dt.timedelta(days=2191)


def test_a_hash_collision_falls_back_to_exact_joins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ristra.core.metrics.sql.cube import CompiledCube

    rows = {"applications": APPLICATIONS}
    specs = [RepresentationSpec("rural_school", "applications", ("cycle",)), RepresentationSpec("urm_nm", "applications")]
    expected = [r.to_dict() for r in engine_results(tmp_path, specs, rows)]
    monkeypatch.setattr(CompiledCube, "collisions", lambda self, arrays: 0 if "IS NOT DISTINCT" in self.query.sql else 1)
    again = engine_results(tmp_path, specs, rows)
    assert [r.to_dict() for r in again] == expected


AOIC_APPLICATIONS = [
    app(1, 2024, "female", "yes", ["white"], "ci"),
    app(2, 2024, "female", "no", ["black", "american_indian_alaska_native"], "cio"),
    app(3, 2024, "male", "no", ["white"], "c"),
    app(4, 2024, "male", "unknown", ["unknown"], "c"),
    app(5, 2024, "female", "declined", ["declined"], ""),
    app(6, 2024, "male", "yes", ["unknown"], "ci"),
]


def test_alone_or_in_combination_counts_each_person_in_every_group(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, "applications", AOIC_APPLICATIONS, tmp_path)
    svc = MetricsService(workspace)
    try:
        result = svc.query("representation", category="race:aoic", dataset="applications", by=["cycle"])
        counts = {r["level"]: (r["count"], r["total"], r["known"]) for r in result.records()}
        # Hispanic: 1, 6; white: 1, 3; black and AIAN: 2; no known race: 4, 6 (unknown) and 5 (declined).
        # Six people; of known membership (a group other than unknown/declined): 1, 2, 3, 6.
        assert counts == {
            "hispanic": (2, 6, 4), "american_indian_alaska_native": (1, 6, 4), "asian": (0, 6, 4),
            "black": (1, 6, 4), "middle_eastern_north_african": (0, 6, 4),
            "native_hawaiian_pacific_islander": (0, 6, 4), "white": (2, 6, 4), "other": (0, 6, 4),
            "unknown": (2, 6, 4), "declined": (1, 6, 4)}
        assert sum(c for c, _, _ in counts.values()) == 9  # more than the six people, and said so
        assert any("sum to more than the total" in n for n in result.notes)
        hispanic = one(result, level="hispanic")
        assert hispanic["share"] == pytest.approx(2 / 6)
        assert hispanic["share_of_known"] == pytest.approx(2 / 4)
        assert one(result, level="unknown")["share_of_known"] is None

        funnel = svc.query("funnel", category="race:aoic", by=["cycle"])
        white = {r["stage"]: (r["count"], r["previous_count"]) for r in rows(funnel, level="white")}
        assert white["interviewed"] == (1, 2)
        assert white["offered"] == (0, 1)
        assert one(funnel, level="black", stage="offered")["count"] == 1

        for metric, options in (("selection-ratio", {"stages": ["offered"]}), ("retention", {}),
                                ("path", {}), ("representation-ratio", {"dataset": "applications"})):
            with pytest.raises(InvalidSpecification) as refused:
                svc.query(metric, category="race:aoic", **options)
            assert "race:aoic" in str(refused.value) or "single level" in str(refused.value)
    finally:
        svc.close()


def test_a_failing_follow_up_query_is_raised_not_waited_for(service: MetricsService,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Retention's second phase runs on a worker thread while this one finishes other plans; a
    query failing there must surface here (and quickly), not leave the caller waiting."""
    from ristra.engine.session import MetricsEngine

    calls: list[int] = []
    original = MetricsEngine._execute

    def failing(self: MetricsEngine, query: Any, compiled: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the first follow-up query (the first is the data window's extent)
            raise RuntimeError("the disk went away")
        return original(self, query, compiled)

    monkeypatch.setattr(MetricsEngine, "_execute", failing)
    with pytest.raises(Exception) as raised:
        service.query("retention", category="women")
    assert "the disk went away" in str(raised.value) or "the disk went away" in repr(raised.value.__cause__)
    assert len(calls) == 2


def test_queries_over_one_dataset_share_its_key_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The distinct keys of a lookup family are computed once per dataset and engine, and a query
    reading them gives what it gives on its own engine."""
    from ristra.core.metrics.sql.lookups import KeyTable

    rows = {"employees": EMPLOYEES}
    specs = [RepresentationSpec("rural_school", "employees", ("hire_year",)),
             RetentionSpec("rural_school", window_start="2015-01-01", as_of="2021-01-01"),
             RetentionSpec("urm_nm", window_start="2015-01-01", as_of="2021-01-01")]
    for name in ("alone0", "alone1", "alone2", "together"):
        (tmp_path / name).mkdir()
    alone = [engine_results(tmp_path / f"alone{i}", [spec], rows)[0].to_dict() for i, spec in enumerate(specs)]
    created: list[tuple[str, tuple[str, ...]]] = []
    original = KeyTable.create_sql

    def counted(self: KeyTable, dialect: Dialect) -> SqlFragment:
        created.append((self.dataset, self.keys))
        return original(self, dialect)

    monkeypatch.setattr(KeyTable, "create_sql", counted)
    together = [r.to_dict() for r in engine_results(tmp_path / "together", specs, rows)]
    assert together == alone
    # two queries (representation; the retention spells) read two families: each key table made once
    assert sorted(created) == sorted(set(created))
    assert {dataset for dataset, _ in created} == {"employees"}
    assert len(created) == 3  # ethnicity, residence and high-school places


def test_a_value_outside_the_vocabulary_falls_back_to_the_data_keys(tmp_path: Path) -> None:
    """The ethnicity key table is built from the vocabularies (every code, every sorted set of
    race codes); a stored list the import would never write (unsorted, repeated, empty) finds no
    row there, and the engine answers from the data's own keys instead."""
    from ristra.core.metrics.sql.lookups import KeyTable

    odd = [dict(a) for a in APPLICATIONS]
    odd[0]["race"], odd[1]["race"], odd[2]["race"] = ["white", "black"], ["black", "white"], []
    canonical = [dict(a) for a in odd]
    for row in canonical[:3]:
        row["race"] = sorted(set(row["race"])) or None
    specs = [RepresentationSpec("urm_nm", "applications", ("cycle",)), RepresentationSpec("race:ipeds", "applications")]
    (tmp_path / "odd").mkdir()
    (tmp_path / "canonical").mkdir()
    engine = engine_over(tmp_path / "odd", {"applications": odd})
    context = context_for({"applications": odd})
    got = [r.to_dict() for r in engine.run([plan_for(s, context) for s in specs])]
    assert engine.exact_reruns == 1  # the odd lists missed the vocabulary's key table
    want = [r.to_dict() for r in engine_results(tmp_path / "canonical", specs, {"applications": canonical})]
    # [] is no race reported, like NULL; the order of a list does not matter
    assert [r["rows"] for r in got] == [r["rows"] for r in want]
    table = KeyTable("applications", ("hispanic", "race"), vocabulary=True)
    assert "DISTINCT" not in table.create_sql(DUCKDB).sql
    assert "__codes_" in table.name


def test_canonical_values_are_answered_from_the_vocabulary_key_table(tmp_path: Path) -> None:
    specs = [RepresentationSpec("urm_nm", "applications", ("cycle",)), RepresentationSpec("race:aoic", "applications")]
    engine = engine_over(tmp_path, {"applications": APPLICATIONS})
    context = context_for({"applications": APPLICATIONS})
    engine.run([plan_for(s, context) for s in specs])
    assert engine.exact_reruns == 0
    tables = engine.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    names = {t[0] for t in tables}
    assert "__codes_applications__hispanic__race" in names
    assert not any(n.startswith("__keys_applications__hispanic") for n in names)
    size = engine.con.execute('SELECT count(*) FROM "__codes_applications__hispanic__race"').fetchone()
    assert size == ((4 + 1) * 2 ** 9,)  # hispanic: 4 codes or NULL; race: 511 sets of 9 codes or NULL


def test_the_engine_turns_off_duckdbs_grouping_sets_optimizer(tmp_path: Path) -> None:
    """It materialised the survival rows once more per query (docs/benchmarks.md)."""
    engine = engine_over(tmp_path, {"applications": APPLICATIONS})
    try:
        setting = engine.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()
        assert setting is not None
        assert "grouping_sets" in str(setting[0])
    finally:
        engine.close()


def test_every_key_table_of_a_batch_is_made_before_its_first_query(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Made before any result is handed back, they do not wait on the thread finishing plans."""
    from ristra.core.metrics.sql.lookups import KeyTable
    from ristra.engine.session import MetricsEngine

    events: list[str] = []
    create, execute = KeyTable.create_sql, MetricsEngine._execute

    def created(self: KeyTable, *args: Any) -> SqlFragment:
        events.append(f"create {self.dataset}")
        return create(self, *args)

    def executed(self: MetricsEngine, query: Any, compiled: Any) -> Any:
        events.append("query")
        return execute(self, query, compiled)

    monkeypatch.setattr(KeyTable, "create_sql", created)
    monkeypatch.setattr(MetricsEngine, "_execute", executed)
    rows = {"applications": APPLICATIONS, "employees": EMPLOYEES}
    specs = [RepresentationSpec("rural_school", "applications", ("cycle",)),
             RepresentationSpec("urm_nm", "employees", ("hire_year",))]
    engine_results(tmp_path, specs, rows)
    first_query = events.index("query")
    assert {e for e in events[:first_query]} == {"create applications", "create employees"}
    assert all(e == "query" for e in events[first_query:])


PLACED = [dict(a, residence_city=city, residence_county_fips=fips, residence_zip=zip_code, residence_state="NM",
               high_school_city=hs_city, high_school_zip=hs_zip, high_school_state=hs_state)
          for a, (city, fips, zip_code, hs_city, hs_zip, hs_state) in zip(APPLICATIONS, [
              ("Albuquerque", "35001", "87106", "Albuquerque", "87106", "NM"),
              ("Rio Rancho", None, "87124", "Rio Rancho", "87124", "NM"),
              ("Taos", "35055", "87571", "Taos", "87571", "NM"),
              ("Gallup", None, "87301", "Denver", "80203", "CO"),
              ("Albuquerque", "35001", "87106", None, None, None),
              ("Corrales", None, "87048", "Corrales", "87048", "NM"),
              ("Clovis", "35009", "88101", "Clovis", "88101", "NM")], strict=True)]
PLACE_SPECS = [RepresentationSpec("rural_school", "applications", ("cycle",)),
               RepresentationSpec("rural_ruca", "applications"), RepresentationSpec("frontier", "applications")]


def _stored_and_plain(files: dict[str, Any]) -> tuple[Any, Any]:
    from ristra.engine.session import MetricsEngine, SnapshotFile

    return MetricsEngine(files), MetricsEngine({k: SnapshotFile(f.ref, f.path) for k, f in files.items()})


def test_an_import_stores_the_distinct_places_and_the_engine_reads_them(workspace: Workspace, tmp_path: Path) -> None:
    """The import writes each place family's distinct keys next to the rows; the engine takes its
    place key tables from them (no pass over the rows) and answers exactly as without them."""
    import duckdb

    from ristra.core.metrics.sql.lookups import stored_key_columns

    import_rows(workspace, "applications", PLACED, tmp_path)
    svc = MetricsService(workspace)
    try:
        files = svc.current_files()
        manifest = workspace.snapshots.current("applications")
        assert manifest is not None
        assert {"place-keys-residence.parquet", "place-keys-high_school.parquet"} <= {e.name for e in manifest.files}
        stored = files["applications"].place_keys
        assert set(stored) == {"residence", "high_school"}
        for family, columns in stored_key_columns("applications").items():
            names = ", ".join(f'"{c}"' for c in columns)
            data = duckdb.sql(f"SELECT DISTINCT {names} FROM read_parquet('{files['applications'].path}')").fetchall()
            keys = duckdb.sql(f"SELECT {names} FROM read_parquet('{stored[family]}')").fetchall()
            assert sorted(keys, key=repr) == sorted(data, key=repr)
            assert len(keys) == {"residence": 6, "high_school": 7}[family]  # two applicants share a residence
        context = svc.context()
        with_keys, without = _stored_and_plain(files)
        got = [r.to_dict() for r in with_keys.run([plan_for(s, context) for s in PLACE_SPECS])]
        want = [r.to_dict() for r in without.run([plan_for(s, context) for s in PLACE_SPECS])]
        assert got == want
        assert with_keys.exact_reruns == 0
        tables = {t[0] for t in with_keys.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
        assert any(t.startswith("__stored_applications__residence_") for t in tables)
        assert any(t.startswith("__stored_applications__high_school_") for t in tables)
        assert not any(t.startswith("__keys_applications__") for t in tables)
        plain = {t[0] for t in without.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
        assert any(t.startswith("__keys_applications__residence_") for t in plain)
        with_keys.close()
        without.close()
    finally:
        svc.close()


def test_a_place_missing_from_the_stored_keys_falls_back_to_the_data_keys(tmp_path: Path) -> None:
    """Stored keys that lack a place (the import never writes them so) cannot change a result: the
    rows that find no lookup row are counted and the query runs again over the data's own keys."""
    import duckdb

    from ristra.engine.session import MetricsEngine, SnapshotFile

    (tmp_path / "plain").mkdir()
    want = [r.to_dict() for r in engine_results(tmp_path / "plain", PLACE_SPECS, {"applications": PLACED},
                                                place_keys=False)]
    complete = engine_over(tmp_path, {"applications": PLACED})
    file = complete.files["applications"]
    complete.close()
    short = tmp_path / "short.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_parquet('{file.place_keys['residence']}') "
               f"WHERE residence_city <> 'Taos') TO '{short}' (FORMAT parquet)")
    engine = MetricsEngine({"applications": SnapshotFile(file.ref, file.path, {**file.place_keys, "residence": short})})
    context = context_for({"applications": PLACED})
    try:
        got = [r.to_dict() for r in engine.run([plan_for(s, context) for s in PLACE_SPECS])]
        assert engine.exact_reruns == 1
        assert got == want
    finally:
        engine.close()


def test_a_file_without_some_columns_reads_them_as_null(tmp_path: Path) -> None:
    """A snapshot written before a column existed: the column reads as NULL; a list column is one
    column (its nested parts are not columns)."""
    import duckdb

    from ristra.core.metrics.results import SnapshotRef
    from ristra.engine.session import MetricsEngine, SnapshotFile

    path = tmp_path / "older.parquet"
    duckdb.sql(f"COPY (SELECT 'A1' AS application_id, 'P1' AS person_id, 'female' AS sex, "
               f"['black', 'white'] AS race, 'no' AS hispanic) TO '{path}' (FORMAT parquet)")
    engine = MetricsEngine({"applications": SnapshotFile(SnapshotRef("applications", "old", 1), path)})
    try:
        assert engine.duckdb._columns_of([path])[str(path)] == {"application_id", "person_id", "sex", "race", "hispanic"}
        got = engine.con.execute('SELECT sex, race, hispanic, residence_city, "cycle" FROM applications').fetchall()
        assert got == [("female", ["black", "white"], "no", None, None)]
    finally:
        engine.close()


def _event(i: int, appointment: str, kind: str, day: str, from_rank: str | None, to_rank: str | None) -> dict[str, Any]:
    return {"event_id": f"E{i}", "person_id": "P0", "appointment_id": appointment, "event": kind,
            "date": dt.date.fromisoformat(day), "from_rank": from_rank, "to_rank": to_rank}


EVENTS = [
    _event(1, "H1", "hire", "2010-01-01", None, "assistant_professor"),
    _event(2, "H1", "promotion", "2014-07-01", "assistant_professor", "associate_professor"),
    _event(3, "H2", "hire", "2015-01-01", None, "assistant_professor"),
    _event(4, "H3", "hire", "2016-01-01", None, "assistant_professor"),
    _event(5, "H3", "promotion", "2019-01-01", "assistant_professor", "associate_professor"),
    _event(6, "H4", "hire", "2005-01-01", None, "associate_professor"),
    _event(7, "H5", "hire", "2015-06-01", None, "assistant_professor"),
    _event(8, "H6", "hire", "2015-06-01", None, "assistant_professor"),  # staff: not followed
]


def test_retention_and_promotion_share_one_query_and_answer_as_alone(tmp_path: Path) -> None:
    """Promotion spells hold every employee row (the spells' own condition picks faculty), so
    retention's spells are answered in the same query: one pass over the employees, the same
    results as each metric on an engine of its own."""
    from ristra.core.metrics.specs import PromotionSpec

    rows = {"employees": EMPLOYEES, "employee_events": EVENTS}
    specs = [RetentionSpec("women", window_start="2015-01-01", as_of="2021-01-01"),
             PromotionSpec("women", window_start="2015-01-01", as_of="2021-01-01")]
    alone = []
    for i, spec in enumerate(specs):
        (tmp_path / f"alone{i}").mkdir()
        engine = engine_over(tmp_path / f"alone{i}", rows)
        alone.append(engine.run([plan_for(spec, context_for(rows))])[0].to_dict())
        assert engine.queries_run == 2  # the data window, then the spells
        engine.close()
    (tmp_path / "together").mkdir()
    engine = engine_over(tmp_path / "together", rows)
    together = [r.to_dict() for r in engine.run([plan_for(s, context_for(rows)) for s in specs])]
    assert engine.queries_run == 2
    assert together == alone
    engine.close()
    promoted = {(r["population"], r["level"], r["measure"]): r for r in together[1]["rows"]}
    share = promoted[("assistant_professor->associate_professor", "yes", "promoted_share")]
    # women hired as assistant professors and followed in the window: H1 (promoted 2014, before
    # the window opened: no time at risk), H2 and H3 (promoted 2019)
    assert (share["events"], share["n"]) == (1, 2)
