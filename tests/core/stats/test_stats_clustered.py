"""Repeat applicants (issue 15, item 4): the GEE score test clustered by person against
statsmodels' ``GEE(..., groups=person, cov_struct=Independence()).compare_score_test`` directly
(binary covariate and year; singletons, rates of 0 and 1, tiny and empty data), the selection-ratio
and trend results on applications with repeat applicants against the same statsmodels fit on the
raw rows, and person-level counting (first / latest application per person in a window) against
counts by hand and the Python reference evaluator."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.genmod.cov_struct import Independence
from statsmodels.stats.multitest import multipletests

from ristra.core.metrics.errors import InvalidSpecification
from ristra.core.metrics.specs import FunnelSpec, SelectionRatioSpec, TrendSpec, make_spec
from ristra.core.stats.clustered import clustered_score_test
from support.metrics import engine_results, reference_results

REL = 1e-9


def statsmodels_score(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """(statistic, p) of statsmodels' GEE score test of the slope (logistic, independence). The
    covariate is centred (the test does not change; statsmodels' iterations converge better)."""
    x = x - x.mean()
    full = sm.GEE(y, sm.add_constant(x, has_constant="add"), groups=groups, family=sm.families.Binomial(),
                  cov_struct=Independence())
    sub = sm.GEE(y, np.ones((len(y), 1)), groups=groups, family=sm.families.Binomial(),
                 cov_struct=Independence()).fit()
    r = full.compare_score_test(sub)
    return float(r["statistic"]), float(r["p-value"])


def ours(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> Any:
    return clustered_score_test(groups, x, np.ones(len(y)), y)


@pytest.mark.parametrize("seed, clusters, size", [(1, 80, 300), (2, 300, 300), (3, 40, 400), (4, 150, 200)])
def test_binary_covariate_matches_statsmodels_gee(seed: int, clusters: int, size: int) -> None:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, clusters, size)
    x = (rng.random(size) < 0.4).astype(float)
    y = (rng.random(size) < 0.3 + 0.15 * x).astype(float)
    stat, p = statsmodels_score(y, x, groups)
    t = ours(y, x, groups)
    assert t.z ** 2 == pytest.approx(stat, rel=REL)
    assert t.p_value == pytest.approx(p, rel=REL)
    assert t.clusters == len(set(groups))
    assert t.observations == size


def test_year_covariate_matches_statsmodels_gee() -> None:
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 120, 400)
    x = rng.integers(2015, 2025, 400).astype(float)
    y = (rng.random(400) < 0.2 + 0.02 * (x - 2015)).astype(float)
    stat, p = statsmodels_score(y, x, groups)
    t = ours(y, x, groups)
    assert t.z ** 2 == pytest.approx(stat, rel=REL)
    assert t.p_value == pytest.approx(p, rel=REL)
    assert t.z > 0


def test_grouped_rows_equal_one_row_per_observation() -> None:
    # person 0: two applications in the group (one selected), person 1: one in each
    grouped = clustered_score_test([0, 1, 1, 2], [1, 1, 0, 0], [2, 1, 1, 3], [1, 1, 0, 1])
    flat = clustered_score_test([0, 0, 1, 1, 2, 2, 2], [1, 1, 1, 0, 0, 0, 0], np.ones(7), [1, 0, 1, 0, 1, 0, 0])
    assert grouped.z == pytest.approx(flat.z, rel=1e-12)
    assert grouped.largest_cluster == 3


def test_singletons_and_a_rate_of_one_match_statsmodels() -> None:
    rng = np.random.default_rng(11)
    x = (rng.random(120) < 0.5).astype(float)
    y = np.where(x == 1, 1.0, (rng.random(120) < 0.6).astype(float))  # the group's rate is 1
    groups = np.arange(120)
    stat, p = statsmodels_score(y, x, groups)
    t = ours(y, x, groups)
    assert not t.repeats
    assert t.z ** 2 == pytest.approx(stat, rel=REL)
    assert t.p_value == pytest.approx(p, rel=REL)


def test_boundaries() -> None:
    # k = 0 (and k = n) everywhere: no information, z = 0, p = 1
    for y in (np.zeros(10), np.ones(10)):
        t = ours(y, np.array([1.0] * 5 + [0.0] * 5), np.arange(10) // 2)
        assert (t.z, t.p_value) == (0.0, 1.0)
    # n = 1, a covariate that does not vary, or nothing at all: undefined
    assert math.isnan(ours(np.ones(1), np.ones(1), np.zeros(1)).p_value)
    assert math.isnan(ours(np.array([0.0, 1.0]), np.ones(2), np.arange(2)).p_value)
    empty = clustered_score_test([], [], [], [])
    assert math.isnan(empty.p_value)
    assert empty.clusters == 0
    assert math.isnan(clustered_score_test([0], [1], [0], [0]).p_value)  # rows with n = 0 are ignored
    with pytest.raises(ValueError):
        clustered_score_test([0], [1], [1], [2])
    with pytest.raises(ValueError):
        clustered_score_test([0, 1], [1], [1], [1])


# --------------------------------------------------------------------------- on metric results

RNG = np.random.default_rng(154)


def _applications() -> list[dict[str, Any]]:
    rows = []
    i = 0
    for p in range(260):
        sex = ("female", "male", "unknown")[RNG.choice(3, p=[0.5, 0.45, 0.05])]
        persistence = RNG.random() < 0.5  # a person's own propensity: applications of one person correlate
        for cycle in sorted(RNG.choice([2020, 2021, 2022, 2023], size=int(RNG.integers(1, 4)), replace=False)):
            interviewed = bool(RNG.random() < (0.7 if persistence else 0.3))
            offered = interviewed and bool(RNG.random() < (0.35 if sex == "female" else 0.55))
            rows.append({"application_id": f"A{i:04d}", "person_id": f"P{p:03d}", "sex": sex, "hispanic": "no",
                         "race": ["white"], "cycle": int(cycle), "program": "MD", "in_state": "yes",
                         "completed": True, "interviewed": interviewed, "offered": offered, "declined": False,
                         "waitlisted": False, "matriculated": offered and bool(RNG.random() < 0.7)})
            i += 1
    return rows


APPS = _applications()
LEVEL = {"female": "yes", "male": "no", "unknown": "unknown"}


def _gee(rows: list[dict[str, Any]], group: str, reference: str, stage: str, base: str) -> tuple[float, float]:
    kept = [a for a in rows if a[base] and LEVEL[a["sex"]] in (group, reference)]
    y = np.array([float(a[stage]) for a in kept])
    x = np.array([float(LEVEL[a["sex"]] == group) for a in kept])
    people = np.array([int(a["person_id"][1:]) for a in kept])
    return statsmodels_score(y, x, people)


def test_selection_ratio_clusters_repeat_applicants_by_default(tmp_path: Path) -> None:
    assert len({a["person_id"] for a in APPS}) < len(APPS)  # there are repeat applicants
    [result, ignored] = engine_results(tmp_path, [SelectionRatioSpec("women"),
                                                  SelectionRatioSpec("women", repeat_applicants="ignore")],
                                       {"applications": APPS})
    rows = result.records()
    pooled = [r for r in rows if r["scope"] == "pooled" and r["in_family"]]
    assert pooled
    assert any("GEE score test clustered by person" in n for n in result.notes)
    for r in pooled:
        stat, p = _gee(APPS, r["group"], r["reference_group"], r["stage"],
                       {"interviewed": "completed", "offered": "interviewed", "matriculated": "offered"}[r["stage"]])
        assert r["clustered_test"] == "gee_score"
        assert r["clustered_p"] == pytest.approx(p, rel=REL)
        assert r["clustered_z"] ** 2 == pytest.approx(stat, rel=REL)
        kept = {a["person_id"] for a in APPS if LEVEL[a["sex"]] in (r["group"], r["reference_group"])
                and a[{"interviewed": "completed", "offered": "interviewed", "matriculated": "offered"}[r["stage"]]]}
        assert r["people"] == len(kept)
        assert r["family_test"] == ("gee_score" if r["chi_square_p"] is not None else "fisher")
    strata = [r for r in rows if r["scope"] == "stratum" and r["in_family"] and r["stage"] == "offered"]
    assert strata
    for r in strata:
        stat, p = _gee([a for a in APPS if a["cycle"] == r["cycle"]], r["group"], r["reference_group"], "offered",
                       "interviewed")
        assert r["clustered_p"] == pytest.approx(p, rel=REL)
    # the family: each row's family test (clustered where chosen) and every stratified test, Holm-adjusted
    members = [(r["clustered_p"] if r["family_test"] == "gee_score" else r["fisher_p"]) for r in rows
               if r["in_family"] and r["fisher_p"] is not None]
    members += [r["stratified_p"] for r in rows if r["in_family"] and r["stratified_p"] is not None]
    adjusted = multipletests(members, method="holm")[1]
    got = [r["adjusted_p"] for r in rows if r["in_family"] and r["fisher_p"] is not None]
    assert got == pytest.approx(list(adjusted[:len(got)]), rel=REL)
    # repeat_applicants=ignore: Fisher's test throughout, as before
    assert {r["family_test"] for r in ignored.records() if r["in_family"]} == {"fisher"}
    assert all(r["clustered_p"] is None for r in ignored.records())


def test_trend_on_applications_has_the_clustered_test(tmp_path: Path) -> None:
    [result] = engine_results(tmp_path, [TrendSpec("women", "applications")], {"applications": APPS})
    assert any("clustered_p" in n for n in result.notes)
    for level in ("yes", "no"):
        row = next(r for r in result.records() if r["level"] == level)
        y = np.array([float(LEVEL[a["sex"]] == level) for a in APPS])
        x = np.array([float(a["cycle"]) for a in APPS])
        stat, p = statsmodels_score(y, x, np.array([int(a["person_id"][1:]) for a in APPS]))
        assert row["clustered_p"] == pytest.approx(p, rel=REL)
        assert row["clustered_z"] ** 2 == pytest.approx(stat)
        assert row["people"] == len({a["person_id"] for a in APPS})


def _one_per_person(counting: str, lo: int | None = None, hi: int | None = None) -> list[dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    for a in APPS:
        if (lo is not None and a["cycle"] < lo) or (hi is not None and a["cycle"] > hi):
            continue
        best = chosen.get(a["person_id"])
        key, best_key = (a["cycle"], a["application_id"]), best and (best["cycle"], best["application_id"])
        if best is None or (key < best_key if counting == "first" else key > best_key):
            chosen[a["person_id"]] = a
    return list(chosen.values())


@pytest.mark.parametrize("counting, lo, hi", [("first", None, None), ("latest", None, None), ("first", 2021, 2022),
                                              ("applications", 2022, None)])
def test_person_level_counting(tmp_path: Path, counting: str, lo: int | None, hi: int | None) -> None:
    specs = [FunnelSpec("women", counting=counting, from_cycle=lo, to_cycle=hi),
             SelectionRatioSpec("women", counting=counting, from_cycle=lo, to_cycle=hi)]
    funnel, selection = engine_results(tmp_path, specs, {"applications": APPS})
    expected = (_one_per_person(counting, lo, hi) if counting != "applications"
                else [a for a in APPS if a["cycle"] >= (lo or 0) and a["cycle"] <= (hi or 9999)])
    for r in funnel.records():
        want = sum(1 for a in expected if a["cycle"] == r["cycle"] and LEVEL[a["sex"]] == r["level"]
                   and (r["stage"] == "applied" or a[r["stage"]]))
        assert r["count"] == want
    assert any(n.startswith("counted:") for n in funnel.notes)
    if counting != "applications":
        assert all(r["clustered_p"] is None for r in selection.records())
        assert any("one application per person" in n for n in selection.notes)
    # the Python reference evaluator agrees with the SQL
    ref_funnel, ref_selection = reference_results(specs, {"applications": APPS})
    assert ref_funnel.records() == funnel.records()
    def adjusted(result: Any) -> list[float]:
        return [math.nan if r["adjusted_p"] is None else r["adjusted_p"] for r in result.records()]

    assert adjusted(ref_selection) == pytest.approx(adjusted(selection), rel=REL, nan_ok=True)


def test_counting_options_are_checked() -> None:
    with pytest.raises(InvalidSpecification):
        make_spec("funnel", category="women", counting="people")
    with pytest.raises(InvalidSpecification):
        make_spec("selection-ratio", category="women", from_cycle=2022, to_cycle=2021)
    with pytest.raises(InvalidSpecification):
        make_spec("trend", category="women", repeat_applicants="sometimes")
