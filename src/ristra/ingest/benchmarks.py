"""Benchmarks from the shipped reference data, and a school's own benchmark file.

* :func:`new_mexico_benchmarks` builds the state benchmark of every default category from
  :mod:`ristra.reference` (2020 Census, ACS, USDA RUCC/RUCA, HUD crosswalk) with the pure
  methods of :mod:`ristra.core.benchmarks`, each with its source and method stated.
* :func:`read_benchmark_file` reads a school's file (CSV with a header row, or YAML with a list
  under ``benchmarks`` and an optional default ``geography``) and validates it as a whole
  (:class:`~ristra.core.benchmarks.BenchmarkFileError` lists every problem; nothing is applied).
* :func:`load_benchmarks` is the New Mexico set with a school's file merged over it.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

import yaml

from ristra.core.benchmarks import (
    AgeBandCounts,
    Benchmark,
    BenchmarkFileError,
    BenchmarkSet,
    CountyFacts,
    ZipCounty,
    benchmarks_from_rows,
    frontier_benchmarks,
    nearest_year,
    rural_ruca_benchmarks,
    rural_school_benchmarks,
    urm_age_band_benchmark,
    urm_benchmark,
    women_benchmark,
    zip_share_of_county,
)
from ristra.reference import acs, census, periods, zips

BERNALILLO = "35001"
SANDOVAL = "35043"
URBAN_CITIES = ("Rio Rancho", "Corrales")

P2_NM = (
    "2020 Census P.L. 94-171 Redistricting Data, Table P2 (Hispanic or Latino, and not Hispanic or Latino by "
    "race), New Mexico summed over its 33 counties (ALARM Project census-2020 derived file; state total "
    "2,117,522 equals the official count)"
)
P4_NM = P2_NM.replace("Table P2", "Table P4 (population 18 years and over)").replace("2,117,522", "1,638,989")
P2_US = "2020 Census P.L. 94-171 Redistricting Data, Table P2, United States (50 states and DC)"
ACS = (
    "American Community Survey (ACS; most likely 2018-2022 5-year estimates), adults 18+ by sex and age, "
    "tidycensus extract kept in GitHub jvargh7/spatial_kiosks (secondary source)"
)
COUNTIES = "2020 Census county populations (USDA ERS RUCC 2023 file, P2 and P4); land area from Census TIGER 2018"
ZIPS = "HUD USPS ZIP-county crosswalk, 2020 Q4 (residential ratios); ZIP places from the zipcodes 3.0.0 package"
RUCA = "USDA ERS Rural-Urban Commuting Area (RUCA) codes 2010, ZIP code file"
CENSUS_STATE = (
    "{year} Census P.L. 94-171 Redistricting Data, Table {table}, New Mexico state summary record (copy kept in "
    "GitHub 220711-BigData-P3/US_Census_Data_P3)"
)
CENSUS_2010_COUNTY = (
    "2010 Census P.L. 94-171 Redistricting Data, Table {table}, county (ALARM Project census-2020 derived file, "
    "census-vest-2010)"
)
ACS_BANDS = (
    "American Community Survey {year} 1-year estimates, tables B01001 and B01001B/C/G/I, New Mexico, ages 20-34 "
    "(sum of the published bands; 90 % margin of error of the total {moe_total:,}, of the Hispanic count "
    "{moe_hispanic:,}); Census Bureau API pulls kept in GitHub gabrieljohndusing/NCNW-Project-Datasets "
    "(secondary source)"
)
#: The ACS age bands offered as benchmark populations.
AGE_BANDS = {"20_34": "20-34"}


def _period_benchmarks() -> list[Benchmark]:
    """urm_nm for the 2000 and 2010 Censuses (state, all ages and 18+; counties 2010), and for
    ages 20–34 from each ACS 1-year release 2005–2018 (approximate)."""
    out: list[Benchmark] = []
    censuses = periods.state_censuses()
    for year in (2000, 2010):
        c = censuses[year]
        out.append(urm_benchmark(c.population, "all_ages", "NM", CENSUS_STATE.format(year=year, table="P2"), year,
                                 f"{year} Census P2"))
        out.append(urm_benchmark(c.adults, "18_plus", "NM", CENSUS_STATE.format(year=year, table="P4"), year,
                                 f"{year} Census P4"))
    for fips, (county_all, county_adults) in periods.counties_2010().items():
        out.append(urm_benchmark(county_all, "all_ages", fips, CENSUS_2010_COUNTY.format(table="P2"), 2010,
                                 "2010 Census P2"))
        out.append(urm_benchmark(county_adults, "18_plus", fips, CENSUS_2010_COUNTY.format(table="P4"), 2010,
                                 "2010 Census P4"))
    for band_population, band_name in AGE_BANDS.items():
        for band in periods.acs_age_bands():
            if band.band != band_name:
                continue
            nearest = censuses[nearest_year(periods.CENSUS_YEARS, band.year) or 2020]
            adults, race = nearest.adults, nearest.adults_race
            note = f"the {nearest.year} Census, ages 18 and over (Tables P3 and P4)"
            source = ACS_BANDS.format(year=band.year, moe_total=band.moe90_total, moe_hispanic=band.moe90_hispanic)
            out.append(urm_age_band_benchmark(
                AgeBandCounts(band.total, band.hispanic, band.black_alone, band.aian_alone, band.two_or_more),
                adults.black / race.black_alone, adults.aian / race.aian_alone, band_population, "NM",  # type: ignore[arg-type]
                source, band.year, f"ACS {band.year} 1-year", note))
    return out


def _county_facts() -> tuple[CountyFacts, ...]:
    return tuple(
        CountyFacts(c.fips, c.name, c.population.total, c.adults.total, c.persons_per_sqmi) for c in census.counties()
    )


def urban_zips() -> tuple[str, ...]:
    """ZIP codes of Rio Rancho and Corrales in the shipped ZIP place table."""
    return tuple(sorted(z for z, p in zips.zip_places().items() if p.city in URBAN_CITIES))


def _zip_counties() -> tuple[ZipCounty, ...]:
    """Crosswalk rows of ZIP Code Areas (PO boxes and single-organisation ZIPs have no residents)."""
    ruca = zips.zip_ruca()
    rows: list[ZipCounty] = []
    for zip_code, shares in zips.zip_county_crosswalk().items():
        info = ruca.get(zip_code)
        if info is None or info.zip_type != "Zip Code Area":
            continue
        code = info.ruca1 if 1 <= info.ruca1 <= 10 else None
        rows.extend(ZipCounty(zip_code, s.county_fips, s.res_ratio, code) for s in shares)
    return tuple(rows)


@functools.cache
def new_mexico_benchmarks() -> BenchmarkSet:
    """Every default category's benchmark for New Mexico (and the US where one exists)."""
    nm_all, nm_adults = census.nm_totals()
    sex = acs.acs_adult_sex()
    counties = _county_facts()
    zip_counties = _zip_counties()
    benchmarks = [
        women_benchmark(sex["NM"].female, sex["NM"].adults, "NM", ACS),
        women_benchmark(sex["US"].female, sex["US"].adults, "US", ACS),
        urm_benchmark(nm_all, "all_ages", "NM", P2_NM, 2020, "2020 Census P2"),
        urm_benchmark(nm_adults, "18_plus", "NM", P4_NM, 2020, "2020 Census P4"),
        urm_benchmark(census.us_totals(), "all_ages", "US", P2_US, 2020, "2020 Census P2"),
    ]
    for c in census.counties():
        benchmarks.append(urm_benchmark(c.population, "all_ages", c.fips, P2_NM.split(", New Mexico")[0], 2020,
                                        "2020 Census P2"))
        benchmarks.append(urm_benchmark(c.adults, "18_plus", c.fips, P4_NM.split(", New Mexico")[0], 2020,
                                        "2020 Census P4"))
    benchmarks += _period_benchmarks()
    urban = urban_zips()
    sandoval_share = zip_share_of_county(zip_counties, SANDOVAL, urban)
    method = (
        f"State total minus Bernalillo County minus the Rio Rancho and Corrales part of Sandoval County. "
        f"That part is estimated from ZIP-level data: Sandoval's population times the share of its ZIP Code "
        f"Areas that are Rio Rancho or Corrales ZIPs ({', '.join(z for z in urban if any(r.zip == z for r in zip_counties))}), "
        f"each ZIP weighted by its HUD residential ratio in the county = {sandoval_share:.3f}. "
        f"No ZIP populations are shipped, so every ZIP is assumed equally populous; Rio Rancho's ZIPs are in "
        f"fact the county's most populous, so the urban part is underestimated and the rural share "
        f"overestimated. Bounds: Sandoval wholly urban (low) and wholly rural (high)."
    )
    benchmarks += rural_school_benchmarks(counties, [BERNALILLO], {SANDOVAL: sandoval_share}, "NM", f"{COUNTIES}; {ZIPS}", method)
    benchmarks += rural_ruca_benchmarks(counties, zip_counties, "NM", f"{COUNTIES}; {ZIPS}; {RUCA}")
    benchmarks += frontier_benchmarks(counties, "NM", COUNTIES)
    return BenchmarkSet(tuple(benchmarks))


def read_benchmark_file(path: str | Path) -> BenchmarkSet:
    """A school's benchmark file (``.csv``, else YAML), validated as a whole."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise BenchmarkFileError([f"cannot read {p}: {err}"]) from None
    if p.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows: list[Any] = [{k.strip(): v for k, v in row.items() if k is not None and v not in (None, "")} for row in reader]
        return benchmarks_from_rows(rows, first_row=2)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise BenchmarkFileError([f"not valid YAML{where}"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list) or not data["benchmarks"]:
        raise BenchmarkFileError(["the file needs a non-empty list under 'benchmarks'"])
    geography = data.get("geography")
    return benchmarks_from_rows(data["benchmarks"], str(geography) if geography else None)


def load_benchmarks(extra: str | Path | None = None) -> BenchmarkSet:
    """The New Mexico benchmarks, with a school's own file (if given) merged over them."""
    base = new_mexico_benchmarks()
    return base if extra is None else base.merged(read_benchmark_file(extra))
