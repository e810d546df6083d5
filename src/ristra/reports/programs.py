"""The ``programs`` section: pipeline programs and partnerships from the registry (name, kind,
partners, audience, years) with their participants — by program year for the most recent years,
and over all years split into completed and not completed (or unknown).

Participants whose program is missing from the registry get a row of their own, so the total row
is the exact sum of the rows. Outcomes beyond completion (later application, matriculation,
residency) need the linkage of rosters to applications and are not reported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ristra.core.metrics.columns import GroupingColumn, grouping_column
from ristra.core.metrics.conditions import CodeIn
from ristra.core.metrics.plans import Answers, Ask
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.tables import Sum, Table
from ristra.reports.measures import Atom, Meaning, meaning
from ristra.reports.sections import Cell, ComputedSection, SectionTable, code_label, ordered
from ristra.reports.templates import Section

PROGRAM_ID = GroupingColumn("program_id", "program_id", "id")
COMPLETED = CodeIn("completed", ("yes",))
UNREGISTERED = "Programs not in the registry"
_DESCRIPTIVE = ("name", "kind", "partners", "audience_level", "start_year", "end_year")
_NOT_COMPLETED: Atom = ("not", "eq=completed=yes")


class _RegistryAndRosters:
    """What both program sections ask: the registry's ``registry_columns`` by program (when the
    school has imported a registry) and the participants by program, year and completion."""

    registry_columns: tuple[str, ...] = ()

    def __init__(self, section: Section, has_programs: bool) -> None:
        self.section = section
        columns = (PROGRAM_ID, *(grouping_column("programs", c) for c in self.registry_columns))
        self.registry = Ask(dataset_source("programs"), columns) if has_programs else None
        self.rosters = Ask(dataset_source("participants"), (PROGRAM_ID, grouping_column("participants", "year")),
                           (COMPLETED,))

    def asks(self) -> list[Ask]:
        return [a for a in (self.registry, self.rosters) if a is not None]

    def specs(self) -> list[Any]:
        return []


class ProgramsBinder(_RegistryAndRosters):
    """See the module docstring."""

    registry_columns = _DESCRIPTIVE

    def build(self, answers: Answers, results: Mapping[Any, Any]) -> ComputedSection:
        registry: dict[object, tuple[object, ...]] = {}
        if self.registry is not None:
            for key in answers.table(self.registry):
                registry.setdefault(key[0], key[1:])
        rosters = answers.table(self.rosters)
        years = [y for y in ordered([k[1] for k in rosters]) if y is not None]
        recent = self.section.years.recent if self.section.years and self.section.years.recent else 3
        shown = years[-recent:]
        ids = ordered(list(registry))
        extra = sorted({k[0] for k in rosters if k[0] not in registry}, key=str)
        rows: list[tuple[str, ...]] = [_describe(registry[i]) for i in ids]
        groups: list[list[object]] = [[i] for i in ids]
        if extra:
            rows.append((UNREGISTERED, "", "", "", ""))
            groups.append(list(extra))
        grid = []
        for members in groups:
            per_year = [sum(c[0] for k, c in rosters.items() if k[0] in members and k[1] == y) for y in shown]
            total = sum(c[0] for k, c in rosters.items() if k[0] in members)
            completed = sum(c[1] for k, c in rosters.items() if k[0] in members)
            grid.append([*per_year, total, completed, total - completed])
        grid.append([sum(row[c] for row in grid) for c in range(len(shown) + 3)])
        rows.append(("All programs", "", "", "", ""))
        n_years = len(shown)
        labels = (*(f"{y}: participants" for y in shown), "All years: participants", "All years: completed",
                  "All years: not completed or unknown")
        table = Table(title=self.section.title, row_dims=("Program", "Kind", "Partners", "Audience", "Years"),
                      row_labels=tuple(rows), col_dim="Participants", col_labels=labels, counts=tuple(tuple(row) for row in grid),
                      row_sums=(Sum(len(rows) - 1, tuple(range(len(rows) - 1))),),
                      col_sums=(Sum(n_years, (n_years + 1, n_years + 2)),), key=self.section.id,
                      notes=self.section.notes)
        return ComputedSection(self.section, (SectionTable(table, _meanings(groups, shown)),))


def _describe(values: tuple[object, ...]) -> tuple[str, ...]:
    name, kind, partners, audience, start, end = values
    years = f"{start}–{end}" if end is not None else f"{start}–present"
    return (str(name), code_label(kind), str(partners) if partners else "None listed", code_label(audience), years)


def _meanings(groups: list[list[object]], shown: list[object]) -> dict[Cell, Meaning]:
    out: dict[Cell, Meaning] = {}
    completed_atoms: frozenset[Atom] = frozenset({("eq", "completed", "yes")})
    for r, members in enumerate([*groups, None]):
        by: dict[str, object] = {"program_id": members[0]} if members is not None and len(members) == 1 else {}
        if members is not None and len(members) > 1:
            continue  # the unregistered row has no simple meaning
        for c, y in enumerate(shown):
            out[(r, c)] = meaning("participants", frozenset(), None, None, {**by, "year": y})
        n = len(shown)
        out[(r, n)] = meaning("participants", frozenset(), None, None, by)
        out[(r, n + 1)] = meaning("participants", completed_atoms, None, None, by)
        out[(r, n + 2)] = meaning("participants", frozenset({_NOT_COMPLETED}), None, None, by)
    return out


class ProgramRostersBinder(_RegistryAndRosters):
    """The ``program_rosters`` section: one table per pipeline program — participants by program
    year, completed, and not completed or unknown, with the all-years row — for the programs
    pages. Its cells mean what the ``programs`` section's cells mean (same atoms), so a program's
    page and the LCME table are one linked system in the publication."""

    registry_columns = ("name",)

    def build(self, answers: Answers, results: Mapping[Any, Any]) -> ComputedSection:
        names = {k[0]: str(k[1]) for k in answers.table(self.registry)} if self.registry is not None else {}
        rosters = answers.table(self.rosters)
        tables = []
        for program in sorted({k[0] for k in rosters if k[0] is not None}, key=str):
            tables.append(roster_plan(self.section, program, str(names.get(program, program)), rosters))
        return ComputedSection(self.section, tuple(tables))


def roster_key(program_id: object) -> str:
    """The publication key of a program's roster table."""
    return f"participation-{program_id}"


def roster_plan(section: Section, program: object, name: str,
                rosters: Mapping[tuple[Any, ...], tuple[int, ...]]) -> SectionTable:
    """One program's roster table (see :class:`ProgramRostersBinder`)."""
    years = [y for y in ordered([k[1] for k in rosters if k[0] == program]) if y is not None]
    grid = []
    for y in years:
        total = sum(c[0] for k, c in rosters.items() if k[0] == program and k[1] == y)
        completed = sum(c[1] for k, c in rosters.items() if k[0] == program and k[1] == y)
        grid.append([total, completed, total - completed])
    grid.append([sum(row[c] for row in grid) for c in range(3)])
    labels = (*((str(y),) for y in years), ("All years",))
    table = Table(title=f"{name}: participants by year and completion", row_dims=("Year",), row_labels=labels,
                  col_dim="Participants", col_labels=("Participants", "Completed", "Not completed or unknown"),
                  counts=tuple(tuple(row) for row in grid), row_sums=(Sum(len(years), tuple(range(len(years)))),),
                  col_sums=(Sum(0, (1, 2)),), key=roster_key(program), notes=section.notes)
    completed_atoms: frozenset[Atom] = frozenset({("eq", "completed", "yes")})
    meanings: dict[Cell, Meaning] = {}
    for r, y in enumerate([*years, None]):
        by: dict[str, object] = {"program_id": program} if y is None else {"program_id": program, "year": y}
        meanings[(r, 0)] = meaning("participants", frozenset(), None, None, by)
        meanings[(r, 1)] = meaning("participants", completed_atoms, None, None, by)
        meanings[(r, 2)] = meaning("participants", frozenset({_NOT_COMPLETED}), None, None, by)
    return SectionTable(table, meanings)
