"""Population mixes of the synthetic school: race/ethnicity by county (2020 Census P2), the US mix,
a US-physician mix for residents and faculty, and how each census category is *reported* on a
form that asks the combined OMB question (codes joined with ';').

The eight true categories are the census P2 categories: Hispanic or Latino of any race, then not
Hispanic White, Black, American Indian/Alaska Native, Asian, Native Hawaiian/Pacific Islander,
some other race, and two or more races. A person's reported ``hispanic`` and ``race`` follow from
their true category through :data:`REPORTED_RACE` (Hispanic respondents often report White, "some
other race", several races, or leave race blank); a few people leave both unknown or decline.
"""

from __future__ import annotations

import functools

import numpy as np

from ristra.core import vocabularies as v
from ristra.reference import census
from ristra.synth.randomness import FloatArray, cumulative

CATEGORIES: tuple[str, ...] = census.CensusCounts.CATEGORIES
HISPANIC, WHITE, BLACK, AIAN, ASIAN, NHPI, OTHER, TWO = range(8)

_AIAN = "american_indian_alaska_native"
_NHPI = "native_hawaiian_pacific_islander"
_MENA = "middle_eastern_north_african"


def _join(*codes: str) -> str:
    order = {c: i for i, c in enumerate(v.RACE.codes)}
    return ";".join(sorted(codes, key=order.__getitem__))


#: Every race value the generator writes: canonical codes joined with ';' in vocabulary order.
RACE_VALUES: tuple[str, ...] = (
    "white",
    "black",
    _AIAN,
    "asian",
    _NHPI,
    "other",
    _MENA,
    _join(_AIAN, "white"),
    _join("black", "white"),
    _join("asian", "white"),
    _join(_AIAN, "black"),
    _join("other", "white"),
    _join("asian", _NHPI),
    _join(_AIAN, "other"),
    "unknown",
    "declined",
)
RACE_UNKNOWN = RACE_VALUES.index("unknown")
RACE_DECLINED = RACE_VALUES.index("declined")


def _race(*codes: str) -> int:
    return RACE_VALUES.index(_join(*codes))


#: For each true category: (race value index, weight) of what the person reports as race.
REPORTED_RACE: tuple[tuple[tuple[int, float], ...], ...] = (
    (  # Hispanic or Latino
        (_race("white"), 0.42),
        (_race("other"), 0.22),
        (_race(_AIAN, "white"), 0.06),
        (_race(_AIAN), 0.04),
        (_race("black"), 0.02),
        (_race("other", "white"), 0.07),
        (_race(_AIAN, "other"), 0.01),
        (RACE_UNKNOWN, 0.16),
    ),
    ((_race("white"), 0.985), (_race(_MENA), 0.015)),
    ((_race("black"), 1.0),),
    ((_race(_AIAN), 1.0),),
    ((_race("asian"), 1.0),),
    ((_race(_NHPI), 1.0),),
    ((_race("other"), 1.0),),
    (  # two or more races
        (_race(_AIAN, "white"), 0.30),
        (_race("black", "white"), 0.22),
        (_race("asian", "white"), 0.22),
        (_race(_AIAN, "black"), 0.06),
        (_race("other", "white"), 0.12),
        (_race("asian", _NHPI), 0.08),
    ),
)


@functools.cache
def reported_race_table() -> FloatArray:
    """Cumulative table, one row per true category, over :data:`RACE_VALUES`."""
    table = np.zeros((len(CATEGORIES), len(RACE_VALUES)))
    for row, pairs in enumerate(REPORTED_RACE):
        for value, weight in pairs:
            table[row, value] += weight
    return cumulative(table)


@functools.cache
def race_values_containing(code: str) -> np.ndarray:
    """Boolean mask over :data:`RACE_VALUES`: which values include ``code``."""
    return np.array([code in value.split(";") for value in RACE_VALUES])


#: Approximate mix of US medical graduates entering residency and academic medicine
#: (AAMC-like; the true categories above).
US_PHYSICIAN_MIX: tuple[float, ...] = (0.07, 0.55, 0.06, 0.004, 0.22, 0.002, 0.01, 0.03)

# Rows of the category table: 0..32 the NM counties (all ages), then these.
US_ROW = len(census.counties())
PHYSICIAN_ROW = US_ROW + 1


@functools.cache
def category_table() -> FloatArray:
    """Cumulative true-category weights: one row per NM county (P2), then the US (P2), then
    US physicians."""
    rows = [[c.population.share(k) for k in CATEGORIES] for c in census.counties()]
    us = census.us_totals()
    rows.append([us.share(k) for k in CATEGORIES])
    rows.append(list(US_PHYSICIAN_MIX))
    return cumulative(np.array(rows))


#: Optional detail (tribal nation, national origin) by true category; weights need not sum to 1
#: (the rest leave the detail blank).
RACE_DETAILS: tuple[str, ...] = (
    "Navajo Nation",
    "Pueblo of Zuni",
    "Pueblo of Laguna",
    "Pueblo of Acoma",
    "Jicarilla Apache Nation",
    "Mescalero Apache Tribe",
    "Pueblo of Isleta",
    "Kewa Pueblo",
    "Pueblo of Jemez",
    "Taos Pueblo",
    "Ohkay Owingeh",
    "Cherokee Nation",
    "Mexican",
    "Hispano",
    "Puerto Rican",
    "Cuban",
    "Central American",
    "Spanish",
    "Chinese",
    "Vietnamese",
    "Asian Indian",
    "Filipino",
    "Korean",
)

_DETAIL_WEIGHTS: dict[int, dict[str, float]] = {
    HISPANIC: {"Mexican": 0.2, "Hispano": 0.18, "Puerto Rican": 0.02, "Cuban": 0.01, "Central American": 0.03, "Spanish": 0.05},
    AIAN: {
        "Navajo Nation": 0.30,
        "Pueblo of Zuni": 0.05,
        "Pueblo of Laguna": 0.04,
        "Pueblo of Acoma": 0.03,
        "Jicarilla Apache Nation": 0.02,
        "Mescalero Apache Tribe": 0.03,
        "Pueblo of Isleta": 0.03,
        "Kewa Pueblo": 0.02,
        "Pueblo of Jemez": 0.02,
        "Taos Pueblo": 0.02,
        "Ohkay Owingeh": 0.02,
        "Cherokee Nation": 0.02,
    },
    ASIAN: {"Chinese": 0.12, "Vietnamese": 0.1, "Asian Indian": 0.12, "Filipino": 0.08, "Korean": 0.05},
}


@functools.cache
def race_detail_table() -> FloatArray:
    """Cumulative table over RACE_DETAILS + [blank], one row per true category."""
    table = np.zeros((len(CATEGORIES), len(RACE_DETAILS) + 1))
    for row in range(len(CATEGORIES)):
        weights = _DETAIL_WEIGHTS.get(row, {})
        for name, weight in weights.items():
            table[row, RACE_DETAILS.index(name)] = weight
        table[row, -1] = max(0.0, 1.0 - sum(weights.values()))
    return cumulative(table)
