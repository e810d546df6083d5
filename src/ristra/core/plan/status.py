"""A measure's status, Healthy People 2030 style, with the uncertainty respected.

Statuses (:data:`STATUSES`):

* ``target_met`` — the latest value is at or beyond the target;
* ``improving`` — the interval of the change from baseline excludes zero, in the desired direction;
* ``little_or_no_change`` — the interval of the change includes zero;
* ``getting_worse`` — the interval excludes zero, against the desired direction;
* ``insufficient_data`` — fewer than :data:`~.projection.MIN_POINTS` points from the baseline
  year on, no value in the baseline year, or small numbers behind the baseline or the latest
  value (then no status is claimed, however the point estimates moved).

Beside the status: the change with its interval, the percent of the targeted change achieved, the
projection to the target year (:func:`~.projection.project`) and what it would take
(:func:`~.projection.what_it_would_take`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from ristra.core.plan.bindings import Point
from ristra.core.plan.model import Measure
from ristra.core.plan.projection import (
    MIN_POINTS,
    Need,
    Projection,
    project,
    standard_error,
    what_it_would_take,
)
from ristra.core.stats.arguments import normal_quantile

TARGET_MET, IMPROVING, NO_CHANGE, WORSE, INSUFFICIENT = (
    "target_met",
    "improving",
    "little_or_no_change",
    "getting_worse",
    "insufficient_data",
)
STATUSES = (TARGET_MET, IMPROVING, NO_CHANGE, WORSE, INSUFFICIENT)
#: a published status that a suppressed value it needs withholds (:mod:`.released`)
WITHHELD = "withheld"
STATUS_LABELS = {
    WITHHELD: "Withheld",
    TARGET_MET: "Target met",
    IMPROVING: "Improving",
    NO_CHANGE: "Little or no detectable change",
    WORSE: "Getting worse",
    INSUFFICIENT: "Insufficient data",
}


@dataclass(frozen=True)
class Change:
    """The change from baseline to the latest value with its interval and two-sided p-value."""

    difference: float
    standard_error: float
    lower: float
    upper: float
    p_value: float

    @property
    def excludes_zero(self) -> bool:
        return self.lower > 0 or self.upper < 0

    def to_dict(self) -> dict[str, object]:
        return {
            "difference": self.difference,
            "standard_error": self.standard_error,
            "lower": self.lower,
            "upper": self.upper,
            "p_value": self.p_value,
            "excludes_zero": self.excludes_zero,
        }


def change_from_baseline(baseline: Point, latest: Point, confidence: float = 0.95) -> Change:
    """The difference latest − baseline with a ``confidence`` interval.

    Method: d = v₁ − v₀ with SE(d) = √(SE₀² + SE₁²), each SE from its point's interval
    (:func:`~.projection.standard_error`); the interval is d ± z·SE(d) and p = 2(1 − Φ(|d|/SE(d))).
    This is the test Healthy People 2030 uses to tell "improving" and "getting worse" from
    "little or no detectable change" (the change is significant when its interval excludes 0).

    Assumptions: the two values are independent estimates (different cohorts or years); when the
    same people are in both (a faculty headcount two years apart) the true SE is smaller and the
    test is conservative. Normal approximation to each estimate. SE NaN (an interval missing)
    gives a NaN interval, which excludes nothing.

    Reference: National Center for Health Statistics, *Healthy People 2030 Technical Notes*
    (measuring progress: "statistical significance of the change from baseline"), and Talih M,
    Huang DT, "Measuring progress toward target attainment and the elimination of health
    disparities in Healthy People 2020", Healthy People Statistical Notes 27 (2016).
    """
    d = latest.value - baseline.value
    se = math.hypot(standard_error(baseline, confidence), standard_error(latest, confidence))
    z = normal_quantile(confidence)
    if not math.isfinite(se):
        return Change(d, math.nan, math.nan, math.nan, math.nan)
    p = 2.0 * float(stats.norm.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    return Change(d, se, d - z * se, d + z * se, p)


def percent_of_targeted_change(baseline: float, latest: float, target: float) -> float:
    """Percent of the targeted change achieved: 100 × (latest − baseline) / (target − baseline).

    Method: Healthy People 2030's measure of progress toward a target; 100 % or more when the
    target is met, negative when the measure moved away from it. NaN when the target equals the
    baseline (no change was targeted). Assumption: the point estimates, without their
    uncertainty; read it with the status, which has it. Reference: NCHS, *Healthy People 2030
    Technical Notes* ("percent of targeted change achieved").
    """
    if target == baseline:
        return math.nan
    return 100.0 * (latest - baseline) / (target - baseline)


def target_met(value: float, target: float, direction: str) -> bool:
    return value >= target if direction == "increase" else value <= target


@dataclass(frozen=True)
class MeasureStatus:
    """Everything said about one measure in one computation (see the module docstring)."""

    measure: str
    status: str
    reason: str
    baseline: Point | None
    latest: Point | None
    points: tuple[Point, ...]
    change: Change | None
    percent_achieved: float | None
    projection: Projection | None
    need: Need | None
    entered: bool = False

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_dict(self) -> dict[str, object]:
        def finite(v: float | None) -> float | None:
            return v if v is not None and math.isfinite(v) else None

        return {
            "measure": self.measure,
            "status": self.status,
            "label": self.label,
            "reason": self.reason,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "latest": self.latest.to_dict() if self.latest else None,
            "points": [p.to_dict() for p in self.points],
            "change": self.change.to_dict() if self.change else None,
            "percent_achieved": finite(self.percent_achieved),
            "projection": self.projection.to_dict() if self.projection else None,
            "need": self.need.to_dict() if self.need else None,
            "entered": self.entered,
        }


def baseline_point(measure: Measure, points: Sequence[Point]) -> Point | None:
    """The baseline: the pinned value of the plan when it has one, else the series' point in the
    baseline year (None when the series has none)."""
    b = measure.baseline
    if b.value is not None:
        lower = b.lower if b.lower is not None else math.nan
        upper = b.upper if b.upper is not None else math.nan
        found = next((p for p in points if p.year == b.year), None)
        return Point(
            b.year,
            b.value,
            lower,
            upper,
            found.count if found else None,
            found.total if found else None,
            found.per_share if found else 1.0,
            found.small_number if found else False,
            entered=found is None,
        )
    return next((p for p in points if p.year == b.year), None)


def measure_status(
    measure: Measure, points: Sequence[Point], confidence: float = 0.95, scale_method: str = "estimated"
) -> MeasureStatus:
    """The status of ``measure`` given its yearly series ``points`` (see the module docstring for
    the classes and :func:`change_from_baseline`, :func:`percent_of_targeted_change`,
    :func:`~.projection.project` and :func:`~.projection.what_it_would_take` for the methods).

    The order of the rules: insufficient data first (nothing is claimed from too few points or
    small numbers), then target met, then the change from baseline.
    """
    series = tuple(sorted((p for p in points if p.year >= measure.baseline.year), key=lambda p: p.year))
    entered = any(p.entered for p in series)
    base = baseline_point(measure, series)
    later = [p for p in series if p.year > measure.baseline.year]
    latest = later[-1] if later else None
    target, direction = measure.target, measure.direction

    def result(
        status: str,
        reason: str,
        change: Change | None = None,
        percent: float | None = None,
        projection: Projection | None = None,
        need: Need | None = None,
    ) -> MeasureStatus:
        return MeasureStatus(
            measure.id, status, reason, base, latest, series, change, percent, projection, need, entered
        )

    if base is None:
        return result(INSUFFICIENT, f"no value in the baseline year {measure.baseline.year}")
    if latest is None:
        return result(INSUFFICIENT, "no value after the baseline year")
    change = change_from_baseline(base, latest, confidence)
    sign = 1.0 if direction == "increase" else -1.0
    # a target that is not beyond the baseline in the plan's direction has no "targeted change"
    percent = (
        percent_of_targeted_change(base.value, latest.value, target.value)
        if sign * (target.value - base.value) > 0
        else None
    )
    projection = project(series, target.year, target.value, direction, confidence, scale_method)
    need = what_it_would_take(latest, target.value, target.year, direction)
    args = (change, percent, projection, need)
    if len(series) < MIN_POINTS:
        return result(
            INSUFFICIENT,
            f"{len(series)} point(s) from the baseline year on; a status needs {MIN_POINTS}",
            *args,
        )
    small = [str(p.year) for p in (base, latest) if p.small_number]
    if small:
        return result(INSUFFICIENT, f"small numbers behind the value of {' and '.join(small)}", *args)
    if target_met(latest.value, target.value, direction):
        return result(
            TARGET_MET,
            f"{latest.year}: {latest.value:.3g} is at or beyond the target {target.value:.3g}",
            *args,
        )
    if not math.isfinite(change.standard_error):
        return result(INSUFFICIENT, "a value without an interval: the change cannot be tested", *args)
    if not change.excludes_zero:
        return result(
            NO_CHANGE,
            f"the {int(confidence * 100)}% interval of the change "
            f"[{change.lower:+.3g}, {change.upper:+.3g}] includes 0",
            *args,
        )
    towards = change.difference > 0 if direction == "increase" else change.difference < 0
    side = "toward" if towards else "away from"
    return result(
        IMPROVING if towards else WORSE,
        f"the change {change.difference:+.3g} "
        f"[{change.lower:+.3g}, {change.upper:+.3g}] excludes 0 and moves {side} the target",
        *args,
    )
