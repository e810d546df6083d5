"""State benchmarks: the share of a reference population in each category, stated and sourced.

A :class:`Benchmark` is one share (``numerator / denominator``) of one population (``all_ages`` or
``18_plus``) in one geography (a state code such as ``NM``, ``US``, or a five-digit county
FIPS), with its source and the method used. Approximate benchmarks say so (``approximate``) and
carry bounds (``share_low``/``share_high``) that hold whatever the approximation's error.

The functions here are pure: they take counts (the adapter :mod:`ristra.ingest.benchmarks` reads them
from :mod:`ristra.reference`) and return values. Methods:

* **women** — female share of adults 18+ (ACS); the ACS extract has no all-ages sex table.
* **urm_nm** — Hispanic or Latino (any race) + not Hispanic American Indian/Alaska Native alone +
  not Hispanic Black alone, 2020 Census Table P2 (all ages) and P4 (18+). The census counts
  people reporting one race; people of two or more races who include AIAN or Black (part of the
  "two or more" group) are not counted, so for a rule that counts any mention (``has_any``) the
  benchmark is a slight underestimate. ``share_high`` adds the whole not-Hispanic two-or-more group.
  By period: the 2000, 2010 and 2020 Censuses (``year``; :meth:`BenchmarkSet.get` takes the one
  nearest a year, :func:`nearest_year`). By age: ``20_34`` from the ACS 1-year age bands
  (:func:`urm_age_band_benchmark`, approximate: the ACS has no not-Hispanic Black or AIAN by age).
* **rural_school** — people outside Bernalillo County, Rio Rancho and Corrales: the state total
  minus the urban counties minus the urban part of mixed counties (Sandoval). The urban part is
  estimated from ZIP-level data by :func:`zip_share_of_county` (see there); bounds count the mixed
  county wholly urban (low) and wholly rural (high).
* **rural_ruca** — people living in ZIPs with primary RUCA code >= 4, estimated per county by
  :func:`zip_share_of_county`; bounds count counties with only RUCA >= 4 ZIPs (low) and counties
  with any such ZIP (high).
* **frontier** — people in counties with fewer than 6 persons per square mile (exact).

A school elsewhere supplies its own benchmarks as rows (:func:`benchmarks_from_rows`; the file
format is documented in ``docs/categories.md``); the rows are validated as a whole, so a bad file
is rejected with every problem and nothing is applied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

Population = Literal["all_ages", "18_plus", "20_34"]
POPULATIONS: tuple[Population, ...] = ("all_ages", "18_plus", "20_34")
#: The ages of each population, in words (the ``benchmark_ages`` of a result row).
AGES: dict[str, str] = {"all_ages": "all ages", "18_plus": "18 and over", "20_34": "20 to 34"}
_POPULATION_SPELLINGS: dict[str, Population] = {
    "all_ages": "all_ages", "all ages": "all_ages", "all": "all_ages", "total": "all_ages",
    "18_plus": "18_plus", "18+": "18_plus", "adults": "18_plus", "18plus": "18_plus",
    "20_34": "20_34", "20-34": "20_34",
}


@dataclass(frozen=True)
class Benchmark:
    """One reference share. ``numerator`` may be an estimate (a float) when ``approximate``."""

    key: str
    label: str
    numerator: float
    denominator: int
    population: Population
    geography: str
    source: str
    method: str
    approximate: bool = False
    share_low: float | None = None
    share_high: float | None = None
    #: The year the counts describe (census day, or the ACS release); None for an undated
    #: benchmark (a school's own file). ``survey`` names the source briefly ("2010 Census P2").
    year: int | None = None
    survey: str = ""

    @property
    def ages(self) -> str:
        """The ages of the population, in words."""
        return AGES[self.population]

    @property
    def name(self) -> str:
        """The benchmark in a few words: survey (or source), geography, ages."""
        return f"{self.survey or self.source}, {self.geography}, {self.ages}"

    def __post_init__(self) -> None:
        if self.denominator <= 0:
            raise ValueError(f"benchmark {self.key}: the denominator must be positive")
        if not 0 <= self.numerator <= self.denominator:
            raise ValueError(f"benchmark {self.key}: the numerator must lie between 0 and the denominator")
        if not self.source.strip():
            raise ValueError(f"benchmark {self.key}: a benchmark needs its source")
        if self.population not in POPULATIONS:
            raise ValueError(f"benchmark {self.key}: population must be one of {POPULATIONS}")
        for bound in (self.share_low, self.share_high):
            if bound is not None and not 0 <= bound <= 1:
                raise ValueError(f"benchmark {self.key}: bounds must lie in [0, 1]")

    @property
    def share(self) -> float:
        return self.numerator / self.denominator

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "share": self.share,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "population": self.population,
            "geography": self.geography,
            "source": self.source,
            "method": self.method,
            "approximate": self.approximate,
            "share_low": self.share_low,
            "share_high": self.share_high,
            "year": self.year,
            "survey": self.survey,
            "ages": self.ages,
            "name": self.name,
        }


def nearest_year(years: Sequence[int | None], year: int | None) -> int | None:
    """The year of ``years`` nearest ``year`` (ties: the later one); the latest when ``year`` is
    None. An undated entry (None) is chosen only when there is nothing else."""
    dated = [y for y in years if y is not None]
    if not dated:
        return None
    if year is None:
        return max(dated)
    return min(dated, key=lambda y: (abs(y - year), -y))


@dataclass(frozen=True)
class BenchmarkSet:
    """Benchmarks keyed by (key, population, geography, year); later entries of :meth:`merged`
    win (a merged benchmark replaces every year of its key, population and geography)."""

    benchmarks: tuple[Benchmark, ...] = ()

    def __post_init__(self) -> None:
        seen: set[tuple[str, str, str, int | None]] = set()
        for b in self.benchmarks:
            ident = (b.key, b.population, b.geography, b.year)
            if ident in seen:
                raise ValueError(f"benchmark {ident} is given twice")
            seen.add(ident)

    def get(self, key: str, population: Population = "all_ages", geography: str = "NM",
            year: int | None = None) -> Benchmark:
        """The benchmark of ``key`` for ``population`` in ``geography`` whose year is nearest
        ``year`` (:func:`nearest_year`: ties the later; the latest when ``year`` is None)."""
        found = [b for b in self.benchmarks if (b.key, b.population, b.geography) == (key, population, geography)]
        if not found:
            raise KeyError(f"no benchmark {key!r} for {population} in {geography}")
        chosen = nearest_year([b.year for b in found], year)
        return next(b for b in found if b.year == chosen)

    def find(self, key: str) -> tuple[Benchmark, ...]:
        return tuple(b for b in self.benchmarks if b.key == key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b.key for b in self.benchmarks))

    def merged(self, other: BenchmarkSet) -> BenchmarkSet:
        """This set with ``other``'s benchmarks added, replacing any with the same key, population
        and geography (of every year)."""
        replaced = {(b.key, b.population, b.geography) for b in other.benchmarks}
        kept = tuple(b for b in self.benchmarks if (b.key, b.population, b.geography) not in replaced)
        return BenchmarkSet(kept + other.benchmarks)

    def to_dict(self) -> dict[str, Any]:
        return {"benchmarks": [b.to_dict() for b in self.benchmarks]}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class RaceCounts:
    """Census Table P2/P4 counts: Hispanic (any race) and not Hispanic by race alone."""

    total: int
    hispanic: int
    white: int
    black: int
    aian: int
    asian: int
    nhpi: int
    other: int
    two_or_more: int

    #: The parts, which add to ``total``.
    CATEGORIES: ClassVar[tuple[str, ...]] = (
        "hispanic", "white", "black", "aian", "asian", "nhpi", "other", "two_or_more")

    def __post_init__(self) -> None:
        parts = (self.hispanic, self.white, self.black, self.aian, self.asian, self.nhpi, self.other, self.two_or_more)
        if sum(parts) != self.total:
            raise ValueError(f"census parts sum to {sum(parts)}, not the total {self.total}")

    def share(self, category: str) -> float:
        """Share (0..1) of ``total`` in one of :attr:`CATEGORIES`."""
        if category not in self.CATEGORIES:
            raise KeyError(f"unknown census category {category!r}; choose one of {self.CATEGORIES}")
        return float(getattr(self, category)) / self.total if self.total else 0.0

    def shares(self) -> dict[str, float]:
        """Every category's share of ``total``."""
        return {c: self.share(c) for c in self.CATEGORIES}

    def __add__(self, other: RaceCounts) -> RaceCounts:
        return RaceCounts(*(getattr(self, f) + getattr(other, f) for f in ("total", *self.CATEGORIES)))


@dataclass(frozen=True)
class CountyFacts:
    """One county: FIPS, name, all-ages and adult population, persons per square mile."""

    fips: str
    name: str
    population: int
    adults: int
    persons_per_sqmi: float


@dataclass(frozen=True)
class ZipCounty:
    """One ZIP's residential share in one county (HUD ``res_ratio``), its primary RUCA code and,
    where known, the ZIP's population (e.g. the 2020 Census count of its ZCTA)."""

    zip: str
    county_fips: str
    res_ratio: float
    ruca: int | None = None
    population: int | None = None


# --------------------------------------------------------------------------- New Mexico benchmarks


URM_METHOD = (
    "Hispanic or Latino (any race) + not Hispanic American Indian and Alaska Native alone + not Hispanic "
    "Black or African American alone. People of two or more races are not counted (the census 'alone' "
    "categories), so a rule counting any mention of a race slightly exceeds it; share_high adds every not "
    "Hispanic person of two or more races."
)


URM_LABEL = "Hispanic, American Indian/Alaska Native or Black"


def urm_benchmark(counts: RaceCounts, population: Population, geography: str, source: str,
                  year: int | None = None, survey: str = "") -> Benchmark:
    """The urm_nm share of one census table for one geography. ``share_low`` is the census's
    "alone" count (the estimate), ``share_high`` adds every not Hispanic person of two or more
    races (the most a count of any mention could add)."""
    numerator = counts.hispanic + counts.aian + counts.black
    return Benchmark(
        "urm_nm",
        URM_LABEL,
        numerator,
        counts.total,
        population,
        geography,
        source,
        URM_METHOD,
        share_low=numerator / counts.total,
        share_high=(numerator + counts.two_or_more) / counts.total,
        year=year,
        survey=survey,
    )


@dataclass(frozen=True)
class AgeBandCounts:
    """One ACS age band: total, Hispanic (any race), and Black, AIAN and two or more races of
    **any** origin (the ACS publishes no not-Hispanic Black or AIAN by age)."""

    total: int
    hispanic: int
    black_alone: int
    aian_alone: int
    two_or_more: int


def urm_age_band_benchmark(band: AgeBandCounts, not_hispanic_black: float, not_hispanic_aian: float,
                           population: Population, geography: str, source: str, year: int, survey: str,
                           origin_note: str) -> Benchmark:
    """The urm_nm share of an age band (approximate).

    Method: Hispanic (any race) + not Hispanic Black alone + not Hispanic AIAN alone, where the
    not-Hispanic parts, which the ACS does not publish by age, are estimated as the band's Black
    (AIAN) alone of any origin times ``not_hispanic_black`` (``not_hispanic_aian``): the
    not-Hispanic fraction of Black (AIAN) alone in a census (``origin_note`` says which). Bounds:
    ``share_low`` is the estimate (race alone), ``share_high`` adds every person of two or more
    races (of any origin: the most a count of any mention could add). The ACS estimate has sampling
    error (its margin is in ``source``), which the bounds do not include.
    """
    for fraction in (not_hispanic_black, not_hispanic_aian):
        if not 0 <= fraction <= 1:
            raise ValueError(f"a not-Hispanic fraction must lie in [0, 1], got {fraction!r}")
    estimate = band.hispanic + not_hispanic_black * band.black_alone + not_hispanic_aian * band.aian_alone
    method = (
        "Hispanic or Latino (any race) + not Hispanic Black alone + not Hispanic American Indian and Alaska Native "
        "alone, for the age band. The ACS publishes Black and AIAN alone by age only of any origin; their not "
        f"Hispanic parts are estimated with the not-Hispanic fraction of each race in {origin_note} "
        f"(Black {not_hispanic_black:.3f}, AIAN {not_hispanic_aian:.3f}). share_low is that estimate (race alone); "
        "share_high adds every person of two or more races (any mention). Sampling error of the ACS is not included."
    )
    return Benchmark("urm_nm", URM_LABEL, estimate, band.total, population, geography, source, method,
                     approximate=True, share_low=estimate / band.total,
                     share_high=min(1.0, (estimate + band.two_or_more) / band.total), year=year, survey=survey)


def women_benchmark(female: int, adults: int, geography: str, source: str) -> Benchmark:
    """Female share of adults 18+ (the ACS extract has no all-ages sex table)."""
    return Benchmark(
        "women", "Women (female share of adults)", female, adults, "18_plus", geography, source,
        "Female adults (18+) over all adults, summed over the ACS age bands 18-19, 20-44, 45-64, 65+. "
        "An all-ages share is not available in the shipped tables.",
    )


def frontier_benchmarks(counties: Sequence[CountyFacts], geography: str, source: str) -> tuple[Benchmark, ...]:
    """People in counties with fewer than 6 persons per square mile (all ages and 18+)."""
    frontier = [c for c in counties if c.persons_per_sqmi < 6]
    names = ", ".join(c.name for c in frontier)
    method = f"Counties with fewer than 6 persons per square mile (2020): {names}."
    return tuple(
        Benchmark(
            "frontier", "Frontier counties", sum(attr(c) for c in frontier), sum(attr(c) for c in counties),
            _population(population), geography, source, method,
        )
        for population, attr in (("all_ages", _pop), ("18_plus", _adults))
    )


def _pop(c: CountyFacts) -> int:
    return c.population


def _adults(c: CountyFacts) -> int:
    return c.adults


def zip_share_of_county(zips: Iterable[ZipCounty], county_fips: str, selected: Iterable[str]) -> float:
    """Estimated share of ``county_fips``'s population living in the ``selected`` ZIPs.

    Each ZIP that the HUD crosswalk places in the county is weighted by its residential ratio
    there times its population. When any of the county's ZIPs lacks a population (the shipped
    tables have none), every ZIP is assumed to hold as many residents as any other: an
    approximation that underestimates the share of populous (usually urban) ZIPs. Returns 0 when
    the county has no ZIPs.
    """
    chosen = set(selected)
    rows = [z for z in zips if z.county_fips == county_fips and z.res_ratio > 0]
    sized = bool(rows) and all(z.population is not None for z in rows)
    weights = [(z.zip, z.res_ratio * ((z.population or 0) if sized else 1)) for z in rows]
    total = sum(w for _, w in weights)
    if total == 0:
        return 0.0
    return sum(w for z, w in weights if z in chosen) / total


def rural_school_benchmarks(
    counties: Sequence[CountyFacts],
    urban_counties: Iterable[str],
    mixed_urban_share: Mapping[str, float],
    geography: str,
    source: str,
    method_note: str,
) -> tuple[Benchmark, ...]:
    """People outside the urban area of the school's rule (all ages and 18+).

    ``urban_counties`` are wholly urban; ``mixed_urban_share`` maps each mixed county to the
    estimated share of its people in the urban part. The result is approximate when any county is
    mixed; bounds count mixed counties wholly urban (low) and wholly rural (high).
    """
    urban = set(urban_counties)
    result = []
    for population, attr in (("all_ages", _pop), ("18_plus", _adults)):
        total = sum(attr(c) for c in counties)
        outside = sum(attr(c) for c in counties if c.fips not in urban and c.fips not in mixed_urban_share)
        mixed = [c for c in counties if c.fips in mixed_urban_share]
        estimate = outside + sum(attr(c) * (1 - mixed_urban_share[c.fips]) for c in mixed)
        result.append(
            Benchmark(
                "rural_school", "Outside Bernalillo County, Rio Rancho and Corrales", estimate, total,
                _population(population), geography, source, method_note, approximate=bool(mixed),
                share_low=outside / total, share_high=(outside + sum(attr(c) for c in mixed)) / total,
            )
        )
    return tuple(result)


def rural_ruca_benchmarks(
    counties: Sequence[CountyFacts], zips: Sequence[ZipCounty], geography: str, source: str
) -> tuple[Benchmark, ...]:
    """People living in ZIPs with primary RUCA >= 4, estimated from county populations.

    ZIPs without a RUCA code are left out of the weights. See :func:`zip_share_of_county`.
    """
    coded = [z for z in zips if z.ruca is not None]
    rural = {z.zip for z in coded if z.ruca is not None and z.ruca >= 4}
    shares = {c.fips: zip_share_of_county(coded, c.fips, rural) for c in counties}
    method = (
        "Each county's population is spread over the ZIP codes (ZIP Code Areas with a RUCA code) that the "
        "HUD crosswalk places in it, in proportion to their residential ratios, i.e. as if every ZIP in a "
        "county held the same number of residents; the result sums the parts in ZIPs with RUCA >= 4. "
        "Populous urban ZIPs are thereby under-weighted, so the estimate leans rural. Bounds: counties "
        "whose ZIPs are all RUCA >= 4 (low) and counties with any such ZIP (high)."
    )
    result = []
    for population, attr in (("all_ages", _pop), ("18_plus", _adults)):
        total = sum(attr(c) for c in counties)
        estimate = sum(attr(c) * shares[c.fips] for c in counties)
        low = sum(attr(c) for c in counties if math.isclose(shares[c.fips], 1.0))
        high = sum(attr(c) for c in counties if shares[c.fips] > 0)
        result.append(
            Benchmark(
                "rural_ruca", "Living in a ZIP with RUCA code 4 or more", estimate, total, _population(population),
                geography, source, method, approximate=True, share_low=low / total, share_high=high / total,
            )
        )
    return tuple(result)


def _population(text: str) -> Population:
    return _POPULATION_SPELLINGS[text]


# --------------------------------------------------------------------------- a school's own file

FILE_FIELDS = ("key", "label", "numerator", "denominator", "population", "source")
OPTIONAL_FILE_FIELDS = ("geography", "method", "parts")
TOTAL_KEY = "total"


class BenchmarkFileError(ValueError):
    """A benchmark file with problems; ``problems`` lists each with its row."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the benchmark file:\n" + "\n".join(f"  - {p}" for p in self.problems))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _parts(value: object) -> dict[str, float | None] | None:
    if value in (None, ""):
        return None
    if isinstance(value, Mapping):
        return {str(k): _number(v) for k, v in value.items()}
    if isinstance(value, str):
        result: dict[str, float | None] = {}
        for piece in value.split(";"):
            name, sep, count = piece.partition("=")
            if piece.strip():
                result[name.strip()] = _number(count) if sep and name.strip() else None
        return result
    return {}


def benchmarks_from_rows(
    rows: Sequence[Mapping[str, object]], default_geography: str | None = None, first_row: int = 1
) -> BenchmarkSet:
    """Validate a school's benchmark rows as a whole and return them as a :class:`BenchmarkSet`.

    Each row: ``key, label, numerator, denominator, population (all_ages|18_plus), source`` and
    optionally ``geography`` (else ``default_geography``), ``method`` and ``parts`` (the
    numerator's components: a mapping, or ``name=count;name=count`` text) which must sum to the
    numerator. A row with key ``total`` states the population's total; every benchmark of the
    same population and geography must have it as denominator. Problems (missing fields or
    source, non-numbers, a share outside [0, 1], parts not summing, denominators disagreeing,
    duplicates) are all collected into one :class:`BenchmarkFileError`; nothing is returned then.
    """
    problems: list[str] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for i, row in enumerate(rows, start=first_row):
        where = f"row {i}" + (f" ({row.get('key')})" if isinstance(row, Mapping) and row.get("key") else "")
        if not isinstance(row, Mapping):
            problems.append(f"row {i}: must be a mapping of fields")
            continue
        missing = [f for f in FILE_FIELDS if str(row.get(f) or "").strip() == ""]
        problems += [f"{where}: {f} is missing" for f in missing]
        problems += [f"{where}: unknown field {f!r}" for f in row if f not in FILE_FIELDS + OPTIONAL_FILE_FIELDS]
        geography = str(row.get("geography") or default_geography or "").strip()
        if not geography:
            problems.append(f"{where}: geography is missing (and the file gives no default)")
        if missing:
            continue
        num, den = _number(row["numerator"]), _number(row["denominator"])
        population = _POPULATION_SPELLINGS.get(str(row["population"]).strip().lower())
        if population is None:
            problems.append(f"{where}: population must be all_ages or 18_plus, not {row['population']!r}")
        if num is None or num < 0:
            problems.append(f"{where}: numerator must be a number of people (0 or more)")
        if den is None or den <= 0 or den != int(den):
            problems.append(f"{where}: denominator must be a whole number of people above 0")
        if num is not None and den is not None and den > 0 and not 0 <= num / den <= 1:
            problems.append(f"{where}: share {num / den:.4f} lies outside [0, 1] (numerator above denominator)")
        parts = _parts(row.get("parts"))
        if parts is not None:
            if not parts or any(v is None or v < 0 for v in parts.values()):
                problems.append(f"{where}: parts must be name=count pairs with counts of 0 or more")
            elif num is not None and not math.isclose(sum(v for v in parts.values() if v is not None), num, abs_tol=1e-6):
                problems.append(f"{where}: parts sum to {sum(v for v in parts.values() if v is not None):g}, not the numerator {num:g}")
        parsed.append((i, {**row, "numerator": num, "denominator": den, "population": population, "geography": geography}))
    problems += _check_totals(parsed)
    if problems:
        raise BenchmarkFileError(problems)
    result = []
    for _, row in parsed:
        if str(row["key"]) == TOTAL_KEY:
            continue
        num = row["numerator"]
        result.append(Benchmark(
            str(row["key"]).strip(), str(row["label"]).strip(), int(num) if num == int(num) else num,
            int(row["denominator"]), row["population"], row["geography"], str(row["source"]).strip(),
            str(row.get("method") or "As stated in the school's benchmark file.").strip(),
        ))
    return BenchmarkSet(tuple(result))


def _check_totals(parsed: Sequence[tuple[int, Mapping[str, Any]]]) -> list[str]:
    problems: list[str] = []
    totals: dict[tuple[str, str], tuple[int, float]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for i, row in parsed:
        key, ident = str(row["key"]).strip(), (row["population"], row["geography"])
        if (key, *ident) in seen:
            problems.append(f"row {i} ({key}): duplicate of row {seen[(key, *ident)]} ({ident[0]}, {ident[1]})")
        seen.setdefault((key, *ident), i)
        if key == TOTAL_KEY and row["denominator"] is not None:
            if row["numerator"] != row["denominator"]:
                problems.append(f"row {i} (total): the total's numerator and denominator must be equal")
            totals.setdefault(ident, (i, row["denominator"]))
    first: dict[tuple[str, str], tuple[int, float]] = {}
    for i, row in parsed:
        ident, den = (row["population"], row["geography"]), row["denominator"]
        if den is None or str(row["key"]).strip() == TOTAL_KEY:
            continue
        stated = totals.get(ident) or first.setdefault(ident, (i, den))
        if den != stated[1]:
            problems.append(
                f"row {i} ({row['key']}): denominator {den:g} differs from the total {stated[1]:g} stated in row {stated[0]} "
                f"for {ident[0]} in {ident[1]}"
            )
    return problems
