"""Benchmarks by period and by age: the 2000, 2010 and 2020 Censuses for New Mexico, the 2010
county counts, and the ACS 1-year age bands 2005–2018 (see ``PROVENANCE.md``).

Same contract as :mod:`ristra.reference`: each file is read once and returned as frozen values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ristra.core.benchmarks import RaceCounts
from ristra.reference.census import counts_from_row
from ristra.reference.files import rows

STATE_CENSUS_FILE = "nm_state_census_2000_2010_2020_pl_p1_p4.csv"
COUNTIES_2010_FILE = "nm_2010_census_p2_p4_by_county.csv"
ACS_AGE_BANDS_FILE = "nm_acs1yr_2005_2018_age_bands_by_race_hispanic.csv"
CENSUS_YEARS = (2000, 2010, 2020)

_P2_FIELDS = {"hispanic_or_latino": "hispanic", "nh_white_alone": "white",
              "nh_black_alone": "black", "nh_aian_alone": "aian", "nh_asian_alone": "asian",
              "nh_nhpi_alone": "nhpi", "nh_other_race_alone": "other", "nh_two_or_more": "two_or_more"}


@dataclass(frozen=True)
class RaceAlone:
    """Table P1 (all ages) or P3 (18+): people of one race alone, of any Hispanic origin."""

    total: int
    black_alone: int
    aian_alone: int
    two_or_more: int


@dataclass(frozen=True)
class StateCensus:
    """One decennial census of New Mexico: P2/P4 (Hispanic; not Hispanic by race) and P1/P3
    (race alone of any origin), all ages and 18+."""

    year: int
    population: RaceCounts
    adults: RaceCounts
    population_race: RaceAlone
    adults_race: RaceAlone


@dataclass(frozen=True)
class AcsBand:
    """NM persons in one age band in one ACS 1-year release: total, Hispanic or Latino (any
    race), and Black, AIAN and two or more races **of any origin** (the ACS has no not-Hispanic
    Black or AIAN by age); ``moe90_*`` are 90 % margins of error."""

    year: int
    band: str
    total: int
    hispanic: int
    black_alone: int
    aian_alone: int
    two_or_more: int
    moe90_total: int
    moe90_hispanic: int


@functools.cache
def state_censuses() -> Mapping[int, StateCensus]:
    """The 2000, 2010 and 2020 Censuses of New Mexico (state summary records)."""
    values: dict[tuple[int, str, str], int] = {}
    for r in rows(STATE_CENSUS_FILE):
        values[(int(r["year"]), r["pl_table"], r["category"])] = int(r["count"])
    out = {}
    for year in CENSUS_YEARS:
        def p2(table: str, y: int = year) -> RaceCounts:  # the universe's total is P1's (P3's for P4)
            total = values[(y, "P001" if table == "P002" else "P003", "total")]
            return RaceCounts(total=total, **{f: values[(y, table, c)] for c, f in _P2_FIELDS.items()})

        def p1(table: str, y: int = year) -> RaceAlone:
            return RaceAlone(values[(y, table, "total")], values[(y, table, "black_alone")],
                             values[(y, table, "aian_alone")], values[(y, table, "two_or_more")])

        out[year] = StateCensus(year, p2("P002"), p2("P004"), p1("P001"), p1("P003"))
    return MappingProxyType(out)


@functools.cache
def counties_2010() -> Mapping[str, tuple[RaceCounts, RaceCounts]]:
    """2010 Census P2 (all ages) and P4 (18+) counts by county FIPS (the state row left out)."""
    return MappingProxyType({
        r["county_fips"].zfill(5): (counts_from_row(r, "pop"), counts_from_row(r, "vap"))
        for r in rows(COUNTIES_2010_FILE) if len(r["county_fips"]) == 5
    })


@functools.cache
def acs_age_bands() -> tuple[AcsBand, ...]:
    """Every (year, age band) of the ACS 1-year extract, 2005–2018."""
    return tuple(
        AcsBand(int(r["year"]), r["age_band"], int(r["total"]), int(r["hispanic_or_latino"]),
                int(r["black_alone"]), int(r["aian_alone"]), int(r["two_or_more"]),
                int(r["moe90_total"]), int(r["moe90_hispanic_or_latino"]))
        for r in rows(ACS_AGE_BANDS_FILE)
    )
