"""Derived-column declarations, and the default rural categories over a DuckDB view that builds
the derived columns the way the declarations describe (as the engine will)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from ristra.core.categories import (
    DERIVED_COLUMNS,
    MembershipCounts,
    columns_for,
    definitions_from_dict,
    derived_columns,
    membership_warnings,
)
from ristra.core.datasets import DATASETS, STORAGE_TYPE
from ristra.reference import census, zips
from ristra.stores.categories import default_definitions


def test_declarations_are_consistent() -> None:
    names = [d.name for d in DERIVED_COLUMNS]
    assert len(names) == len(set(names)) == 8
    for d in DERIVED_COLUMNS:
        assert d.kind in STORAGE_TYPE
        assert d.description
        for ds, inputs in d.inputs.items():
            assert set(inputs) <= set(DATASETS[ds].column_names), (d.name, ds)
            assert d.name not in DATASETS[ds].column_names
        assert d.to_dict()["datasets"] == list(d.datasets)
    assert {d.name for d in derived_columns("participants")} == {
        "residence_county_resolved", "residence_ruca", "residence_rucc", "residence_frontier"
    }
    assert derived_columns("programs") == ()
    assert columns_for("students")["residence_ruca"].derived


ROWS = [
    # id, county, zip, city, hs county, hs zip
    ("bernalillo", "35001", "87106", "Albuquerque", None, None),
    ("zip_only_rural", None, "88001", None, None, None),  # Las Cruces: rural by rule, metro by RUCA
    ("rio_rancho_zip", None, "87124", None, None, None),
    ("sandoval_rural", "35043", None, "Cuba", None, None),
    ("sandoval_unknown", "35043", None, None, None, None),
    ("nothing", None, None, None, None, None),
    ("urban_res_rural_hs", "35001", None, None, None, "87571"),  # Taos high school
    ("catron", "35003", None, None, None, None),
]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute("CREATE TABLE xwalk (zip VARCHAR, county VARCHAR)")
    c.executemany("INSERT INTO xwalk VALUES (?, ?)", [[z, s[0].county_fips] for z, s in zips.zip_county_crosswalk().items()])
    c.execute("CREATE TABLE ruca (zip VARCHAR, ruca INTEGER)")
    c.executemany("INSERT INTO ruca VALUES (?, ?)", [[z, r.ruca1] for z, r in zips.zip_ruca().items() if r.ruca1 <= 10])
    c.execute("CREATE TABLE counties (fips VARCHAR, rucc INTEGER, frontier BOOLEAN)")
    c.executemany("INSERT INTO counties VALUES (?, ?, ?)", [[k.fips, k.rucc_2023, k.frontier] for k in census.counties()])
    c.execute(
        "CREATE TABLE raw (id VARCHAR, residence_county_fips VARCHAR, residence_zip VARCHAR, residence_city VARCHAR, "
        "high_school_county_fips VARCHAR, high_school_zip VARCHAR)"
    )
    c.executemany("INSERT INTO raw VALUES (?, ?, ?, ?, ?, ?)", [list(r) for r in ROWS])
    c.execute(
        """CREATE VIEW applications AS
        SELECT raw.*, NULL::VARCHAR AS high_school_city,
               coalesce(raw.residence_county_fips, rx.county) AS residence_county_resolved,
               coalesce(raw.high_school_county_fips, hx.county) AS high_school_county_resolved,
               rr.ruca AS residence_ruca, hr.ruca AS high_school_ruca,
               rc.frontier AS residence_frontier, hc.frontier AS high_school_frontier
        FROM raw
        LEFT JOIN xwalk rx ON rx.zip = raw.residence_zip
        LEFT JOIN xwalk hx ON hx.zip = raw.high_school_zip
        LEFT JOIN ruca rr ON rr.zip = raw.residence_zip
        LEFT JOIN ruca hr ON hr.zip = raw.high_school_zip
        LEFT JOIN counties rc ON rc.fips = coalesce(raw.residence_county_fips, rx.county)
        LEFT JOIN counties hc ON hc.fips = coalesce(raw.high_school_county_fips, hx.county)"""
    )
    yield c
    c.close()


def _labels(con: duckdb.DuckDBPyConnection, category: str) -> dict[str, str]:
    definition = {d.id: d for d in definitions_from_dict(default_definitions())}[category]
    frag = definition.membership_sql("applications")
    rows = con.execute(f"SELECT id, {frag.sql} FROM applications", frag.params).fetchall()  # noqa: S608
    return dict(rows)


def test_rural_school_over_derived_columns(con: duckdb.DuckDBPyConnection) -> None:
    assert _labels(con, "rural_school") == {
        "bernalillo": "no",
        "zip_only_rural": "yes",
        "rio_rancho_zip": "no",
        "sandoval_rural": "yes",
        "sandoval_unknown": "unknown",
        "nothing": "unknown",
        "urban_res_rural_hs": "yes",
        "catron": "yes",
    }


def test_rural_ruca_and_frontier_over_derived_columns(con: duckdb.DuckDBPyConnection) -> None:
    ruca = _labels(con, "rural_ruca")
    assert ruca["zip_only_rural"] == "no"
    assert ruca["bernalillo"] == "no"
    assert ruca["urban_res_rural_hs"] == "yes"
    assert ruca["nothing"] == "unknown"
    frontier = _labels(con, "frontier")
    assert frontier["catron"] == "yes"
    assert frontier["bernalillo"] == "no"
    assert frontier["nothing"] == "unknown"


def test_counts_feed_warnings(con: duckdb.DuckDBPyConnection) -> None:
    labels = _labels(con, "rural_school")
    counts = MembershipCounts(*(list(labels.values()).count(level) for level in ("yes", "no", "unknown")))
    assert counts == MembershipCounts(4, 2, 2)
    assert membership_warnings("rural_school", "applications", counts) == []
