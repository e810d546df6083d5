"""Identity datasets of the synthetic school: each source system's ``person_id`` → linkage fields,
and the ground truth of how they differ.

What is made
------------
One file per restricted identity dataset of :data:`ristra.core.datasets.IDENTITY_DATASETS`, built
from the canonical files :func:`ristra.synth.generate` wrote (``person_id``, ``birth_year`` and the
residence ZIP are read back, so identities agree with the analytic rows), plus
``identity_truth.csv`` (:data:`TRUTH`, a ground-truth table for tests and benchmarks only).

* ``admissions_identities`` — every applicant (students are applicants): name as in AMCAS, date of
  birth, personal e-mail, residence ZIP, undergraduate institution, AAMC ID.
* ``gme_identities`` — every resident and fellow: name as the GME office holds it (more married
  names, preferred names), ERAS e-mail or an institutional one, medical school, AAMC ID, NPI.
* ``hr_identities`` — every employee: name as in HR, a work e-mail, NPI for faculty.

Consistency: a person's true name, birth date and personal e-mail are the same pure functions of
(seed, person index) that :mod:`ristra.synth.pipeline` uses for roster rows, so the true links from
``participant_links.csv`` hold against these files.

Difficulty (the differences real sources have)
----------------------------------------------
Women's surname changes (the spouse's surname or a hyphenated one; more often the older the person,
and more in GME and HR than in admissions; the earlier surname sometimes kept in
``former_last_name``); compound Hispanic surnames (paternal and maternal, with a space or a hyphen);
accents kept by one system and dropped by another; preferred names and nicknames from the packaged
English and Spanish nickname lists (:mod:`ristra.reference.given_names`); typos; day and month
swapped; missing e-mails, birth dates and ZIPs; and **siblings**: some roster people have a brother or
sister among the applicants, born the same year (twins: the same day), with the same surname, the
family's ZIP and the same e-mail address.

Truth
-----
``identity_truth.csv`` has one row per identity row (``dataset``, ``person_id``) and one per distinct
roster person (``dataset = participants``, ``person_id`` = the true person's identifier), with the
changes made (``changes``) and the subgroups the linkage quality is stated for (``subgroups``:
``hispanic_surname``, ``compound_surname``, ``surname_changed``, ``aian``, ``female``, ``sibling``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ristra.core.datasets import IDENTITY_DATASETS, Column, Dataset
from ristra.reference.given_names import nicknames_of
from ristra.synth import demography as dem
from ristra.synth import names as nm
from ristra.synth import tables as tb
from ristra.synth.cohorts import (
    APPLICANT,
    FACULTY_MEMBER,
    INDEX_BASE,
    PARTICIPANT,
    PHYSICIAN,
    STAFF_MEMBER,
    PersonRefs,
    School,
)
from ristra.synth.people import FEMALE
from ristra.synth.pipeline import COLLEGES
from ristra.synth.randomness import BoolArray, IntArray, pick

TRUTH = Dataset(
    name="identity_truth",
    row_is="the truth about one identity row or one roster person",
    key=("dataset", "person_id"),
    columns=(
        Column("dataset", "id", "The identity dataset of the row, or participants for a roster person.", required=True),
        Column("person_id", "id", "The person (for participants: the true person behind the roster rows).", required=True),
        Column("changes", "text", "What differs from the person's true linkage fields, separated by ';'."),
        Column("subgroups", "text", "Subgroups the linkage quality is stated for, separated by ';'."),
        Column("sibling_of", "id", "For a sibling planted among the applicants: the roster person's identifier."),
    ),
)

#: Per source: chance of a surname change for a woman (admissions: by age, see below), of keeping
#: the earlier surname, of a compound Hispanic surname, of an accent, of a nickname, of a typo.
_SOURCE = {
    "admissions_identities": {"married": 0.0, "former": 0.6, "compound": 0.25, "accent": 0.5, "nickname": 0.03, "typo": 0.02},
    "gme_identities": {"married": 0.3, "former": 0.4, "compound": 0.2, "accent": 0.3, "nickname": 0.12, "typo": 0.02},
    "hr_identities": {"married": 0.3, "former": 0.7, "compound": 0.2, "accent": 0.2, "nickname": 0.15, "typo": 0.02},
}
SIBLING_SHARE = 0.06
TWIN_SHARE = 0.3


def write_identities(school: School, paths: dict[str, Path], out_dir: Path) -> dict[str, Path]:
    """Write the three identity datasets and ``identity_truth.csv`` next to the canonical files
    in ``paths``; return ``{name: path}`` of what was written."""
    out = {name: out_dir / f"{name}.csv" for name in (*IDENTITY_DATASETS, TRUTH.name)}
    roster = _roster_people(paths)
    applicants = _people_of(paths["applications"], ("person_id", "birth_year", "residence_zip", "cycle"))
    siblings = _siblings(school, applicants, roster)
    reserved = _roster_emails(school, roster)
    truths: list[dict[str, pa.Array]] = []
    sources = {
        "admissions_identities": applicants,
        "gme_identities": _people_of(paths["trainees"], ("person_id", "birth_year", "residence_zip", "medical_school")),
        "hr_identities": _people_of(paths["employees"], ("person_id", "birth_year", "residence_zip", "employee_class")),
    }
    changed_admissions = np.zeros(0, dtype=np.int64)
    for name, people in sources.items():
        columns, truth, changed = _identity_columns(
            school, name, people, siblings if name == "admissions_identities" else None, reserved)
        if name == "admissions_identities":
            changed_admissions = changed
        with tb.DatasetCsvWriter(out[name], IDENTITY_DATASETS[name], quoting="needed") as writer:
            writer.write(columns)
        truths.append(truth)
    truths.append(_roster_truth(school, roster, changed_admissions))
    with tb.DatasetCsvWriter(out[TRUTH.name], TRUTH, quoting="needed") as writer:
        for truth in truths:
            writer.write(truth)
    return out


# -- reading back what generate() wrote -------------------------------------------------------------

def _idx(person_id: pa.Array) -> IntArray:
    return np.asarray(pc.cast(pc.utf8_slice_codeunits(person_id, 1), pa.int64()), dtype=np.int64)


def _people_of(path: Path, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """One entry per distinct person of a canonical file: index, birth year, ZIP, and the first
    value of any other column asked for (``cycle``: the earliest)."""
    convert = pacsv.ConvertOptions(include_columns=list(columns),
                                   column_types={c: pa.string() for c in columns if c not in ("birth_year", "cycle")})
    table = pacsv.read_csv(path, convert_options=convert)
    idx = _idx(table["person_id"].combine_chunks())
    order = np.argsort(idx, kind="stable")
    unique, first = np.unique(idx[order], return_index=True)
    rows = order[first]
    result: dict[str, np.ndarray] = {"idx": unique}
    for c in columns[1:]:
        values = table[c].combine_chunks().to_numpy(zero_copy_only=False)
        if c == "cycle":
            result[c] = np.minimum.reduceat(values[order].astype(np.int64), first)
        else:
            result[c] = values[rows]
    result["birth_year"] = np.where(_is_null(result["birth_year"]), 1990, result["birth_year"]).astype(np.int64)
    return result


def _is_null(values: np.ndarray) -> BoolArray:
    """Null test for a column read back from CSV (floats carry NaN, objects carry None)."""
    if values.dtype.kind == "f":
        return np.asarray(np.isnan(values), dtype=bool)
    return np.array([v is None for v in values], dtype=bool)


def _roster_people(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """Distinct roster persons: index, whether they applied, birth date (true), modal roster ZIP."""
    links = pacsv.read_csv(paths["participant_links"], convert_options=pacsv.ConvertOptions(
        include_columns=["identity_id", "person_id", "true_birth_date"], column_types={"true_birth_date": pa.date32()}))
    zips = pacsv.read_csv(paths["participants"], convert_options=pacsv.ConvertOptions(
        include_columns=["zip"], column_types={"zip": pa.string()}))["zip"].combine_chunks()
    idx = _idx(links["identity_id"].combine_chunks())
    unique, first = np.unique(idx, return_index=True)
    applied = np.asarray(pc.is_valid(links["person_id"].combine_chunks()))[first]
    birth = np.asarray(pc.cast(links["true_birth_date"].combine_chunks(), pa.int32()), dtype=np.int64)[first]
    return {"idx": unique, "applied": applied, "birth_day": birth,
            "zip": zips.to_numpy(zero_copy_only=False)[first]}


# -- true fields, shared with the rosters -----------------------------------------------------------

def _population(idx: IntArray) -> IntArray:
    return np.select(
        [idx >= INDEX_BASE[PARTICIPANT], idx >= INDEX_BASE[STAFF_MEMBER], idx >= INDEX_BASE[FACULTY_MEMBER],
         idx >= INDEX_BASE[PHYSICIAN]],
        [PARTICIPANT, STAFF_MEMBER, FACULTY_MEMBER, PHYSICIAN], APPLICANT,
    )


def _truth_of(school: School, idx: IntArray) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
    """True given name, surname (indices), census category and whether female, as the rosters have them."""
    people = school.people(PersonRefs(idx, _population(idx), np.full(idx.size, 2000, dtype=np.int64)))
    female = people.sex == FEMALE
    first, last = nm.true_names(school.streams, idx, people.category, female)
    return first, last, people.category, female


def _true_emails(school: School, idx: IntArray, first: IntArray, last: IntArray) -> np.ndarray:
    """The personal e-mail address, built as :mod:`ristra.synth.pipeline` builds it."""
    s = school.streams
    number = s.integers(idx, "pipeline.email", 10, 100)
    domain = s.integers(idx, "pipeline.domain", 0, len(nm.EMAIL_DOMAINS))
    first_ascii = np.array(nm.ascii_lower(tuple(n for n, _, _ in nm.FIRST_NAMES)), dtype=object)
    last_ascii = np.array(nm.ascii_lower(nm.SURNAMES), dtype=object)
    domains = np.array(nm.EMAIL_DOMAINS, dtype=object)
    emails: np.ndarray = (first_ascii[first] + "." + last_ascii[last] + number.astype(str).astype(object) + "@"
                          + domains[domain])
    return emails


def _true_birth_days(school: School, idx: IntArray, birth_year: IntArray) -> IntArray:
    days: IntArray = tb.year_start_days(birth_year) + school.streams.integers(idx, "pipeline.birth_day", 0, 365)
    return days


# -- siblings ---------------------------------------------------------------------------------------

def _siblings(school: School, applicants: dict[str, np.ndarray], roster: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For a share of roster persons, one applicant (not on a roster, born the same year) made their
    sibling: positions into ``applicants`` and the roster person's index, birth day, ZIP, twin flag."""
    s = school.streams
    chosen = np.flatnonzero(s.chance(roster["idx"], "identity.sibling", SIBLING_SHARE))
    on_roster = np.isin(applicants["idx"], roster["idx"])
    year = applicants["birth_year"]
    candidates = np.flatnonzero(~on_roster)
    by_year = candidates[np.argsort(year[candidates], kind="stable")]
    years_sorted = year[by_year]
    roster_year = tb.years_of(roster["birth_day"][chosen])
    low = np.searchsorted(years_sorted, roster_year, "left")
    high = np.searchsorted(years_sorted, roster_year, "right")
    has = high > low
    chosen, low, high = chosen[has], low[has], high[has]
    pos = by_year[low + np.floor(s.uniform(roster["idx"][chosen], "identity.sibling.pick") * (high - low)).astype(np.int64)]
    pos, keep = np.unique(pos, return_index=True)
    chosen = chosen[keep]
    return {"position": pos, "of": roster["idx"][chosen], "birth_day": roster["birth_day"][chosen],
            "zip": roster["zip"][chosen], "twin": s.chance(roster["idx"][chosen], "identity.twin", TWIN_SHARE)}


# -- one identity dataset ---------------------------------------------------------------------------

def _identity_columns(
    school: School, name: str, people: dict[str, np.ndarray], siblings: dict[str, np.ndarray] | None,
    reserved: dict[str, int],
) -> tuple[dict[str, pa.Array], dict[str, pa.Array], IntArray]:
    s = school.streams
    knobs = _SOURCE[name]
    idx = people["idx"]
    n = idx.size
    key = idx * 8 + list(_SOURCE).index(name)
    first, last, category, female = _truth_of(school, idx)
    changes: list[list[str]] = [[] for _ in range(n)]

    def note(mask: BoolArray, what: str) -> None:
        for i in np.flatnonzero(mask):
            changes[i].append(what)

    # Given name: legal, accented, a preferred nickname from the reference lists, or a typo.
    first_names = np.array([f for f, _, _ in nm.FIRST_NAMES], dtype=object)
    shown_first = first_names[first].copy()
    accent = s.chance(key, "identity.first.accent", knobs["accent"]) & np.isin(shown_first, list(nm.ACCENTED))
    shown_first[accent] = [nm.ACCENTED[f] for f in shown_first[accent]]
    nick_u = s.uniform(key, "identity.first.nickname.pick")
    nick = s.chance(key, "identity.first.nickname", knobs["nickname"])
    for i in np.flatnonzero(nick):
        options = nicknames_of(str(first_names[first[i]]))
        if options:
            shown_first[i] = options[int(nick_u[i] * len(options))].capitalize()
            changes[i].append("first_name_nickname")
    typo = s.chance(key, "identity.first.typo", knobs["typo"])
    table = nm.variant_table("first")
    kind = nm.VARIANT_KINDS.index("transposition")
    variant = table.pick(first, np.full(n, kind), s.uniform(key, "identity.first.typo.pick"))
    typo &= table.count[first, kind] > 0
    shown_first[typo] = np.array(table.values, dtype=object)[variant[typo]]
    note(typo, "first_name_typo")

    # Surname: compound Hispanic, a woman's married or hyphenated name, accents, typos.
    surnames = np.array(nm.SURNAMES, dtype=object)
    shown_last = surnames[last].copy()
    former = np.full(n, None, dtype=object)
    hispanic_surname = np.isin(shown_last, nm.HISPANIC_SURNAMES)
    compound = hispanic_surname & s.chance(key, "identity.compound", knobs["compound"])
    maternal = np.array(nm.HISPANIC_SURNAMES, dtype=object)[s.integers(idx, "identity.maternal", 0, len(nm.HISPANIC_SURNAMES))]
    compound &= maternal != shown_last
    joiner = np.where(s.chance(key, "identity.compound.hyphen", 0.3), "-", " ").astype(object)
    shown_last[compound] = shown_last[compound] + joiner[compound] + maternal[compound]
    note(compound, "compound_surname")
    if name == "admissions_identities":
        age = people["cycle"] - people["birth_year"]
        p_married = np.clip(0.05 + 0.04 * (age - 22), 0.05, 0.4)
    else:
        p_married = np.full(n, knobs["married"])
    married = female & s.chance(key, "identity.married", p_married)
    spouse = surnames[pick(s.uniform(idx, "identity.spouse"), np.ones(len(nm.SURNAMES)))]
    married &= spouse != surnames[last]
    hyphenated = married & s.chance(key, "identity.hyphenated", 0.45)
    keep_former = married & s.chance(key, "identity.former", knobs["former"])
    former[keep_former] = shown_last[keep_former]
    shown_last[married & ~hyphenated] = spouse[married & ~hyphenated]
    shown_last[hyphenated] = shown_last[hyphenated] + "-" + spouse[hyphenated]
    note(married & ~hyphenated, "surname_married")
    note(hyphenated, "surname_hyphenated")
    last_accent = s.chance(key, "identity.last.accent", knobs["accent"]) & np.isin(shown_last, list(nm.ACCENTED))
    shown_last[last_accent] = [nm.ACCENTED[x] for x in shown_last[last_accent]]

    # Birth date, e-mail, ZIP, school.
    birth_day = _true_birth_days(school, idx, people["birth_year"])
    email = _true_emails(school, idx, first, last)
    zip_code = people["residence_zip"].astype(object)
    sibling = np.zeros(n, dtype=bool)
    sibling_of = np.full(n, None, dtype=object)
    if siblings is not None and siblings["position"].size:
        sib_first, sib_last, _, _ = _truth_of(school, siblings["of"])
        pos = siblings["position"]
        differs = first_names[sib_first] != first_names[first[pos]]
        pos, of = pos[differs], siblings["of"][differs]
        shown_last[pos] = surnames[sib_last[differs]]
        email[pos] = _true_emails(school, of, sib_first[differs], sib_last[differs])
        zip_code[pos] = siblings["zip"][differs]
        twin = siblings["twin"][differs]
        birth_day[pos[twin]] = siblings["birth_day"][differs][twin]
        sibling[pos] = True
        sibling_of[pos] = np.array(tb.person_ids(of).to_pylist(), dtype=object)
        note(sibling, "sibling_of_participant")
    swap_ok = _can_swap(birth_day)
    swapped = s.chance(key, "identity.birth.swap", 0.01) & swap_ok
    birth_day = np.where(swapped, _swapped(birth_day), birth_day)
    note(swapped, "birth_date_day_month_swapped")
    birth_missing = s.chance(key, "identity.birth.missing", 0.005)
    note(birth_missing, "birth_date_missing")
    email = _source_email(school, name, key, idx, first, last, email, people)
    email = _unique_emails(email, idx, sibling, reserved)
    email_missing = s.chance(key, "identity.email.missing", 0.05 if name == "admissions_identities" else 0.02)
    email[email_missing] = None
    note(email_missing, "email_missing")

    columns: dict[str, pa.Array] = {
        "person_id": tb.person_ids(idx),
        "first_name": pa.array(shown_first.tolist(), type=pa.string()),
        "last_name": pa.array(shown_last.tolist(), type=pa.string()),
        "former_last_name": pa.array(former.tolist(), type=pa.string()),
        "birth_date": tb.dates(np.minimum(birth_day, school.window.as_of_day), ~birth_missing),
        "email": pa.array(email.tolist(), type=pa.string()),
        "zip": pa.array(zip_code.tolist(), type=pa.string()),
        "school": pa.array(_school(school, name, idx, people).tolist(), type=pa.string()),
    }
    if name != "hr_identities":
        columns["aamc_id"] = aamc_ids(idx)
    if name != "admissions_identities":
        clinician = np.ones(n, dtype=bool) if name == "gme_identities" else people["employee_class"] == "faculty"
        columns["npi"] = pc.if_else(pa.array(clinician), npi_numbers(idx), pa.scalar(None, pa.string()))
    subgroups = _subgroups(hispanic_surname | compound, compound, married, category == dem.AIAN, female, sibling)
    truth = {
        "dataset": pa.array([name] * n, type=pa.string()),
        "person_id": columns["person_id"],
        "changes": pa.array([";".join(c) or None for c in changes], type=pa.string()),
        "subgroups": subgroups,
        "sibling_of": pa.array(sibling_of.tolist(), type=pa.string()),
    }
    return columns, truth, idx[married]


def _unique_emails(email: np.ndarray, idx: IntArray, sibling: BoolArray, reserved: dict[str, int]) -> np.ndarray:
    """An address belongs to one person (a sibling's shared address excepted): where the generated
    address is another person's too (in this source or on a roster), the source holds a numbered one."""
    seen: dict[str, int] = dict(reserved)
    out = email.copy()
    for i in range(email.size):
        address = email[i]
        if address is None or sibling[i]:
            continue
        owner = seen.setdefault(address, int(idx[i]))
        if owner != int(idx[i]):
            user, _, domain = address.partition("@")
            out[i] = f"{user}.{int(idx[i]) % 100_000}@{domain}"
    return out


def _source_email(school: School, name: str, key: IntArray, idx: IntArray, first: IntArray, last: IntArray,
                  personal: np.ndarray, people: dict[str, np.ndarray]) -> np.ndarray:
    """Admissions mostly keep the personal address (some applicants made a newer one); GME holds
    the ERAS address or an institutional one; HR a work address."""
    s = school.streams
    first_ascii = np.array(nm.ascii_lower(tuple(n for n, _, _ in nm.FIRST_NAMES)), dtype=object)
    last_ascii = np.array(nm.ascii_lower(nm.SURNAMES), dtype=object)
    work = first_ascii[first] + "." + last_ascii[last] + "@salud.example.edu"
    email = personal.copy()
    if name == "admissions_identities":
        newer = s.chance(key, "identity.email.newer", 0.15)
        year = (people["birth_year"] % 100 + 100).astype(str).astype(object)
        email[newer] = (np.array([f[:1] for f in first_ascii[first]], dtype=object) + last_ascii[last] + year
                        + "@students.example.edu")[newer]
    else:
        institutional = s.chance(key, "identity.email.work", 0.5 if name == "gme_identities" else 0.85)
        email[institutional] = work[institutional]
    return email


def _school(school: School, name: str, idx: IntArray, people: dict[str, np.ndarray]) -> np.ndarray:
    if name == "admissions_identities":
        colleges = np.array([c for c, _ in COLLEGES], dtype=object)
        return colleges[pick(school.streams.uniform(idx, "pipeline.college"), [w for _, w in COLLEGES])]
    if name == "gme_identities":
        return people["medical_school"].astype(object)
    return np.full(idx.size, None, dtype=object)


def _subgroups(hispanic: BoolArray, compound: BoolArray, changed: BoolArray, aian: BoolArray, female: BoolArray,
               sibling: BoolArray) -> pa.Array:
    names = ("hispanic_surname", "compound_surname", "surname_changed", "aian", "female", "sibling")
    masks = np.stack([hispanic, compound, changed, aian, female, sibling], axis=1)
    return pa.array([";".join(n for n, m in zip(names, row, strict=True) if m) or None for row in masks], type=pa.string())


def _roster_emails(school: School, roster: dict[str, np.ndarray]) -> dict[str, int]:
    """Each roster person's personal address → the person (the first of any who share one)."""
    first, last, _, _ = _truth_of(school, roster["idx"])
    emails = _true_emails(school, roster["idx"], first, last)
    owners: dict[str, int] = {}
    for address, person in zip(emails.tolist(), roster["idx"].tolist(), strict=True):
        owners.setdefault(address, person)
    return owners


def _roster_truth(school: School, roster: dict[str, np.ndarray], changed_admissions: IntArray) -> dict[str, pa.Array]:
    """Subgroups of every roster person (from their true person and their admissions identity)."""
    idx = roster["idx"]
    _, last, category, female = _truth_of(school, idx)
    hispanic = np.isin(np.array(nm.SURNAMES, dtype=object)[last], nm.HISPANIC_SURNAMES)
    changed = np.isin(idx, changed_admissions)
    none = np.zeros(idx.size, dtype=bool)
    return {
        "dataset": pa.array(["participants"] * idx.size, type=pa.string()),
        "person_id": tb.person_ids(idx),
        "changes": pa.array([None] * idx.size, type=pa.string()),
        "subgroups": _subgroups(hispanic, none, changed, category == dem.AIAN, female, none),
        "sibling_of": pa.array([None] * idx.size, type=pa.string()),
    }


# -- dates and identifiers --------------------------------------------------------------------------

def _month_day(day: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    d = np.asarray(day).astype("datetime64[D]")
    year = d.astype("datetime64[Y]")
    month = (d.astype("datetime64[M]") - year.astype("datetime64[M]")).astype(np.int64) + 1
    dom = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return year.astype(np.int64) + 1970, month, dom


def _can_swap(day: IntArray) -> BoolArray:
    _, month, dom = _month_day(day)
    result: BoolArray = (dom <= 12) & (dom != month)
    return result


def _swapped(day: IntArray) -> IntArray:
    year, month, dom = _month_day(day)
    ok = (dom <= 12)
    swapped = ((year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (np.where(ok, dom, month) - 1)).astype(
        "datetime64[D]") + (np.where(ok, month, dom) - 1)
    return np.asarray(swapped.astype(np.int64), dtype=np.int64)


_AAMC_MULTIPLIER = 2_654_435_761  # odd and coprime with 90,000,000, so the map below is one-to-one


def aamc_ids(idx: IntArray) -> pa.Array:
    """An eight-digit AAMC ID per person, one-to-one on person indices below 90 million."""
    number = 10_000_000 + (np.asarray(idx, dtype=np.int64) * _AAMC_MULTIPLIER) % 90_000_000
    return pa.array(number.astype(str).tolist(), type=pa.string())


def npi_numbers(idx: IntArray) -> pa.Array:
    """A ten-digit NPI per person: nine digits and the Luhn check digit computed with the ``80840``
    prefix (the NPI standard), so every number passes the NPI check."""
    body = 100_000_000 + (np.asarray(idx, dtype=np.int64) * 48_271 + 12_345) % 900_000_000
    digits = body.astype(str)
    out = []
    for d in digits.tolist():
        total = 24  # the constant contribution of the 80840 prefix (NPI standard)
        for i, ch in enumerate(reversed(d)):
            k = int(ch) * (2 if i % 2 == 0 else 1)
            total += k - 9 if k > 9 else k
        out.append(d + str((10 - total % 10) % 10))
    return pa.array(out, type=pa.string())
