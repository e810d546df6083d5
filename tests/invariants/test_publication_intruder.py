"""The intruder against the publication: everything one audience is served from the demo school —
every report, every dashboard panel under every filter, the API (which serves the same panels) —
and two successive publications around a one-record correction.

The intruder (``tests/support/intruder.py``) is written independently of the production audit: it
writes every relation it can infer from what each cell means (identities, sums over a dimension,
``in`` sums, the levels of a category, order relations, equalities between measures) and solves
``min``/``max`` of every suppressed cell by linear programming. Before the publication, the same
intruder recovered 598 hidden small counts of the public audience and 296 of the internal one
(``tests/support/collect_before.py``); a recovered cell here is a failure of the publication.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ristra.core.disclosure import INTERNAL, PUBLIC, Policy  # noqa: E402
from ristra.services import publication  # noqa: E402
from support.collect_before import build_school, late_separation  # noqa: E402
from support.collect_publication import filter_combinations, observe, source_cells  # noqa: E402
from support.intruder import attack, attack_snapshots  # noqa: E402

DEMO_SIZE = 1700  # applications per cycle of `ristra demo`


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Path], Path]:
    root = tmp_path_factory.mktemp("publication-intruder")
    workspace, paths = build_school(root / "data", DEMO_SIZE, 20250701)
    from ristra.services.plans import PlanService
    from ristra.stores.plans import demo_plan_text

    plans = PlanService(workspace)  # the demo plan's scorecard is part of what the audience is served
    plans.import_text(demo_plan_text(), "the demo plan")
    plans.close()
    return workspace, paths, root


def _truth(workspace: Any, policy: Policy) -> Any:
    return publication.build(workspace, Policy(policy.audience, 1), record=False)


@pytest.fixture(scope="module")
def published(school: tuple[Any, dict[str, Path], Path]) -> dict[str, tuple[Any, Any]]:
    workspace, _, _ = school
    publication.clear_cache()
    return {p.audience: (publication.build(workspace, p), _truth(workspace, p)) for p in (PUBLIC, INTERNAL)}


@pytest.mark.parametrize("policy", [PUBLIC, INTERNAL], ids=["public", "internal"])
def test_no_hidden_small_count_follows_from_the_whole_publication(published: dict[str, tuple[Any, Any]],
                                                                  policy: Policy) -> None:
    made, truth = published[policy.audience]
    observed = observe(made, truth)
    assert sum(o.key.startswith("plan-scorecard.som-dei-2030/") for o in observed) >= 6  # the scorecard too
    result = attack(observed, policy.threshold)
    assert result.inconsistent == [], "a relation or a published value disagrees with the true counts"
    assert result.published_sensitive == []
    assert result.sensitive > 50  # the intruder had small counts to go after
    assert result.recovered == 0, [str(f) for f in result.findings[:5]]
    assert made.summary.passed
    assert made.loss.suppressed > 0


def test_every_dashboard_panel_under_every_filter_shows_only_published_cells(
        published: dict[str, tuple[Any, Any]]) -> None:
    from ristra.services.dashboard import panels

    made, _ = published["public"]
    checked = 0
    for filters in filter_combinations(made):
        if filters.department not in (None, "No such department") and filters.year not in (None, 2025):
            continue  # the department narrows one panel only; every department is checked with two years
        built = panels(made, filters, dict(made.snapshots), made.category_version)
        for panel in built.panels:
            for (r, c), (key, sr, sc) in source_cells(made, panel):
                assert panel.table.cells[r][c] == made.tables[key].cells[sr][sc], (filters, panel.key, r, c)
                checked += 1
            for d in panel.table.derived:
                assert (d.value is None) or not d.suppressed
    assert checked > 10_000


def test_a_correction_between_two_publications_reveals_nothing(school: tuple[Any, dict[str, Path], Path],
                                                               published: dict[str, tuple[Any, Any]]) -> None:
    workspace, paths, root = school
    before, truth_before = published["public"]
    late_separation(workspace, paths, root / "employees-corrected.csv")
    after = publication.build(workspace, PUBLIC)
    assert after.snapshots["employees"] != before.snapshots["employees"]
    truth_after = _truth(workspace, PUBLIC)
    result = attack_snapshots(observe(before, truth_before), observe(after, truth_after), 1, PUBLIC.threshold)
    assert result.inconsistent == []
    assert result.recovered == 0, [str(f) for f in result.findings[:5]]
    # the history is recorded: two publications served to the public from two sets of snapshots
    served = [r for r in publication.History(workspace, PUBLIC).records() if r["state"] == "served"]
    assert [r["snapshots"]["employees"] for r in served[-2:]] == [before.snapshots["employees"],
                                                                  after.snapshots["employees"]]


def test_derived_values_are_recomputed_from_the_published_counts_of_their_own_table(
        published: dict[str, tuple[Any, Any]]) -> None:
    """Shares, rates and selection-rate ratios of every report table, recomputed here from the
    published counts of the same table and stratum; a suppressed count suppresses them."""
    made, _ = published["public"]
    checked = 0
    for key, t in made.tables.items():
        cols = list(t.col_labels)
        rows = [tuple(labels) for labels in t.row_labels]
        for d in t.derived:
            if d.column == "Share in category" and "All" in cols:
                yes, total = t.cells[d.row][0], t.cells[d.row][cols.index("All")]
                expected = None if yes is None or total is None else (yes / total if total else None)
            elif d.column == "Rate from the stage before":
                stage, level = rows[d.row]
                stages = list(dict.fromkeys(r[0] for r in rows))
                before = rows.index((stages[stages.index(stage) - 1], level))
                now, then = t.cells[d.row][0], t.cells[before][0]
                expected = None if now is None or then is None else (now / then if then else None)
            elif d.column == "Selection-rate ratio":
                stage, level = rows[d.row]
                stages = list(dict.fromkeys(r[0] for r in rows))
                prior = stages[stages.index(stage) - 1]
                other = next(r[1] for r in rows if r[0] == stage and r[1] not in (level, "All"))
                a, b = t.cells[d.row][0], t.cells[rows.index((prior, level))][0]
                c, e = t.cells[rows.index((stage, other))][0], t.cells[rows.index((prior, other))][0]
                expected = None if None in (a, b, c, e) else (a / b) / (c / e) if b and e and c else None
            else:
                continue
            checked += 1
            assert d.value == pytest.approx(expected) if expected is not None else d.value is None, (key, d)
    assert checked > 500
