"""The ``program_outcomes`` section's tables, from a hand-made set of participants whose counts
are worked out by hand below: one table per program by cohort, the LCME table by program, their
margins and what each cell means (for the relations of the publication)."""

from __future__ import annotations

from typing import Any

import pytest

from ristra.core.program_outcomes import Participant, program_outcomes
from ristra.reports.program_outcomes import (
    UNIT,
    ProgramOutcomesBinder,
    cohort_plan,
    outcomes_key,
    program_plan,
)
from ristra.reports.templates import Section, load_template

APPLIED_ALL = frozenset({"applied", "completed", "interviewed", "offered", "matriculated"})

# PP01, cohort 2019: 4 participants — linked and matriculated; linked, applied only; linked, no
# application; not linked.  PP01, cohort 2024: 2 participants — linked, born 2010 (too young by
# 2025 with youngest age 20), and not linked.  PP02, cohort 2020: 1 participant, linked, interviewed.
PEOPLE = [
    Participant("PP01", 2019, True, 2001, 2021, APPLIED_ALL),
    Participant("PP01", 2019, True, 2000, 2022, frozenset({"applied"})),
    Participant("PP01", 2019, True, 2000),
    Participant("PP01", 2019, False, 2001),
    Participant("PP01", 2024, True, 2010),
    Participant("PP01", 2024, False, 2009),
    Participant("PP02", 2020, True, 2000, 2023, frozenset({"applied", "completed", "interviewed"})),
]
COLUMNS = ("Participants", "Linked", "Not linked", "Not yet old enough", "Applied", "Completed an application",
           "Interviewed", "Offered a place", "Matriculated")


@pytest.fixture(scope="module")
def outcomes() -> Any:
    return program_outcomes(PEOPLE, first_cycle=2015, last_cycle=2025, youngest_age=20)


def _section(rows: str) -> Section:
    return Section(id="outcomes", kind="program_outcomes", title="Outcomes", rows_by=rows)


def test_columns_are_the_counts_and_every_stage_the_value_holds(outcomes: Any) -> None:
    assert cohort_plan(_section("cohort"), "PP01", "Academy", outcomes).table.col_labels == COLUMNS


def test_a_program_by_cohort_by_hand(outcomes: Any) -> None:
    table = cohort_plan(_section("cohort"), "PP01", "Academy", outcomes).table
    assert table.row_labels == (("2019",), ("2024",), ("All cohorts",))
    assert table.counts[0] == (4, 3, 1, 0, 2, 1, 1, 1, 1)


def test_the_too_young_are_counted_apart(outcomes: Any) -> None:
    table = cohort_plan(_section("cohort"), "PP01", "Academy", outcomes).table
    assert table.counts[1] == (2, 1, 1, 2, 0, 0, 0, 0, 0)


def test_the_all_cohorts_row_is_their_sum(outcomes: Any) -> None:
    table = cohort_plan(_section("cohort"), "PP01", "Academy", outcomes).table
    assert table.counts[2] == (6, 4, 2, 2, 2, 1, 1, 1, 1)


def test_the_margins_are_declared(outcomes: Any) -> None:
    table = cohort_plan(_section("cohort"), "PP01", "Academy", outcomes).table
    assert [(s.total, s.parts) for s in (*table.row_sums, *table.col_sums)] == [(2, (0, 1)), (0, (1, 2))]


def test_the_table_key_and_title(outcomes: Any) -> None:
    table = cohort_plan(_section("cohort"), "PP01", "Academy", outcomes).table
    assert (table.key, table.title) == (outcomes_key("PP01"), "Academy: participants and their outcomes by cohort")


def test_the_lcme_table_by_program_by_hand(outcomes: Any) -> None:
    table = program_plan(_section("program"), {"PP01": "Academy", "PP02": "Explorers"}, outcomes).table
    assert table.row_labels == (("Academy",), ("Explorers",), ("All programs",))
    assert table.counts == ((6, 4, 2, 2, 2, 1, 1, 1, 1), (1, 1, 0, 0, 1, 1, 1, 0, 0), (7, 5, 2, 2, 3, 2, 2, 1, 1))


def test_meanings_name_the_unit_program_cohort_and_outcome(outcomes: Any) -> None:
    plan = cohort_plan(_section("cohort"), "PP01", "Academy", outcomes)
    matriculated = plan.meanings[(0, 8)]
    assert (matriculated.dataset, matriculated.atoms) == (
        UNIT, (("eq", "cohort", "2019"), ("eq", "program_id", "PP01"), ("flag", "matriculated")))


def test_the_all_programs_row_has_no_program_atom(outcomes: Any) -> None:
    plan = program_plan(_section("program"), {}, outcomes)
    assert plan.meanings[(2, 2)].atoms == (("not", "flag=linked"),)


def test_the_note_says_not_linked_is_not_did_not_apply(outcomes: Any) -> None:
    table = program_plan(_section("program"), {}, outcomes).table
    assert any('"not linked" is not "did not apply"' in n for n in table.notes)


def test_without_outcomes_the_section_is_a_note() -> None:
    built = ProgramOutcomesBinder(_section("cohort"), None, False).build(None, {})  # type: ignore[arg-type]
    assert built.tables == ()
    assert "have not been linked" in built.notes[0]


def test_the_shipped_templates_parse() -> None:
    kinds = [(s.id, s.kind, s.rows_by) for s in load_template("lcme-3.3-pipeline").sections]
    assert kinds == [("programs", "programs", ""), ("participants", "table", ""),
                     ("outcomes", "program_outcomes", "program")]
