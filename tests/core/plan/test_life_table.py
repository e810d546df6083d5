"""Yearly life tables of a survival measure and the Kaplan–Meier estimate from them: a
hand-computed table and its known answer, agreement with lifelines' ``KaplanMeierFitter``
(estimate and Greenwood variance) when every time is a whole number of years, left truncation,
and withholding when a count is suppressed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from ristra.core.plan import Baseline, MetricBinding, Target
from ristra.core.plan.life_table import LifeInterval, life_table, life_table_survival
from ristra.core.plan.model import Measure
from ristra.core.plan.released import YearCounts, point_from_counts, released_status, survival_roles
from ristra.core.plan.status import WITHHELD

# ten people, no late entry: exits (years) and whether they left (1) or were censored (0)
EXITS = [0.5, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0]
EVENTS = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1]


def test_a_hand_computed_life_table() -> None:
    table = life_table(np.zeros(10), EXITS, EVENTS, 3)
    # (0, 1]: 10 followed, 1 left (0.5), 1 censored (1.0), 8 continue
    # (1, 2]: 8 from before, 2 left (1.5, 2.0), 1 censored (2.0), 5 continue
    # (2, 3]: 5 from before, 1 left (3.0), 2 censored (2.5, 3.0), 2 continue
    assert table[0] == LifeInterval(0, 0, 10, 0, 10, 1, 0, 1, 8)
    assert table[1] == LifeInterval(1, 8, 0, 0, 8, 2, 0, 1, 5)
    assert table[2] == LifeInterval(2, 5, 0, 0, 5, 1, 1, 1, 2)


def test_the_survival_of_a_hand_computed_life_table_and_its_greenwood_variance() -> None:
    found = life_table_survival(life_table(np.zeros(10), EXITS, EVENTS, 3))
    assert found is not None
    # (2, 3]: the person censored at 2.5 is at risk for half of it: n = 5 − 1/2
    survival = (1 - 1 / 10) * (1 - 2 / 8) * (1 - 1 / 4.5)  # 0.525
    assert found.survival == pytest.approx(survival, abs=1e-15)
    greenwood = 1 / (10 * 9) + 2 / (8 * 6) + 1 / (4.5 * 3.5)
    assert found.variance == pytest.approx(survival**2 * greenwood, abs=1e-15)
    # log(-log) interval: exp(-exp(log(-log S) ± z sqrt(Σ) / log S))
    z = 1.959963984540054
    spread = z * math.sqrt(greenwood) / math.log(survival)
    assert found.lower == pytest.approx(math.exp(-math.exp(math.log(-math.log(survival)) - spread)), abs=1e-12)
    assert found.upper == pytest.approx(math.exp(-math.exp(math.log(-math.log(survival)) + spread)), abs=1e-12)
    assert (found.people, found.events) == (10, 4)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_whole_year_times_the_life_table_is_lifelines_kaplan_meier(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    entry = rng.integers(0, 3, n).astype(float)  # left truncation at whole years
    exit_ = entry + rng.integers(1, 8, n)
    event = rng.random(n) < 0.4
    weights = rng.integers(1, 4, n).astype(float)
    fitter = KaplanMeierFitter().fit(exit_, event, entry=entry, weights=weights)
    for horizon in (1, 3, 5):
        found = life_table_survival(life_table(entry, exit_, event, horizon, weights))
        assert found is not None
        expected = float(fitter.survival_function_at_times(horizon).iloc[0])
        assert found.survival == pytest.approx(expected, abs=1e-10)
        # Greenwood's sum Σ d / (n (n − d)) up to the horizon, as lifelines keeps it
        greenwood = float(fitter._cumulative_sq_.loc[horizon])
        assert found.variance == pytest.approx(expected**2 * greenwood, abs=1e-10)
        # and the log(−log) interval lifelines computes from it
        band = fitter.confidence_interval_.loc[horizon]
        assert found.lower == pytest.approx(float(band.iloc[0]), abs=1e-10)
        assert found.upper == pytest.approx(float(band.iloc[1]), abs=1e-10)


def test_late_entrants_join_the_interval_they_enter_and_the_identities_hold() -> None:
    entry = [0.0, 0.0, 0.0, 1.4, 2.0]
    exit_ = [0.7, 2.5, 3.0, 2.2, 2.9]
    event = [1, 1, 0, 1, 0]
    table = life_table(entry, exit_, event, 3)
    assert [i.entering_at_start for i in table] == [3, 0, 1]
    assert [i.entering_during for i in table] == [0, 1, 0]
    assert [i.followed for i in table] == [3, 3, 4]
    assert [i.events for i in table] == [1, 0, 2]
    assert [(i.censored_during, i.censored_at_end) for i in table] == [(0, 0), (0, 0), (1, 1)]
    for i, nxt in zip(table, table[1:], strict=False):
        assert i.continuing == nxt.from_before
    for i in table:
        assert i.followed == i.from_before + i.entering_at_start + i.entering_during
    for i in table:
        assert i.followed == i.events + i.censored_during + i.censored_at_end + i.continuing
    found = life_table_survival(table)
    assert found is not None
    # (1, 2]: the entrant at 1.4 is at risk for about half of it; no event there
    assert found.survival == pytest.approx((1 - 1 / 3) * 1 * (1 - 2 / (4 - 1 / 2)), abs=1e-15)


def _survival_measure(kind: str) -> Measure:
    options: tuple[tuple[str, object], ...] = (("horizon", 2),)
    if kind == "promotion":
        options += (("from_rank", "assistant_professor"), ("to_rank", "associate_professor"))
    return Measure("M", "O", "a measure", MetricBinding(kind, "urm_nm", options), "increase", Baseline(2016),
                   Target(0.9, 2030), years=(2016, 2020))


def _year(year: int, followed: tuple[int | None, int | None], events: tuple[int | None, int | None]) -> YearCounts:
    counts: dict[str, int | None] = {}
    for k in range(2):
        counts |= {f"followed:{k}": followed[k], f"events:{k}": events[k], f"entering_at_start:{k}": 50 if k == 0 else 0,
                   f"entering_during:{k}": 0, f"censored_during:{k}": 0}
    return YearCounts(year, counts)


def test_retention_and_promotion_values_from_published_life_tables() -> None:
    year = _year(2016, (50, 40), (6, 4))
    assert set(year.counts) == set(survival_roles(2))
    retention = point_from_counts("retention", year)
    promotion = point_from_counts("promotion", year)
    assert retention is not None
    assert promotion is not None
    assert retention.value == pytest.approx((1 - 6 / 50) * (1 - 4 / 40), abs=1e-15)
    assert promotion.value == pytest.approx(1 - (1 - 6 / 50) * (1 - 4 / 40), abs=1e-15)
    assert promotion.lower == pytest.approx(1 - retention.upper, abs=1e-15)
    assert retention.total == 50


def test_a_suppressed_life_table_count_withholds_the_status_naming_the_year() -> None:
    series = [_year(y, (50, 40), (6, 4)) for y in range(2016, 2021)]
    series[-1] = _year(2020, (50, 40), (6, None))
    status, hidden = released_status(_survival_measure("retention"), series)
    assert status.status == WITHHELD
    assert hidden == (2020,)
    assert "the counts of 2020 are suppressed" in status.reason
    assert point_from_counts("retention", series[-1]) is None
