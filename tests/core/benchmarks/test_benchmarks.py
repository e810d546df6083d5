"""State benchmarks: New Mexico figures, hand-computed methods, and a school's own file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ristra.core.benchmarks import (
    Benchmark,
    BenchmarkFileError,
    BenchmarkSet,
    CountyFacts,
    RaceCounts,
    ZipCounty,
    benchmarks_from_rows,
    frontier_benchmarks,
    rural_ruca_benchmarks,
    rural_school_benchmarks,
    urm_benchmark,
    zip_share_of_county,
)
from ristra.ingest.benchmarks import load_benchmarks, new_mexico_benchmarks, read_benchmark_file, urban_zips
from ristra.stores.categories import default_definitions

NM_TOTAL = 2_117_522
NM_ADULTS = 1_638_989


@pytest.fixture(scope="module")
def nm() -> BenchmarkSet:
    return new_mexico_benchmarks()


def test_urm_nm_from_census_p2_and_p4(nm: BenchmarkSet) -> None:
    b = nm.get("urm_nm")
    assert b.denominator == NM_TOTAL
    assert b.numerator == 1_010_811 + 188_610 + 38_330  # Hispanic + NH AIAN alone + NH Black alone
    assert round(1_010_811 / NM_TOTAL * 100, 2) == 47.74
    assert b.share == pytest.approx(0.584529, abs=1e-6)
    assert b.share_high == pytest.approx((1_237_751 + 59_767) / NM_TOTAL)  # + NH two or more races
    assert "alone" in b.method
    assert "P2" in b.source
    adults = nm.get("urm_nm", "18_plus")
    assert (adults.numerator, adults.denominator) == (726_764 + 137_360 + 30_778, NM_ADULTS)
    us = nm.get("urm_nm", geography="US")
    assert us.denominator == 331_449_281
    assert round(us.share * 100, 2) == 31.46
    bernalillo = nm.get("urm_nm", geography="35001")
    assert (bernalillo.numerator, bernalillo.denominator) == (329_481 + 30_628 + 17_871, 676_444)


def test_women_from_acs_adults(nm: BenchmarkSet) -> None:
    b = nm.get("women", "18_plus")
    assert (b.numerator, b.denominator) == (28_467 + 334_176 + 258_594 + 206_846, 1_638_985)
    assert round(b.share * 100, 2) == 50.52
    assert "ACS" in b.source
    assert "all-ages share is not available" in b.method
    with pytest.raises(KeyError):
        nm.get("women", "all_ages")
    assert nm.get("women", "18_plus", "US").share == pytest.approx(131_171_737 / 257_883_888)


def test_frontier_counties(nm: BenchmarkSet) -> None:
    b = nm.get("frontier")
    frontier_pops = [3579, 27172, 12387, 1698, 4452, 657, 4178, 20269, 4189, 8746, 27201, 11576, 16595, 15045, 4079]
    assert (b.numerator, b.denominator) == (sum(frontier_pops), NM_TOTAL) == (161_823, NM_TOTAL)
    assert "Cibola County" in b.method
    assert not b.approximate


def test_rural_school_is_approximate_with_bounds(nm: BenchmarkSet) -> None:
    b = nm.get("rural_school")
    assert b.approximate
    assert b.denominator == NM_TOTAL
    assert b.share_low == pytest.approx((NM_TOTAL - 676_444 - 148_834) / NM_TOTAL)
    assert b.share_high == pytest.approx((NM_TOTAL - 676_444) / NM_TOTAL)
    assert b.share_low is not None
    assert b.share_high is not None
    assert b.share_low < b.share < b.share_high
    assert "Rio Rancho" in b.method
    assert "HUD" in b.source
    assert nm.get("rural_school", "18_plus").denominator == NM_ADULTS


def test_rural_ruca_is_approximate_with_bounds(nm: BenchmarkSet) -> None:
    b = nm.get("rural_ruca")
    assert b.approximate
    assert b.share_low is not None
    assert b.share_high is not None
    assert b.share_low <= b.share <= b.share_high
    assert "RUCA" in b.source
    assert "same number of residents" in b.method


def test_every_default_benchmark_key_exists(nm: BenchmarkSet) -> None:
    keys = {c.get("benchmark_key") for c in default_definitions()["categories"]} - {None}
    assert keys <= set(nm.keys)
    assert all(b.to_dict()["share"] == b.share for b in nm.benchmarks)


def test_default_rule_urban_zips_match_reference() -> None:
    rule = next(c["rule"] for c in default_definitions()["categories"] if c["id"] == "rural_school")
    for z in urban_zips():
        assert f"'{z}'" in rule
    assert urban_zips() == ("87048", "87124", "87144", "87174")


# --------------------------------------------------------------------------- methods by hand

COUNTIES = (
    CountyFacts("1", "Urban", 1000, 800, 500.0),
    CountyFacts("2", "Mixed", 400, 300, 50.0),
    CountyFacts("3", "Rural", 100, 90, 2.0),
)
ZIPS = (
    ZipCounty("a", "1", 1.0, ruca=1),
    ZipCounty("b", "2", 1.0, ruca=1),
    ZipCounty("c", "2", 0.5, ruca=7),
    ZipCounty("c", "3", 0.5, ruca=7),
    ZipCounty("d", "3", 1.0, ruca=10),
)


def test_zip_share_of_county_by_hand() -> None:
    assert zip_share_of_county(ZIPS, "2", ["b"]) == pytest.approx(1 / 1.5)
    assert zip_share_of_county(ZIPS, "3", ["c"]) == pytest.approx(0.5 / 1.5)
    assert zip_share_of_county(ZIPS, "9", ["a"]) == 0.0
    sized = (ZipCounty("b", "2", 1.0, population=300), ZipCounty("c", "2", 0.5, population=200))
    assert zip_share_of_county(sized, "2", ["b"]) == pytest.approx(300 / 400)


def test_rural_school_by_hand() -> None:
    all_ages, adults = rural_school_benchmarks(COUNTIES, ["1"], {"2": 0.75}, "XX", "src", "m")
    assert all_ages.numerator == pytest.approx(100 + 400 * 0.25)
    assert all_ages.denominator == 1500
    assert (all_ages.share_low, all_ages.share_high) == pytest.approx((100 / 1500, 500 / 1500))
    assert adults.numerator == pytest.approx(90 + 300 * 0.25)


def test_rural_ruca_by_hand() -> None:
    all_ages, _ = rural_ruca_benchmarks(COUNTIES, ZIPS, "XX", "src")
    assert all_ages.numerator == pytest.approx(400 * (0.5 / 1.5) + 100)
    assert all_ages.share_low == pytest.approx(100 / 1500)
    assert all_ages.share_high == pytest.approx(500 / 1500)


def test_frontier_and_urm_by_hand() -> None:
    all_ages, adults = frontier_benchmarks(COUNTIES, "XX", "src")
    assert (all_ages.numerator, all_ages.denominator, adults.numerator) == (100, 1500, 90)
    b = urm_benchmark(RaceCounts(100, 40, 30, 5, 10, 5, 1, 1, 8), "all_ages", "XX", "src")
    assert (b.numerator, b.share_high) == (55, pytest.approx(0.63))
    with pytest.raises(ValueError, match="not the total"):
        RaceCounts(100, 40, 30, 5, 10, 5, 1, 1, 9)


def test_benchmark_invariants() -> None:
    with pytest.raises(ValueError, match="source"):
        Benchmark("k", "K", 1, 2, "all_ages", "NM", " ", "m")
    with pytest.raises(ValueError, match="between 0"):
        Benchmark("k", "K", 3, 2, "all_ages", "NM", "s", "m")
    with pytest.raises(ValueError, match="twice"):
        b = Benchmark("k", "K", 1, 2, "all_ages", "NM", "s", "m")
        BenchmarkSet((b, b))


# --------------------------------------------------------------------------- a school's own file

GOOD_CSV = """key,label,numerator,denominator,population,geography,source,parts
total,Texas,29145505,29145505,all_ages,TX,2020 Census P2,
urm_nm,"Hispanic, AIAN or Black",15100000,29145505,all ages,TX,2020 Census P2,hispanic=11441717;black=3444712;aian=213571
women,Women,14600000,29145505,all_ages,TX,ACS,
"""


def test_csv_file_is_read_and_merged(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(GOOD_CSV.replace("15100000", str(11441717 + 3444712 + 213571)))
    extra = read_benchmark_file(path)
    assert [b.key for b in extra.benchmarks] == ["urm_nm", "women"]
    assert extra.get("urm_nm", geography="TX").numerator == 15_100_000
    merged = load_benchmarks(path)
    assert merged.get("urm_nm", geography="TX").source == "2020 Census P2"
    assert merged.get("urm_nm").geography == "NM"


def test_yaml_file_with_default_geography(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump({
        "geography": "AZ",
        "benchmarks": [
            {"key": "rural", "label": "Rural", "numerator": 10, "denominator": 100, "population": "18+",
             "source": "State office", "method": "Counted"},
            {"key": "women", "label": "Women", "numerator": 51, "denominator": 100, "population": "18_plus", "source": "ACS"},
        ],
    }))
    extra = read_benchmark_file(path)
    assert extra.get("rural", "18_plus", "AZ").method == "Counted"


def test_bad_file_lists_every_problem_and_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "key,label,numerator,denominator,population,geography,source,parts\n"
        "total,Texas,1000,1000,all_ages,TX,Census,\n"
        "a,A,600,1000,all_ages,TX,Census,x=100;y=200\n"
        "b,B,1200,1000,all_ages,TX,Census,\n"
        "c,C,10,999,all_ages,TX,Census,\n"
        "d,D,10,1000,all_ages,TX,,\n"
        "e,E,ten,1000,everyone,TX,Census,\n"
        "a,A,600,1000,all_ages,TX,Census,\n"
    )
    with pytest.raises(BenchmarkFileError) as info:
        read_benchmark_file(path)
    text = "\n".join(info.value.problems)
    assert "row 3 (a): parts sum to 300, not the numerator 600" in text
    assert "row 4 (b): share 1.2000 lies outside [0, 1]" in text
    assert "row 5 (c): denominator 999 differs from the total 1000 stated in row 2" in text
    assert "row 6 (d): source is missing" in text
    assert "row 7 (e): population must be all_ages or 18_plus" in text
    assert "row 7 (e): numerator must be a number" in text
    assert "row 8 (a): duplicate of row 3" in text
    base = new_mexico_benchmarks()
    assert all(b.geography != "TX" for b in base.benchmarks)


def test_rows_need_geography_and_known_fields() -> None:
    with pytest.raises(BenchmarkFileError) as info:
        benchmarks_from_rows([{"key": "a", "label": "A", "numerator": 1, "denominator": 2, "population": "all_ages",
                               "source": "s", "colour": "red"}])
    text = "\n".join(info.value.problems)
    assert "geography is missing" in text
    assert "unknown field 'colour'" in text


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkFileError, match="cannot read"):
        read_benchmark_file(tmp_path / "none.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("benchmarks: []\n")
    with pytest.raises(BenchmarkFileError, match="non-empty list"):
        read_benchmark_file(empty)
    broken = tmp_path / "broken.yaml"
    broken.write_text("benchmarks: [\n")
    with pytest.raises(BenchmarkFileError, match="not valid YAML at line"):
        read_benchmark_file(broken)


def test_documented_examples_are_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "categories.md").read_text(encoding="utf-8")
    for lang in ("csv", "yaml"):
        block = doc.split(f"```{lang}\n", 1)[1].split("```", 1)[0]
        path = tmp_path / f"example.{lang}"
        path.write_text(block)
        extra = read_benchmark_file(path)
        assert extra.get("urm_nm", geography="TX").numerator == 15_099_999
