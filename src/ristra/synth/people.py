"""Synthetic people: the shared demographic columns of every person dataset, drawn as a pure
function of (seed, person index, population).

A :class:`Population` says who the people are (applicants, physicians, staff, program
participants): how many live in New Mexico, the sex mix, the age, the race/ethnicity source (the
county's 2020 Census mix for in-state people, the US mix for others, or a US-physician mix), and a
socioeconomic shift. :func:`draw_people` returns a :class:`People` of aligned numpy arrays holding
codes (indices into the vocabularies); :mod:`ristra.synth.tables` turns them into Arrow columns.

Socioeconomic indicators come from one latent disadvantage score per person, higher for people
with a rural background and for Hispanic, American Indian/Alaska Native and Black people, so
first generation, Pell, fee assistance, the AAMC EO indicator and self-identified disadvantage are
correlated with each other and with rural and URM status, as they are in real applicant pools.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ristra.core import vocabularies as v
from ristra.synth import demography as dem
from ristra.synth.geography import draw_places, place_table
from ristra.synth.randomness import BoolArray, FloatArray, IntArray, Streams, pick, pick_rows

YES, NO, UNKNOWN, DECLINED = (v.YES_NO_UNKNOWN.codes.index(c) for c in ("yes", "no", "unknown", "declined"))
FEMALE, MALE, ANOTHER, SEX_UNKNOWN, SEX_DECLINED = (
    v.SEX.codes.index(c) for c in ("female", "male", "another", "unknown", "declined")
)
EO = tuple(v.SES_INDICATOR.codes.index(f"EO-{i}") for i in range(1, 6))
SES_UNKNOWN = v.SES_INDICATOR.codes.index("unknown")

# Geography missingness levels
GEO_COMPLETE, GEO_NO_COUNTY, GEO_NO_CITY, GEO_UNKNOWN = 0, 1, 2, 3


@dataclass(frozen=True)
class Population:
    """Who a group of synthetic people are.

    ``race_source`` is ``"census"`` (in-state people get their residence county's P2 mix,
    others the US mix) or ``"physicians"`` (the US-physician mix for everyone). ``near_school``
    concentrates in-state residences in the Albuquerque metro area (employees, trainees).
    ``high_school_in_state`` is the chance of a New Mexico high school for (in-state,
    out-of-state) residents. ``age_min``/``age_scale``: age at the reference year is ``age_min`` plus an exponential
    with that mean. ``disadvantage_shift`` moves the latent socioeconomic score (positive: more
    disadvantaged).
    """

    name: str
    in_state_share: float
    female_share: float
    age_min: int
    age_scale: float
    race_source: str = "census"
    near_school: bool = False
    disadvantage_shift: float = 0.0
    high_school_in_state: tuple[float, float] = (0.92, 0.06)
    unknown_rate: float = 0.04


@dataclass(frozen=True)
class People:
    """Aligned arrays, one element per person. Coded fields hold indices into the column's
    vocabulary codes (``-1`` = blank); ``race`` indexes :data:`ristra.synth.demography.RACE_VALUES`.
    ``category`` (true census category), ``in_state_truth`` and ``rural`` are ground truth."""

    idx: IntArray
    sex: IntArray
    gender_identity: IntArray
    hispanic: IntArray
    race: IntArray
    race_detail: IntArray
    citizenship: IntArray
    birth_year: IntArray
    residence_place: IntArray
    residence_zip: IntArray
    residence_missing: IntArray
    high_school_place: IntArray
    high_school_zip: IntArray
    high_school_missing: IntArray
    first_generation: IntArray
    pell_recipient: IntArray
    fee_assistance: IntArray
    ses_indicator: IntArray
    self_disadvantaged: IntArray
    veteran: IntArray
    disability: IntArray
    category: IntArray
    in_state_truth: BoolArray
    rural: BoolArray

    def __len__(self) -> int:
        return int(self.idx.shape[0])

    def take(self, rows: IntArray | BoolArray) -> People:
        """The subset of people at ``rows`` (indices or a boolean mask)."""
        return People(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})


def _yes_no(streams: Streams, idx: IntArray, stream: str, yes: BoolArray, unknown_rate: float) -> IntArray:
    u = streams.uniform(idx, stream + ".unknown")
    out = np.where(yes, YES, NO)
    out = np.where(u < unknown_rate, UNKNOWN, out)
    return np.where(u < unknown_rate * 0.2, DECLINED, out).astype(np.int64)


def draw_people(
    streams: Streams, idx: IntArray, population: Population, reference_year: IntArray | int
) -> People:
    """Draw one person per index of ``idx``; ages are as of ``reference_year`` (scalar or per
    person). The same (seed, index, population) always gives the same person."""
    idx = np.asarray(idx, dtype=np.int64)
    p = population.name
    n = idx.shape[0]
    table = place_table()

    in_state = streams.chance(idx, f"{p}.in_state", population.in_state_share)
    res_place, res_suffix = draw_places(streams, idx, f"{p}.residence", in_state)
    if population.near_school:
        metro = streams.chance(idx, f"{p}.near_school", 0.85)
        res_place = np.where(in_state & metro, _metro_place(streams, idx, p), res_place)
    # High school: usually where they live; some moved within the state, some crossed a border.
    hs_moved = streams.uniform(idx, f"{p}.hs.moved")
    hs_in_state = hs_moved < np.where(in_state, *population.high_school_in_state)
    other_place, other_suffix = draw_places(streams, idx, f"{p}.high_school", hs_in_state)
    same = streams.chance(idx, f"{p}.hs.same", 0.72) & (hs_in_state == in_state)
    hs_place = np.where(same, res_place, other_place)
    hs_suffix = np.where(same, res_suffix, other_suffix)
    rural = table.rural[res_place] | table.rural[hs_place]

    # Race and ethnicity
    if population.race_source == "physicians":
        race_row = np.full(n, dem.PHYSICIAN_ROW, dtype=np.int64)
    else:
        county = table.county_row[res_place]
        race_row = np.where(county >= 0, county, dem.US_ROW)
    category = pick_rows(streams.uniform(idx, f"{p}.category"), dem.category_table(), race_row)
    race = pick_rows(streams.uniform(idx, f"{p}.race"), dem.reported_race_table(), category)
    hispanic = np.where(category == dem.HISPANIC, YES, NO)
    u_report = streams.uniform(idx, f"{p}.race.report")
    unreported = u_report < population.unknown_rate * 0.6
    declined = u_report < population.unknown_rate * 0.25
    hispanic = np.where(unreported, UNKNOWN, hispanic)
    hispanic = np.where(declined, DECLINED, hispanic)
    race = np.where(unreported, dem.RACE_UNKNOWN, race)
    race = np.where(declined, dem.RACE_DECLINED, race)
    detail = pick_rows(streams.uniform(idx, f"{p}.race.detail"), dem.race_detail_table(), category)
    detail = np.where((detail >= len(dem.RACE_DETAILS)) | unreported, -1, detail)

    # Sex and gender identity
    u_sex = streams.uniform(idx, f"{p}.sex")
    f = population.female_share
    sex = np.select(
        [u_sex < f * 0.993, u_sex < 0.993, u_sex < 0.996, u_sex < 0.998],
        [FEMALE, MALE, ANOTHER, SEX_UNKNOWN],
        SEX_DECLINED,
    )
    woman, man, nonbinary, g_declined = (
        v.GENDER_IDENTITY.codes.index(c) for c in ("woman", "man", "nonbinary", "declined")
    )
    gender = np.select([sex == FEMALE, sex == MALE, sex == ANOTHER], [woman, man, nonbinary], g_declined)
    u_gender = streams.uniform(idx, f"{p}.gender")
    gender = np.where(u_gender < 0.01, nonbinary, gender)
    gender = np.where(u_gender > 0.70, -1, gender)  # not collected

    # Citizenship
    citizenship = np.where(
        in_state,
        pick(streams.uniform(idx, f"{p}.citizenship"), (0.95, 0.03, 0.01, 0.005, 0.005, 0.0)),
        pick(streams.uniform(idx, f"{p}.citizenship"), (0.92, 0.04, 0.005, 0.03, 0.005, 0.0)),
    )

    # Age
    age = population.age_min + np.floor(
        -np.log1p(-streams.uniform(idx, f"{p}.age")) * population.age_scale
    ).astype(np.int64)
    age = np.minimum(age, population.age_min + 40)
    birth_year = np.asarray(reference_year, dtype=np.int64) - age

    # Socioeconomic indicators from one latent score
    urm = (category == dem.HISPANIC) | (category == dem.AIAN) | (category == dem.BLACK)
    z = (
        streams.normal(idx, f"{p}.ses")
        + 0.7 * rural
        + 0.6 * urm
        + population.disadvantage_shift
        - 0.25 * ~in_state
    )

    def noisy(stream: str, scale: float) -> FloatArray:
        result: FloatArray = z + scale * streams.normal(idx, f"{p}.{stream}")
        return result

    first_generation = _yes_no(streams, idx, f"{p}.fg", noisy("fg.noise", 0.5) > 1.25, population.unknown_rate)
    pell = _yes_no(streams, idx, f"{p}.pell", noisy("pell.noise", 0.6) > 0.75, population.unknown_rate)
    fee = _yes_no(streams, idx, f"{p}.fee", noisy("fee.noise", 0.6) > 1.45, population.unknown_rate)
    self_dis = _yes_no(streams, idx, f"{p}.selfdis", noisy("selfdis.noise", 0.6) > 1.05, population.unknown_rate)
    zs = noisy("eo.noise", 0.4)
    ses = np.select([zs > 1.7, zs > 1.0, zs > 0.0, zs > -0.8], list(EO[:4]), EO[4])
    ses = np.where(streams.chance(idx, f"{p}.eo.unknown", population.unknown_rate * 1.5), SES_UNKNOWN, ses)
    veteran = _yes_no(streams, idx, f"{p}.veteran", streams.chance(idx, f"{p}.veteran.yes", 0.02), 0.03)
    disability = _yes_no(streams, idx, f"{p}.disability", streams.chance(idx, f"{p}.disability.yes", 0.05), 0.06)

    return People(
        idx=idx,
        sex=sex.astype(np.int64),
        gender_identity=gender.astype(np.int64),
        hispanic=hispanic.astype(np.int64),
        race=race,
        race_detail=detail.astype(np.int64),
        citizenship=citizenship,
        birth_year=birth_year,
        residence_place=res_place,
        residence_zip=table.zip_index(res_place, res_suffix),
        residence_missing=_missing(streams, idx, f"{p}.residence", (0.01, 0.07, 0.09)),
        high_school_place=hs_place,
        high_school_zip=table.zip_index(hs_place, hs_suffix),
        high_school_missing=_missing(streams, idx, f"{p}.high_school", (0.03, 0.12, 0.14)),
        first_generation=first_generation,
        pell_recipient=pell,
        fee_assistance=fee,
        ses_indicator=ses.astype(np.int64),
        self_disadvantaged=self_dis,
        veteran=veteran,
        disability=disability,
        category=category,
        in_state_truth=in_state,
        rural=rural,
    )


_METRO_COUNTIES = ("35001", "35043", "35061", "35049", "35057")


def _metro_place(streams: Streams, idx: IntArray, p: str) -> IntArray:
    """A place in the Albuquerque and Santa Fe metro counties, weighted by population."""
    table = place_table()
    metro_rows = np.array([i for i in range(table.n_in_state) if table.county_fips[i] in _METRO_COUNTIES])
    weights = table.in_state_weight[metro_rows]
    return np.asarray(metro_rows[pick(streams.uniform(idx, f"{p}.metro.place"), weights)], dtype=np.int64)


def _missing(streams: Streams, idx: IntArray, stream: str, cuts: tuple[float, float, float]) -> IntArray:
    """Missingness level per person: all unknown, county missing (ZIP only), city missing, complete."""
    u = streams.uniform(idx, stream + ".missing")
    return np.select([u < cuts[0], u < cuts[1], u < cuts[2]], [GEO_UNKNOWN, GEO_NO_COUNTY, GEO_NO_CITY], GEO_COMPLETE)


def group_masks(people: People) -> dict[str, BoolArray]:
    """Boolean mask per group of :data:`ristra.synth.config.GROUPS`, from reported values (plus
    the true rural background and in-state residence)."""
    has = dem.race_values_containing
    hispanic = people.hispanic == YES
    aian = has("american_indian_alaska_native")[people.race]
    black = has("black")[people.race]
    return {
        "female": people.sex == FEMALE,
        "male": people.sex == MALE,
        "hispanic": hispanic,
        "american_indian_alaska_native": aian,
        "black": black,
        "asian": has("asian")[people.race],
        "white_non_hispanic": (people.hispanic == NO) & (people.race == dem.RACE_VALUES.index("white")),
        "urm": hispanic | aian | black,
        "rural": people.rural,
        "in_state": people.in_state_truth,
        "out_of_state": ~people.in_state_truth,
        "first_generation": people.first_generation == YES,
        "low_ses": (people.ses_indicator == EO[0]) | (people.ses_indicator == EO[1]),
        "pell_recipient": people.pell_recipient == YES,
    }


def multiplier(people: People, multipliers: Mapping[str, float]) -> FloatArray:
    """Product of the configured multipliers of the groups each person belongs to."""
    result = np.ones(len(people))
    if not multipliers:
        return result
    masks = group_masks(people)
    for group, factor in multipliers.items():
        result = result * np.where(masks[group], factor, 1.0)
    return result


APPLICANTS = Population("applicant", in_state_share=0.40, female_share=0.55, age_min=21, age_scale=3.0)
PHYSICIANS = Population(
    "physician",
    in_state_share=1.0,
    female_share=0.50,
    age_min=25,
    age_scale=2.5,
    race_source="physicians",
    near_school=True,
    disadvantage_shift=-0.6,
    high_school_in_state=(0.12, 0.12),
)
FACULTY = Population(
    "faculty",
    in_state_share=1.0,
    female_share=0.50,
    age_min=30,
    age_scale=9.0,
    race_source="physicians",
    near_school=True,
    disadvantage_shift=-0.7,
    high_school_in_state=(0.22, 0.22),
)
STAFF = Population(
    "staff",
    in_state_share=1.0,
    female_share=0.62,
    age_min=22,
    age_scale=14.0,
    near_school=True,
    high_school_in_state=(0.85, 0.85),
)
PARTICIPANTS = Population(
    "participant",
    in_state_share=0.99,
    female_share=0.60,
    age_min=15,
    age_scale=3.0,
    disadvantage_shift=0.4,
    high_school_in_state=(0.98, 0.5),
)
