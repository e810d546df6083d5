"""Helpers for the metrics tests: canonical rows written straight to Parquet, an engine over
them, derived columns computed in Python (for the reference evaluator), and hypothesis
strategies for small random datasets. (Also a few tests of the helpers themselves.)"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import strategies as st

from ristra.core.categories import CategorySet, definitions_from_dict
from ristra.core.categories.derived import derived_columns
from ristra.core.datasets import dataset
from ristra.core.metrics.evaluator import evaluate
from ristra.core.metrics.plans import Context, plan_for
from ristra.core.metrics.results import MetricResult, SnapshotRef
from ristra.core.metrics.specs import (
    FunnelSpec,
    GraduationSpec,
    MetricSpec,
    PromotionSpec,
    RepresentationRatioSpec,
    RepresentationSpec,
    RetentionSpec,
    SelectionRatioSpec,
    TrendSpec,
)
from ristra.engine import SnapshotFile, open_engine
from ristra.engine.reference_tables import county_rows, zip_rows
from ristra.ingest.benchmarks import load_benchmarks
from ristra.stores.categories import default_definitions

Row = dict[str, Any]


def default_categories() -> CategorySet:
    return CategorySet(1, definitions_from_dict(default_definitions()), "tests", "2026-01-01", "defaults")


def write_parquet(path: Path, dataset_name: str, rows: Sequence[Mapping[str, Any]]) -> Path:
    """``rows`` (canonical values; missing keys are NULL) as a Parquet file with the canonical types."""
    ds = dataset(dataset_name)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{c.name}" {c.storage_type}' for c in ds.columns) + ")")
    if rows:
        marks = ", ".join("?" for _ in ds.columns)
        con.executemany(f"INSERT INTO t VALUES ({marks})", [[r.get(c.name) for c in ds.columns] for r in rows])
    target = str(path).replace("'", "''")
    con.execute(f"COPY t TO '{target}' (FORMAT parquet)")
    con.close()
    return path


def engine_over(tmp: Path, rows: Mapping[str, Sequence[Mapping[str, Any]]], place_keys: bool = True,
                engine: str = "duckdb") -> Any:
    """A runner of the backend ``engine`` (an id of :data:`ristra.engine.ENGINES`; DuckDB's is a
    :class:`~ristra.engine.session.MetricsEngine`) over ``rows``; with ``place_keys`` each dataset
    has the place keys an import stores."""
    from ristra.ingest.place_keys import write_place_keys

    files = {}
    for name, data in rows.items():
        path = write_parquet(tmp / f"{name}.parquet", name, data)
        keys = {}
        if place_keys:
            (tmp / f"{name}-keys").mkdir(exist_ok=True)
            keys = write_place_keys(dataset(name), path, tmp / f"{name}-keys")
        files[name] = SnapshotFile(SnapshotRef(name, f"snap-{name}", len(data)), path, keys)
    return open_engine(engine, files)


def context_for(rows: Mapping[str, Sequence[Mapping[str, Any]]], categories: CategorySet | None = None) -> Context:
    refs = {name: SnapshotRef(name, f"snap-{name}", len(data)) for name, data in rows.items()}
    # hand-made snapshots declare no extract start: retention over them may guess its window (and says so)
    return Context(categories or default_categories(), load_benchmarks(), refs, require_declared_window=False)


_ZIPS = {z: (county, ruca) for z, county, ruca in zip_rows()}
_COUNTIES = {fips: (rucc, frontier) for fips, rucc, frontier in county_rows()}


def with_derived(dataset_name: str, row: Mapping[str, Any]) -> Row:
    """``row`` with the derived columns, computed the way ``derived.py`` describes."""
    out = dict(row)
    for place in ("residence", "high_school"):
        names = {d.name for d in derived_columns(dataset_name)}
        if f"{place}_ruca" not in names:
            continue
        zip_code = row.get("zip") if dataset_name == "participants" else row.get(f"{place}_zip")
        county = None if dataset_name == "participants" else row.get(f"{place}_county_fips")
        if isinstance(county, str) and not county.strip():
            county = None
        zip_county, ruca = _ZIPS.get(zip_code, (None, None)) if zip_code is not None else (None, None)
        resolved = county.strip() if isinstance(county, str) else zip_county
        rucc, frontier = _COUNTIES.get(resolved, (None, None)) if resolved is not None else (None, None)
        out[f"{place}_county_resolved"] = resolved
        out[f"{place}_ruca"] = ruca
        out[f"{place}_rucc"] = rucc
        out[f"{place}_frontier"] = frontier
    return out


def reference_results(specs: Sequence[MetricSpec], rows: Mapping[str, Sequence[Mapping[str, Any]]],
                      categories: CategorySet | None = None) -> list[MetricResult]:
    context = context_for(rows, categories)
    derived = {name: [with_derived(name, r) for r in data] for name, data in rows.items()}
    return evaluate([plan_for(s, context) for s in specs], derived)


def engine_results(tmp: Path, specs: Sequence[MetricSpec], rows: Mapping[str, Sequence[Mapping[str, Any]]],
                   categories: CategorySet | None = None, place_keys: bool = True,
                   engine: str = "duckdb") -> list[MetricResult]:
    """Every specification's result from the backend ``engine`` over ``rows``."""
    context = context_for(rows, categories)
    runner = engine_over(tmp, rows, place_keys, engine)
    try:
        results: list[MetricResult] = runner.run([plan_for(s, context) for s in specs])
        return results
    finally:
        runner.close()


def close(a: object, b: object, rel: float = 1e-9) -> bool:
    """Deep equality with a relative tolerance for floats (NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float | int):
        if math.isnan(a) or math.isnan(float(b)):
            return math.isnan(a) and math.isnan(float(b))
        return math.isclose(a, float(b), rel_tol=rel, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], rel) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y, rel) for x, y in zip(a, b, strict=True))
    return a == b


#: Specifications beyond the standard pack that the engine tests also compute: crossings, race schemes
#: (alone or in combination too), derived and year-of-date grouping columns.
EXTRA: list[MetricSpec] = [
    RepresentationSpec("women*rural_school", "applications", ("cycle", "program")),
    RepresentationSpec("race:ipeds", "applications", ("cycle",)),
    RepresentationSpec("race:nm_school", "employees", ("rank",)),
    RepresentationSpec("race:aoic", "participants", ("year",)),
    TrendSpec("race:aoic", "applications", "cycle"),
    FunnelSpec("race:aoic", ("program",)),
    GraduationSpec("race:aoic", "trainees", ("program",)),
    RepresentationSpec("urm_nm", "applications", ("residence_county_resolved", "high_school_ruca")),
    RepresentationSpec("rural_school", "employees", ("hire_year", "employee_class")),
    RepresentationSpec("women", "participants", ("residence_county_resolved", "residence_frontier", "year")),
    TrendSpec("econ_disadvantaged", "applications", "offer_year"),
    RepresentationRatioSpec("urm_nm*women", "applications", ("program",), "interviewed"),
    SelectionRatioSpec("frontier", ("cycle", "program"), ("offered",)),
    GraduationSpec("first_generation", "students", ("program",), (4, 6)),
    RetentionSpec("women", "all", (1.0, 4.5)),
    RetentionSpec("race:ipeds", "staff"),
    PromotionSpec("urm_nm", (("assistant_professor", "associate_professor"),), (2.0, 5.0)),
]


# --------------------------------------------------------------------------- random datasets

CODES = st.sampled_from(["yes", "no", "unknown", "declined", None])
SEX = st.sampled_from(["female", "male", "another", "unknown", "declined", None])
RACE = st.one_of(st.none(), st.lists(st.sampled_from(
    ["american_indian_alaska_native", "asian", "black", "white", "other", "unknown", "declined"]),
    max_size=3, unique=True).map(sorted))
COUNTY = st.sampled_from(["35001", "35043", "35003", "35049", "48141", None])
ZIP = st.sampled_from(["87106", "87124", "87048", "88001", "87571", "87829", "99999", None])
CITY = st.sampled_from(["Albuquerque", "Rio Rancho", " corrales ", "Cuba", "", None])
SES = st.sampled_from(["EO-1", "EO-2", "EO-3", "EO-5", "unknown", None])
DAY = st.dates(dt.date(2004, 1, 1), dt.date(2025, 12, 31))


@st.composite
def person(draw: st.DrawFn) -> Row:
    return {
        "person_id": f"P{draw(st.integers(0, 10**6))}",
        "sex": draw(SEX), "hispanic": draw(CODES), "race": draw(RACE),
        "residence_county_fips": draw(COUNTY), "residence_zip": draw(ZIP), "residence_city": draw(CITY),
        "high_school_county_fips": draw(COUNTY), "high_school_zip": draw(ZIP), "high_school_city": draw(CITY),
        "first_generation": draw(CODES), "pell_recipient": draw(CODES), "fee_assistance": draw(CODES),
        "ses_indicator": draw(SES), "self_disadvantaged": draw(CODES),
    }


@st.composite
def application(draw: st.DrawFn) -> Row:
    flags = {f: draw(st.booleans()) for f in ("completed", "interviewed", "offered", "declined", "waitlisted",
                                              "matriculated")}
    return {**draw(person()), "application_id": f"A{draw(st.integers(0, 10**9))}",
            "cycle": draw(st.integers(2023, 2025)), "program": draw(st.sampled_from(["MD", "PA"])),
            "in_state": draw(CODES), **flags}


@st.composite
def student(draw: st.DrawFn) -> Row:
    year = draw(st.integers(2016, 2024))
    status = draw(st.sampled_from(["enrolled", "graduated", "withdrawn", "dismissed", "leave"]))
    grad = dt.date(year + draw(st.integers(3, 7)), 5, 15) if status == "graduated" else None
    return {**draw(person()), "program": "MD", "matriculation_year": year, "status": status,
            "graduation_date": grad if grad and grad <= dt.date(2025, 12, 31) else None,
            "status_date": draw(DAY)}


@st.composite
def trainee(draw: st.DrawFn) -> Row:
    start = draw(DAY)
    return {**draw(person()), "appointment_id": f"T{draw(st.integers(0, 10**9))}", "program": "IM",
            "specialty": "Internal Medicine", "kind": draw(st.sampled_from(["residency", "fellowship"])),
            "start_date": start, "status": draw(st.sampled_from(["active", "completed", "withdrawn", "dismissed",
                                                                 "transferred", "leave"]))}


@st.composite
def employee(draw: st.DrawFn) -> Row:
    hire = draw(st.dates(dt.date(1995, 1, 1), dt.date(2025, 6, 30)))
    leaves = draw(st.booleans())
    separation = draw(st.dates(max(hire, dt.date(2011, 1, 1)), dt.date(2025, 12, 31))) if leaves else None
    return {**draw(person()), "appointment_id": f"H{draw(st.integers(0, 10**9))}",
            "employee_class": draw(st.sampled_from(["faculty", "faculty", "staff"])),
            "rank": draw(st.sampled_from(["assistant_professor", "associate_professor", "professor"])),
            "department": "Medicine", "senior_administrative": draw(CODES),
            "hire_date": hire, "separation_date": separation,
            "separation_reason": draw(st.sampled_from(["retirement", "resignation_personal", "termination", None]))
            if separation else None}


def events_for(employees: Sequence[Row], draw: st.DrawFn) -> list[Row]:
    out: list[Row] = []
    for i, e in enumerate(employees):
        out.append({"event_id": f"E{i}h", "person_id": e["person_id"], "appointment_id": e["appointment_id"],
                    "event": "hire", "date": e["hire_date"], "to_rank": "assistant_professor"})
        if draw(st.booleans()):
            day = e["hire_date"] + dt.timedelta(days=draw(st.integers(0, 4000)))
            if day <= dt.date(2025, 12, 31):
                out.append({"event_id": f"E{i}p", "person_id": e["person_id"], "appointment_id": e["appointment_id"],
                            "event": "promotion", "date": day, "from_rank": "assistant_professor",
                            "to_rank": "associate_professor"})
    return out


@st.composite
def participant(draw: st.DrawFn) -> Row:
    return {"participant_id": f"R{draw(st.integers(0, 10**9))}", "program_id": "PP01",
            "year": draw(st.integers(2015, 2025)), "roster_id": f"X{draw(st.integers(0, 10**6))}",
            "zip": draw(ZIP), "sex": draw(SEX), "hispanic": draw(CODES), "race": draw(RACE),
            "completed": draw(CODES)}


@st.composite
def school(draw: st.DrawFn) -> dict[str, list[Row]]:
    employees = draw(st.lists(employee(), min_size=0, max_size=25))
    seen: set[str] = set()
    for i, e in enumerate(employees):  # unique appointment ids
        e["appointment_id"] = f"H{i}"
        seen.add(e["appointment_id"])
    return {
        "applications": draw(st.lists(application(), min_size=0, max_size=40)),
        "students": draw(st.lists(student(), min_size=0, max_size=15)),
        "trainees": draw(st.lists(trainee(), min_size=0, max_size=15)),
        "employees": employees,
        "employee_events": events_for(employees, draw),
        "participants": draw(st.lists(participant(), min_size=0, max_size=15)),
    }


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def import_rows(workspace: Any, dataset_name: str, rows: Sequence[Mapping[str, Any]], tmp: Path,
                extract_start: str | None = None) -> None:
    """Write ``rows`` as a CSV with every canonical column and import it (must be valid), declaring
    ``extract_start`` when given."""
    import csv

    from ristra.services.imports import import_file

    ds = dataset(dataset_name)
    path = tmp / f"{dataset_name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ds.column_names)
        for r in rows:
            writer.writerow([csv_value(r.get(c)) for c in ds.column_names])
    result = import_file(workspace, dataset_name, path, extract_start=extract_start)
    assert result.imported, result.report.issues[:5]
