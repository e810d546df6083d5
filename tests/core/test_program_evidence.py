"""The program page's rule for linkage-quality and comparison figures (ristra.core.program_evidence):
a derived value only from released cells, a model output only when every count it rests on is
released and at least the threshold, and otherwise "withheld" with the reason. The released tables
here are made by the one release function from tables written out by hand."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.disclosure import INTERNAL, ReleasedTable, release
from ristra.core.program_evidence import (
    DERIVED,
    MODEL,
    STAGES,
    TIERS_TABLE,
    Needed,
    comparison_table,
    decide,
    evidence,
)
from ristra.core.stats.ratios import score_ratio
from ristra.core.tables import Sum, Table, crosstab

PROGRAM = "PP01"
OUTCOMES = "dashboard/outcomes-PP01"


def _released(key: str, rows: list[str], cols: list[str], counts: list[list[int]]) -> ReleasedTable:
    return release(crosstab("by hand", counts, rows=rows, cols=cols, key=key), INTERNAL)


def _comparison(counts: list[list[int]]) -> ReleasedTable:
    return _released(comparison_table(PROGRAM), list(STAGES), ["Participants", "Comparison"], counts)


BIG = [[80, 400], [60, 300], [30, 120], [20, 60], [15, 50]]


def test_a_derived_figure_rests_on_released_cells() -> None:
    tables = {comparison_table(PROGRAM): _comparison(BIG)}
    needed = [Needed(comparison_table(PROGRAM), "Completed", "Participants"),
              Needed(comparison_table(PROGRAM), "Applications", "Participants")]
    values, why = decide(tables, needed, DERIVED, INTERNAL.threshold)
    assert values == [60, 80]
    assert why is None


def test_a_suppressed_cell_withholds_and_names_the_cell_not_its_value() -> None:
    small = [[80, 400], [60, 300], [30, 120], [3, 60], [2, 50]]
    table = _comparison(small)
    assert table.cells[3][0] is None
    values, why = decide({table.key: table}, [Needed(table.key, "Offered", "Participants")], DERIVED,
                         INTERNAL.threshold)
    assert values is None
    assert why == (f"withheld: {table.key} (Offered / Participants) is suppressed in the publication; "
                   "figures are computed only from released counts")


def test_a_cell_the_publication_does_not_hold_withholds() -> None:
    values, why = decide({}, [Needed(TIERS_TABLE, "linked", "Roster rows")], DERIVED, INTERNAL.threshold)
    assert values is None
    assert why == (f"withheld: the publication holds no table {TIERS_TABLE}; figures are computed only from "
                   "released counts")


def test_a_model_output_needs_every_count_at_the_threshold() -> None:
    zeros = [[80, 400], [60, 300], [30, 120], [20, 60], [0, 50]]
    table = _comparison(zeros)
    assert table.cells[4][0] == 0  # a zero is released
    needed = [Needed(table.key, s, "Participants") for s in STAGES]
    derived, why_derived = decide({table.key: table}, needed, DERIVED, INTERNAL.threshold)
    assert derived == [80, 60, 30, 20, 0]
    assert why_derived is None
    model, why_model = decide({table.key: table}, needed, MODEL, INTERNAL.threshold)
    assert model is None
    assert why_model is not None
    assert why_model.startswith(f"withheld: {table.key} (Matriculated / Participants) is below the threshold of 5")


def test_the_comparison_figures_from_released_counts() -> None:
    tables = {comparison_table(PROGRAM): _comparison(BIG)}
    made = evidence(PROGRAM, tables, INTERNAL.threshold, outcomes_key=OUTCOMES, clerical_sample=False)
    share = next(f for f in made.comparison if f.label == "Participants: completed of applications")
    lower, upper = proportion_confint(60, 80, method="wilson")
    assert share.text == f"60 of 80 (75%; 95% CI {lower:.0%}–{upper:.0%}, Wilson)"
    ratio = next(f for f in made.comparison if f.label == "Selection-rate ratio, interviewed / completed")
    expected = score_ratio(30, 60, 120, 300)
    assert ratio.text == (f"50% vs 40%; ratio {expected.ratio:.2f} "
                          f"(95% CI {expected.lower:.2f}–{expected.upper:.2f})")
    assert expected.ratio == pytest.approx(1.25)


def test_the_balanced_comparison_is_withheld_without_its_covariate_counts() -> None:
    tables = {comparison_table(PROGRAM): _comparison(BIG)}
    made = evidence(PROGRAM, tables, INTERNAL.threshold, outcomes_key=OUTCOMES, clerical_sample=False)
    assert [f.text for f in made.balanced] == [None, None, None]
    assert made.balanced[0].withheld is not None
    assert made.balanced[0].withheld.startswith("withheld: the publication holds no table dashboard/covariates-PP01")


def test_the_linked_share_from_the_outcomes_table() -> None:
    table = Table(title="outcomes", row_dims=("Cohort",), row_labels=(("2020",), ("2021",), ("All cohorts",)),
                  col_dim="Participants", col_labels=("Participants", "Linked", "Not linked"),
                  counts=((30, 20, 10), (30, 20, 10), (60, 40, 20)), row_sums=(Sum(2, (0, 1)),),
                  col_sums=(Sum(0, (1, 2)),), key=OUTCOMES)
    made = evidence(PROGRAM, {OUTCOMES: release(table, INTERNAL)}, INTERNAL.threshold, outcomes_key=OUTCOMES,
                    clerical_sample=False)
    linked = made.quality[0]
    lower, upper = proportion_confint(40, 60, method="wilson")
    assert linked.text == f"40 of 60 (67%; 95% CI {lower:.0%}–{upper:.0%}, Wilson)"
    tiers = [f for f in made.quality if f.label.startswith("Roster rows")]
    assert [f.label for f in tiers] == ["Roster rows linked by identifier", "Roster rows linked",
                                        "Roster rows in review or decided in review", "Roster rows not linked"]
    assert {f.withheld for f in tiers} == {f"withheld: the publication holds no table {TIERS_TABLE}; figures are "
                                           "computed only from released counts"}


def test_precision_and_recall_say_when_there_is_no_clerical_sample() -> None:
    made = evidence(PROGRAM, {}, INTERNAL.threshold, outcomes_key=OUTCOMES, clerical_sample=False)
    precision = next(f for f in made.quality if f.label == "Precision (clerical sample)")
    assert precision.withheld is not None
    assert precision.withheld.startswith("no clerical sample has been labelled")
    labelled = evidence(PROGRAM, {}, INTERNAL.threshold, outcomes_key=OUTCOMES, clerical_sample=True)
    recall = next(f for f in labelled.quality if f.label == "Recall (clerical sample)")
    assert recall.withheld == (f"withheld: the publication holds no table {TIERS_TABLE} (and 3 more); figures are "
                               "computed only from released counts")
