"""Statistics end to end: metric results computed by the engine from rows, against SciPy,
statsmodels and lifelines computed directly from the same rows (relative error below 1e-9, or
the reference's own tolerance)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from ristra.core.metrics.specs import RepresentationSpec, RetentionSpec, SelectionRatioSpec, TrendSpec
from support.metrics import engine_results
from support.strata_reference import exact_reference, mantel_fleiss_distance

REL = 1e-9
RNG = np.random.default_rng(20250701)
SEXES = ("female", "male", "unknown")


def _applications(n: int = 600) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        sex = SEXES[RNG.choice(3, p=[0.5, 0.45, 0.05])]
        cycle = int(RNG.integers(2021, 2024))
        interviewed = bool(RNG.random() < (0.5 if sex == "female" else 0.35))
        offered = interviewed and bool(RNG.random() < (0.35 if sex == "female" else 0.5))
        rows.append({"application_id": f"A{i}", "person_id": f"P{i}", "sex": sex, "hispanic": "no",
                     "race": ["white"], "cycle": cycle, "program": "MD", "in_state": "yes", "completed": True,
                     "interviewed": interviewed, "offered": offered, "declined": False, "waitlisted": False,
                     "matriculated": False})
    return rows


APPS = _applications()


def _level(row: dict[str, Any]) -> str:
    return {"female": "yes", "male": "no"}.get(row["sex"], "unknown")


def test_wilson_intervals_match_statsmodels(tmp_path: Path) -> None:
    [result] = engine_results(tmp_path, [RepresentationSpec("women", "applications", ("cycle",))], {"applications": APPS})
    for r in result.records():
        k = sum(1 for a in APPS if a["cycle"] == r["cycle"] and _level(a) == r["level"])
        n = sum(1 for a in APPS if a["cycle"] == r["cycle"])
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert (r["count"], r["total"]) == (k, n)
        assert r["lower"] == pytest.approx(lo, rel=REL)
        assert r["upper"] == pytest.approx(hi, rel=REL)


def _counts(stage: str, base: str, cycle: int | None = None) -> dict[str, tuple[int, int]]:
    out = {}
    for level in ("yes", "no", "unknown"):
        rows = [a for a in APPS if _level(a) == level and a[base] and (cycle is None or a["cycle"] == cycle)]
        out[level] = (sum(1 for a in rows if a[stage]), len(rows))
    return out


def _reference_of(counts: dict[str, tuple[int, int]]) -> str:
    # the reference: the known group (never unknown) of at least 30 people with the highest rate
    return max((g for g in counts if g != "unknown" and counts[g][1] >= 30),
               key=lambda g: (counts[g][0] / counts[g][1], counts[g][1]))


def _table(counts: dict[str, tuple[int, int]], group: str, reference: str) -> list[list[int]]:
    (a, n1), (c, n0) = counts[group], counts[reference]
    return [[a, n1 - a], [c, n0 - c]]


@pytest.mark.parametrize("adjustment, method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_selection_tests_match_scipy_and_statsmodels(tmp_path: Path, adjustment: str, method: str) -> None:
    spec = SelectionRatioSpec("women", ("cycle",), ("interviewed", "offered"), adjustment=adjustment)
    [result] = engine_results(tmp_path, [spec], {"applications": APPS})
    records = result.records()
    family: list[float] = []  # every Fisher test of the result, then every test across strata
    across: list[float] = []
    for r in records:
        base = "completed" if r["stage"] == "interviewed" else "interviewed"
        cycle = r.get("cycle") if r["scope"] == "stratum" else None
        counts = _counts(r["stage"], base, cycle)
        reference = _reference_of(counts)
        assert r["reference_group"] == reference
        table = _table(counts, r["group"], reference)
        assert r["fisher_p"] == pytest.approx(stats.fisher_exact(table)[1], rel=REL)
        if r["chi_square_p"] is not None:
            assert r["chi_square_p"] == pytest.approx(stats.chi2_contingency(table, correction=False)[1], rel=REL)
        if r["in_family"]:
            family.append(r["fisher_p"])
        if r["scope"] != "pooled":
            assert r["mh_p"] is None
            assert r["stratified_p"] is None
            assert r["breslow_day_p"] is None
            continue
        per_cycle = [_table(_counts(r["stage"], base, cycle), r["group"], reference) for cycle in (2021, 2022, 2023)]
        st = StratifiedTable([np.array(t) for t in per_cycle])
        assert r["mh_odds_ratio"] == pytest.approx(st.oddsratio_pooled, rel=REL)
        assert r["mh_p"] == pytest.approx(st.test_null_odds(correction=False).pvalue, rel=REL)
        lo, hi = st.oddsratio_pooled_confint(alpha=0.05)
        assert r["mh_lower"] == pytest.approx(lo, rel=REL)
        assert r["mh_upper"] == pytest.approx(hi, rel=REL)
        assert r["breslow_day_p"] == pytest.approx(st.test_equal_odds(adjust=True).pvalue, rel=1e-8)
        assert r["breslow_day_statistic"] == pytest.approx(st.test_equal_odds(adjust=True).statistic, rel=1e-8)
        assert r["breslow_day_df"] == 2
        distance = mantel_fleiss_distance(per_cycle)
        assert r["mantel_fleiss"] == pytest.approx(distance, rel=REL)
        if distance >= 5:  # the known groups: large strata, the MH test is the one to read
            assert r["stratified_test"] == "mantel_haenszel"
            assert r["stratified_p"] == r["mh_p"]
            assert r["exact_p"] is None
        else:  # unknown sex (5 %): sparse strata, the exact conditional test
            assert r["stratified_test"] == "exact_conditional"
            assert r["group"] == "unknown"
            p_value, _ = exact_reference(per_cycle)
            assert r["stratified_p"] == r["exact_p"] == pytest.approx(p_value, rel=REL)
        if r["in_family"]:
            across.append(r["stratified_p"])
    family += across
    reject, adjusted, *_ = multipletests(family, alpha=0.05, method=method)
    ours: list[float] = []
    decisions: list[bool] = []
    for r in records:
        if r["in_family"]:
            ours.append(r["adjusted_p"])
            decisions.append(r["adjusted_reject"])
    for r in records:
        if r["in_family"] and r["scope"] == "pooled":
            ours.append(r["stratified_adjusted_p"])
            decisions.append(r["stratified_adjusted_reject"])
    assert ours == pytest.approx(list(adjusted), rel=REL)
    assert decisions == list(reject)
    in_family = [r for r in records if r["in_family"]]
    assert {r["family_size"] for r in in_family} == {len(family)} == {len(ours)}
    assert all(r["adjustment"] == adjustment for r in in_family)
    assert all(str(len(family)) in r["family"] for r in in_family)
    assert any(f"{len(family)} tests" in note for note in result.notes)
    if adjustment == "holm":
        assert [r["holm_p"] for r in in_family] == [r["adjusted_p"] for r in in_family]
    else:
        assert all(r["holm_p"] is None for r in records)
        assert all(r["holm_reject"] is None for r in records)
    for unknown in (r for r in records if r["group"] == "unknown"):
        assert unknown["in_family"] is False
        assert unknown["family"] is None
        assert unknown["adjusted_p"] is None
        assert unknown["holm_p"] is None
        assert unknown["fisher_p"] is not None


def one_row(rows: list[dict[str, Any]], **match: object) -> dict[str, Any]:
    [found] = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


def test_trend_matches_statsmodels_linear_by_linear(tmp_path: Path) -> None:
    from statsmodels.stats.contingency_tables import Table

    [result] = engine_results(tmp_path, [TrendSpec("women", "applications")], {"applications": APPS})
    rows = [r for r in result.records() if r["level"] == "yes"]
    k = np.array([r["count"] for r in rows], dtype=float)
    n = np.array([r["total"] for r in rows], dtype=float)
    table = Table(np.column_stack([k, n - k]), shift_zeros=False)
    reference = table.test_ordinal_association(row_scores=np.array([r["year"] for r in rows], dtype=float),
                                               col_scores=np.array([1.0, 0.0]))
    big_n = n.sum()
    # Cochran–Armitage divides by N where the linear-by-linear statistic divides by N − 1.
    assert rows[0]["trend_z"] == pytest.approx(reference.zscore * np.sqrt(big_n / (big_n - 1)), rel=REL)
    assert rows[0]["trend_p"] == pytest.approx(2 * stats.norm.sf(abs(rows[0]["trend_z"])), rel=REL)


# --------------------------------------------------------------------------- survival

WINDOW = dt.date(2015, 1, 1)
AS_OF = WINDOW + dt.timedelta(days=3001)  # odd: censoring times are odd, entry times even


def _employees(n: int = 90) -> list[dict[str, Any]]:
    """Faculty whose entry times (days) are even and exit times odd and all distinct, so no entry
    coincides with an exit (where lifelines' conventions differ) and no two exits tie."""
    rows, used = [], set()
    for i in range(n):
        hire = WINDOW + dt.timedelta(days=2 * int(RNG.integers(-2000, 1400)))
        separation = None
        if RNG.random() < 0.6:
            while True:
                stay = 2 * int(RNG.integers(1, 2500)) + 1
                end = hire + dt.timedelta(days=stay)
                if WINDOW < end < AS_OF and (end - hire).days not in used:
                    break
            separation = end
        exit_days = ((separation or AS_OF) - hire).days
        if exit_days in used or exit_days <= max((WINDOW - hire).days, 0):
            continue
        used.add(exit_days)
        rows.append({"appointment_id": f"H{i}", "person_id": f"P{i}", "sex": SEXES[int(RNG.integers(0, 2))],
                     "hispanic": "no", "race": ["white"], "employee_class": "faculty", "rank": "professor",
                     "department": "Medicine", "senior_administrative": "no", "hire_date": hire,
                     "separation_date": separation,
                     "separation_reason": ["retirement", "resignation_personal"][i % 2] if separation else None})
    return rows


EMPLOYEES = _employees()


def _follow_up(level: str, window: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = [e for e in EMPLOYEES if _level(e) == level]
    entry = np.array([max((window - e["hire_date"]).days, 0) for e in rows]) / 365.25
    exit_ = np.array([((e["separation_date"] or AS_OF) - e["hire_date"]).days for e in rows]) / 365.25
    cause = np.array([0 if e["separation_date"] is None else 1 + (e["separation_reason"] == "resignation_personal")
                      for e in rows])
    return entry, exit_, cause > 0, cause


def test_kaplan_meier_and_competing_exits_match_lifelines(tmp_path: Path) -> None:
    spec = RetentionSpec("women", "faculty", (1.0, 3.0, 5.0), WINDOW.isoformat(), AS_OF.isoformat())
    [result] = engine_results(tmp_path, [spec], {"employees": EMPLOYEES})
    entry, exit_, event, cause = _follow_up("yes", WINDOW)
    km = KaplanMeierFitter().fit(exit_, event, entry=entry)
    rows = {(r["measure"], r["horizon"]): r for r in result.records() if r["level"] == "yes"}
    for h in (1.0, 3.0, 5.0):
        assert rows[("retention", h)]["estimate"] == pytest.approx(float(km.survival_function_at_times(h).iloc[0]),
                                                                 rel=REL)
        ci = km.confidence_interval_survival_function_
        at = ci[ci.index <= h].iloc[-1]
        assert rows[("retention", h)]["lower"] == pytest.approx(float(at.iloc[0]), rel=1e-6)
        assert rows[("retention", h)]["upper"] == pytest.approx(float(at.iloc[1]), rel=1e-6)
    for code, reason in ((1, "retirement"), (2, "resignation_personal")):
        aj = AalenJohansenFitter(calculate_variance=True, jitter_level=0.0).fit(exit_, cause, code, entry=entry)
        curve = aj.cumulative_density_
        for h in (3.0, 5.0):
            expected = float(curve[curve.index <= h].iloc[-1, 0])
            assert rows[(f"exit:{reason}", h)]["estimate"] == pytest.approx(expected, rel=REL)


def test_log_rank_matches_lifelines_without_truncation(tmp_path: Path) -> None:
    early = dt.date(1990, 1, 1)
    spec = RetentionSpec("women", "faculty", (3.0,), early.isoformat(), AS_OF.isoformat())
    [result] = engine_results(tmp_path, [spec], {"employees": EMPLOYEES})
    _, xa, ea, _ = _follow_up("yes", early)
    _, xb, eb, _ = _follow_up("no", early)
    reference = logrank_test(xa, xb, ea, eb)
    row = next(r for r in result.records() if r["measure"] == "retention")
    assert row["logrank_statistic"] == pytest.approx(reference.test_statistic, rel=1e-8)
    assert row["logrank_p"] == pytest.approx(reference.p_value, rel=1e-8)


@pytest.mark.parametrize("span", [400, 40_000, 200_000])
def test_compact_records_match_the_plain_computation(span: int) -> None:
    """The compacted records (radix-sorted days, merged cumulative counts) are those of a plain
    stable argsort and ``np.unique``, bit for bit — for days spanning few and many values."""
    from ristra.core.metrics.plans.follow_up import DAYS_PER_YEAR, LevelFollowUp, compact_records

    rng = np.random.default_rng(span)
    for _ in range(5):
        n_entries, n_exits = int(rng.integers(1, 300)), int(rng.integers(1, 900))
        exit_people = rng.integers(1, 50, n_exits)
        entry_people = np.bincount(rng.integers(0, n_entries, int(exit_people.sum())), minlength=n_entries)
        keep = entry_people > 0
        level = LevelFollowUp(rng.integers(0, span // 2 + 1, n_entries)[keep], entry_people[keep],
                              rng.integers(span // 2 + 1, span, n_exits), rng.integers(0, 4, n_exits), exit_people)
        e_order = np.argsort(level.entry_days, kind="stable")
        x_order = np.argsort(level.exit_days, kind="stable")
        ce, cx = np.cumsum(level.entry_people[e_order]), np.cumsum(level.exit_people[x_order])
        breaks = np.unique(np.concatenate((ce, cx)))
        starts = np.concatenate(([0], breaks[:-1]))
        ei, xi = np.searchsorted(ce, starts, side="right"), np.searchsorted(cx, starts, side="right")
        records = compact_records(level)
        expected = (level.entry_days[e_order][ei] / DAYS_PER_YEAR, level.exit_days[x_order][xi] / DAYS_PER_YEAR,
                    level.exit_events[x_order][xi].astype(np.int64), (breaks - starts).astype(np.float64))
        for ours, reference in zip((records.entry, records.exit, records.event, records.weight), expected, strict=True):
            assert ours.dtype == reference.dtype
            assert np.array_equal(ours, reference)
