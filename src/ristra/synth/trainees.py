"""Residents and fellows: one row per training appointment.

Each accredited program takes a class every 1 July (positions per year at the default size, scaled
with the school's size). Residency classes are filled first by the school's own new MD graduates
who stay (``own_graduates_in_residency`` of each graduating class, same ``person_id`` as their
application), then by graduates of other schools. About a third of fellows are the school's own
residents finishing the feeder residency that June. Appointments start from seven years before the
workforce window, and those that ended before the window opened are dropped (as a source system
would have purged them). Most complete on schedule (5 % extend 6–12 months); ``trainee_attrition_rate``
leave early (withdrawn, dismissed or transferred). Appointments still running at the end of the
last cycle are ``active`` (a few on ``leave``) with no end date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ristra.core import vocabularies as v
from ristra.synth import tables as tb
from ristra.synth.cohorts import INDEX_BASE, PHYSICIAN, PersonRefs, School
from ristra.synth.randomness import IntArray, pick

#: (program, specialty, kind, years, positions a year at the default size, feeder specialty)
PROGRAMS: tuple[tuple[str, str, str, int, float, str], ...] = (
    ("Internal Medicine Residency", "Internal Medicine", "residency", 3, 26, ""),
    ("Family Medicine Residency", "Family Medicine", "residency", 3, 14, ""),
    ("Pediatrics Residency", "Pediatrics", "residency", 3, 14, ""),
    ("General Surgery Residency", "Surgery", "residency", 5, 7, ""),
    ("Psychiatry Residency", "Psychiatry", "residency", 4, 10, ""),
    ("Emergency Medicine Residency", "Emergency Medicine", "residency", 3, 12, ""),
    ("Obstetrics and Gynecology Residency", "Obstetrics and Gynecology", "residency", 4, 7, ""),
    ("Anesthesiology Residency", "Anesthesiology", "residency", 4, 10, ""),
    ("Diagnostic Radiology Residency", "Radiology", "residency", 5, 7, ""),
    ("Neurology Residency", "Neurology", "residency", 4, 6, ""),
    ("Orthopaedic Surgery Residency", "Orthopaedic Surgery", "residency", 5, 5, ""),
    ("Pathology Residency", "Pathology", "residency", 4, 4, ""),
    ("Dermatology Residency", "Dermatology", "residency", 3, 3, ""),
    ("Ophthalmology Residency", "Ophthalmology", "residency", 3, 3, ""),
    ("Neurological Surgery Residency", "Neurological Surgery", "residency", 7, 2, ""),
    ("Cardiovascular Disease Fellowship", "Cardiology", "fellowship", 3, 3, "Internal Medicine"),
    ("Gastroenterology Fellowship", "Gastroenterology", "fellowship", 3, 2, "Internal Medicine"),
    ("Pulmonary and Critical Care Medicine Fellowship", "Pulmonary and Critical Care Medicine", "fellowship", 3, 2, "Internal Medicine"),
    ("Hematology and Oncology Fellowship", "Hematology and Oncology", "fellowship", 3, 2, "Internal Medicine"),
    ("Infectious Diseases Fellowship", "Infectious Diseases", "fellowship", 2, 2, "Internal Medicine"),
    ("Neonatal-Perinatal Medicine Fellowship", "Neonatology", "fellowship", 3, 1, "Pediatrics"),
    ("Child and Adolescent Psychiatry Fellowship", "Child and Adolescent Psychiatry", "fellowship", 2, 3, "Psychiatry"),
    ("Addiction Medicine Fellowship", "Addiction Medicine", "fellowship", 1, 2, "Family Medicine"),
    ("Sports Medicine Fellowship", "Sports Medicine", "fellowship", 1, 2, "Family Medicine"),
)

#: Medical schools of trainees from elsewhere: (name, state — empty for schools abroad, weight).
OTHER_SCHOOLS: tuple[tuple[str, str, float], ...] = (
    ("Burrell College of Osteopathic Medicine", "NM", 3.0),
    ("University of Arizona College of Medicine - Tucson", "AZ", 3.0),
    ("University of Arizona College of Medicine - Phoenix", "AZ", 2.0),
    ("University of Colorado School of Medicine", "CO", 3.0),
    ("Rocky Vista University College of Osteopathic Medicine", "CO", 2.0),
    ("Texas Tech University Health Sciences Center School of Medicine", "TX", 3.0),
    ("Texas Tech University Health Sciences Center Paul L. Foster School of Medicine", "TX", 2.5),
    ("Baylor College of Medicine", "TX", 1.5),
    ("University of Texas Medical Branch School of Medicine", "TX", 1.5),
    ("University of Utah School of Medicine", "UT", 1.5),
    ("University of Oklahoma College of Medicine", "OK", 1.5),
    ("Creighton University School of Medicine", "NE", 1.5),
    ("University of Washington School of Medicine", "WA", 1.0),
    ("Loma Linda University School of Medicine", "CA", 1.0),
    ("Saint Louis University School of Medicine", "MO", 1.0),
    ("Tulane University School of Medicine", "LA", 1.0),
    ("A.T. Still University School of Osteopathic Medicine in Arizona", "AZ", 1.5),
    ("Universidad Autonoma de Guadalajara Facultad de Medicina", "", 1.5),
    ("St. George's University School of Medicine", "", 2.0),
    ("Ross University School of Medicine", "", 1.5),
)

ACTIVE, COMPLETED, WITHDRAWN, DISMISSED, TRANSFERRED, LEAVE = (
    v.TRAINEE_STATUS.codes.index(c) for c in ("active", "completed", "withdrawn", "dismissed", "transferred", "leave")
)


_KIND_RESIDENCY, _KIND_FELLOWSHIP = v.TRAINEE_KIND.codes.index("residency"), v.TRAINEE_KIND.codes.index("fellowship")


@dataclass(frozen=True)
class Appointments:
    """Training appointments as aligned arrays (before they are written)."""

    refs: PersonRefs
    program: IntArray
    start_day: IntArray
    end_day: IntArray
    status: IntArray
    school: IntArray  # index into the school list (0 = this school)

    def __len__(self) -> int:
        return len(self.refs)

    def completed(self) -> Appointments:
        """The appointments completed by the end of the last cycle."""
        return _take(self, np.flatnonzero(self.status == COMPLETED))

    @staticmethod
    def concat(parts: list[Appointments]) -> Appointments:
        """Appointments of several parts, in order."""
        return _concat(parts)


def _concat(parts: list[Appointments]) -> Appointments:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Appointments(PersonRefs.concat([]), empty, empty, empty, empty, empty)
    return Appointments(
        PersonRefs.concat([p.refs for p in parts]),
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("program", "start_day", "end_day", "status", "school")),
    )


_LENGTH = np.array([p[3] for p in PROGRAMS], dtype=np.int64)
_RESIDENCY = np.array([p[2] == "residency" for p in PROGRAMS])
_FEEDERS = {f: np.flatnonzero([q[1] == p[5] for q in PROGRAMS]) for f, p in enumerate(PROGRAMS) if p[5]}
INTERNAL_FELLOW_SHARE = 0.35


def appointments(
    school: School, graduates_refs: PersonRefs, graduation_day: IntArray, chunk_size: int
) -> Iterator[Appointments]:
    """Every training appointment, ordered by start date then program, in chunks of whole start
    years (a chunk is yielded once it holds at least half of ``chunk_size`` appointments)."""
    s = school.streams
    c = school.config
    w = school.window
    positions = np.array([p[4] for p in PROGRAMS])
    residency_rows = np.flatnonzero(_RESIDENCY)
    next_outside = INDEX_BASE[PHYSICIAN]
    grad_year = tb.years_of(graduation_day)
    buffered: list[Appointments] = []
    pending = 0
    finishing: dict[int, list[Appointments]] = {}

    for year in range(w.workforce_start_year - 7, w.last_cycle + 1):
        slots = school.scaled_counts(positions, year * 100 + np.arange(len(PROGRAMS)), "trainee.slots")
        # The school's own new graduates who stay for residency this July.
        stay = (grad_year == year) & s.chance(graduates_refs.idx, "trainee.own", c.own_graduates_in_residency)
        own = graduates_refs.take(stay)
        own_program = residency_rows[pick(s.uniform(own.idx, "trainee.own.program"), positions[residency_rows])]
        own_program, own = _fit(own_program, own, slots)
        slots = slots - np.bincount(own_program, minlength=len(PROGRAMS))
        groups = [(own, own_program, np.zeros(len(own), dtype=np.int64))]
        # Fellows from the school's own residents finishing a feeder residency this June.
        done = _concat(finishing.pop(year)) if year in finishing else None
        taken = np.zeros(0, dtype=np.int64)
        for f, feeder in _FEEDERS.items():
            if done is None or slots[f] <= 0:
                continue
            pool = np.flatnonzero(np.isin(done.program, feeder) & ~np.isin(done.refs.idx, taken))
            want = int(school.scaled_counts(np.array([positions[f] * INTERNAL_FELLOW_SHARE]), np.array([year * 100 + f]), "trainee.internal")[0])
            take = min(want, int(slots[f]), pool.size)
            if take == 0:
                continue
            chosen = pool[np.argsort(s.bits(done.refs.idx[pool], f"trainee.fellow.{year}"), kind="stable")[:take]]
            taken = np.concatenate([taken, done.refs.idx[chosen]])
            groups.append((done.refs.take(chosen), np.full(take, f, dtype=np.int64), done.school[chosen]))
            slots[f] -= take
        # Everyone else graduated from another school.
        outside_program = np.repeat(np.arange(len(PROGRAMS)), np.maximum(slots, 0))
        outside_idx = np.arange(next_outside, next_outside + outside_program.size, dtype=np.int64)
        next_outside += outside_program.size
        outside_school = 1 + pick(s.uniform(outside_idx, "trainee.school"), [o[2] for o in OTHER_SCHOOLS])
        groups.append((PersonRefs.of(outside_idx, PHYSICIAN, year - 1), outside_program, outside_school))

        batch = _outcomes(
            school,
            PersonRefs.concat([g[0] for g in groups]),
            np.concatenate([g[1] for g in groups]).astype(np.int64),
            tb.day_number(year, 7, 1),
            np.concatenate([g[2] for g in groups]).astype(np.int64),
        )
        ended = (batch.status == COMPLETED) & _RESIDENCY[batch.program]
        for end_year in np.unique(tb.years_of(batch.end_day[ended])):
            finishing.setdefault(int(end_year), []).append(_take(batch, ended & (tb.years_of(batch.end_day) == end_year)))
        # Appointments that ended before the window opened are not in the source system.
        keep = np.flatnonzero((batch.end_day < 0) | (batch.end_day >= w.start_day))
        keep = keep[np.lexsort((batch.refs.idx[keep], batch.program[keep]))]
        buffered.append(_take(batch, keep))
        pending += keep.size
        if pending >= chunk_size // 2 or year == w.last_cycle:
            yield _concat(buffered)
            buffered, pending = [], 0


def _take(a: Appointments, rows: np.ndarray) -> Appointments:
    return Appointments(a.refs.take(rows), a.program[rows], a.start_day[rows], a.end_day[rows], a.status[rows], a.school[rows])


def _fit(program: IntArray, refs: PersonRefs, slots: IntArray) -> tuple[IntArray, PersonRefs]:
    """Drop own graduates beyond a program's positions (they matched elsewhere)."""
    order = np.argsort(program, kind="stable")
    program, refs = program[order], refs.take(order)
    rank = np.arange(program.size) - np.searchsorted(program, program)
    keep = rank < slots[program]
    return program[keep], refs.take(keep)


def _outcomes(school: School, refs: PersonRefs, program: IntArray, start: int, school_idx: IntArray) -> Appointments:
    s = school.streams
    c = school.config
    key = refs.idx * 128 + (start // 365) % 128
    length = _LENGTH[program]
    planned_end = tb.year_start_days(tb.years_of(np.full(program.size, start)) + length) + 180  # ~30 June
    extension = s.chance(key, "trainee.extend", 0.05) * np.where(s.chance(key, "trainee.extend.long", 0.5), 365, 182)
    planned_end = planned_end + extension
    leaves = s.chance(key, "trainee.exit", c.trainee_attrition_rate)
    exit_day = start + s.integers(key, "trainee.exit.day", 60, np.maximum(length * 365 - 30, 61))
    exit_kind = np.array([WITHDRAWN, DISMISSED, TRANSFERRED])[pick(s.uniform(key, "trainee.exit.kind"), (0.55, 0.15, 0.30))]
    as_of = school.window.as_of_day
    exited = leaves & (exit_day <= as_of)
    completed = ~leaves & (planned_end <= as_of)
    running = ~exited & ~completed
    on_leave = running & s.chance(key, "trainee.leave", 0.02)
    status = np.select([exited, completed, on_leave], [exit_kind, COMPLETED, LEAVE], ACTIVE)
    end_day = np.where(exited, exit_day, np.where(completed, planned_end, -1))
    return Appointments(refs, program, np.full(program.size, start, dtype=np.int64), end_day, status, school_idx)


def trainee_columns(school: School, a: Appointments, first_number: int) -> dict[str, pa.Array]:
    """Canonical columns of a slice of appointments numbered from ``first_number``."""
    people = school.people(a.refs)
    names = [school.config.school_name] + [o[0] for o in OTHER_SCHOOLS]
    states = ["NM"] + [o[1] for o in OTHER_SCHOOLS]
    state_values = sorted({x for x in states if x})
    state_idx = np.array([state_values.index(x) if x else -1 for x in states])
    school_idx = a.school
    columns = {"appointment_id": tb.identifiers("T", np.arange(first_number, first_number + len(a)), 7)}
    columns.update(tb.demographic_columns(people))
    columns.update(
        {
            "program": tb.coded(a.program, [p[0] for p in PROGRAMS]),
            "specialty": tb.coded(a.program, [p[1] for p in PROGRAMS]),
            "kind": tb.vocab(np.where(_RESIDENCY[a.program], _KIND_RESIDENCY, _KIND_FELLOWSHIP), v.TRAINEE_KIND),
            "start_date": tb.dates(a.start_day),
            "end_date": tb.dates(np.maximum(a.end_day, 0), a.end_day >= 0),
            "status": tb.vocab(a.status, v.TRAINEE_STATUS),
            "medical_school": tb.coded(school_idx, names),
            "medical_school_state": tb.coded(state_idx[school_idx], state_values),
        }
    )
    return columns
