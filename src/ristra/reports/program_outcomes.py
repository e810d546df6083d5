"""The ``program_outcomes`` section: pipeline-program participants and what their later records
show — linked or not, not yet old enough to apply, applied, completed, interviewed, offered,
matriculated (and any onward outcome the service value computed) — as unreleased count tables
for the publication.

Contract
--------
* The counts come from :class:`ristra.core.program_outcomes.ProgramOutcomes` (computed by
  :mod:`ristra.services.program_outcomes` through the linkage and handed to :func:`bind
  <ristra.reports.binding.bind>`); this module only lays them out. The unit is a *participant*
  (one roster person of one program, their cohort the first program year), so its cells count
  the pseudo-dataset :data:`UNIT`, never the ``participants`` roster entries.
* ``rows: cohort`` gives one table per program (key :func:`outcomes_key`): one row per cohort and
  the all-cohorts row. ``rows: program`` gives one table: one row per program (over all cohorts)
  and the all-programs row — the LCME pipeline table. ``rows: comparison`` gives one table per
  program (key :func:`comparison_key`, :func:`comparison_plan`): applications by stage of its
  participants, the comparison group and the others in the same cycles; ``rows: tiers`` one
  table of roster rows by linkage tier (:func:`tiers_plan`).
* Columns: Participants = Linked + Not linked; Not yet old enough (no later application and too
  young to have applied by the last cycle: censored, not a failure); then each outcome the
  service value holds a rate for, counted over every participant (an unlinked participant is
  never seen reaching a stage: "not linked" is not "did not apply", which each table's note says).
* Meanings (for the relations of the publication): the program and the cohort as ``eq`` atoms,
  ``("flag", "linked")``, ``("not", "flag=linked")``, ``("flag", "not_yet_old_enough")`` and
  ``("flag", <outcome>)``. An admissions stage implies the one before it and ``applied`` implies
  ``linked`` (:data:`ristra.core.publication.relations.IMPLICATIONS`), so the order relations
  (matriculated ≤ offered ≤ interviewed ≤ completed ≤ applied ≤ linked) and the sums over cohorts
  and over programs are known to disclosure control, as to an intruder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ristra.core.metrics.columns import grouping_column
from ristra.core.metrics.plans import Answers, Ask
from ristra.core.metrics.sql.source import dataset_source
from ristra.core.program_counts import COMPARISON_STAGES, ComparisonCounts, RosterTiers
from ristra.core.program_outcomes import STAGES, CohortOutcome, ProgramOutcomes
from ristra.core.tables import Sum, Table
from ristra.reports.measures import Atom, Meaning, meaning
from ristra.reports.programs import PROGRAM_ID
from ristra.reports.sections import Cell, ComputedSection, SectionTable
from ristra.reports.templates import Section

#: The counted unit: one roster person of one program.
UNIT = "program_participants"
LABELS: Mapping[str, str] = {
    "applied": "Applied", "completed": "Completed an application", "interviewed": "Interviewed",
    "offered": "Offered a place", "matriculated": "Matriculated", "graduated": "Graduated",
    "residency_in_new_mexico": "Residency in New Mexico", "residency_elsewhere": "Residency elsewhere",
    "faculty": "Later faculty", "staff": "Later staff",
}
BASE_COLUMNS = ("Participants", "Linked", "Not linked", "Not yet old enough")
NOTE = ("A participant is one person of one program; the cohort is their first program year. Outcomes are "
        "counted over all participants through the linkage of rosters to the school's records: a participant "
        "who is not linked is never counted as having applied, so \"not linked\" is not \"did not apply\", and "
        "the counts of later stages are lower bounds. Participants not yet old enough to have applied by the "
        "last cycle in the data are censored, not failures.")
_LINKED: Atom = ("flag", "linked")
_NOT_LINKED: Atom = ("not", "flag=linked")
_TOO_YOUNG: Atom = ("flag", "not_yet_old_enough")


#: The rows of a comparison table (the stages of :data:`COMPARISON_STAGES`) and its columns.
COMPARISON_ROWS = ("Applications", "Completed", "Interviewed", "Offered", "Matriculated")
COMPARISON_COLUMNS = ("Participants", "Comparison", "Other applications", "All applications")
COMPARISON_NOTE = ("Applications of the cycles in which the program's participants applied: the participants' "
                   "(linked to the program's roster, in a cycle after their cohort), the comparison group's "
                   "(applicants linked to no participant of any program) and the others' (participants of other "
                   "programs, and applications in or before a participant's cohort year). A participant the "
                   "linkage missed is counted in the comparison group.")
TIERS_NOTE = ("Roster rows (one person in one program year) of the link run in force, by tier: linked by a shared "
              "identifier, linked by the probabilistic model above the threshold, in the review band or decided "
              "by a clerk (one row, so that a clerical decision changes no count shown), and not linked. "
              "\"Not linked\" is not \"did not apply\".")


def comparison_key(program_id: object) -> str:
    """The publication key (within its template) of a program's comparison table."""
    return f"comparison-{program_id}"


def outcomes_key(program_id: object) -> str:
    """The publication key (within its template) of a program's outcomes-by-cohort table."""
    return f"outcomes-{program_id}"


def outcome_columns(outcomes: ProgramOutcomes) -> tuple[str, ...]:
    """The outcomes the service value holds a rate for, admissions stages first."""
    held = list(dict.fromkeys(k for c in outcomes.cohorts for k in c.rates))
    return tuple([s for s in STAGES if s in held] + [k for k in held if k not in STAGES])


def _line(cohorts: Sequence[CohortOutcome], columns: Sequence[str]) -> list[int]:
    counts = [sum(c.participants for c in cohorts), sum(c.linked for c in cohorts),
              sum(c.not_linked for c in cohorts), sum(c.not_yet_old_enough for c in cohorts)]
    return counts + [sum(c.rates[k].k for c in cohorts if k in c.rates) for k in columns]


def _meanings(row: int, by: Mapping[str, object], columns: Sequence[str]) -> dict[Cell, Meaning]:
    atoms: list[frozenset[Atom]] = [frozenset(), frozenset({_LINKED}), frozenset({_NOT_LINKED}),
                                    frozenset({_TOO_YOUNG}), *(frozenset({("flag", k)}) for k in columns)]
    return {(row, c): meaning(UNIT, a, None, None, by) for c, a in enumerate(atoms)}


def _col_labels(columns: Sequence[str]) -> tuple[str, ...]:
    return (*BASE_COLUMNS, *(LABELS.get(k, k.replace("_", " ").capitalize()) for k in columns))


def cohort_plan(section: Section, program_id: str, name: str, outcomes: ProgramOutcomes) -> SectionTable:
    """One program's outcomes by cohort (see the module docstring)."""
    columns = outcome_columns(outcomes)
    cohorts = sorted((c for c in outcomes.cohorts if c.program_id == program_id), key=lambda c: c.cohort)
    grid = [_line([c], columns) for c in cohorts] + [_line(cohorts, columns)]
    meanings: dict[Cell, Meaning] = {}
    for r, c in enumerate(cohorts):
        meanings.update(_meanings(r, {"program_id": program_id, "cohort": c.cohort}, columns))
    meanings.update(_meanings(len(cohorts), {"program_id": program_id}, columns))
    table = Table(title=f"{name}: participants and their outcomes by cohort", row_dims=("Cohort",),
                  row_labels=(*((str(c.cohort),) for c in cohorts), ("All cohorts",)), col_dim="Participants",
                  col_labels=_col_labels(columns), counts=tuple(tuple(r) for r in grid),
                  row_sums=(Sum(len(cohorts), tuple(range(len(cohorts)))),), col_sums=(Sum(0, (1, 2)),),
                  key=outcomes_key(program_id), notes=(*section.notes, NOTE))
    return SectionTable(table, meanings)


def program_plan(section: Section, names: Mapping[str, str], outcomes: ProgramOutcomes) -> SectionTable:
    """Every program's outcomes over all cohorts, and all programs (see the module docstring)."""
    columns = outcome_columns(outcomes)
    ids = sorted({c.program_id for c in outcomes.cohorts})
    grid = [_line([c for c in outcomes.cohorts if c.program_id == p], columns) for p in ids]
    grid.append(_line(outcomes.cohorts, columns))
    meanings: dict[Cell, Meaning] = {}
    for r, p in enumerate(ids):
        meanings.update(_meanings(r, {"program_id": p}, columns))
    meanings.update(_meanings(len(ids), {}, columns))
    table = Table(title=section.title, row_dims=("Program",),
                  row_labels=(*((names.get(p, p),) for p in ids), ("All programs",)), col_dim="Participants",
                  col_labels=_col_labels(columns), counts=tuple(tuple(r) for r in grid),
                  row_sums=(Sum(len(ids), tuple(range(len(ids)))),), col_sums=(Sum(0, (1, 2)),),
                  key=section.id, notes=(*section.notes, NOTE))
    return SectionTable(table, meanings)


def comparison_plan(section: Section, name: str, counts: ComparisonCounts) -> SectionTable:
    """One program's applications by stage and group (:class:`ComparisonCounts`). Meanings: the
    applications of the cycles (an ``in`` atom, or ``eq`` for one cycle), the stage flag, and for a
    group its flag; so the all-applications column is the funnel's cells of those cycles summed,
    and each group's cell at most it (relations of the publication)."""
    years = tuple(str(c) for c in counts.cycles)
    cycles: Atom = ("eq", "cycle", years[0]) if len(years) == 1 else ("in", "cycle", *sorted(years))
    groups: tuple[frozenset[Atom], ...] = (
        frozenset({("flag", f"participant_of={counts.program_id}")}), frozenset({("flag", "linked_to_no_participant")}),
        frozenset({("flag", f"not_participant_of={counts.program_id}_nor_unlinked")}), frozenset())
    values = (counts.participants, counts.comparison, counts.other, counts.total)
    grid = [[v.at(stage) for v in values] for stage in COMPARISON_STAGES]
    meanings: dict[Cell, Meaning] = {}
    for r, stage in enumerate(COMPARISON_STAGES):
        flag: frozenset[Atom] = frozenset() if stage == "applied" else frozenset({("flag", stage)})
        for c, group in enumerate(groups):
            meanings[(r, c)] = meaning("applications", flag | group | {cycles}, None, None)
    contiguous = list(counts.cycles) == list(range(counts.cycles[0], counts.cycles[-1] + 1))
    span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}" if contiguous else ", ".join(years)
    table = Table(title=f"{name}: applications by stage, participants and the comparison group (cycles {span})",
                  row_dims=("Stage",), row_labels=tuple((label,) for label in COMPARISON_ROWS), col_dim="Group",
                  col_labels=COMPARISON_COLUMNS, counts=tuple(tuple(r) for r in grid),
                  col_sums=(Sum(3, (0, 1, 2)),), key=comparison_key(counts.program_id),
                  notes=(*section.notes, COMPARISON_NOTE))
    return SectionTable(table, meanings)


def tiers_plan(section: Section, tiers: RosterTiers) -> SectionTable:
    """Roster rows by published tier of the link in force
    (:data:`ristra.core.program_counts.PUBLISHED_TIERS`: the tiers of
    review are one row), with the total. The unit is the participants
    dataset's rows when the run is pinned to its current snapshot (so the total is the
    participation tables' total), else the rows of the snapshot the run read."""
    unit = "participants" if tiers.current else f"participants@{tiers.roster_snapshot}"
    shown = tiers.published()
    names = [t for t, _ in shown]
    grid = [[n] for _, n in shown] + [[tiers.total]]
    meanings: dict[Cell, Meaning] = {(r, 0): meaning(unit, frozenset(), None, None, {"link_tier": t})
                                     for r, t in enumerate(names)}
    meanings[(len(names), 0)] = meaning(unit, frozenset(), None, None)
    table = Table(title=section.title, row_dims=("Tier",), row_labels=(*((t,) for t in names), ("All roster rows",)),
                  col_dim="Count", col_labels=("Roster rows",), counts=tuple(tuple(r) for r in grid),
                  row_sums=(Sum(len(names), tuple(range(len(names)))),), key=section.id,
                  notes=(*section.notes, TIERS_NOTE))
    return SectionTable(table, meanings)


class ProgramOutcomesBinder:
    """See the module docstring; ``outcomes`` is the service value (``None``: no link run in
    force, or no applications; the section is then a note saying so)."""

    def __init__(self, section: Section, outcomes: ProgramOutcomes | None, has_programs: bool) -> None:
        self.section = section
        self.outcomes = outcomes
        self.registry = Ask(dataset_source("programs"), (PROGRAM_ID, grouping_column("programs", "name"))) \
            if has_programs else None

    def asks(self) -> list[Ask]:
        return [self.registry] if self.registry is not None else []

    def specs(self) -> list[Any]:
        return []

    def build(self, answers: Answers, results: Mapping[Any, Any]) -> ComputedSection:
        if self.outcomes is None or not self.outcomes.cohorts:
            return ComputedSection(self.section, (), (
                "No outcomes yet: the participant rosters have not been linked to the applications "
                "(`ristra link run`), or no applications have been imported.",))
        names = {str(k[0]): str(k[1]) for k in answers.table(self.registry)} if self.registry is not None else {}
        if self.section.rows_by == "tiers":
            if self.outcomes.tiers is None:
                return ComputedSection(self.section, (), ("No link run is in force.",))
            return ComputedSection(self.section, (tiers_plan(self.section, self.outcomes.tiers),))
        if self.section.rows_by == "comparison":
            return ComputedSection(self.section, tuple(comparison_plan(self.section, names.get(c.program_id, c.program_id), c)
                                                       for c in self.outcomes.comparisons))
        if self.section.rows_by == "program":
            return ComputedSection(self.section, (program_plan(self.section, names, self.outcomes),))
        ids = sorted({c.program_id for c in self.outcomes.cohorts})
        return ComputedSection(self.section, tuple(cohort_plan(self.section, p, names.get(p, p), self.outcomes)
                                               for p in ids))
