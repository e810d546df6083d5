"""The packaged reference data: known public facts hold, and the loader returns frozen values."""

from __future__ import annotations

import dataclasses
from importlib import resources

import pytest

from ristra.reference import acs, census, files, zips


def test_new_mexico_2020_totals() -> None:
    population, adults = census.nm_totals()
    assert population.total == 2_117_522
    assert adults.total == 1_638_989
    assert round(100 * population.share("hispanic"), 2) == 47.74
    assert round(100 * population.share("white"), 2) == 36.50
    assert round(100 * population.share("aian"), 2) == 8.91
    assert round(100 * population.share("black"), 2) == 1.81
    parts = sum(getattr(population, c) for c in census.CensusCounts.CATEGORIES)
    assert parts == population.total


def test_us_2020_totals() -> None:
    us = census.us_totals()
    assert us.total == 331_449_281
    assert round(100 * us.share("hispanic"), 2) == 18.73
    assert round(100 * us.share("white"), 2) == 57.84
    assert sum(getattr(us, c) for c in census.CensusCounts.CATEGORIES) == us.total


def test_counties() -> None:
    counties = census.counties()
    assert len(counties) == 33
    assert all(len(c.fips) == 5 for c in counties)
    assert all(c.fips.startswith("35") for c in counties)
    assert sum(c.pop_2020 for c in counties) == 2_117_522
    assert all(c.pop_2020 == c.population.total for c in counties)
    bernalillo = census.county_by_fips()["35001"]
    assert bernalillo.school_urban_rule == "urban"
    assert bernalillo.metro
    assert bernalillo.rucc_2023 == 2
    assert census.county_by_fips()["35043"].school_urban_rule == "mixed"
    assert census.county_by_fips()["35021"].frontier  # Harding County
    assert {c.school_urban_rule for c in counties} == {"urban", "mixed", "rural"}


def test_summary_matches_county_file() -> None:
    population, adults = census.nm_totals()
    summary = {row.category: row for row in census.census_p2_summary()}
    assert summary["Total"].nm_count == population.total
    assert summary["Hispanic or Latino (any race)"].nm_adult_count == adults.hispanic


def test_rio_rancho_and_corrales_zips() -> None:
    places = zips.zip_places()
    ruca = zips.zip_ruca()
    crosswalk = zips.zip_county_crosswalk()
    for zip_code, city in (("87124", "Rio Rancho"), ("87144", "Rio Rancho"), ("87048", "Corrales")):
        assert places[zip_code].city == city
        assert places[zip_code].county_fips == "35043"
        assert ruca[zip_code].ruca1 == 1
        assert any(share.county_fips == "35043" for share in crosswalk[zip_code])


def test_zip_tables() -> None:
    ruca = zips.zip_ruca()
    crosswalk = zips.zip_county_crosswalk()
    places = zips.zip_places()
    assert len(ruca) == 429
    assert len(places) == 428
    assert len(crosswalk) == 419
    assert all(len(z) == 5 for z in (*ruca, *places, *crosswalk))
    assert all(z.isdigit() for z in (*ruca, *places, *crosswalk))
    assert places["87302"].county_fips == "35031"  # "Mckinley County" matched case-insensitively
    assert places["87654"].county_fips == ""
    assert sum(1 for shares in crosswalk.values() if len(shares) > 1) == 50
    for shares in crosswalk.values():
        assert sum(s.res_ratio for s in shares) == pytest.approx(1.0, abs=0.02) or sum(
            s.res_ratio for s in shares
        ) == 0
    rural_but_metro = [r for r in ruca.values() if r.school_urban_guess == "rural" and r.metropolitan]
    assert len(rural_but_metro) == 117


def test_acs_adult_sex() -> None:
    shares = acs.acs_adult_sex()
    assert set(shares) == {"NM", "US"}
    assert shares["NM"].female + shares["NM"].male == shares["NM"].adults
    assert 0.49 < shares["NM"].female_share < 0.52
    assert 0.49 < shares["US"].female_share < 0.53


def test_values_are_frozen() -> None:
    county = census.counties()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        county.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        zips.zip_ruca()["87124"] = zips.zip_ruca()["87048"]  # type: ignore[index]
    assert census.counties() is census.counties()  # cached


def test_provenance_ships_with_the_data() -> None:
    folder = resources.files("ristra.reference")
    text = folder.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    for name in (
        files.COUNTIES_FILE,
        files.CENSUS_BY_COUNTY_FILE,
        files.CENSUS_SUMMARY_FILE,
        files.ZIP_RUCA_FILE,
        files.HUD_CROSSWALK_FILE,
        files.ZIP_PLACES_FILE,
        files.ACS_FILE,
    ):
        assert name in text
        assert folder.joinpath(name).is_file()
    assert "CC BY-SA 4.0" in text
