"""Pipeline programs and partnerships, their yearly rosters, and the true links to applications.

Programs
--------
Eight programs for different audiences (middle school to post-baccalaureate and the community),
some run by the school, some with partners; two have ended.

Rosters
-------
Applicants marked as pipeline alumni by the admissions funnel (a share of first-time in-state
applicants, who get the configured interview-rate boost) are placed on the roster of a program
whose audience fits their age: the program year is their first cycle minus a lag typical of the
audience (middle school 8–11 years before applying, high school 4–7, undergraduate 1–3,
post-baccalaureate 1). Rosters are then filled with people who never apply. Some attend a
program two years running (a second row, same roster id). Programs the school runs itself use the
school's person identifier as roster id, so an exact-match pass can link them; the others use
their own identifiers.

Each roster row copies the person's true name, birth date, e-mail, school and ZIP, then — with
probability ``participant_typo_rate`` — damages one or two of them the way hand-entered rosters
are damaged: a nickname, an accent added or lost, transposed, dropped or doubled letters, a name in
capitals, a compound surname, day and month swapped, a birth date one day or one year off, a
different or missing e-mail, a missing birth date, another ZIP. ``participant_links.csv`` keeps the
truth: each row's applicant ``person_id`` (empty for people who never applied), a stable
``identity_id`` for every person, the list of damage done, and the true name, birth date and
e-mail the row was copied from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ristra.core import vocabularies as v
from ristra.synth import demography as dem
from ristra.synth import names as nm
from ristra.synth import tables as tb
from ristra.synth.cohorts import APPLICANT, INDEX_BASE, PARTICIPANT, PersonRefs, School
from ristra.synth.geography import place_table
from ristra.synth.people import FEMALE, NO, UNKNOWN, YES, People
from ristra.synth.randomness import BoolArray, IntArray, pick


@dataclass(frozen=True)
class Program:
    """One pipeline program. ``lag`` is the range of years from the program year to the first
    application; ``alumni_weight`` how often applicants come from it; ``own_ids`` whether the
    roster uses the school's person identifiers."""

    program_id: str
    name: str
    kind: str
    partners: str
    audience: str
    start_year: int
    end_year: int | None
    goals: str
    lag: tuple[int, int]
    roster_size: float
    alumni_weight: float
    own_ids: bool
    two_year_share: float
    age: int


PROGRAMS: tuple[Program, ...] = (
    Program("PP01", "Health Careers Academy", "pipeline_program",
            "Albuquerque Public Schools; Gallup-McKinley County Schools", "high_school", 2004, None,
            "Interest high-school students from across the state in health careers through summer sessions and mentoring.",
            (4, 7), 60, 2.0, False, 0.3, 16),
    Program("PP02", "Rural Science Explorers", "outreach", "New Mexico MESA; rural school districts", "k12",
            2006, None, "Hands-on science days for middle-school students in rural and tribal communities.",
            (8, 11), 80, 0.7, False, 0.0, 12),
    Program("PP03", "Undergraduate Pre-Medical Enrichment Program", "pipeline_program", "", "undergraduate",
            2005, None, "Summer enrichment in science, test preparation and clinical shadowing for college students.",
            (1, 3), 40, 3.0, True, 0.25, 20),
    Program("PP04", "Post-Baccalaureate Pathway to Medicine", "pathway", "", "post_baccalaureate", 2009, None,
            "A year of coursework and advising that prepares college graduates from the state to apply to medical school.",
            (1, 1), 15, 3.0, True, 0.0, 23),
    Program("PP05", "Native American Health Professions Partnership", "partnership",
            "Navajo Technical University; Southwestern Indian Polytechnic Institute; Dine College", "undergraduate",
            2008, None, "Mentoring and research placements for American Indian and Alaska Native college students.",
            (1, 4), 25, 1.5, False, 0.3, 20),
    Program("PP06", "Combined BA/MD Pathway", "pathway", "University of New Mexico College of Arts and Sciences",
            "high_school", 2006, None, "Conditional admission for high-school seniors who commit to practice in the state.",
            (4, 5), 28, 1.2, True, 0.0, 17),
    Program("PP07", "Border Health Scholars", "partnership", "New Mexico State University; Dona Ana Community College",
            "undergraduate", 2010, 2021, "Clinical exposure and advising for college students in the border region.",
            (1, 3), 20, 1.0, False, 0.2, 20),
    Program("PP08", "Community Health Worker Bridge", "partnership", "Community health worker associations",
            "community", 2012, 2023, "Continuing education for community health workers, with a path into health programs.",
            (2, 5), 30, 0.0, False, 0.0, 30),
)

COLLEGES: tuple[tuple[str, float], ...] = (
    ("University of New Mexico", 45),
    ("New Mexico State University", 14),
    ("New Mexico Highlands University", 4),
    ("Eastern New Mexico University", 5),
    ("Western New Mexico University", 3),
    ("New Mexico Institute of Mining and Technology", 4),
    ("Central New Mexico Community College", 8),
    ("Santa Fe Community College", 3),
    ("San Juan College", 3),
    ("Navajo Technical University", 3),
    ("Dine College", 2),
    ("Southwestern Indian Polytechnic Institute", 2),
    ("University of Arizona", 2),
    ("University of Colorado Boulder", 2),
)

#: Damage a roster entry can carry, with relative frequency.
ERRORS: tuple[tuple[str, float], ...] = (
    ("first_name_nickname", 3.0),
    ("first_name_typo", 2.0),
    ("last_name_typo", 3.0),
    ("last_name_variant", 1.5),
    ("birth_date_day_month_swapped", 2.0),
    ("birth_date_off", 1.0),
    ("birth_date_missing", 0.7),
    ("email_different", 3.0),
    ("email_missing", 1.0),
    ("zip_different", 1.0),
)
_E = {name: i for i, (name, _) in enumerate(ERRORS)}
_MAX_YEARS_BACK = 11


@dataclass(frozen=True)
class Roster:
    """All roster rows as aligned arrays, sorted by program, year, then a random order."""

    refs: PersonRefs
    program: IntArray
    year: IntArray
    applicant: BoolArray

    def __len__(self) -> int:
        return len(self.refs)

    def slice(self, start: int, stop: int) -> Roster:
        rows = np.arange(start, min(stop, len(self)))
        return Roster(self.refs.take(rows), self.program[rows], self.year[rows], self.applicant[rows])


def program_columns() -> dict[str, pa.Array]:
    """The programs dataset."""
    return {
        "program_id": pa.array([p.program_id for p in PROGRAMS]),
        "name": pa.array([p.name for p in PROGRAMS]),
        "kind": pa.array([p.kind for p in PROGRAMS]),
        "partners": pa.array([p.partners or None for p in PROGRAMS], type=pa.string()),
        "audience_level": pa.array([p.audience for p in PROGRAMS]),
        "start_year": pa.array([p.start_year for p in PROGRAMS], type=pa.int16()),
        "end_year": pa.array([p.end_year for p in PROGRAMS], type=pa.int16()),
        "goals": pa.array([p.goals for p in PROGRAMS]),
    }


def rosters(school: School, alumni_idx: IntArray, alumni_first_cycle: IntArray) -> Iterator[Roster]:
    """Place the pipeline alumni on programs and fill every program year's roster; one roster per
    program, in program order, each sorted by year then at random."""
    s = school.streams
    w = school.window
    last_year = w.last_cycle
    first_year = w.first_cycle - _MAX_YEARS_BACK
    n_prog = len(PROGRAMS)
    starts = np.array([max(p.start_year, first_year) for p in PROGRAMS])
    ends = np.array([min(p.end_year or last_year, last_year) for p in PROGRAMS])

    # Alumni: choose, among programs whose audience fits, where each one took part.
    lag_low = np.array([p.lag[0] for p in PROGRAMS])
    lag_span = np.array([p.lag[1] - p.lag[0] + 1 for p in PROGRAMS])
    u_lag = np.stack([s.uniform(alumni_idx, f"pipeline.lag.{i}") for i in range(n_prog)], axis=1)
    year = alumni_first_cycle[:, None] - (lag_low + np.floor(u_lag * lag_span).astype(np.int64))
    year = np.minimum(year, alumni_first_cycle[:, None] - 1)
    eligible = (year >= starts) & (year <= ends)
    weight = eligible * np.array([p.alumni_weight for p in PROGRAMS])
    total = weight.sum(axis=1)
    placed = total > 0
    cum = np.cumsum(weight, axis=1)
    choice = (s.uniform(alumni_idx, "pipeline.program")[:, None] * total[:, None] >= cum).sum(axis=1)
    choice = np.minimum(choice, n_prog - 1)
    a_idx, a_first = alumni_idx[placed], alumni_first_cycle[placed]
    a_prog = choice[placed]
    a_year = year[placed, a_prog]
    alumni = PersonRefs.of(a_idx, APPLICANT, a_first - 1)

    # Fill each program year with people who never apply; some come back the next year.
    next_idx = INDEX_BASE[PARTICIPANT]
    for i, p in enumerate(PROGRAMS):
        years = np.arange(starts[i], ends[i] + 1)
        if years.size == 0:
            continue
        size = school.scaled_counts(np.full(years.size, p.roster_size), years * 10 + i, "pipeline.size")
        mine = a_prog == i
        already = np.bincount(a_year[mine] - starts[i], minlength=years.size)[: years.size]
        fill_year = np.repeat(years, np.maximum(size - already, 0))
        idx = np.arange(next_idx, next_idx + fill_year.size, dtype=np.int64)
        next_idx += idx.size
        refs = PersonRefs.concat([alumni.take(mine), PersonRefs.of(idx, PARTICIPANT, fill_year - p.age + 15)])
        year_all = np.concatenate([a_year[mine], fill_year]).astype(np.int64)
        applicant = np.concatenate([np.ones(int(mine.sum()), bool), np.zeros(idx.size, bool)])
        again = s.chance(refs.idx * 16 + i, "pipeline.again", p.two_year_share) & (year_all + 1 <= ends[i])
        again &= ~applicant | (year_all + 1 < refs.reference_year + 1)
        rows = np.concatenate([np.arange(len(refs)), np.flatnonzero(again)])
        year_all = np.concatenate([year_all, year_all[again] + 1])
        refs, applicant = refs.take(rows), applicant[rows]
        order = np.lexsort((s.bits(refs.idx * 4096 + year_all % 4096, "pipeline.order"), year_all))
        yield Roster(refs.take(order), np.full(order.size, i, dtype=np.int64), year_all[order], applicant[order])


def participant_chunks(
    school: School, programs: Iterator[Roster], chunk_size: int
) -> Iterator[tuple[dict[str, pa.Array], dict[str, pa.Array]]]:
    """Chunks of (participants columns, participant_links columns), numbered in order. A roster
    row carries many text columns, so a chunk holds half of ``chunk_size`` rows."""
    number = 1
    limit = max(1, chunk_size // 2)
    for r in programs:
        for start in range(0, len(r), limit):
            part = r.slice(start, start + limit)
            yield _participant_columns(school, part, number)
            number += len(part)


def _participant_columns(school: School, r: Roster, first_number: int) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
    s = school.streams
    c = school.config
    people = school.people(r.refs)
    n = len(r)
    row_key = r.refs.idx * 8192 + r.program * 256 + r.year % 256
    person = r.refs.idx

    # The truth about each person.
    first, last = nm.true_names(s, person, people.category, people.sex == FEMALE)
    birth_day = tb.year_start_days(people.birth_year) + s.integers(person, "pipeline.birth_day", 0, 365)
    email_number = s.integers(person, "pipeline.email", 10, 100)
    domain = s.integers(person, "pipeline.domain", 0, len(nm.EMAIL_DOMAINS))

    # The damage done to this row (an impossible kind falls back to one that changes something).
    first_table, last_table = nm.variant_table("first"), nm.variant_table("last")
    kinds = {k: i for i, k in enumerate(nm.VARIANT_KINDS)}
    has_nickname = first_table.count[first, kinds["nickname"]] > 0
    can_swap = _can_swap(birth_day)
    damaged = s.chance(row_key, "pipeline.typo", c.participant_typo_rate)
    weights = [wt for _, wt in ERRORS]

    def possible(kind: IntArray) -> IntArray:
        kind = np.where((kind == _E["first_name_nickname"]) & ~has_nickname, _E["first_name_typo"], kind)
        return np.where((kind == _E["birth_date_day_month_swapped"]) & ~can_swap, _E["birth_date_off"], kind)

    first_error = possible(pick(s.uniform(row_key, "pipeline.error.1"), weights))
    second_error = possible(pick(s.uniform(row_key, "pipeline.error.2"), weights))
    has_second = damaged & s.chance(row_key, "pipeline.error.two", 0.3) & (second_error != first_error)
    errors = np.zeros((n, len(ERRORS)), dtype=bool)
    errors[np.flatnonzero(damaged), first_error[damaged]] = True
    errors[np.flatnonzero(has_second), second_error[has_second]] = True

    def err(name: str) -> BoolArray:
        return errors[:, _E[name]]

    def available(table: nm.NameVariants, name: IntArray, kind: IntArray) -> IntArray:
        return np.where(table.count[name, kind] > 0, kind, kinds["dropped"])

    first_kind = np.where(err("first_name_nickname"), kinds["nickname"], 0)
    first_typo_kind = np.array([kinds["transposition"], kinds["dropped"], kinds["doubled"], kinds["accent"], kinds["capitals"]])
    typo = first_typo_kind[pick(s.uniform(row_key, "pipeline.first.kind"), (4, 3, 1, 2, 1))]
    first_kind = np.where(err("first_name_typo"), available(first_table, first, typo), first_kind)
    first_shown = first_table.pick(first, first_kind, s.uniform(row_key, "pipeline.first.variant"))
    last_typo_kind = np.array([kinds["transposition"], kinds["dropped"], kinds["doubled"], kinds["accent"]])
    last_variant_kind = np.array([kinds["compound"], kinds["capitals"], kinds["accent"]])
    typo = last_typo_kind[pick(s.uniform(row_key, "pipeline.last.kind"), (4, 3, 1, 2))]
    last_kind = np.where(err("last_name_typo"), available(last_table, last, typo), 0)
    variant = last_variant_kind[pick(s.uniform(row_key, "pipeline.last.variant.kind"), (3, 1, 2))]
    variant = np.where(last_table.count[last, variant] > 0, variant, kinds["capitals"])
    last_kind = np.where(err("last_name_variant"), variant, last_kind)
    last_shown = last_table.pick(last, last_kind, s.uniform(row_key, "pipeline.last.variant"))

    shown_birth = _damaged_birth_dates(school, birth_day, row_key, err("birth_date_day_month_swapped"), err("birth_date_off"))
    birth_present = ~err("birth_date_missing")

    first_ascii = pa.array(nm.ascii_lower(tuple(n for n, _, _ in nm.FIRST_NAMES)))
    last_ascii = pa.array(nm.ascii_lower(nm.SURNAMES))
    domains = pa.array(nm.EMAIL_DOMAINS)
    true_email = pc.binary_join_element_wise(
        pc.take(first_ascii, pa.array(first)), ".", pc.take(last_ascii, pa.array(last)),
        pc.cast(pa.array(email_number), pa.string()), "@", pc.take(domains, pa.array(domain)), "",
    )
    other_domain = (domain + 1 + s.integers(row_key, "pipeline.email.other", 0, len(nm.EMAIL_DOMAINS) - 1)) % len(nm.EMAIL_DOMAINS)
    other_email = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(pc.take(first_ascii, pa.array(first)), 0, 1), pc.take(last_ascii, pa.array(last)),
        pc.cast(pa.array(people.birth_year % 100 + 100), pa.string()), "@", pc.take(domains, pa.array(other_domain)), "",
    )
    email = pc.if_else(pa.array(err("email_different")), other_email, true_email)
    email = pc.if_else(pa.array(err("email_missing")), pa.scalar(None, pa.string()), email)

    # School and ZIP as of the program year.
    audience = np.array([p.audience for p in PROGRAMS])[r.program]
    school_text = _school_names(school, people, audience, row_key)
    table = place_table()
    at_school_age = np.isin(audience, ["k12", "high_school"])
    zip_index = np.where(at_school_age, people.high_school_zip, people.residence_zip)
    other_zip = table.place_zip[table.in_state][pick(s.uniform(row_key, "pipeline.zip.other"), table.in_state_weight)]
    zip_index = np.where(err("zip_different"), other_zip, zip_index)
    unknown_geo = np.where(at_school_age, people.high_school_missing, people.residence_missing) == 3

    own_ids = np.array([p.own_ids for p in PROGRAMS])[r.program]
    roster_number = (person * 1_103_515_245 + r.program * 12_345) % (1 << 31)
    roster_id = pc.if_else(
        pa.array(own_ids),
        tb.person_ids(person),
        pc.binary_join_element_wise(
            pc.take(pa.array([p.program_id for p in PROGRAMS]), pa.array(r.program)), "-",
            pc.utf8_lpad(pc.cast(pa.array(roster_number), pa.string()), 10, "0"), "",
        ),
    )
    blank_demo = s.chance(row_key, "pipeline.demo.blank", 0.1)
    completed = pick(s.uniform(row_key, "pipeline.completed"), (0.85, 0.10, 0.05))
    yes_no = np.array([YES, NO, UNKNOWN])
    numbers = np.arange(first_number, first_number + n)

    participants = {
        "participant_id": tb.identifiers("R", numbers, 8),
        "program_id": tb.coded(r.program, [p.program_id for p in PROGRAMS]),
        "year": tb.integers(r.year),
        "roster_id": roster_id,
        "first_name": tb.coded(first_shown, first_table.values),
        "last_name": tb.coded(last_shown, last_table.values),
        "birth_date": tb.dates(shown_birth, birth_present),
        "email": email,
        "school": school_text,
        "zip": tb.coded(np.where(unknown_geo, -1, zip_index), table.zip_codes),
        "sex": tb.vocab(np.where(blank_demo, -1, people.sex), v.SEX),
        "hispanic": tb.vocab(np.where(blank_demo, -1, people.hispanic), v.YES_NO_UNKNOWN),
        "race": tb.coded(np.where(blank_demo, -1, people.race), dem.RACE_VALUES),
        "completed": tb.vocab(yes_no[completed], v.YES_NO_UNKNOWN),
    }
    links = {
        "participant_id": participants["participant_id"],
        "person_id": tb.identifiers("P", person, tb.PERSON_ID_WIDTH, present=r.applicant),
        "identity_id": tb.person_ids(person),
        "errors": _error_column(first_error, second_error, damaged, has_second),
        "true_first_name": tb.coded(first, first_table.values),
        "true_last_name": tb.coded(last, last_table.values),
        "true_birth_date": tb.dates(np.minimum(birth_day, school.window.as_of_day)),
        "true_email": true_email,
    }
    return participants, links


def _error_column(first: IntArray, second: IntArray, damaged: BoolArray, has_second: BoolArray) -> pa.Array:
    """The damage list of each row as text (``a;b``), from a dictionary of all pairs."""
    k = len(ERRORS)
    names = [name for name, _ in ERRORS]
    values = [""] + names + [f"{names[min(i, j)]};{names[max(i, j)]}" for i in range(k) for j in range(k)]
    pair = 1 + k + np.minimum(first, second) * k + np.maximum(first, second)
    code = np.where(has_second, pair, np.where(damaged, 1 + first, 0))
    return tb.coded(code, values)


def _month_and_day(day: IntArray) -> tuple[IntArray, IntArray]:
    d = np.asarray(day).astype("datetime64[D]")
    month_start = d.astype("datetime64[M]")
    month = (month_start - d.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    return month, (d - month_start.astype("datetime64[D]")).astype(np.int64) + 1


def _can_swap(day: IntArray) -> BoolArray:
    """Whether swapping day and month gives another valid date."""
    month, dom = _month_and_day(day)
    result: BoolArray = (dom <= 12) & (dom != month)
    return result


def _damaged_birth_dates(school: School, day: IntArray, key: IntArray, swapped: BoolArray, off: BoolArray) -> IntArray:
    s = school.streams
    year = day.astype("datetime64[D]").astype("datetime64[Y]")
    month, dom = _month_and_day(day)
    can_swap = (dom <= 12) & (dom != month)
    swapped_day = (year.astype("datetime64[M]") + (dom - 1)).astype("datetime64[D]") + (month - 1)
    result = np.where(swapped & can_swap, swapped_day.astype(np.int64), day)
    shift = np.where(s.chance(key, "pipeline.birth.off.year", 0.4), np.where(s.chance(key, "pipeline.birth.off.sign", 0.5), 365, -365), np.where(s.chance(key, "pipeline.birth.off.sign", 0.5), 1, -1))
    result = np.where(off, result + shift, result)
    return np.minimum(result, school.window.as_of_day)


def _school_names(school: School, people: People, audience: np.ndarray, key: IntArray) -> pa.Array:
    s = school.streams
    table = place_table()
    cities = sorted(set(table.city[: table.n_in_state]))
    values = [f"{c} Middle School" for c in cities] + [f"{c} High School" for c in cities] + [name for name, _ in COLLEGES]
    city_pos = {c: i for i, c in enumerate(cities)}
    place_city = np.array([city_pos.get(c, -1) for c in table.city])
    hs_city = place_city[people.high_school_place]
    college = 2 * len(cities) + pick(s.uniform(people.idx, "pipeline.college"), [wt for _, wt in COLLEGES])
    code = np.select(
        [(audience == "k12") & (hs_city >= 0), (audience == "high_school") & (hs_city >= 0), np.isin(audience, ["undergraduate", "post_baccalaureate"])],
        [hs_city, len(cities) + hs_city, college],
        -1,
    )
    code = np.where(s.chance(key, "pipeline.school.blank", 0.05), -1, code)
    return tb.coded(code, values)
