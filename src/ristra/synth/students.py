"""Students: one row per matriculant, demographics copied from their application.

Each student matriculates in early August of their cycle. Most MD students graduate in mid-May
four years later (11 % take five years, 4 % six); PA students in mid-December two years later
(10 % three). A share (``student_attrition_rate`` times the group multipliers of
``student_attrition``) leave 2 to 40 months in — 70 % withdraw, 30 % are dismissed. Status is as
of 31 December of the last cycle: exits and graduations after that date have not happened yet, so
those students are ``enrolled`` (a few on ``leave``). ``status_date`` is when the current status
took effect (matriculation for the enrolled); ``graduation_date`` is set for graduates only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ristra.core import vocabularies as v
from ristra.synth import tables as tb
from ristra.synth.applications import MD, PROGRAMS
from ristra.synth.cohorts import APPLICANT, PersonRefs, School
from ristra.synth.people import multiplier
from ristra.synth.randomness import BoolArray, IntArray

ENROLLED, GRADUATED, WITHDRAWN, DISMISSED, LEAVE = (
    v.STUDENT_STATUS.codes.index(c) for c in ("enrolled", "graduated", "withdrawn", "dismissed", "leave")
)


@dataclass(frozen=True)
class Graduates:
    """MD graduates (for residency): who they are and when they graduated."""

    refs: PersonRefs
    graduation_day: IntArray


def student_chunks(
    school: School, matriculants: dict[str, IntArray], id_width: int, chunk_size: int
) -> Iterator[tuple[dict[str, pa.Array], Graduates]]:
    """Chunks of student columns, with the MD graduates of each chunk."""
    n = matriculants["idx"].size
    for start in range(0, n, chunk_size):
        part = {k: a[start : start + chunk_size] for k, a in matriculants.items()}
        yield _students(school, part, id_width)


def _students(school: School, m: dict[str, IntArray], id_width: int) -> tuple[dict[str, pa.Array], Graduates]:
    s = school.streams
    c = school.config
    idx, cycle, program = m["idx"], m["cycle"], m["program"]
    refs = PersonRefs.of(idx, APPLICANT, m["first_cycle"] - 1)
    people = school.people(refs)
    as_of = school.window.as_of_day
    key = idx * 64 + 7

    matriculation = tb.year_start_days(cycle) + 212 + s.integers(key, "student.start", 0, 14)  # ~1 August
    extra = np.select(
        [s.uniform(key, "student.length") < 0.04, s.uniform(key, "student.length") < 0.15], [2, 1], 0
    )
    md_graduation = tb.year_start_days(cycle + 4 + extra) + 134 + s.integers(key, "student.grad", 0, 5)  # mid-May
    pa_extra = (s.uniform(key, "student.length") < 0.10).astype(np.int64)
    pa_graduation = tb.year_start_days(cycle + 2 + pa_extra) + 348  # mid-December
    graduation = np.where(program == MD, md_graduation, pa_graduation)

    p_exit = np.minimum(c.student_attrition_rate * multiplier(people, c.student_attrition), 0.9)
    leaves = s.uniform(key, "student.exit") < p_exit
    exit_day = matriculation + s.integers(key, "student.exit.day", 60, 1200)
    exit_day = np.minimum(exit_day, graduation - 30)
    exited = leaves & (exit_day <= as_of)
    graduated = ~leaves & (graduation <= as_of)
    enrolled = ~exited & ~graduated
    on_leave = enrolled & s.chance(key, "student.leave", c.student_leave_rate)
    leave_day = np.maximum(as_of - s.integers(key, "student.leave.day", 10, 300), matriculation + 30)
    on_leave &= leave_day <= as_of

    exit_kind = np.where(s.chance(key, "student.exit.kind", 0.7), WITHDRAWN, DISMISSED)
    status = np.select([exited, graduated, on_leave], [exit_kind, GRADUATED, LEAVE], ENROLLED)
    status_day = np.select([exited, graduated, on_leave], [exit_day, graduation, leave_day], matriculation)

    columns = tb.demographic_columns(people)
    columns.update(
        {
            "program": tb.coded(program, PROGRAMS),
            "application_id": tb.identifiers_by_cycle(cycle, m["seq"], id_width),
            "matriculation_year": tb.integers(cycle),
            "status": tb.vocab(status, v.STUDENT_STATUS),
            "status_date": tb.dates(status_day),
            "graduation_date": tb.dates(graduation, graduated),
        }
    )
    md_grads: BoolArray = graduated & (program == MD)
    return columns, Graduates(refs.take(md_grads), graduation[md_grads])
