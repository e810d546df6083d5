"""Where a measure is heading: a weighted trend projected to the target year, the chance of
reaching the target, and what it would take to reach it.

Standard errors come from the intervals the engine reports (:func:`standard_error`): every
metric states its own interval method (Wilson for shares, score or Katz for ratios, Greenwood for
Kaplan–Meier), and the plan reads the uncertainty from it rather than recomputing it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ristra.core.plan.bindings import Point
from ristra.core.stats.arguments import normal_quantile

#: The fewest points a trend is fitted to (and a status is classified from).
MIN_POINTS = 5
SCALES = ("estimated", "known")


def standard_error(point: Point, confidence: float = 0.95) -> float:
    """The standard error of a point's value read from its interval: (upper − lower) / (2 z).

    Method: for an interval symmetric on the value's own scale, value ± z·SE, this is exact; for
    the Wilson interval of a share it is the score interval's half-width over z (close to the
    binomial SE away from 0 and 1, and never zero, so a share of 0 % or 100 % still has weight);
    for asymmetric intervals (ratios, Kaplan–Meier near 1) it is the average half-width, an
    approximation. NaN when the interval is missing or unbounded (then the point cannot be
    weighed). Assumes ``confidence`` is the interval's level (the engine's default, 95 %).

    Reference: Higgins JPT et al. (eds), *Cochrane Handbook for Systematic Reviews of
    Interventions*, version 6.4 (2023), §6.3.1 (standard errors from confidence intervals).
    """
    if not (math.isfinite(point.lower) and math.isfinite(point.upper)):
        return math.nan
    return (point.upper - point.lower) / (2.0 * normal_quantile(confidence))


@dataclass(frozen=True)
class BandPoint:
    year: int
    value: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, object]:
        return {"year": self.year, "value": self.value, "lower": self.lower, "upper": self.upper}


@dataclass(frozen=True)
class Projection:
    """The weighted trend at ``year`` (``value`` with its standard error and ``confidence``
    interval), the slope per year, the residual ``scale`` used and ``probability`` that the trend
    reaches the target by the target year; ``band`` is the interval year by year from the last
    point to ``year`` (for charts)."""

    year: int
    value: float
    standard_error: float
    lower: float
    upper: float
    slope: float
    slope_standard_error: float
    scale: float
    df: int
    probability: float
    points: int
    scale_method: str
    band: tuple[BandPoint, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "value": self.value,
            "standard_error": self.standard_error,
            "lower": self.lower,
            "upper": self.upper,
            "slope": self.slope,
            "slope_standard_error": self.slope_standard_error,
            "scale": self.scale,
            "df": self.df,
            "probability": self.probability,
            "points": self.points,
            "scale_method": self.scale_method,
            "band": [b.to_dict() for b in self.band],
        }


def usable(points: Sequence[Point], confidence: float = 0.95) -> list[Point]:
    """The points that can be weighed: a finite value and a positive, finite standard error."""
    out = []
    for p in points:
        se = standard_error(p, confidence)
        if math.isfinite(p.value) and math.isfinite(se) and se > 0:
            out.append(p)
    return out


def project(
    points: Sequence[Point],
    year: int,
    target: float,
    direction: str,
    confidence: float = 0.95,
    scale_method: str = "estimated",
) -> Projection | None:
    """Weighted least-squares line through ``points`` (value on year), projected to ``year``.

    Method: value_i = a + b·year_i + e_i with weights w_i = 1 / SE_i² (inverse variance, SE from
    each point's interval, :func:`standard_error`). β = (XᵀWX)⁻¹XᵀWy. With ``scale_method``
    ``"estimated"`` (the default) the covariance is s²(XᵀWX)⁻¹ with s² = Σ w_i r_i² / (n − 2), the
    residual scale, so that year-to-year variation beyond sampling widens the band, and the
    interval and probability use Student's t with n − 2 degrees of freedom (as ``statsmodels``'
    ``WLS(...).fit().get_prediction``). With ``"known"`` the sampling variances are taken as
    the whole error (s² = 1) and the normal distribution is used (``fit(cov_type="fixed scale")``).
    The band is the confidence interval of the trend line (the mean), not of one year's value.
    ``probability`` is P(trend at ``year`` ≥ ``target``) for ``direction`` ``increase`` (≤ for
    ``decrease``), reading the fitted line's sampling distribution as the uncertainty about it
    (a flat-prior reading).

    Assumptions: a straight-line trend over the years fitted; independent points (not exactly
    true when the same people are counted in several years, e.g. a faculty headcount, which makes
    the band too narrow); SEs correct up to the common scale. Extrapolating far past the data is
    what the band's growth warns about. Needs at least :data:`MIN_POINTS` usable points (None
    otherwise).

    References: Draper NR, Smith H, *Applied Regression Analysis*, 3rd ed. (1998), ch. 9
    (generalised and weighted least squares); statsmodels ``WLS`` and ``get_prediction``;
    United Nations Statistics Division, *SDG Progress Chart technical note* (trend projection to
    the target year).
    """
    if scale_method not in SCALES:
        raise ValueError(f"scale_method must be one of {', '.join(SCALES)}")
    good = usable(points, confidence)
    n = len(good)
    if n < MIN_POINTS or len({p.year for p in good}) < 2:
        return None
    x = np.array([float(p.year) for p in good])
    y = np.array([p.value for p in good])
    w = np.array([1.0 / standard_error(p, confidence) ** 2 for p in good])
    centre = float(np.average(x, weights=w))
    design = np.column_stack([np.ones(n), x - centre])
    xtwx = design.T @ (design * w[:, None])
    inverse = np.linalg.inv(xtwx)
    beta = inverse @ (design.T @ (w * y))
    residual = y - design @ beta
    df = n - 2
    if scale_method == "estimated":
        scale = float(np.sum(w * residual**2) / df)
        quantile = float(stats.t.isf((1.0 - confidence) / 2.0, df))
    else:
        scale = 1.0
        quantile = normal_quantile(confidence)
    covariance = scale * inverse

    def at(year_: int) -> tuple[float, float]:
        row = np.array([1.0, float(year_) - centre])
        return float(row @ beta), float(math.sqrt(max(float(row @ covariance @ row), 0.0)))

    value, se = at(year)
    sign = 1.0 if direction == "increase" else -1.0
    if se > 0:
        z = sign * (value - target) / se
        probability = float(stats.t.cdf(z, df)) if scale_method == "estimated" else float(stats.norm.cdf(z))
    else:
        probability = 1.0 if sign * (value - target) >= 0 else 0.0
    last = int(max(x))
    band = []
    for yr in range(min(last, year), max(last, year) + 1):
        v, s = at(yr)
        band.append(BandPoint(yr, v, v - quantile * s, v + quantile * s))
    return Projection(
        year,
        value,
        se,
        value - quantile * se,
        value + quantile * se,
        float(beta[1]),
        float(math.sqrt(covariance[1, 1])),
        scale,
        df,
        probability,
        n,
        scale_method,
        tuple(band),
    )


@dataclass(frozen=True)
class Need:
    """What it would take to reach a target from the latest point: with groups the size of the
    latest (``total``), the group needs ``needed`` members (``count`` now), so ``additional``
    more (fewer, for a decrease, as a negative number) in the group of the target year: about
    ``per_year`` more each year until then. ``reachable`` is False when the target share is
    beyond 100 % (or below 0 %) of the group."""

    target_share: float
    count: float
    total: float
    needed: int
    additional: int
    years_left: int
    per_year: float
    reachable: bool
    note: str

    def to_dict(self) -> dict[str, object]:
        return {
            "target_share": self.target_share,
            "count": self.count,
            "total": self.total,
            "needed": self.needed,
            "additional": self.additional,
            "years_left": self.years_left,
            "per_year": self.per_year,
            "reachable": self.reachable,
            "note": self.note,
        }


def what_it_would_take(latest: Point, target: float, target_year: int, direction: str) -> Need | None:
    """How many more people of the group the latest group (cohort, class, faculty at risk) would
    need to meet ``target``, holding its size fixed.

    Method: the target becomes a share of the group, s* = target × ``per_share`` (1 for shares
    and rates; the benchmark or reference share for a ratio, e.g. a ratio to the state of 0.9
    with the state at 50 % is a share of 45 %). The group then needs ⌈s*·N⌉ members for an
    increase (⌊s*·N⌋ for a decrease), where N is the latest group's size (``total``); the gap to
    the latest count is spread evenly over the years to ``target_year`` (a linear ramp: each
    year's group has about ``per_year`` more than the year before).

    Assumptions: the group's size stays at the latest size (each additional member replaces
    someone outside the group); for a ratio, the reference share stays where it is (true of the
    census benchmark, not of a stage-to-stage or selection reference). None when the point has no
    counts (an entered value) or no per-share factor. Plain arithmetic, no statistical model: it
    answers "how big is the gap in people", as the percent of targeted change of Healthy People
    2030 answers "how far along are we" (see :func:`~.status.percent_of_targeted_change`).
    """
    if (
        latest.count is None
        or latest.total is None
        or latest.total <= 0
        or not math.isfinite(latest.per_share)
    ):
        return None
    share = target * latest.per_share
    total = float(latest.total)
    reachable = 0.0 <= share <= 1.0
    bounded = min(max(share, 0.0), 1.0)
    eps = 1e-9
    needed = (
        math.ceil(bounded * total - eps) if direction == "increase" else math.floor(bounded * total + eps)
    )
    additional = needed - int(round(latest.count))
    years_left = max(target_year - latest.year, 1)
    if direction == "increase" and additional <= 0 or direction == "decrease" and additional >= 0:
        note = "the latest group already meets the target"
        additional = 0
    elif not reachable:
        note = "the target is beyond what a group of this size can reach"
    else:
        note = (
            f"{abs(additional)} {'more' if additional > 0 else 'fewer'} of {int(total)} in the group of "
            f"{target_year} than in that of {latest.year}, holding its size"
        )
    return Need(
        share,
        float(latest.count),
        total,
        needed,
        additional,
        years_left,
        additional / years_left,
        reachable,
        note,
    )
