"""A measure's status from released counts only (the plan scorecard of a publication).

The scorecard of a publication (``docs/plan.md``, "The scorecard") shows, for each measure, the
counts its values come from as tables of the publication, protected with everything else the
audience sees. Everything derived — each year's value and interval, the status, the percent of
the targeted change, the projection and what it would take — is computed here from those
*published* counts (a suppressed count is ``None``), with the same methods the engine uses:

* ``representation`` — the share count / total, Wilson interval
  (:func:`~ristra.core.stats.proportions.proportion`);
* ``representation-ratio`` — that share over the state's census share, a fixed benchmark
  (:func:`~ristra.core.stats.ratios.representation_ratio_fixed`);
* ``stage-rate`` — the group's count at the stage over its count at the stage before, Wilson;
* ``selection-ratio`` — the group's selection rate over the reference group's (the known group
  with the highest rate, :func:`~ristra.core.stats.selection.choose_reference`), Miettinen–
  Nurminen score interval (:func:`~ristra.core.stats.ratios.score_ratio`); 1 without an
  interval when the group is the reference;
* ``graduation`` — the cohort's graduates within the horizon over the cohort (every student of
  the matriculation year), Wilson, as the engine's graduation metric; only cohorts followed to
  the end of the horizon are published;
* ``retention`` and ``promotion`` — the yearly life table of each year column
  (:mod:`~ristra.core.plan.life_table`): Kaplan–Meier at the horizon as the product of
  ``1 − events / followed`` over its whole-year intervals, Greenwood's variance and the engine's
  log(−log) interval (promotion: one minus it, the share promoted within the horizon). Its roles
  are the counts of interval ``k`` the estimate reads (:func:`survival_roles`);
* ``pipeline-yield`` — the cohort's participants who applied over its participants less those not
  yet old enough to apply, Wilson, read from the publication's outcomes-by-cohort table of the
  program (:mod:`~ristra.core.plan.pipeline_yield`: a lower bound, since a participant who is not
  linked counts as not applied);
* ``entered`` — the values typed into the plan (no ristra data, nothing to protect), marked.

Withholding: a year whose counts are suppressed has no value. When the baseline year or the
latest year is suppressed the status is ``withheld`` (:data:`~.status.WITHHELD`) and says which
years; otherwise the status is computed from the published years, and the reason names the years
left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ristra.core.plan.bindings import Point
from ristra.core.plan.life_table import LifeInterval, life_table_survival
from ristra.core.plan.model import Measure
from ristra.core.plan.status import WITHHELD, MeasureStatus, measure_status
from ristra.core.stats.proportions import is_small_number, proportion
from ristra.core.stats.ratios import representation_ratio_fixed, score_ratio
from ristra.core.stats.selection import choose_reference

#: measure kinds whose values are computed from counts a publication can show
PUBLISHED_KINDS = ("representation", "representation-ratio", "stage-rate", "selection-ratio", "graduation",
                   "retention", "promotion", "pipeline-yield")
#: kinds whose yearly value is a Kaplan–Meier estimate from a life table
SURVIVAL_KINDS = ("retention", "promotion")
#: the counts each published kind reads per year (``other_*``: the comparison group of a selection
#: ratio; survival kinds: :func:`survival_roles`)
ROLES: Mapping[str, tuple[str, ...]] = {
    "representation": ("count", "total"),
    "representation-ratio": ("count", "total"),
    "stage-rate": ("count", "total"),
    "selection-ratio": ("count", "total", "other_count", "other_total"),
    "graduation": ("count", "total"),
    "pipeline-yield": ("count", "total"),
}
#: a survival value from fewer people or events than these is a small number (as the engine's)
SMALL_PEOPLE, SMALL_EVENTS = 30, 5
#: the life-table counts of an interval that the survival estimate reads
SURVIVAL_COUNTS = ("followed", "events", "entering_at_start", "entering_during", "censored_during")


def survival_roles(horizon: int) -> tuple[str, ...]:
    """The counts a survival value reads per year, for each interval ``k``: ``followed:k``,
    ``events:k``, ``entering_at_start:k``, ``entering_during:k`` and ``censored_during:k``."""
    return tuple(f"{what}:{k}" for k in range(horizon) for what in SURVIVAL_COUNTS)


@dataclass(frozen=True)
class YearCounts:
    """The published counts of one year of a measure, by role (:data:`ROLES`; None: suppressed)."""

    year: int
    counts: Mapping[str, int | None]

    @property
    def suppressed(self) -> bool:
        return any(v is None for v in self.counts.values())


def point_from_counts(kind: str, year: YearCounts, benchmark_share: float | None = None) -> Point | None:
    """The value of one year computed from published counts (see the module docstring); None
    when a count it needs is suppressed, when nobody is counted, or (ratio to the state) without
    a benchmark."""
    if year.suppressed:
        return None
    c = {k: int(v) for k, v in year.counts.items() if v is not None}
    if kind in SURVIVAL_KINDS:
        return _survival_point(kind, year.year, c)
    k, n = c["count"], c["total"]
    if n <= 0:
        return None
    if kind in ("representation", "stage-rate", "graduation", "pipeline-yield"):
        p = proportion(k, n)
        return Point(year.year, p.share, p.lower, p.upper, k, n, 1.0, p.small_number)
    if kind == "representation-ratio":
        if benchmark_share is None or not 0 < benchmark_share <= 1:
            return None
        rr = representation_ratio_fixed(k, n, benchmark_share)
        return Point(year.year, rr.estimate.ratio, rr.estimate.lower, rr.estimate.upper, k, n, benchmark_share,
                     rr.group.small_number)
    if kind == "selection-ratio":
        k0, n0 = c["other_count"], c["other_total"]
        reference, _ = choose_reference({"yes": (k, n), "no": (k0, n0)})
        small = is_small_number(k, n) or (n0 > 0 and is_small_number(k0, n0))
        if reference == "yes" or n0 <= 0:
            return Point(year.year, 1.0, math.nan, math.nan, k, n, k / n, small)
        ratio = score_ratio(k, n, k0, n0)
        return Point(year.year, ratio.ratio, ratio.lower, ratio.upper, k, n, k0 / n0, small)
    raise ValueError(f"a {kind} measure is not computed from published counts")


def _survival_point(kind: str, year: int, counts: Mapping[str, int]) -> Point | None:
    horizon = len({role.split(":")[1] for role in counts})
    intervals = [LifeInterval(k, None, counts[f"entering_at_start:{k}"], counts[f"entering_during:{k}"],
                              counts[f"followed:{k}"], counts[f"events:{k}"], counts[f"censored_during:{k}"], None,
                              None) for k in range(horizon)]
    found = life_table_survival(intervals)
    if found is None:
        return None
    small = found.people < SMALL_PEOPLE or found.events < SMALL_EVENTS
    if kind == "promotion":
        value, lower, upper = 1.0 - found.survival, 1.0 - found.upper, 1.0 - found.lower
    else:
        value, lower, upper = found.survival, found.lower, found.upper
    return Point(year, value, lower, upper, round(value * found.people), found.people, 1.0, small)


def _years(years: Sequence[int]) -> str:
    return ", ".join(str(y) for y in years)


def released_status(measure: Measure, series: Sequence[YearCounts],
                    benchmark_share: float | None = None) -> tuple[MeasureStatus, tuple[int, ...]]:
    """The status of ``measure`` from its published counts ``series`` (one per year), and the
    years whose counts are suppressed (see the module docstring for when it is withheld)."""
    kind = measure.metric.kind
    if kind == "entered":
        found = measure_status(measure, measure.entered)
        return replace(found, reason=f"{found.reason} (values entered in the plan)"), ()
    if kind not in PUBLISHED_KINDS:
        return _withheld(measure, (), f"a {kind} value is not a ratio of published counts; the scorecard does "
                                      "not publish it yet"), ()
    if kind == "representation-ratio" and benchmark_share is None:
        return _withheld(measure, (), "no state benchmark for the category, so no ratio to the state"), ()
    wanted = sorted((y for y in series if y.year >= measure.baseline.year), key=lambda y: y.year)
    hidden = tuple(y.year for y in wanted if y.suppressed)
    points = tuple(p for y in wanted if (p := point_from_counts(kind, y, benchmark_share)) is not None)
    if not wanted:
        return _withheld(measure, (), f"no published year from the baseline year {measure.baseline.year} on"), ()
    needed = [y for y in (measure.baseline.year if measure.baseline.value is None else None, wanted[-1].year)
              if y is not None and y in hidden]
    if needed:
        return _withheld(measure, points, f"the counts of {_years(needed)} are suppressed in this publication, "
                                          "and the status needs them"), hidden
    found = measure_status(measure, points)
    if hidden:
        found = replace(found, reason=f"{found.reason}; left out (counts suppressed): {_years(hidden)}")
    return found, hidden


def _withheld(measure: Measure, points: Sequence[Point], reason: str) -> MeasureStatus:
    return MeasureStatus(measure.id, WITHHELD, f"withheld: {reason}", None, None, tuple(points), None, None,
                         None, None)
