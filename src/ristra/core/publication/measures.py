"""The count measures report cells bind to: each a named count over one dataset.

A template names a measure (``metric: applications.offered``); the measure says which dataset is
counted and which rows count (a condition of :mod:`ristra.core.metrics.conditions`, compiled to
SQL by the metrics engine). A *difference* measure is one count minus another whose rows are a
subset of the first (offers not declined = offers − declined offers).

Every count also has a **meaning** (:class:`Meaning`): the dataset, the set of atomic
conditions that select its rows (flags, codes, missing values, the year and the ``by`` value),
the category and the level. Two cells with the same meaning show the same number wherever they
appear; a cell over all years is the sum of the same cell in every year. :mod:`ristra.core.publication.relations` turns
those facts into the equations disclosure control must know (DESIGN.md §6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ristra.core.metrics.conditions import (
    AllOf,
    Always,
    CodeIn,
    Condition,
    FlagsTrue,
    IsMissing,
    IsPresent,
    WithinYears,
    both,
)

Atom = tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    """A named count: rows of ``dataset`` meeting ``condition``, minus rows meeting ``minus``
    (a stricter condition) when given."""

    name: str
    dataset: str
    label: str
    description: str
    condition: Condition = Always()
    minus: Condition | None = None


@dataclass(frozen=True)
class Meaning:
    """What one count cell counts (see the module docstring). ``category``/``level`` are None for
    a total over every level."""

    dataset: str
    atoms: tuple[Atom, ...]
    category: str | None
    level: str | None

    def without_year(self, year_column: str) -> tuple[Meaning, object] | None:
        """This meaning without its year atom, and the year; None when it has no year atom."""
        for atom in self.atoms:
            if atom[0] == "eq" and atom[1] == year_column:
                rest = tuple(a for a in self.atoms if a != atom)
                return Meaning(self.dataset, rest, self.category, self.level), atom[2]
        return None


def atoms_of(condition: Condition) -> frozenset[Atom]:
    """The atomic conditions of ``condition`` (a one-code ``CodeIn`` is the same atom as a
    ``by`` value of that column)."""
    if isinstance(condition, Always):
        return frozenset()
    if isinstance(condition, FlagsTrue):
        return frozenset(("flag", f) for f in condition.flags)
    if isinstance(condition, CodeIn):
        if len(condition.codes) == 1:
            return frozenset({("eq", condition.column, str(condition.codes[0]))})
        return frozenset({("in", condition.column, *sorted(str(c) for c in condition.codes))})
    if isinstance(condition, IsMissing):
        return frozenset({("missing", condition.column)})
    if isinstance(condition, IsPresent):
        return frozenset({("present", condition.column)})
    if isinstance(condition, WithinYears):
        return frozenset({("within", condition.start_year, condition.end_date, str(condition.years))})
    if isinstance(condition, AllOf):
        out: frozenset[Atom] = frozenset()
        for part in condition.parts:
            out |= atoms_of(part)
        return out
    raise TypeError(f"no atoms for {type(condition).__name__}")


def meaning(dataset: str, atoms: frozenset[Atom], category: str | None, level: str | None,
            by: Mapping[str, object] | None = None) -> Meaning:
    """The meaning of a count with extra ``by`` values (year or breakdown column) as atoms."""
    extra = frozenset(("eq", column, str(value)) for column, value in (by or {}).items())
    return Meaning(dataset, tuple(sorted(atoms | extra)), category, level)


def measure_atoms(measure: Measure, where: Condition) -> frozenset[Atom]:
    """The atoms of a measure restricted by ``where``."""
    base = atoms_of(both(where, measure.condition))
    if measure.minus is None:
        return base
    removed = atoms_of(measure.minus) - base
    return base | frozenset({("not", *sorted("=".join(a) for a in removed))})


def _still_employed(*parts: Condition) -> Condition:
    return AllOf((*parts, IsMissing("separation_date")))


_FACULTY = CodeIn("employee_class", ("faculty",))
_SENIOR = CodeIn("senior_administrative", ("yes",))

_MEASURES = (
    Measure("applications.applied", "applications", "Applications", "Every application."),
    Measure("applications.completed", "applications", "Completed applications", "Applications completed.",
            FlagsTrue(("completed",))),
    Measure("applications.interviewed", "applications", "Interviewed", "Applicants interviewed.",
            FlagsTrue(("interviewed",))),
    Measure("applications.offered", "applications", "Offers made", "Applicants offered a place.",
            FlagsTrue(("offered",))),
    Measure("applications.declined", "applications", "Declinations", "Offers the applicant declined.",
            FlagsTrue(("offered", "declined"))),
    Measure("applications.offered_not_declined", "applications", "Offers not declined",
            "Offers made minus offers declined.", FlagsTrue(("offered",)), FlagsTrue(("offered", "declined"))),
    Measure("applications.matriculated", "applications", "Matriculated", "Applicants who matriculated.",
            FlagsTrue(("matriculated",))),
    Measure("students.matriculants", "students", "First-year enrollment",
            "Students by the year they matriculated (the entering class)."),
    Measure("students.graduated", "students", "Graduates", "Students who graduated.",
            CodeIn("status", ("graduated",))),
    Measure("trainees.appointments", "trainees", "Appointments", "Every resident or fellow appointment."),
    Measure("trainees.in_training", "trainees", "In training", "Appointments active or on leave.",
            CodeIn("status", ("active", "leave"))),
    Measure("employees.faculty", "employees", "Faculty appointments", "Faculty appointments (by hire year: new hires).",
            _FACULTY),
    Measure("employees.faculty_current", "employees", "Faculty", "Faculty still employed (no separation date).",
            _still_employed(_FACULTY)),
    Measure("employees.current", "employees", "Faculty and staff", "Faculty and staff still employed (no separation date).",
            IsMissing("separation_date")),
    Measure("employees.senior_administrative", "employees", "Senior administrative appointments",
            "Senior administrative staff appointments (by hire year: new hires).", _SENIOR),
    Measure("employees.senior_administrative_current", "employees", "Senior administrative staff",
            "Senior administrative staff still employed (no separation date).", _still_employed(_SENIOR)),
    Measure("participants.participations", "participants", "Participants",
            "Roster entries: one person in one program year."),
    Measure("participants.completed", "participants", "Completed", "Roster entries marked completed.",
            CodeIn("completed", ("yes",))),
)

#: Every measure a template may name, by name.
MEASURES: Mapping[str, Measure] = MappingProxyType({m.name: m for m in _MEASURES})
