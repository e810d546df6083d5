"""The reference tables derived columns are computed from, loaded into DuckDB.

* :data:`~ristra.core.metrics.sql.lookups.REF_ZIP` — every New Mexico ZIP code of the HUD
  crosswalk or the RUCA table: ``county`` is the county holding the largest residential share of
  the ZIP (ties: the lower FIPS), ``ruca`` the primary RUCA 2010 code (NULL for code 99);
* :data:`~ristra.core.metrics.sql.lookups.REF_COUNTY` — each county's RUCC 2023 code and whether it
  is frontier (fewer than 6 persons per square mile).
"""

from __future__ import annotations

import functools

import duckdb

from ristra.core.metrics.sql.lookups import REF_COUNTY, REF_ZIP
from ristra.core.sql_dialect import DUCKDB
from ristra.reference import census, zips


@functools.cache
def zip_rows() -> tuple[tuple[str, str | None, int | None], ...]:
    """(zip, county, ruca) for every ZIP in the shipped tables."""
    crosswalk = zips.zip_county_crosswalk()
    ruca = zips.zip_ruca()
    rows = []
    for z in sorted(set(crosswalk) | set(ruca)):
        county = crosswalk[z][0].county_fips if z in crosswalk else None
        code = ruca[z].ruca1 if z in ruca and 1 <= ruca[z].ruca1 <= 10 else None
        rows.append((z, county, code))
    return tuple(rows)


@functools.cache
def county_rows() -> tuple[tuple[str, int, bool], ...]:
    """(fips, rucc, frontier) for every county."""
    return tuple((c.fips, c.rucc_2023, c.frontier) for c in census.counties())


def load(con: duckdb.DuckDBPyConnection) -> None:
    """Create and fill both reference tables in ``con``."""
    con.execute(f'CREATE TABLE "{REF_ZIP}" (zip VARCHAR PRIMARY KEY, county VARCHAR, ruca INTEGER)')
    _insert(con, REF_ZIP, ("VARCHAR", "VARCHAR", "INTEGER"), zip_rows())
    con.execute(f'CREATE TABLE "{REF_COUNTY}" (fips VARCHAR PRIMARY KEY, rucc INTEGER, frontier BOOLEAN)')
    _insert(con, REF_COUNTY, ("VARCHAR", "INTEGER", "BOOLEAN"), county_rows())


def _insert(con: duckdb.DuckDBPyConnection, table: str, types: tuple[str, ...],
            rows: tuple[tuple[object, ...], ...]) -> None:
    """Insert ``rows`` in one statement: each column bound as one list parameter."""
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in types]
    unnested = ", ".join(DUCKDB.unnest(DUCKDB.array_parameter(t)) for t in types)
    con.execute(f'INSERT INTO "{table}" SELECT {unnested}', columns)
