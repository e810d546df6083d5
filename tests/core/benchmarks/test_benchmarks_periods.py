"""Benchmarks by period and age, and their alone / any-mention bounds (issue 15, item 5): the
shipped census and ACS files against the facts their provenance states, the period rule, the
age-band method against the census it approximates, and the fields on metric rows computed by
hand from the raw files."""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ristra.core.benchmarks import AgeBandCounts, nearest_year, urm_age_band_benchmark
from ristra.core.metrics.errors import InvalidSpecification
from ristra.core.metrics.specs import PathSpec, RepresentationRatioSpec, make_spec
from ristra.core.stats.unknowns import benchmark_ratio_bounds
from ristra.ingest.benchmarks import new_mexico_benchmarks
from ristra.reference import census, periods
from support.metrics import engine_results


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("ristra.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_state_censuses_hold_the_stated_facts() -> None:
    c = periods.state_censuses()
    assert (c[2000].population.total, c[2000].population.hispanic, c[2000].population.white,
            c[2000].population.aian, c[2000].population.black, c[2000].adults.total) == (
        1_819_046, 765_386, 813_495, 161_460, 30_654, 1_310_472)
    assert (c[2010].population.total, c[2010].population.hispanic, c[2010].population.aian) == (
        2_059_179, 953_403, 175_368)
    # 2020 equals the county file the project already ships
    assert (c[2020].population, c[2020].adults) == census.nm_totals()


def test_counties_2010_add_up_to_the_state() -> None:
    counties = periods.counties_2010()
    assert len(counties) == 33
    total = sum((p for p, _ in counties.values()), start=periods.state_censuses()[2010].population.__class__(
        0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert total == periods.state_censuses()[2010].population


def test_every_file_has_a_provenance_entry() -> None:
    text = resources.files("ristra.reference").joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    for name in (periods.STATE_CENSUS_FILE, periods.COUNTIES_2010_FILE, periods.ACS_AGE_BANDS_FILE):
        assert f"`{name}`" in text


@pytest.mark.parametrize("year, expected", [(None, 2020), (1995, 2000), (2002, 2000), (2005, 2010), (2012, 2010),
                                            (2015, 2020), (2030, 2020)])
def test_the_nearest_census(year: int | None, expected: int) -> None:
    assert nearest_year((2000, 2010, 2020), year) == expected
    assert new_mexico_benchmarks().get("urm_nm", "all_ages", "NM", year).year == expected


def test_undated_benchmarks_are_chosen_only_alone() -> None:
    assert nearest_year((None, 2010), 2000) == 2010
    assert nearest_year((None,), 2000) is None


def test_census_benchmarks_carry_alone_and_any_mention_bounds() -> None:
    for year in (2000, 2010, 2020):
        c = periods.state_censuses()[year].population
        b = new_mexico_benchmarks().get("urm_nm", "all_ages", "NM", year)
        alone = (c.hispanic + c.aian + c.black) / c.total
        assert b.share == pytest.approx(alone)
        assert b.share_low == pytest.approx(alone)
        assert b.share_high == pytest.approx(alone + c.two_or_more / c.total)
        assert b.name == f"{year} Census P2, NM, all ages"
        assert b.ages == "all ages"
    latest = new_mexico_benchmarks().get("urm_nm", "all_ages", "NM")
    assert (round(100 * latest.share_low, 2), round(100 * latest.share_high, 2)) == (58.45, 61.28)


def _acs(year: int, band: str) -> dict[str, str]:
    return next(r for r in _csv(periods.ACS_AGE_BANDS_FILE) if int(r["year"]) == year and r["age_band"] == band)


def test_age_band_benchmark_by_hand_from_the_raw_file() -> None:
    row = _acs(2018, "20-34")
    census = {(int(r["year"]), r["variable"][:4], r["category"]): int(r["count"])
              for r in _csv(periods.STATE_CENSUS_FILE)}
    black = census[(2020, "P004", "nh_black_alone")] / census[(2020, "P003", "black_alone")]
    aian = census[(2020, "P004", "nh_aian_alone")] / census[(2020, "P003", "aian_alone")]
    estimate = int(row["hispanic_or_latino"]) + black * int(row["black_alone"]) + aian * int(row["aian_alone"])
    b = new_mexico_benchmarks().get("urm_nm", "20_34", "NM")
    assert (b.year, b.ages, b.approximate) == (2018, "20 to 34", True)
    assert b.share == pytest.approx(estimate / int(row["total"]), rel=1e-12)
    assert b.share_high == pytest.approx((estimate + int(row["two_or_more"])) / int(row["total"]), rel=1e-12)
    assert "ACS 2018 1-year" in b.name
    assert "margin of error" in b.source
    # earlier cohorts get the nearest release (the extract starts in 2005)
    assert new_mexico_benchmarks().get("urm_nm", "20_34", "NM", 2002).year == 2005
    assert new_mexico_benchmarks().get("urm_nm", "20_34", "NM", 2012).year == 2012


def test_the_age_band_method_reproduces_the_census_it_approximates() -> None:
    # applied to the ACS 2010 all-ages row, the estimate is within half a point of the 2010 Census
    row = _acs(2010, "all ages")
    c, race = periods.state_censuses()[2010].population, periods.state_censuses()[2010].population_race
    b = urm_age_band_benchmark(
        AgeBandCounts(int(row["total"]), int(row["hispanic_or_latino"]), int(row["black_alone"]),
                      int(row["aian_alone"]), int(row["two_or_more"])),
        c.black / race.black_alone, c.aian / race.aian_alone, "all_ages", "NM", "test", 2010, "ACS 2010", "2010")
    exact = (c.hispanic + c.aian + c.black) / c.total
    assert abs(b.share - exact) < 0.005
    with pytest.raises(ValueError):
        urm_age_band_benchmark(AgeBandCounts(10, 1, 1, 1, 1), 1.5, 0.5, "20_34", "NM", "t", 2010, "t", "t")


def test_benchmark_ratio_bounds() -> None:
    b = benchmark_ratio_bounds(0.5, 0.4, 0.625)
    assert (b.low, b.high) == (0.8, 1.25)
    assert math.isnan(benchmark_ratio_bounds(0.5, None, None).low)
    assert benchmark_ratio_bounds(0.5, 0.0, 0.1).high == math.inf
    with pytest.raises(ValueError):
        benchmark_ratio_bounds(0.5, 0.6, 0.4)


# --------------------------------------------------------------------------- on metric rows


def _apps() -> list[dict[str, Any]]:
    rows = []
    for i in range(300):
        cycle = (2002, 2012, 2021)[i % 3]
        hispanic = "yes" if i % 5 < 2 else "no"
        rows.append({"application_id": f"A{i}", "person_id": f"P{i}", "sex": "female", "hispanic": hispanic,
                     "race": ["white"] if i % 7 else None, "cycle": cycle, "program": "MD", "in_state": "yes",
                     "completed": True, "interviewed": i % 2 == 0, "offered": i % 4 == 0, "declined": False,
                     "waitlisted": False, "matriculated": False})
    return rows


APPS = _apps()


@pytest.mark.parametrize("population, benchmark_year, years", [
    ("all_ages", None, {2002: 2000, 2012: 2010, 2021: 2020}),
    ("all_ages", 2010, {2002: 2010, 2012: 2010, 2021: 2010}),
    ("18_plus", None, {2002: 2000, 2012: 2010, 2021: 2020}),
    ("20_34", None, {2002: 2005, 2012: 2012, 2021: 2018}),
])
def test_ratio_rows_name_their_benchmark(tmp_path: Path, population: str, benchmark_year: int | None,
                                         years: dict[int, int]) -> None:
    spec = RepresentationRatioSpec("urm_nm", "applications", ("cycle",), population=population,
                                   benchmark_year=benchmark_year)
    [result] = engine_results(tmp_path, [spec], {"applications": APPS})
    rows = result.records()
    assert {r["cycle"]: r["benchmark_year"] for r in rows} == years
    assert any(n.startswith("benchmark:") for n in result.notes)
    for r in rows:
        b = new_mexico_benchmarks().get("urm_nm", population, "NM", years[r["cycle"]])  # type: ignore[arg-type]
        assert r["benchmark"] == b.name
        assert r["benchmark_ages"] == b.ages
        assert r["reference_share"] == pytest.approx(b.share)
        assert r["ratio"] == pytest.approx(r["share"] / b.share)
        assert (r["benchmark_share_low"], r["benchmark_share_high"]) == pytest.approx((b.share_low, b.share_high))
        assert r["ratio_benchmark_low"] == pytest.approx(r["share"] / b.share_high)
        assert r["ratio_benchmark_high"] == pytest.approx(r["share"] / b.share_low)
        assert r["ratio_benchmark_low"] <= r["ratio"] <= r["ratio_benchmark_high"]


def test_path_names_its_benchmark(tmp_path: Path) -> None:
    [result] = engine_results(tmp_path, [PathSpec("urm_nm", benchmark_year=2002)], {"applications": APPS})
    rows = {r["stage"]: r for r in result.records()}
    state, applicants = rows["state_population"], rows["applicants"]
    b = new_mexico_benchmarks().get("urm_nm", "all_ages", "NM", 2000)
    assert state["benchmark"] == applicants["benchmark"] == b.name
    assert state["benchmark_year"] == 2000
    assert state["benchmark_share_high"] == pytest.approx(b.share_high)
    assert applicants["ratio_to_state_benchmark_low"] == pytest.approx(applicants["share"] / b.share_high)
    assert applicants["ratio_to_state_benchmark_high"] == pytest.approx(applicants["share"] / b.share_low)


def test_benchmark_year_is_checked() -> None:
    with pytest.raises(InvalidSpecification):
        make_spec("representation-ratio", category="urm_nm", benchmark_year=1800)
    assert make_spec("path", category="urm_nm", population="20_34").population == "20_34"  # type: ignore[attr-defined]
