"""The CSV files shipped in this package (see ``PROVENANCE.md``) and reading them.

Contract: :func:`rows` reads one shipped file as text and yields its rows as dicts of strings
(the header row names the keys); it never writes and never reads outside the package.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources

COUNTIES_FILE = "nm_counties_2020_pop_rucc2023_density.csv"
CENSUS_BY_COUNTY_FILE = "nm_2020_census_p2_p4_by_county.csv"
CENSUS_SUMMARY_FILE = "nm_us_2020_census_p2_summary.csv"
ZIP_RUCA_FILE = "nm_zip_ruca2010.csv"
HUD_CROSSWALK_FILE = "nm_hud_zip_county_crosswalk_2020q4.csv"
ZIP_PLACES_FILE = "nm_zip_to_county_zipcodes3.0.0.csv"
ACS_FILE = "acs2022_nm_us_race_and_adult_agesex_from_spatial_kiosks.csv"


def rows(filename: str) -> Iterator[dict[str, str]]:
    """The rows of the shipped CSV file ``filename``."""
    text = resources.files("ristra.reference").joinpath(filename).read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines())
