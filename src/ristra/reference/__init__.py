"""Public reference data for New Mexico, shipped inside the package (see ``PROVENANCE.md``).

A small, typed, read-only loader over the CSV files next to this module: 2020 Census counts by
county (all ages and 18+), counties with USDA RUCC 2023 codes, ZIP → RUCA 2010 codes, the HUD
ZIP → county crosswalk, ZIP → city/county places, US and New Mexico totals and ACS adult sex shares.

Contract
--------
* Every function reads its file once (``functools.cache``) and returns frozen values: frozen
  dataclasses, tuples, and read-only mappings (:class:`types.MappingProxyType`). Callers cannot
  change what another caller sees.
* ZIP codes and FIPS codes are five-character strings (leading zeros kept).
* This module holds data only. Rules built on it (e.g. the school's own rural rule, which needs a
  county, a city and a ZIP) are category definitions and live elsewhere.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from ristra.core.benchmarks import RaceCounts

__all__ = [
    "AdultSexShares",
    "CensusCounts",
    "County",
    "RaceEthnicityShare",
    "ZipCountyShare",
    "ZipPlace",
    "ZipRuca",
    "acs_adult_sex",
    "census_p2_summary",
    "counties",
    "county_by_fips",
    "nm_totals",
    "us_totals",
    "zip_county_crosswalk",
    "zip_places",
    "zip_ruca",
]

STATE_FIPS = "35"
"""New Mexico's state FIPS code."""

COUNTIES_FILE = "nm_counties_2020_pop_rucc2023_density.csv"
CENSUS_BY_COUNTY_FILE = "nm_2020_census_p2_p4_by_county.csv"
CENSUS_SUMMARY_FILE = "nm_us_2020_census_p2_summary.csv"
ZIP_RUCA_FILE = "nm_zip_ruca2010.csv"
HUD_CROSSWALK_FILE = "nm_hud_zip_county_crosswalk_2020q4.csv"
ZIP_PLACES_FILE = "nm_zip_to_county_zipcodes3.0.0.csv"
ACS_FILE = "acs2022_nm_us_race_and_adult_agesex_from_spatial_kiosks.csv"


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
class ZipRuca:
    """USDA ERS 2010 RUCA codes of one ZIP code (``ruca1`` primary 1..10, ``ruca2`` secondary,
    e.g. 10.1; 99 means no code), with the county name and city from the ``zipcodes`` package and a
    first guess (``"urban"``/``"rural"``/``"unknown"``) at the school's urban rule."""

    zip: str
    state: str
    zip_type: str
    ruca1: int
    ruca2: float
    county_name: str
    city: str
    school_urban_guess: str

    @property
    def metropolitan(self) -> bool:
        """RUCA 1–3: metropolitan core, high or low commuting."""
        return 1 <= self.ruca1 <= 3


@dataclass(frozen=True)
class ZipCountyShare:
    """One row of the HUD USPS ZIP → county crosswalk (Q4 2020): the share of the ZIP's
    residential (``res_ratio``) and all (``tot_ratio``) addresses that lie in ``county_fips``."""

    zip: str
    county_fips: str
    county_name: str
    res_ratio: float
    tot_ratio: float


@dataclass(frozen=True)
class ZipPlace:
    """A ZIP code's place from the ``zipcodes`` 3.0.0 table: type (``STANDARD``, ``PO BOX``,
    ``UNIQUE``), active flag, city, county name and FIPS (empty where the table has no county),
    and an approximate centre."""

    zip: str
    zip_type: str
    active: bool
    city: str
    county_name: str
    county_fips: str
    latitude: float
    longitude: float


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


@dataclass(frozen=True)
class AdultSexShares:
    """Adults (18+) by sex from the ACS (secondary extract; most likely 2018–2022 5-year)."""

    geography: str
    adults: int
    female: int
    male: int

    @property
    def female_share(self) -> float:
        return self.female / self.adults

    @property
    def male_share(self) -> float:
        return self.male / self.adults


def _rows(filename: str) -> Iterator[dict[str, str]]:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines())


def _counts(row: Mapping[str, str], prefix: str) -> CensusCounts:
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
                population=_counts(counts, "pop"),
                adults=_counts(counts, "vap"),
            )
        )
    return tuple(sorted(result, key=lambda c: c.fips))


@functools.cache
def county_by_fips() -> Mapping[str, County]:
    """The counties keyed by five-digit FIPS."""
    return MappingProxyType({c.fips: c for c in counties()})


@functools.cache
def _county_fips_by_name() -> Mapping[str, str]:
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


@functools.cache
def zip_ruca() -> Mapping[str, ZipRuca]:
    """NM ZIP code → its RUCA 2010 codes (429 ZIPs)."""
    return MappingProxyType(
        {
            r["zip_code"].zfill(5): ZipRuca(
                zip=r["zip_code"].zfill(5),
                state=r["state"],
                zip_type=r["zip_type"],
                ruca1=int(float(r["ruca1"])),
                ruca2=float(r["ruca2"]),
                county_name=r["county_from_zipcodes_pkg"],
                city=r["city_from_zipcodes_pkg"],
                school_urban_guess=r["seed_urban_guess"],
            )
            for r in _rows(ZIP_RUCA_FILE)
        }
    )


@functools.cache
def zip_county_crosswalk() -> Mapping[str, tuple[ZipCountyShare, ...]]:
    """NM ZIP code → the counties its addresses lie in (HUD, Q4 2020), largest residential share
    first. 50 ZIPs lie in more than one county."""
    grouped: dict[str, list[ZipCountyShare]] = {}
    for r in _rows(HUD_CROSSWALK_FILE):
        share = ZipCountyShare(
            zip=r["zip"].zfill(5),
            county_fips=r["county_fips"].zfill(5),
            county_name=r["county_name"],
            res_ratio=float(r["res_ratio"]),
            tot_ratio=float(r["tot_ratio"]),
        )
        grouped.setdefault(share.zip, []).append(share)
    return MappingProxyType(
        {
            z: tuple(sorted(shares, key=lambda s: (-s.res_ratio, s.county_fips)))
            for z, shares in sorted(grouped.items())
        }
    )


@functools.cache
def zip_places() -> Mapping[str, ZipPlace]:
    """NM ZIP code → city and county from the ``zipcodes`` 3.0.0 table (428 ZIPs). County names
    are matched case-insensitively to FIPS (the table spells ``Mckinley County``); a ZIP without a
    county (87654) has ``county_fips == ""``."""
    by_name = _county_fips_by_name()
    return MappingProxyType(
        {
            r["zip_code"].zfill(5): ZipPlace(
                zip=r["zip_code"].zfill(5),
                zip_type=r["zip_code_type"],
                active=r["active"] == "True",
                city=r["city"],
                county_name=r["county"],
                county_fips=by_name.get(r["county"].lower(), ""),
                latitude=float(r["lat"]),
                longitude=float(r["long"]),
            )
            for r in _rows(ZIP_PLACES_FILE)
        }
    )


@functools.cache
def acs_adult_sex() -> Mapping[str, AdultSexShares]:
    """Adults (18+) by sex, keyed ``"NM"`` and ``"US"``, summed over the ACS age bands."""
    sums: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for r in _rows(ACS_FILE):
        if not r["source_file"].startswith("joint_agesex"):
            continue
        geo = "NM" if r["GEOID"] == STATE_FIPS else "US"
        sums.setdefault(geo, {"female": 0, "male": 0})[r["var1"]] += int(r["estimate"])
        totals[geo] = int(r["summary_est"])
    return MappingProxyType(
        {
            geo: AdultSexShares(geography=geo, adults=totals[geo], female=s["female"], male=s["male"])
            for geo, s in sorted(sums.items())
        }
    )
