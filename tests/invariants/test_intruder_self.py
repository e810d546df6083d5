"""The test-side intruder (tests/support/intruder.py) on tiny hand-made tables: attacks that must
succeed, with their exact intervals, and a pattern that must hold."""

from __future__ import annotations

from support.intruder import (
    CellMeaning,
    Line,
    Observed,
    RelationStats,
    attack,
    attack_snapshots,
    cell_meaning,
    write_relations,
)

TOTAL_COLUMN = [Line(2, (0, 1))]


def _apps(*atoms: tuple[str, ...], level: str | None = None) -> CellMeaning:
    return cell_meaning("applications", atoms, "women" if level else None, level)


def test_a_lone_suppressed_cell_in_a_row_with_a_margin_is_pinned() -> None:
    t = Observed("t", [[None, 20, 23]], col_sums=TOTAL_COLUMN, truth=[[3, 20, 23]])
    result = attack([t], threshold=5)
    assert result.interval("t", 0, 0) == (3, 3)
    assert result.recovered == 1
    assert result.pinned == 1
    (finding,) = result.findings
    assert (finding.table, finding.row, finding.col, finding.true) == ("t", 0, 0, 3)


def test_a_properly_protected_two_by_two_pattern_holds() -> None:
    cells: list[list[int | None]] = [[None, None, 23], [None, None, 50], [23, 50, 73]]
    truth = [[3, 20, 23], [20, 30, 50], [23, 50, 73]]
    t = Observed("t", cells, row_sums=[Line(2, (0, 1))], col_sums=TOTAL_COLUMN, truth=truth)
    result = attack([t], threshold=5)
    assert result.interval("t", 0, 0) == (0, 23)
    assert result.interval("t", 1, 1) == (27, 50)
    assert result.findings == []
    assert result.sensitive == 1


def test_two_tables_sharing_a_margin_pin_a_cell() -> None:
    yes, no, total = (_apps(("flag", "offered"), level=lv) for lv in ("yes", "no", None))
    first = Observed("by-sex", [[None, 9, None]], col_sums=TOTAL_COLUMN,
                     meanings={(0, 0): yes, (0, 1): no, (0, 2): total}, truth=[[3, 9, 12]])
    alone = attack([first], threshold=5)
    assert alone.interval("by-sex", 0, 0) == (0, None)
    assert alone.findings == []
    second = Observed("offers", [[12]], meanings={(0, 0): total}, truth=[[12]])
    result = attack([first, second], threshold=5)
    assert result.interval("by-sex", 0, 0) == (3, 3)
    assert result.interval("by-sex", 0, 2) == (12, 12)
    assert [(f.table, f.true, f.pinned) for f in result.findings] == [("by-sex", 3, True)]


def test_offered_at_most_interviewed_bounds_a_hidden_offer_count() -> None:
    funnel = Observed("funnel", [[3], [None]], truth=[[3], [2]],
                      meanings={(0, 0): _apps(("flag", "interviewed")), (1, 0): _apps(("flag", "offered"))})
    result = attack([funnel], threshold=5)
    assert result.interval("funnel", 1, 0) == (0, 3)
    assert result.recovered == 1
    assert result.pinned == 0
    assert result.stats.kept["order"] == 1
    bare = Observed("funnel", [[3], [None]], truth=[[3], [2]])
    assert attack([bare], threshold=5).interval("funnel", 1, 0) == (0, None)


def test_matriculated_implies_interviewed_through_offered() -> None:
    funnel = Observed("funnel", [[None], [4]], truth=[[2], [4]],
                      meanings={(0, 0): _apps(("flag", "matriculated"), ("eq", "cycle", "2024")),
                                (1, 0): _apps(("flag", "interviewed"))})
    assert attack([funnel], threshold=5).interval("funnel", 0, 0) == (0, 4)


def test_an_in_atom_is_the_sum_of_its_values() -> None:
    def trainees(*atoms: tuple[str, ...]) -> CellMeaning:
        return cell_meaning("trainees", atoms)

    t = Observed("acgme", [[None, 30, 32]], truth=[[2, 30, 32]],
                 meanings={(0, 0): trainees(("eq", "status", "active")), (0, 1): trainees(("eq", "status", "leave")),
                           (0, 2): trainees(("in", "status", "active", "leave"))})
    result = attack([t], threshold=5)
    assert result.interval("acgme", 0, 0) == (2, 2)
    assert result.pinned == 1


def test_faculty_followed_is_current_plus_separated() -> None:
    def emp(*atoms: tuple[str, ...]) -> CellMeaning:
        return cell_meaning("employees", atoms, "women", "unknown")

    retention = Observed("retention", [[40, None]], truth=[[40, 3]],
                         meanings={(0, 0): emp(("retention", "followed", "faculty")),
                                   (0, 1): emp(("retention", "separated", "faculty"))})
    current = Observed("current", [[37]], truth=[[37]],
                       meanings={(0, 0): emp(("eq", "employee_class", "faculty"), ("missing", "separation_date"))})
    result = attack([retention, current], threshold=5)
    assert result.interval("retention", 0, 1) == (3, 3)
    assert result.stats.kept["measure"] == 1


def test_a_sum_that_does_not_hold_on_the_true_counts_is_dropped_but_bounds_as_parts() -> None:
    whole, y24, y25 = (_apps(*(() if y is None else (("eq", "cycle", y),))) for y in (None, "2024", "2025"))
    t = Observed("trend", [[20], [None], [10]], truth=[[20], [3], [10]],
                 meanings={(0, 0): whole, (1, 0): y24, (2, 0): y25})
    at_five = attack([t], threshold=5)
    assert at_five.interval("trend", 1, 0) == (0, 10)
    assert at_five.findings == []
    assert at_five.stats.dropped["sum"] == 1
    assert at_five.stats.kept["sum (at most)"] == 1
    assert attack([t], threshold=11).recovered == 1


def test_a_relation_false_on_the_true_counts_is_dropped() -> None:
    offered, interviewed = _apps(("flag", "offered")), _apps(("flag", "interviewed"))
    stats = RelationStats()
    assert write_relations([offered, interviewed], {offered: 5, interviewed: 4}, stats=stats) == []
    assert stats.dropped["order"] == 1
    assert [r.kind for r in write_relations([offered, interviewed], {offered: 3, interviewed: 4})] == ["order"]
    t = Observed("t", [[None, 9, None]], col_sums=TOTAL_COLUMN, truth=[[3, 9, 12]],
                 meanings={(0, 2): offered})
    u = Observed("u", [[13]], truth=[[13]], meanings={(0, 0): offered})
    result = attack([t, u], threshold=5)  # the same meaning, different true counts: no identity
    assert result.stats.dropped["identity"] == 1
    assert result.interval("t", 0, 0) == (0, None)


def _snapshot(cells: list[list[int | None]]) -> Observed:
    return Observed("faculty", cells, col_sums=TOTAL_COLUMN, truth=[[2, 18, 20]],
                    row_labels=[("Unknown sex",)], col_labels=["left", "stayed", "total"])


def test_two_snapshots_with_different_patterns_pin_an_unchanged_cell() -> None:
    before, after = _snapshot([[None, 18, None]]), _snapshot([[None, None, 20]])
    assert attack([before], threshold=5).interval("faculty", 0, 0) == (0, None)
    assert attack([after], threshold=5).interval("faculty", 0, 0) == (0, 20)
    result = attack_snapshots([before], [after], changed=0, threshold=5)
    assert result.interval("faculty", 0, 0, "before") == (2, 2)
    assert result.interval("faculty", 0, 0, "after") == (2, 2)
    assert result.pinned == 2


def test_a_correction_of_one_record_still_bounds_the_cell() -> None:
    before, after = _snapshot([[None, 18, None]]), _snapshot([[None, None, 20]])
    result = attack_snapshots([before], [after], changed=1, threshold=5)
    assert result.interval("faculty", 0, 0, "before") == (1, 3)
    assert result.interval("faculty", 0, 0, "after") == (1, 3)
    assert result.recovered == 2
    assert result.pinned == 0


def test_from_dict_reads_a_released_table_dict() -> None:
    released = {"key": "k", "cells": [["suppressed", 20, 23]], "row_labels": [["Women"]], "col_labels": ["a", "b", "t"],
                "row_sums": [], "col_sums": [{"total": 2, "parts": [0, 1]}]}
    t = Observed.from_dict(released, truth=[[3, 20, 23]])
    assert t.cells == [[None, 20, 23]]
    assert t.col_sums == [Line(2, (0, 1))]
    assert t.row_labels == [("Women",)]
    assert attack([t], threshold=5).findings[0].row_label == ("Women",)
