"""Linkage quality against the synthetic school's ground truth (roster → admissions identities).

The threshold is calibrated on a labelled third of the roster rows (a clerical sample, as an
analyst would label) and quality is measured on every row, overall and by subgroup: Hispanic
surnames, compound surnames, women whose surname changed, American Indian/Alaska Native.
Targets (issue 16): F1 ≥ 0.98 overall; each subgroup within 0.02 of it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ristra.core.linkage import LINKED, LINKED_BY_IDENTIFIER, LinkQuality, link_quality
from ristra.core.linkage_estimates import (
    LabelledRow,
    estimate_by_subgroup,
    estimate_link_quality,
    stratified_sample,
)
from ristra.linkage import link
from ristra.synth import generate

SUBGROUPS = ("hispanic_surname", "compound_surname", "surname_changed", "aian")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    paths = generate(tmp_path_factory.mktemp("school"), identities=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE roster AS SELECT * FROM read_csv(?, all_varchar = true)", [str(paths["participants"])])
    con.execute("CREATE TABLE ids AS SELECT * FROM read_csv(?, all_varchar = true)", [str(paths["admissions_identities"])])
    truth = dict(con.execute("SELECT participant_id, person_id FROM read_csv(?, all_varchar = true)",
                             [str(paths["participant_links"])]).fetchall())
    identity_of = dict(con.execute("SELECT participant_id, identity_id FROM read_csv(?, all_varchar = true)",
                                   [str(paths["participant_links"])]).fetchall())
    subgroups: dict[str, set[str]] = {g: set() for g in SUBGROUPS}
    for _dataset, person, groups in con.execute(
            "SELECT dataset, person_id, subgroups FROM read_csv(?, all_varchar = true)", [str(paths["identity_truth"])]).fetchall():
        for g in (groups or "").split(";"):
            if g in subgroups:
                subgroups[g].add(person)  # the person, whichever row (roster person or identity) says so
    rows = sorted(truth)
    sample = random.Random(16).sample(rows, len(rows) // 3)
    run = link(con, "roster", "ids", person_key="roster_id", group_key="program_id",
               labels={r: truth[r] for r in sample})
    result = con.execute("SELECT roster_id, person_id, tier, match_weight FROM linkage_result").fetchall()
    links = {r: p for r, p, tier, _ in result if tier in (LINKED, LINKED_BY_IDENTIFIER)}
    by_group = {g: [r for r in rows if identity_of[r] in people or (truth[r] in people)] for g, people in subgroups.items()}
    return {"run": run, "truth": truth, "links": links, "by_group": by_group, "rows": rows, "result": result,
            "sample": set(sample)}


def test_overall_f1(outcome: dict[str, Any]) -> None:
    quality: LinkQuality = link_quality(outcome["links"], outcome["truth"])
    held_out = [r for r in outcome["rows"] if r not in outcome["sample"]]
    print("overall", quality.to_dict())
    print("held out", link_quality(outcome["links"], outcome["truth"], held_out).to_dict())
    assert quality.f1 >= 0.98
    assert link_quality(outcome["links"], outcome["truth"], held_out).f1 >= 0.975


@pytest.mark.parametrize("group", SUBGROUPS)
def test_subgroup_f1_near_overall(outcome: dict[str, Any], group: str) -> None:
    overall = link_quality(outcome["links"], outcome["truth"]).f1
    rows = outcome["by_group"][group]
    quality = link_quality(outcome["links"], outcome["truth"], rows)
    linked_truth = sum(1 for r in rows if outcome["truth"][r] is not None)
    print(group, len(rows), linked_truth, quality.to_dict())
    assert linked_truth >= 30, "the synthetic school must plant enough of this subgroup to measure it"
    assert quality.f1 >= overall - 0.02


def test_threshold_is_calibrated_not_fixed(outcome: dict[str, Any]) -> None:
    run = outcome["run"]
    assert run.calibrated
    assert run.calibration.labelled_rows == len(outcome["sample"])
    assert run.counts[LINKED_BY_IDENTIFIER] > 0
    assert run.counts[LINKED] > 0


def test_output_holds_ids_weights_and_tiers_only(outcome: dict[str, Any]) -> None:
    run = outcome["run"]
    assert set(run.to_dict()) == {"table", "threshold", "calibrated", "calibration", "counts", "seconds"}
    for roster_id, person_id, tier, weight in outcome["result"]:
        assert roster_id.startswith("R")
        assert person_id is None or person_id.startswith("P")
        assert tier in ("linked by identifier", "linked", "review", "not linked")
        assert weight is None or isinstance(weight, float)


def test_siblings_sharing_an_address_are_not_linked(outcome: dict[str, Any], tmp_path: Path) -> None:
    truth, links = outcome["truth"], outcome["links"]
    wrong = [r for r, p in links.items() if truth[r] != p]
    assert len(wrong) <= 0.02 * len(links)


def _labelled(outcome: dict[str, Any], rows: list[str]) -> list[LabelledRow]:
    tiers = {r: tier for r, _, tier, _ in outcome["result"]}
    groups = {r: frozenset(g for g, members in outcome["by_group"].items() if r in members)
              for r in rows}
    return [LabelledRow(tiers[r], outcome["links"].get(r), outcome["truth"][r], groups[r])
            for r in rows]


def test_intervals_from_a_stratified_clerical_sample_cover_the_truth(outcome: dict[str, Any]) -> None:
    """Repeated stratified samples (60 labelled rows per tier) of the run: the 95 % Wilson
    intervals of precision and recall cover the values measured on every row about 95 % of the
    time, overall and for the Hispanic-surname subgroup."""
    truth, links = outcome["truth"], outcome["links"]
    by_tier: dict[str, list[str]] = {}
    for r, _, tier, _ in outcome["result"]:
        by_tier.setdefault(tier, []).append(r)
    population = {t: len(rs) for t, rs in by_tier.items()}
    actual = link_quality(links, truth)
    group = set(outcome["by_group"]["hispanic_surname"])
    group_population = {t: sum(1 for r in rs if r in group) for t, rs in by_tier.items()}
    group_actual = link_quality(links, truth, sorted(group))
    covered = {"precision": 0, "recall": 0, "group precision": 0, "group recall": 0}
    trials = 200
    for seed in range(trials):
        sample = stratified_sample(by_tier, 60, seed)
        labelled = _labelled(outcome, [r for rs in sample.values() for r in rs])
        q = estimate_link_quality(population, labelled)
        g = estimate_by_subgroup({"hispanic_surname": group_population}, labelled)["hispanic_surname"]
        covered["precision"] += q.precision.lower <= actual.precision <= q.precision.upper
        covered["recall"] += q.recall.lower <= actual.recall <= q.recall.upper
        covered["group precision"] += g.precision.lower <= group_actual.precision <= g.precision.upper
        covered["group recall"] += g.recall.lower <= group_actual.recall <= g.recall.upper
    rates = {k: v / trials for k, v in covered.items()}
    print("coverage", rates, "precision", actual.precision, "recall", actual.recall)
    assert all(0.88 <= rate <= 1.0 for rate in rates.values()), rates
    one = estimate_link_quality(population, _labelled(outcome, [r for rs in stratified_sample(by_tier, 60, 0).values()
                                                                 for r in rs]))
    assert one.precision.upper - one.precision.lower < 0.1
    assert one.recall.upper - one.recall.lower < 0.15
