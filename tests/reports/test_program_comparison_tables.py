"""The program pages' comparison and linkage-tier tables (``program_outcomes`` sections with
``rows: comparison`` and ``rows: tiers``) from hand-made counts: their layout, margins and
meanings, and the relations those meanings give with an admissions funnel of the same cycles."""

from __future__ import annotations

import pytest

from ristra.core.disclosure import CellRef
from ristra.core.program_counts import ComparisonCounts, RosterTiers, StageCounts
from ristra.core.publication.measures import meaning
from ristra.core.publication.relations import PlacedCell, relations_for
from ristra.reports.program_outcomes import (
    COMPARISON_COLUMNS,
    COMPARISON_ROWS,
    comparison_key,
    comparison_plan,
    tiers_plan,
)
from ristra.reports.templates import Section

# PP03 in cycles 2021 and 2022: applied, completed, interviewed, offered, matriculated per group
COUNTS = ComparisonCounts("PP03", (2021, 2022), participants=StageCounts((9, 7, 3, 2, 1)),
                          comparison=StageCounts((765, 698, 107, 58, 50)), other=StageCounts((17, 15, 9, 4, 5)))
SECTION = Section(id="program_comparison", kind="program_outcomes", title="Comparison", rows_by="comparison")
TIERS = RosterTiers("S1", True, (("linked by identifier", 22), ("linked", 7), ("linked in review", 3), ("review", 4),
                                  ("rejected in review", 1), ("superseded in review", 0), ("not linked", 533)))


def test_the_comparison_table_by_hand() -> None:
    table = comparison_plan(SECTION, "Summer academy", COUNTS).table
    assert table.key == comparison_key("PP03") == "comparison-PP03"
    assert (table.row_labels, table.col_labels) == (tuple((r,) for r in COMPARISON_ROWS), COMPARISON_COLUMNS)
    assert table.counts == ((9, 765, 17, 791), (7, 698, 15, 720), (3, 107, 9, 119), (2, 58, 4, 64), (1, 50, 5, 56))
    assert table.title == ("Summer academy: applications by stage, participants and the comparison group "
                           "(cycles 2021–2022)")


def test_the_all_applications_column_is_the_sum_of_the_groups() -> None:
    table = comparison_plan(SECTION, "Summer academy", COUNTS).table
    assert [(s.total, s.parts) for s in table.col_sums] == [(3, (0, 1, 2))]


def test_the_meanings_name_cycles_stage_and_group() -> None:
    meanings = comparison_plan(SECTION, "Summer academy", COUNTS).meanings
    cycles = ("in", "cycle", "2021", "2022")
    assert meanings[(0, 3)] == meaning("applications", frozenset({cycles}), None, None)
    assert meanings[(2, 0)] == meaning("applications", frozenset({cycles, ("flag", "interviewed"),
                                                                  ("flag", "participant_of=PP03")}), None, None)
    # the comparison group is the same rows for every program with the same cycles
    assert ("flag", "linked_to_no_participant") in meanings[(1, 1)].atoms
    assert not any("PP03" in str(a) for a in meanings[(1, 1)].atoms)


def test_one_cycle_is_an_eq_atom() -> None:
    one = ComparisonCounts("PP01", (2020,), StageCounts((1, 1, 0, 0, 0)), StageCounts((5, 4, 2, 1, 1)),
                           StageCounts((0, 0, 0, 0, 0)))
    assert ("eq", "cycle", "2020") in comparison_plan(SECTION, "x", one).meanings[(0, 3)].atoms


def test_the_funnel_of_the_same_cycles_ties_the_total_and_bounds_each_group() -> None:
    plan = comparison_plan(SECTION, "Summer academy", COUNTS)
    cells = [PlacedCell(CellRef("cmp", r, c), m, plan.table.counts[r][c]) for (r, c), m in plan.meanings.items()]
    # a funnel of every application by cycle: 2021 has 400 applications and 60 interviewed, 2022 391 and 59
    funnel = {(0, 0): (("eq", "cycle", "2021"),), (0, 1): (("eq", "cycle", "2022"),),
              (1, 0): (("eq", "cycle", "2021"), ("flag", "interviewed")),
              (1, 1): (("eq", "cycle", "2022"), ("flag", "interviewed"))}
    values = {(0, 0): 400, (0, 1): 391, (1, 0): 60, (1, 1): 59}
    cells += [PlacedCell(CellRef("funnel", r, c), meaning("applications", frozenset(a), None, None), values[(r, c)])
              for (r, c), a in funnel.items()]
    relations = relations_for(cells)
    sums = {(e.total, e.parts) for e in relations.equations}
    assert (CellRef("cmp", 0, 3), (CellRef("funnel", 0, 0), CellRef("funnel", 0, 1))) in sums
    assert (CellRef("cmp", 2, 3), (CellRef("funnel", 1, 0), CellRef("funnel", 1, 1))) in sums
    orders = {(o.smaller, o.larger) for o in relations.orders}
    assert (CellRef("cmp", 0, 0), CellRef("cmp", 0, 3)) in orders  # participants' applications <= all of them
    assert (CellRef("cmp", 3, 0), CellRef("cmp", 2, 0)) in orders  # offered <= interviewed, within the group


def test_the_tiers_table_by_hand() -> None:
    section = Section(id="linkage_tiers", kind="program_outcomes", title="Roster rows by linkage tier",
                      rows_by="tiers")
    plan = tiers_plan(section, TIERS)
    assert plan.table.key == "linkage_tiers"
    assert plan.table.row_labels == (("linked by identifier",), ("linked",), ("in review or decided in review",),
                                     ("not linked",), ("All roster rows",))
    assert plan.table.counts == ((22,), (7,), (4 + 3 + 1,), (533,), (570,))
    assert plan.meanings[(4, 0)] == meaning("participants", frozenset(), None, None)
    assert plan.meanings[(1, 0)] == meaning("participants", frozenset(), None, None, {"link_tier": "linked"})


def test_a_run_on_an_older_roster_is_not_the_current_participants() -> None:
    section = Section(id="linkage_tiers", kind="program_outcomes", title="Tiers", rows_by="tiers")
    stale = RosterTiers("S0", False, TIERS.tiers)
    assert tiers_plan(section, stale).meanings[(4, 0)].dataset == "participants@S0"


def test_a_clerical_decision_changes_no_published_tier() -> None:
    # a "match" on a pair of the review band: review 4 -> 3, linked in review 3 -> 4
    after = RosterTiers("S1", True, (("linked by identifier", 22), ("linked", 7), ("linked in review", 4),
                                     ("review", 3), ("rejected in review", 1), ("superseded in review", 0),
                                     ("not linked", 533)))
    assert after.published() == TIERS.published()


def test_a_tier_no_published_row_holds_is_refused() -> None:
    odd = RosterTiers("S1", True, (("linked", 7), ("mystery", 1)))
    with pytest.raises(ValueError, match="no published tier holds 'mystery'"):
        odd.published()
