"""Bounds for unknown membership (issue 15, item 5): the closed forms of
``ristra.core.stats.unknowns`` against an independent implementation — every assignment of the
unknown people enumerated, person by person — including k = 0, k = n, n = 1, empty groups and
everybody unknown; and the bounds on metric rows against the same enumeration from the raw rows."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ristra.core.metrics.specs import (
    FunnelSpec,
    RepresentationRatioSpec,
    RepresentationSpec,
    SelectionRatioSpec,
    TrendSpec,
)
from ristra.core.stats.unknowns import (
    Bounds,
    fixed_ratio_bounds,
    impact_ratio_bounds,
    rate_bounds,
    ratio_bounds,
    share_bounds,
)
from support.metrics import engine_results


def _ratio(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return math.nan if a == 0 else math.inf
    return a / b


def _extremes(values: list[float]) -> Bounds:
    finite = [v for v in values if not math.isnan(v)]
    return Bounds(min(finite), max(finite)) if finite else Bounds(math.nan, math.nan)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15)


def enumerate_share(k: int, known: int, unknown: int) -> Bounds:
    """Each unknown person in the group or not: 2^u assignments, the share of each."""
    total = known + unknown
    if total == 0:
        return Bounds(math.nan, math.nan)
    return _extremes([(k + sum(a)) / total for a in itertools.product((0, 1), repeat=unknown)])


def enumerate_rate(k: int, n: int, uk: int, un: int) -> list[float]:
    """Each unknown person (uk selected, un − uk not) in the group or not: the group's rate."""
    people = [1] * uk + [0] * (un - uk)
    out = []
    for inside in itertools.product((0, 1), repeat=len(people)):
        kk = k + sum(p for p, i in zip(people, inside, strict=True) if i)
        nn = n + sum(inside)
        out.append(kk / nn if nn else math.nan)
    return out


def enumerate_impact(k: int, n: int, rk: int, rn: int, uk: int, un: int) -> list[float]:
    """Each unknown person in the group, the reference or a third group: the impact ratio."""
    people = [1] * uk + [0] * (un - uk)
    out = []
    for where in itertools.product((0, 1, 2), repeat=len(people)):
        gk = k + sum(p for p, w in zip(people, where, strict=True) if w == 0)
        gn = n + sum(1 for w in where if w == 0)
        qk = rk + sum(p for p, w in zip(people, where, strict=True) if w == 1)
        qn = rn + sum(1 for w in where if w == 1)
        out.append(math.nan if gn == 0 or qn == 0 else _ratio(gk / gn, qk / qn))
    return out


SHARE_CASES = [(0, 0, 0), (0, 0, 3), (0, 1, 0), (1, 1, 0), (0, 1, 1), (1, 1, 1), (0, 5, 2), (5, 5, 2), (2, 7, 4),
               (3, 3, 0), (0, 4, 4)]


@pytest.mark.parametrize("k, known, unknown", SHARE_CASES)
def test_share_bounds_are_the_extremes_of_every_assignment(k: int, known: int, unknown: int) -> None:
    got, want = share_bounds(k, known, unknown), enumerate_share(k, known, unknown)
    assert _same(got.low, want.low)
    assert _same(got.high, want.high)
    if known:
        assert got.contains(k / known)  # the share of the known lies between


def test_share_bounds_everyone_unknown_and_a_crossing() -> None:
    assert share_bounds(0, 0, 4) == Bounds(0.0, 1.0)
    # a crossing: of 3 unknowns only 1 could be in the level
    assert share_bounds(2, 9, 3, joinable=1) == Bounds(2 / 12, 3 / 12)
    with pytest.raises(ValueError):
        share_bounds(2, 9, 3, joinable=4)
    with pytest.raises(ValueError):
        share_bounds(3, 2, 0)
    with pytest.raises(ValueError):
        share_bounds(1, 2, -1)


RATE_CASES = [(0, 0, 0, 0), (0, 0, 0, 2), (0, 0, 2, 2), (0, 0, 1, 3), (0, 1, 0, 0), (1, 1, 0, 0), (1, 1, 1, 1),
              (0, 1, 0, 1), (0, 5, 2, 4), (5, 5, 2, 4), (3, 8, 0, 3), (3, 8, 3, 3), (2, 6, 1, 4)]


@pytest.mark.parametrize("k, n, uk, un", RATE_CASES)
def test_rate_bounds_are_the_extremes_of_every_assignment(k: int, n: int, uk: int, un: int) -> None:
    got, want = rate_bounds(k, n, uk, un), _extremes(enumerate_rate(k, n, uk, un))
    if n == 0:  # the extremes of the assignments that leave the group non-empty
        assert math.isnan(got.low) or got.low >= want.low - 1e-15
        assert math.isnan(got.high) or got.high <= want.high
        if un - uk:
            assert got.low == want.low == 0.0
        if uk:
            assert got.high == want.high == 1.0
    else:
        assert _same(got.low, want.low)
        assert _same(got.high, want.high)
        assert got.contains(k / n)
        # counting every unknown in (the naive scenario) lies inside the bounds
        assert got.contains((k + uk) / (n + un))


IMPACT_CASES = [(5, 10, 8, 10, 0, 0), (5, 10, 8, 10, 1, 1), (5, 10, 8, 10, 0, 2), (5, 10, 8, 10, 2, 3),
                (0, 4, 3, 6, 1, 2), (4, 4, 6, 6, 1, 3), (1, 1, 1, 1, 1, 1), (0, 1, 1, 2, 0, 1), (2, 5, 0, 4, 1, 2),
                (3, 7, 9, 9, 2, 4), (6, 6, 548 // 100, 627 // 100, 2, 2)]


@pytest.mark.parametrize("k, n, rk, rn, uk, un", IMPACT_CASES)
def test_impact_ratio_bounds_are_the_extremes_of_every_assignment(k: int, n: int, rk: int, rn: int, uk: int,
                                                                  un: int) -> None:
    got = impact_ratio_bounds(k, n, rk, rn, uk, un)
    want = _extremes(enumerate_impact(k, n, rk, rn, uk, un))
    assert _same(got.low, want.low)
    assert _same(got.high, want.high)


def test_impact_ratio_bounds_undefined_sides() -> None:
    # an empty group whose unknowns were all selected: the low extreme leaves the group empty
    b = impact_ratio_bounds(0, 0, 3, 5, 2, 2)
    assert math.isnan(b.low)
    assert b.high == pytest.approx(1.0 / (3 / 5))
    # a reference rate that can be 0 gives an infinite upper bound
    assert impact_ratio_bounds(2, 4, 0, 3, 0, 1).high == math.inf


def test_ratio_bounds_over_two_populations_and_a_benchmark() -> None:
    a, b = share_bounds(3, 10, 2), share_bounds(10, 40, 5)
    got = ratio_bounds(a, b)
    values = [_ratio(x, y) for x in (3 / 12, 4 / 12, 5 / 12) for y in (10 / 45, 12 / 45, 15 / 45)]
    assert got.low == pytest.approx(min(values))
    assert got.high == pytest.approx(max(values))
    assert ratio_bounds(Bounds(0.0, 0.2), Bounds(0.0, 0.5)).high == math.inf
    assert math.isnan(ratio_bounds(Bounds(math.nan, math.nan), b).low)
    assert fixed_ratio_bounds(a, 0.5) == Bounds(a.low / 0.5, a.high / 0.5)
    with pytest.raises(ValueError):
        fixed_ratio_bounds(a, 0.0)


# --------------------------------------------------------------------------- on metric rows

RNG = np.random.default_rng(15_5)
SEXES = ("female", "male", "unknown")


def _applications(n: int = 240) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        sex = SEXES[RNG.choice(3, p=[0.5, 0.4, 0.1])]
        interviewed = bool(RNG.random() < 0.5)
        offered = interviewed and bool(RNG.random() < (0.3 if sex == "female" else 0.5))
        rows.append({"application_id": f"A{i}", "person_id": f"P{i}", "sex": sex, "hispanic": "no",
                     "race": ["white"], "cycle": int(RNG.integers(2021, 2023)), "program": "MD", "in_state": "yes",
                     "completed": True, "interviewed": interviewed, "offered": offered, "declined": False,
                     "waitlisted": False, "matriculated": offered and bool(RNG.random() < 0.8)})
    return rows


APPS = _applications()
LEVEL = {"female": "yes", "male": "no", "unknown": "unknown"}


def _count(cycle: int | None, level: str, flag: str | None = None) -> int:
    return sum(1 for a in APPS if (cycle is None or a["cycle"] == cycle) and LEVEL[a["sex"]] == level
               and (flag is None or a[flag]))


def test_representation_and_trend_rows_carry_share_bounds(tmp_path: Path) -> None:
    rep, trend = engine_results(tmp_path, [RepresentationSpec("women", "applications", ("cycle",)),
                                           TrendSpec("women", "applications")], {"applications": APPS})
    for result in (rep, trend):
        assert any("share_unknown_low" in n for n in result.notes)
        for r in result.records():
            year = r.get("cycle", r.get("year"))
            assert isinstance(year, int)
            if r["level"] == "unknown":
                assert r["share_unknown_low"] is None
                assert r["share_unknown_high"] is None
                continue
            k, u = _count(year, r["level"]), _count(year, "unknown")
            total = sum(_count(year, lv) for lv in ("yes", "no", "unknown"))
            assert r["share_unknown_low"] == pytest.approx(k / total, rel=1e-12)
            assert r["share_unknown_high"] == pytest.approx((k + u) / total, rel=1e-12)


def test_ratio_rows_carry_share_and_ratio_bounds(tmp_path: Path) -> None:
    [state, stage] = engine_results(tmp_path, [RepresentationRatioSpec("women", "applications"),
                                               RepresentationRatioSpec("women", "applications", stage="offered")],
                                    {"applications": APPS})
    [row] = state.records()
    k, u, total = _count(None, "yes"), _count(None, "unknown"), len(APPS)
    b = row["reference_share"]
    assert (row["share_unknown_low"], row["share_unknown_high"]) == pytest.approx((k / total, (k + u) / total))
    assert row["ratio_unknown_low"] == pytest.approx(k / total / b)
    assert row["ratio_unknown_high"] == pytest.approx((k + u) / total / b)
    assert row["ratio_unknown_low"] <= row["ratio"] <= row["ratio_unknown_high"]
    prev = next(r for r in stage.records() if r["reference"] == "previous_stage")
    k1, u1 = _count(None, "yes", "offered"), _count(None, "unknown", "offered")
    n1 = sum(_count(None, lv, "offered") for lv in LEVEL.values())
    k0, u0 = _count(None, "yes", "interviewed"), _count(None, "unknown", "interviewed")
    n0 = sum(_count(None, lv, "interviewed") for lv in LEVEL.values())
    assert prev["reference_unknown"] == u0
    assert prev["ratio_unknown_low"] == pytest.approx((k1 / n1) / ((k0 + u0) / n0))
    assert prev["ratio_unknown_high"] == pytest.approx(((k1 + u1) / n1) / (k0 / n0))


def test_selection_and_funnel_rows_carry_rate_and_impact_bounds(tmp_path: Path) -> None:
    [sel, funnel] = engine_results(tmp_path, [SelectionRatioSpec("women", stages=("offered",)), FunnelSpec("women")],
                                   {"applications": APPS})
    assert any("impact_unknown_low" in n for n in sel.notes)
    for r in sel.records():
        cycle = r.get("cycle")
        assert cycle is None or isinstance(cycle, int)
        if r["group"] == "unknown":
            assert r["impact_unknown_low"] is None
            continue
        uk, un = _count(cycle, "unknown", "offered"), _count(cycle, "unknown", "interviewed")
        k, n = r["selected"], r["total"]
        rk, rn = r["reference_selected"], r["reference_total"]
        rate = _extremes(enumerate_rate(k, n, uk, un)) if un <= 14 else rate_bounds(k, n, uk, un)
        assert r["rate_unknown_low"] == pytest.approx(k / (n + un - uk))
        assert r["rate_unknown_high"] == pytest.approx((k + uk) / (n + uk))
        assert rate.low == pytest.approx(r["rate_unknown_low"])
        assert rate.high == pytest.approx(r["rate_unknown_high"])
        assert r["impact_unknown_low"] == pytest.approx((k / (n + un - uk)) / ((rk + uk) / (rn + uk)))
        assert r["impact_unknown_high"] == pytest.approx(((k + uk) / (n + uk)) / (rk / (rn + un - uk)))
        assert r["impact_unknown_low"] <= r["impact_ratio"] <= r["impact_unknown_high"]
    for r in funnel.records():
        if r["level"] == "unknown" or r["previous_stage"] is None:
            assert r["conversion_unknown_low"] is None
            continue
        if r["stage"] != "offered":
            continue
        uk, un = _count(r["cycle"], "unknown", "offered"), _count(r["cycle"], "unknown", "interviewed")
        k, n = r["count"], r["previous_count"]
        assert r["conversion_unknown_low"] == pytest.approx(k / (n + un - uk))
        assert r["conversion_unknown_high"] == pytest.approx((k + uk) / (n + uk))


def test_no_bounds_note_when_unknowns_are_merged(tmp_path: Path) -> None:
    from ristra.core.metrics.plans.base import unknown_bounds_note
    from support.metrics import context_for

    g = context_for({"applications": APPS}).grouping("women")
    assert unknown_bounds_note(g, "x")
    assert not unknown_bounds_note(g.with_unknown_merged(), "x")
