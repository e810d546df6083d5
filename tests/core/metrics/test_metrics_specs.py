"""Specifications, groupings and the safety of the compiled SQL (no data needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ristra.core.metrics import (
    METRICS,
    CategoryNotApplicable,
    InvalidSpecification,
    UnknownCategory,
    UnknownColumn,
    UnknownDatasetForMetric,
    UnknownMetric,
    make_spec,
)
from ristra.core.metrics.columns import grouping_column, grouping_columns
from ristra.core.metrics.groupings import resolve_grouping
from ristra.core.metrics.specs import RepresentationSpec
from ristra.core.metrics.sql.cube import CubeQuery
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.sql_dialect import DUCKDB
from support.metrics import default_categories


def test_every_metric_builds_from_loose_options() -> None:
    for metric in METRICS:
        spec = make_spec(metric, category="women")
        assert spec.metric == metric
        assert spec.to_dict()["metric"] == metric
        assert make_spec(metric.replace("-", "_"), category="women") == spec
    spec = make_spec("representation", category="urm_nm", dataset="students", by="matriculation_year")
    assert spec == RepresentationSpec("urm_nm", "students", ("matriculation_year",))
    assert hash(spec) == hash(RepresentationSpec("urm_nm", "students", ("matriculation_year",)))
    assert make_spec("retention", category="women", horizons=[3]).horizons == (3.0,)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("metric", "options", "error", "message"), [
    ("representaton", {}, UnknownMetric, "did you mean representation"),
    ("representation", {"dataset": "programs"}, UnknownDatasetForMetric, "cannot use dataset"),
    ("representation", {"by": ["cycel"]}, UnknownColumn, "did you mean cycle"),
    ("representation", {"by": ["application_id"]}, UnknownColumn, "cannot be grouped by"),
    ("representation", {"by": ["hire_date"], "dataset": "employees"}, UnknownColumn, "hire_year"),
    ("representation", {"by": ["cycle", "cycle"]}, InvalidSpecification, "twice"),
    ("representation", {"confidence": 1.5}, InvalidSpecification, "confidence"),
    ("representation-ratio", {"dataset": "students", "stage": "offered"}, InvalidSpecification, "applications"),
    ("selection-ratio", {"stages": ["applied"]}, InvalidSpecification, "selection stage"),
    ("graduation", {"dataset": "applications"}, UnknownDatasetForMetric, "students, trainees"),
    ("graduation", {"within": [0]}, InvalidSpecification, "within"),
    ("retention", {"population": "deans"}, InvalidSpecification, "faculty"),
    ("retention", {"window_start": "2015-13-01"}, InvalidSpecification, "YYYY-MM-DD"),
    ("promotion", {"transitions": [["professor", "assistant_professor"]]}, InvalidSpecification, "ladder"),
    ("funnel", {"stage": "offered"}, InvalidSpecification, "takes no option"),
    ("trend", {"year": "sex"}, InvalidSpecification, "not a year column"),
])
def test_bad_specifications_say_why(metric: str, options: dict[str, object], error: type[Exception],
                                    message: str) -> None:
    with pytest.raises(error, match=message):
        make_spec(metric, category="women", **options)


def test_groupings() -> None:
    cats = default_categories()
    women = resolve_grouping(cats, "women")
    assert women.levels == ("yes", "no", "unknown")
    assert women.benchmark_key == "women"
    crossed = resolve_grouping(cats, "women*urm_nm")
    assert len(crossed.levels) == 9
    assert crossed.positive == "yes|yes"
    assert crossed.is_unknown("yes|unknown")
    assert set(crossed.datasets) == {"applications", "students", "trainees", "employees", "participants"}
    ipeds = resolve_grouping(cats, "race:ipeds")
    assert "two_or_more" in ipeds.levels
    assert ipeds.is_unknown("declined")
    assert ipeds.positive is None
    with pytest.raises(UnknownCategory, match="did you mean urm_nm"):
        resolve_grouping(cats, "urm_mn")
    with pytest.raises(UnknownCategory):
        resolve_grouping(cats, "women*women")
    with pytest.raises(CategoryNotApplicable):
        resolve_grouping(cats, "in_state").require("employees")


def test_grouping_columns_are_an_allow_list() -> None:
    columns = grouping_columns("employees")
    assert {"rank", "department", "hire_year", "separation_year", "residence_ruca"} <= set(columns)
    assert "person_id" not in columns
    assert "race" not in columns
    assert "race_detail" not in columns
    assert grouping_column("employee_events", "event_year").source == "date"
    for evil in ['cycle"; DROP TABLE applications; --', "cycle OR 1=1", "CYCLE"]:
        with pytest.raises(UnknownColumn):
            grouping_column("applications", evil)


def test_values_never_reach_the_sql_text() -> None:
    from ristra.core.categories import CategorySet, definitions_from_dict

    evil = "x'); DROP TABLE applications; --"
    cats = CategorySet(1, definitions_from_dict({"categories": [{
        "id": "sneaky", "label": "L", "description": "d", "rationale": "r", "datasets": ["applications"],
        "rule": f"residence_city == '{evil.replace(chr(39), chr(39) * 2)}' or program in ['MD']"}]}), "a", "t", "r")
    grouping = resolve_grouping(cats, "sneaky")
    query = CubeQuery(dataset_source("applications"))
    query.add((grouping_column("applications", "cycle"), *grouping.dimensions("applications")))
    compiled = query.compile(DUCKDB)
    assert "DROP" not in compiled.query.sql.upper().replace('"', "")
    assert any(isinstance(p, str) and "drop table" in p for p in compiled.query.params)
    assert compiled.query.sql.count("?") == len(compiled.query.params)


def test_importing_ristra_does_not_import_duckdb() -> None:
    code = "import sys, ristra, ristra.core.metrics; assert 'duckdb' not in sys.modules and 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
