"""Faculty and staff appointments (``employees``) and their history (``employee_events``).

Appointments are hired every year from 35 years before the workforce window to the end of the last
cycle, at the rate that keeps the configured headcount steady; those that ended before the window
opened are dropped, so the window starts with a stock of people hired long before it (left
truncation for survival analyses). A few of the school's own residents and fellows join the
faculty after training (same ``person_id``).

Each appointment leaves at an exponential time with the annual rate ``faculty_separation_rate``
(staff: ``staff_separation_rate``) times the group multipliers of ``faculty_retention`` (rescaled so
the mean rate stays as configured), or retires at 65–72; reasons follow from age and chance.
Faculty climb instructor → assistant → associate → professor: a minimum wait (1 year for
instructors, 5 otherwise) then an exponential wait with the rate ``promotion_rate`` times the
``promotion`` multipliers. Associate professors and professors may take a leadership role
(``leadership_rate`` times the ``leadership`` multipliers); deans' roles make one senior
administrative. Staff have rank ``none``; a few are senior administrative staff (directors).

Events: a ``hire`` per appointment (``to_rank`` = starting rank), a ``promotion`` per step
(``from_rank`` → ``to_rank``), an ``appointment`` per leadership role (``role``), a ``separation``
matching ``separation_date`` (``from_rank`` = rank held). Nothing is dated after the end of the
last cycle; an appointment's ``rank`` is the rank it ended with (or holds now).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ristra.core import vocabularies as v
from ristra.synth import tables as tb
from ristra.synth.cohorts import FACULTY_MEMBER, INDEX_BASE, STAFF_MEMBER, PersonRefs, School
from ristra.synth.people import People, multiplier
from ristra.synth.randomness import BoolArray, FloatArray, IntArray, pick
from ristra.synth.trainees import COMPLETED, Appointments

FACULTY_DEPARTMENTS: tuple[tuple[str, float], ...] = (
    ("Internal Medicine", 22),
    ("Pediatrics", 11),
    ("Surgery", 7),
    ("Family and Community Medicine", 7),
    ("Psychiatry and Behavioral Sciences", 7),
    ("Emergency Medicine", 6),
    ("Anesthesiology and Critical Care Medicine", 6),
    ("Obstetrics and Gynecology", 4),
    ("Radiology", 4),
    ("Neurology", 3),
    ("Pathology", 4),
    ("Orthopaedics and Rehabilitation", 3),
    ("Dermatology", 1),
    ("Ophthalmology", 1),
    ("Neurosurgery", 1),
    ("Biochemistry and Molecular Biology", 3),
    ("Molecular Genetics and Microbiology", 3),
    ("Cell Biology and Physiology", 2),
    ("Neurosciences", 2),
    ("Office of the Dean", 1),
)
STAFF_DEPARTMENTS: tuple[tuple[str, float], ...] = (
    *((name, weight) for name, weight in FACULTY_DEPARTMENTS if name != "Office of the Dean"),
    ("Office of the Dean", 4),
    ("Office of Medical Education", 4),
    ("Graduate Medical Education", 3),
    ("Office for Diversity and Inclusion", 1),
    ("Research Administration", 4),
    ("Finance and Administration", 5),
    ("Information Technology", 4),
    ("Admissions and Student Affairs", 3),
)
DEPARTMENTS: tuple[str, ...] = tuple(sorted({d for d, _ in FACULTY_DEPARTMENTS + STAFF_DEPARTMENTS}))

RANKS = v.RANK.codes
INSTRUCTOR, ASSISTANT, ASSOCIATE, PROFESSOR, LECTURER, NO_RANK = (
    RANKS.index(r) for r in ("instructor", "assistant_professor", "associate_professor", "professor", "lecturer", "none")
)
_LADDER_NEXT = {INSTRUCTOR: ASSISTANT, ASSISTANT: ASSOCIATE, ASSOCIATE: PROFESSOR}
_NEXT_RANK = np.array([_LADDER_NEXT.get(r, -1) for r in range(len(RANKS))], dtype=np.int64)
ROLES = v.LEADERSHIP_ROLE.codes
_FACULTY_ROLES = (
    ("division_chief", 0.40),
    ("director", 0.30),
    ("vice_chair", 0.12),
    ("chair", 0.09),
    ("assistant_dean", 0.05),
    ("associate_dean", 0.035),
    ("dean", 0.005),
)
_ROLE_CODES = np.array([ROLES.index(r) for r, _ in _FACULTY_ROLES])
_DEANS = np.array([ROLES.index(r) for r in ("dean", "associate_dean", "assistant_dean")])
NO_ROLE = ROLES.index("none")
HIRE, PROMOTION, APPOINTMENT, SEPARATION = (v.EMPLOYEE_EVENT.codes.index(e) for e in ("hire", "promotion", "appointment", "separation"))
REASONS = v.SEPARATION_REASON.codes
_EARLY_REASONS = (
    ("resignation_other_institution", 0.45),
    ("resignation_personal", 0.28),
    ("non_renewal", 0.10),
    ("termination", 0.03),
    ("death", 0.01),
    ("other", 0.06),
    ("unknown", 0.07),
)
_EARLY_CODES = np.array([REASONS.index(r) for r, _ in _EARLY_REASONS])
RETIREMENT = REASONS.index("retirement")
YEAR = 365.25
HISTORY_YEARS = 35
_OWN_TRAINEE_HIRE = 0.10


@dataclass(frozen=True)
class Hires:
    """Appointment skeletons, in hire-date order: who and when, and faculty or staff."""

    refs: PersonRefs
    hire_day: IntArray
    faculty: BoolArray
    own_trainee: BoolArray

    def __len__(self) -> int:
        return len(self.refs)

    def slice_rows(self, rows: IntArray) -> Hires:
        """The hires at ``rows``."""
        return Hires(self.refs.take(rows), self.hire_day[rows], self.faculty[rows], self.own_trainee[rows])


def _annual_hires(headcount: float, rate: float) -> float:
    """Hires a year that keep ``headcount`` steady with separation ``rate`` and a ~31-year career cap."""
    return float(headcount * rate / (1 - np.exp(-rate * 31)))


def _concat_hires(parts: list[Hires]) -> Hires:
    return Hires(
        PersonRefs.concat([p.refs for p in parts]),
        np.concatenate([p.hire_day for p in parts]),
        np.concatenate([p.faculty for p in parts]),
        np.concatenate([p.own_trainee for p in parts]),
    )


def _own_trainee_hires(school: School, trainees: Appointments) -> Hires:
    """The school's own residents and fellows who join the faculty after their last appointment."""
    s = school.streams
    done = trainees.status == COMPLETED
    order = np.argsort(-trainees.end_day, kind="stable")
    order = order[done[order]]
    _, first_of_person = np.unique(trainees.refs.idx[order], return_index=True)
    latest = order[np.sort(first_of_person)]
    stay = latest[s.chance(trainees.refs.idx[latest], "workforce.own_trainee", _OWN_TRAINEE_HIRE)]
    day = trainees.end_day[stay] + s.integers(trainees.refs.idx[stay], "workforce.own_trainee.day", 1, 90)
    ok = day <= school.window.as_of_day
    stay, day = stay[ok], day[ok]
    return Hires(trainees.refs.take(stay), day, np.ones(stay.size, bool), np.ones(stay.size, bool))


def hires(school: School, trainees: Appointments) -> Iterator[Hires]:
    """Every appointment ever hired that can reach into the window, one hire year at a time, in
    (hire date, person) order; separation is not decided yet. Hires run from
    :data:`HISTORY_YEARS` before the window to the end of the last cycle at the rate that keeps
    the headcounts steady."""
    s = school.streams
    c = school.config
    w = school.window
    own = _own_trainee_hires(school, trainees)
    own_year = tb.years_of(own.hire_day)
    next_idx = {FACULTY_MEMBER: INDEX_BASE[FACULTY_MEMBER], STAFF_MEMBER: INDEX_BASE[STAFF_MEMBER]}
    streams = (
        (FACULTY_MEMBER, _annual_hires(c.faculty_headcount, c.faculty_separation_rate), True),
        (STAFF_MEMBER, _annual_hires(c.staff_headcount, c.staff_separation_rate), False),
    )
    for year in range(w.workforce_start_year - HISTORY_YEARS, w.last_cycle + 1):
        parts = [own.slice_rows(np.flatnonzero(own_year == year))]
        for population, per_year, faculty in streams:
            count = int(school.scaled_counts(np.array([per_year]), np.array([year * 10 + population]), "workforce.hires")[0])
            idx = next_idx[population] + np.arange(count, dtype=np.int64)
            next_idx[population] += count
            july = s.chance(idx, "workforce.july", 0.4)
            day = tb.year_start_days(np.full(count, year)) + np.where(july, 181, s.integers(idx, "workforce.day", 0, 365))
            parts.append(Hires(PersonRefs.of(idx, population, year), day, np.full(count, faculty), np.zeros(count, bool)))
        batch = _concat_hires(parts)
        order = np.lexsort((batch.refs.idx, batch.hire_day))
        order = order[batch.hire_day[order] <= w.as_of_day]
        yield batch.slice_rows(order)


@dataclass(frozen=True)
class Careers:
    """Outcomes of a slice of appointments."""

    keep: BoolArray
    start_rank: IntArray
    final_rank: IntArray
    track: IntArray
    department: IntArray
    role: IntArray
    role_day: IntArray
    separated: BoolArray
    separation_day: IntArray
    reason: IntArray
    fte: FloatArray
    promotions: list[tuple[BoolArray, IntArray, IntArray, IntArray]]  # (happened, day, from, to)



def careers(school: School, h: Hires, people_multipliers: dict[str, FloatArray]) -> Careers:
    """Separation, promotions and leadership of each appointment in ``h``."""
    s = school.streams
    c = school.config
    w = school.window
    key = h.refs.idx * 4 + 1
    fac = h.faculty

    start_rank = np.array([LECTURER, INSTRUCTOR, ASSISTANT, ASSOCIATE, PROFESSOR])[
        pick(s.uniform(key, "workforce.rank"), (0.03, 0.12, 0.62, 0.15, 0.08))
    ]
    start_rank = np.where(h.own_trainee, np.where(s.chance(key, "workforce.rank.own", 0.3), INSTRUCTOR, ASSISTANT), start_rank)
    start_rank = np.where(fac, start_rank, NO_RANK)
    track = np.array([v.TRACK.codes.index(t) for t in ("tenure", "clinician_educator", "research")])[
        pick(s.uniform(key, "workforce.track"), (0.25, 0.60, 0.15))
    ]
    track = np.where((start_rank == LECTURER) | (start_rank == INSTRUCTOR), v.TRACK.codes.index("clinician_educator"), track)
    track = np.where(fac, track, v.TRACK.codes.index("none"))
    fac_dept = np.array([DEPARTMENTS.index(d) for d, _ in FACULTY_DEPARTMENTS])[
        pick(s.uniform(key, "workforce.dept"), [wt for _, wt in FACULTY_DEPARTMENTS])
    ]
    staff_dept = np.array([DEPARTMENTS.index(d) for d, _ in STAFF_DEPARTMENTS])[
        pick(s.uniform(key, "workforce.dept"), [wt for _, wt in STAFF_DEPARTMENTS])
    ]
    department = np.where(fac, fac_dept, staff_dept)

    # Separation: exponential hazard with group multipliers, or retirement.
    rate = np.where(fac, c.faculty_separation_rate * people_multipliers["retention"], c.staff_separation_rate)
    leave_after = -np.log1p(-s.uniform(key, "workforce.separation")) / rate * YEAR
    age_at_hire = people_multipliers["age_at_hire"]
    retire_age = 65 + s.integers(key, "workforce.retire_age", 0, 8)
    retire_after = np.maximum(retire_age - age_at_hire, 1) * YEAR
    retires = retire_after < leave_after
    separation_day = h.hire_day + np.minimum(leave_after, retire_after).astype(np.int64) + 1
    separated = separation_day <= w.as_of_day
    keep = separation_day >= w.start_day
    age_at_separation = age_at_hire + (separation_day - h.hire_day) / YEAR
    early = _EARLY_CODES[pick(s.uniform(key, "workforce.reason"), [p for _, p in _EARLY_REASONS])]
    old_retires = (age_at_separation >= 62) & s.chance(key, "workforce.reason.old", 0.6)
    reason = np.where(retires | old_retires, RETIREMENT, early)
    end_day = np.where(separated, separation_day, w.as_of_day + 1)

    # Promotions along the ladder.
    promo_rate = c.promotion_rate * people_multipliers["promotion"]
    rank = start_rank.copy()
    day = h.hire_day.astype(np.float64)
    reached_associate = np.where(start_rank >= ASSOCIATE, h.hire_day, -1).astype(np.float64)
    reached_associate = np.where(start_rank == PROFESSOR, h.hire_day, reached_associate)
    promotions = []
    for step in range(3):
        nxt = _NEXT_RANK[rank]
        minimum = np.where(rank == INSTRUCTOR, 1.0, 5.0)
        wait = (minimum - np.log1p(-s.uniform(key, f"workforce.promotion.{step}")) / promo_rate) * YEAR
        when = day + wait
        happens = fac & (nxt >= 0) & (when < end_day)
        promotions.append((happens, when.astype(np.int64), rank.copy(), np.where(happens, nxt, rank)))
        reached_associate = np.where(happens & (nxt == ASSOCIATE), when, reached_associate)
        rank = np.where(happens, nxt, rank)
        day = np.where(happens, when, day)

    # Leadership.
    lead_p = np.minimum(c.leadership_rate * people_multipliers["leadership"], 0.9)
    lead = fac & (reached_associate >= 0) & s.chance(key, "workforce.lead", lead_p)
    role_day = (np.maximum(reached_associate, h.hire_day) + s.integers(key, "workforce.lead.day", 180, 6 * 365)).astype(np.int64)
    lead &= role_day < end_day
    role = np.where(lead, _ROLE_CODES[pick(s.uniform(key, "workforce.role"), [p for _, p in _FACULTY_ROLES])], NO_ROLE)
    senior_staff = ~fac & s.chance(key, "workforce.senior", 0.04)
    staff_day = h.hire_day + s.integers(key, "workforce.senior.day", 0, 3 * 365)
    senior_staff &= staff_day < end_day
    role = np.where(senior_staff, ROLES.index("director"), role)
    role_day = np.where(senior_staff, staff_day, role_day)

    fte = np.array([1.0, 0.9, 0.8, 0.6, 0.5])[pick(s.uniform(key, "workforce.fte"), (0.80, 0.05, 0.08, 0.04, 0.03))]
    return Careers(keep, start_rank, rank, track, department, role, role_day, separated, separation_day, reason, fte, promotions)


def workforce_chunks(
    school: School, trainees: Appointments, chunk_size: int
) -> Iterator[tuple[dict[str, pa.Array], dict[str, pa.Array]]]:
    """Chunks of (employee columns, employee event columns), in hire order.

    Small hire years are gathered and large ones split so that each chunk considers at most half
    of ``chunk_size`` hires (an appointment row carries its events and career arrays, so half a
    chunk of appointments costs about what a chunk of applications does): memory is bounded by
    the chunk size, not by the number of rows."""
    c = school.config
    retention_mean = _mean_faculty_retention(school)
    limit = max(1, chunk_size // 2)
    appointment_number = 1
    event_number = 1
    for part in _chunks_of_hires(hires(school, trainees), limit):
        people = school.people(part.refs)
        m = {
            "retention": multiplier(people, c.faculty_retention) / retention_mean,
            "promotion": multiplier(people, c.promotion),
            "leadership": multiplier(people, c.leadership),
            "age_at_hire": (tb.years_of(part.hire_day) - people.birth_year).astype(np.float64),
        }
        k = careers(school, part, m)
        rows = np.flatnonzero(k.keep)
        if rows.size == 0:
            continue
        number = np.arange(appointment_number, appointment_number + rows.size)
        appointment_number += rows.size
        yield _employee_columns(part, people, k, rows, number), _event_columns(part, k, rows, number, event_number)
        event_number += _event_count(k, rows)


def _chunks_of_hires(years: Iterator[Hires], limit: int) -> Iterator[Hires]:
    """Regroup yearly hires into chunks of at most ``limit`` (and, but for the last, at least
    ``limit // 2``) hires, keeping the order."""
    buffered: list[Hires] = []
    pending = 0
    for year_hires in _with_end(years):
        if year_hires is not None:
            buffered.append(year_hires)
            pending += len(year_hires)
            if pending < limit // 2:
                continue
        if not buffered:
            continue
        gathered = _concat_hires(buffered)
        buffered, pending = [], 0
        for start in range(0, len(gathered), limit):
            yield gathered.slice_rows(np.arange(start, min(start + limit, len(gathered))))


def _with_end(items: Iterator[Hires]) -> Iterator[Hires | None]:
    """The items, then ``None`` (to flush the last chunk)."""
    yield from items
    yield None


_CALIBRATION_SIZE = 20_000


def _mean_faculty_retention(school: School) -> float:
    """Mean faculty separation multiplier, on a fixed calibration sample of the faculty population,
    so that the configured separation rate stays the mean rate whatever the group multipliers."""
    if not school.config.faculty_retention:
        return 1.0
    idx = INDEX_BASE[FACULTY_MEMBER] - _CALIBRATION_SIZE + np.arange(_CALIBRATION_SIZE, dtype=np.int64)
    people = school.people(PersonRefs.of(idx, FACULTY_MEMBER, 2000))
    return float(multiplier(people, school.config.faculty_retention).mean())


def _employee_columns(h: Hires, people: People, k: Careers, rows: IntArray, number: IntArray) -> dict[str, pa.Array]:
    senior = np.isin(k.role, _DEANS) | ((~h.faculty) & (k.role == ROLES.index("director")))
    columns = {"appointment_id": tb.identifiers("H", number, 7)}
    columns.update(tb.demographic_columns(people.take(rows)))
    columns.update(
        {
            "employee_class": tb.vocab(np.where(h.faculty[rows], 0, 1), v.EMPLOYEE_CLASS),
            "rank": tb.vocab(k.final_rank[rows], v.RANK),
            "track": tb.vocab(k.track[rows], v.TRACK),
            "department": tb.coded(k.department[rows], DEPARTMENTS),
            "leadership_role": tb.vocab(k.role[rows], v.LEADERSHIP_ROLE),
            "senior_administrative": tb.vocab(np.where(senior[rows], 0, 1), v.YES_NO_UNKNOWN),
            "hire_date": tb.dates(h.hire_day[rows]),
            "separation_date": tb.dates(k.separation_day[rows], k.separated[rows]),
            "separation_reason": tb.vocab(np.where(k.separated[rows], k.reason[rows], -1), v.SEPARATION_REASON),
            "fte": pa.array(k.fte[rows], type=pa.float64()),
        }
    )
    return columns


def _event_count(k: Careers, rows: IntArray) -> int:
    total = rows.size + int(k.separated[rows].sum()) + int((k.role[rows] != NO_ROLE).sum())
    return total + sum(int(p[0][rows].sum()) for p in k.promotions)


def _event_columns(h: Hires, k: Careers, rows: IntArray, number: IntArray, first_event: int) -> dict[str, pa.Array]:
    pos = np.arange(rows.size)
    kinds, days, owner, from_rank, to_rank, role, order = [], [], [], [], [], [], []
    none = np.full(rows.size, -1)

    def add(mask: BoolArray, kind: int, day: IntArray, fr: IntArray, to: IntArray, ro: IntArray, rank_in_day: int) -> None:
        kinds.append(np.full(int(mask.sum()), kind))
        days.append(day[mask])
        owner.append(pos[mask])
        from_rank.append(fr[mask])
        to_rank.append(to[mask])
        role.append(ro[mask])
        order.append(np.full(int(mask.sum()), rank_in_day))

    everyone = np.ones(rows.size, bool)
    add(everyone, HIRE, h.hire_day[rows], none, k.start_rank[rows], none, 0)
    for i, (happened, day, fr, to) in enumerate(k.promotions):
        add(happened[rows], PROMOTION, day[rows], fr[rows], to[rows], none, 1 + i)
    add(k.role[rows] != NO_ROLE, APPOINTMENT, k.role_day[rows], none, none, k.role[rows], 4)
    add(k.separated[rows], SEPARATION, k.separation_day[rows], k.final_rank[rows], none, none, 5)

    cat = {name: np.concatenate(parts) for name, parts in (("kind", kinds), ("day", days), ("owner", owner), ("from", from_rank), ("to", to_rank), ("role", role), ("order", order))}
    sort = np.lexsort((cat["order"], cat["day"], cat["owner"]))
    cat = {name: a[sort] for name, a in cat.items()}
    n = sort.size
    return {
        "event_id": tb.identifiers("EV", np.arange(first_event, first_event + n), 8),
        "person_id": tb.person_ids(h.refs.idx[rows][cat["owner"]]),
        "appointment_id": tb.identifiers("H", number[cat["owner"]], 7),
        "event": tb.vocab(cat["kind"], v.EMPLOYEE_EVENT),
        "date": tb.dates(cat["day"]),
        "from_rank": tb.vocab(cat["from"], v.RANK),
        "to_rank": tb.vocab(cat["to"], v.RANK),
        "role": tb.vocab(cat["role"], v.LEADERSHIP_ROLE),
    }
