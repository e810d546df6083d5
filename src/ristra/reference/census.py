"""New Mexico's counties and the 2020 Census counts: counties with their USDA RUCC 2023 codes,
land area and the school's county-level urban rule; P2/P4 counts by county (all ages and 18+); the
New Mexico and US totals and the P2 race and ethnicity summary.

Contract: every function reads its file once (``functools.cache``) and returns frozen values
(frozen dataclasses, tuples, read-only mappings); FIPS codes are five-character strings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ristra.core.benchmarks import RaceCounts

from .files import CENSUS_BY_COUNTY_FILE, CENSUS_SUMMARY_FILE, COUNTIES_FILE
from .files import rows as _rows

STATE_FIPS = "35"
"""New Mexico's state FIPS code."""


#: 2020 Census P.L. 94-171 counts in the Table P2 (all ages) or P4 (18+) categories: ``hispanic``
#: is Hispanic or Latino of any race; every other field is *not Hispanic* and that race alone;
#: ``two_or_more`` is not Hispanic, two or more races. The parts add to ``total``.
CensusCounts = RaceCounts


_ZERO = CensusCounts(0, 0, 0, 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class County:
    """One New Mexico county.

    ``school_urban_rule`` is the school's own rule at county level: ``"urban"`` (Bernalillo County,
    urban as a whole), ``"rural"``, or ``"mixed"`` (Sandoval County: Rio Rancho and Corrales are
    urban, the rest rural — a city or ZIP test decides). ``frontier`` is fewer than 6 persons per
    square mile. ``population`` and ``adults`` are the P2 and P4 tables.
    """

    fips: str
    name: str
    pop_2020: int
    land_sqmi: float
    persons_per_sqmi: float
    rucc_2023: int
    rucc_2023_description: str
    metro: bool
    school_urban_rule: str
    frontier: bool
    population: CensusCounts
    adults: CensusCounts



@dataclass(frozen=True)
class RaceEthnicityShare:
    """One row of the NM vs US Table P2 summary: counts and percentages (0..100)."""

    category: str
    nm_count: int
    nm_pct: float
    nm_adult_count: int
    nm_adult_pct: float
    us_count: int
    us_pct: float


def counts_from_row(row: Mapping[str, str], prefix: str) -> CensusCounts:
    """The counts in a census file's row: column ``<prefix>`` is the total, ``<prefix>_<group>`` each
    part (``pop`` all ages, ``vap`` 18+)."""
    return CensusCounts(
        total=int(row[prefix]),
        hispanic=int(row[f"{prefix}_hisp"]),
        white=int(row[f"{prefix}_white"]),
        black=int(row[f"{prefix}_black"]),
        aian=int(row[f"{prefix}_aian"]),
        asian=int(row[f"{prefix}_asian"]),
        nhpi=int(row[f"{prefix}_nhpi"]),
        other=int(row[f"{prefix}_other"]),
        two_or_more=int(row[f"{prefix}_two"]),
    )



def _urban_rule(text: str) -> str:
    lowered = text.lower()
    if lowered.startswith("urban"):
        return "urban"
    if lowered.startswith("mixed"):
        return "mixed"
    return "rural"


@functools.cache
def counties() -> tuple[County, ...]:
    """New Mexico's 33 counties in FIPS order, with RUCC 2023 codes and census counts."""
    census = {r["county_fips"]: r for r in _rows(CENSUS_BY_COUNTY_FILE)}
    result = []
    for row in _rows(COUNTIES_FILE):
        fips = row["county_fips"].zfill(5)
        counts = census[fips]
        result.append(
            County(
                fips=fips,
                name=row["county"],
                pop_2020=int(row["pop_2020"]),
                land_sqmi=float(row["land_sqmi_tiger2018"]),
                persons_per_sqmi=float(row["persons_per_sqmi"]),
                rucc_2023=int(row["rucc_2023"]),
                rucc_2023_description=row["rucc_2023_desc"],
                metro=row["omb_metro_2023"] == "metro",
                school_urban_rule=_urban_rule(row["seed_urban_rule"]),
                frontier=row["density_lt6_per_sqmi"] == "True",
                population=counts_from_row(counts, "pop"),
                adults=counts_from_row(counts, "vap"),
            )
        )
    return tuple(sorted(result, key=lambda c: c.fips))


@functools.cache
def county_by_fips() -> Mapping[str, County]:
    """The counties keyed by five-digit FIPS."""
    return MappingProxyType({c.fips: c for c in counties()})


@functools.cache
def county_fips_by_name() -> Mapping[str, str]:
    return MappingProxyType({c.name.lower(): c.fips for c in counties()})


@functools.cache
def nm_totals() -> tuple[CensusCounts, CensusCounts]:
    """New Mexico 2020 (all ages, 18+), summed from the counties."""
    population, adults = _ZERO, _ZERO
    for county in counties():
        population += county.population
        adults += county.adults
    return population, adults


@functools.cache
def census_p2_summary() -> tuple[RaceEthnicityShare, ...]:
    """NM vs US shares by the Table P2 categories (the last row is ``Total``)."""
    return tuple(
        RaceEthnicityShare(
            category=r["category_P2"],
            nm_count=int(r["NM_total_pop"]),
            nm_pct=float(r["NM_pct"]),
            nm_adult_count=int(r["NM_age18plus_P4"]),
            nm_adult_pct=float(r["NM_age18plus_pct"]),
            us_count=int(r["US_total_pop"]),
            us_pct=float(r["US_pct"]),
        )
        for r in _rows(CENSUS_SUMMARY_FILE)
    )


_P2_CATEGORY_FIELDS = {
    "Hispanic or Latino (any race)": "hispanic",
    "Not Hispanic: White alone": "white",
    "Not Hispanic: Black or African American alone": "black",
    "Not Hispanic: American Indian and Alaska Native alone": "aian",
    "Not Hispanic: Asian alone": "asian",
    "Not Hispanic: Native Hawaiian and Other Pacific Islander alone": "nhpi",
    "Not Hispanic: Some Other Race alone": "other",
    "Not Hispanic: Two or More Races": "two_or_more",
    "Total": "total",
}


@functools.cache
def us_totals() -> CensusCounts:
    """United States 2020 (50 states + DC), Table P2 categories, all ages."""
    values = {_P2_CATEGORY_FIELDS[r.category]: r.us_count for r in census_p2_summary()}
    return CensusCounts(**values)


