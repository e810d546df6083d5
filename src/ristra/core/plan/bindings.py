"""Measures bound to the engine's metric specifications.

A plan measure never re-implements a metric: its ``metric`` block names a *measure kind* below
and the options of an engine specification (:mod:`ristra.core.metrics.specs`). Each
:class:`MeasureKind` knows

* which engine metric it asks (:func:`~ristra.core.metrics.make_spec` checks the options),
* the range of its value (a share lies in [0, 1]; a ratio in [0, ∞)) — a target outside is refused,
* how to pick the measure's yearly series of :class:`Point` values out of the result rows.

Kinds and the rows they read:

====================  =====================  ===================================================
kind                  engine metric          value per year
====================  =====================  ===================================================
representation        representation         share of the ``yes`` level, by the year column
representation-ratio  representation-ratio   ratio of the share to the state benchmark share
stage-rate            funnel                 conversion of the ``yes`` level at ``stage``
selection-ratio       selection-ratio        impact ratio of the ``yes`` group at ``stage``
graduation            graduation             graduation within ``within`` years, by cohort
retention             retention              Kaplan–Meier retention at ``horizon`` as of 31 Dec
promotion             promotion              promotion within ``horizon`` years as of 31 Dec
pipeline-yield        (program outcomes)     share of ``program``'s cohort who later applied
entered               (none)                 values typed into the plan (no data in ristra)
====================  =====================  ===================================================

``pipeline-yield`` has no engine metric and no category: its counts come from the program
outcomes through record linkage (:mod:`.pipeline_yield`), so :meth:`MetricBinding.specs` gives
none and the plan service reads them from the outcomes service.

``select`` (by-values that pick rows, e.g. ``{senior_administrative: true}``) adds those columns
to the specification's ``by``. Survival kinds have no year column: their series is one
specification per year of ``years`` (the data end, ``as_of``, on 31 December of that year).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ristra.core.metrics.columns import DEFAULT_YEAR
from ristra.core.metrics.results import (
    FunnelRow,
    GraduationRow,
    MetricResult,
    RatioRow,
    RepresentationRow,
    Row,
    SelectionRow,
    SurvivalRow,
)
from ristra.core.metrics.specs import MetricSpec, make_spec

SHARE_RANGE = (0.0, 1.0)
RATIO_RANGE = (0.0, math.inf)


@dataclass(frozen=True)
class Point:
    """One year of a measure: the value with its 95 % interval, the counts behind it (``count``
    of ``total``; None for typed values) and ``per_share``, the factor that turns the measure's
    value into a share of ``total`` (1 for shares; the reference share for ratios), so that a
    target can be read as a number of people (:func:`~.projection.what_it_would_take`)."""

    year: int
    value: float
    lower: float
    upper: float
    count: float | None = None
    total: float | None = None
    per_share: float = 1.0
    small_number: bool = False
    entered: bool = False

    def to_dict(self) -> dict[str, object]:
        def clean(v: float | None) -> float | None:
            return v if v is None or math.isfinite(v) else None

        return {
            "year": self.year,
            "value": clean(self.value),
            "lower": clean(self.lower),
            "upper": clean(self.upper),
            "count": self.count,
            "total": self.total,
            "per_share": clean(self.per_share),
            "small_number": self.small_number,
            "entered": self.entered,
        }


@dataclass(frozen=True)
class MeasureKind:
    """A kind of measure (see the module docstring): ``options`` it takes beyond ``category``,
    those it ``requires``, and the ``value_range`` of its values."""

    name: str
    metric: str | None
    value_range: tuple[float, float]
    options: tuple[str, ...]
    requires: tuple[str, ...] = ()
    survival: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def range_text(self) -> str:
        low, high = self.value_range
        return f"[{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, ∞)"

    def in_range(self, value: float) -> bool:
        low, high = self.value_range
        return math.isfinite(value) and low <= value <= high


_SELECT = ("select",)
KINDS: Mapping[str, MeasureKind] = {
    k.name: k
    for k in (
        MeasureKind(
            "representation", "representation", SHARE_RANGE, ("dataset", "year", *_SELECT), ("dataset",)
        ),
        MeasureKind(
            "representation-ratio",
            "representation-ratio",
            RATIO_RANGE,
            ("dataset", "year", "stage", "population", "geography", *_SELECT),
            ("dataset",),
        ),
        MeasureKind("stage-rate", "funnel", SHARE_RANGE, ("stage", *_SELECT), ("stage",)),
        MeasureKind(
            "selection-ratio",
            "selection-ratio",
            RATIO_RANGE,
            ("stage", "min_reference_size", *_SELECT),
            ("stage",),
        ),
        MeasureKind("graduation", "graduation", SHARE_RANGE, ("within",), ("within",)),
        MeasureKind(
            "retention",
            "retention",
            SHARE_RANGE,
            ("population", "horizon", "window_start"),
            ("horizon",),
            survival=True,
        ),
        MeasureKind(
            "promotion",
            "promotion",
            SHARE_RANGE,
            ("from_rank", "to_rank", "horizon", "window_start"),
            ("horizon", "from_rank", "to_rank"),
            survival=True,
        ),
        MeasureKind("pipeline-yield", None, SHARE_RANGE, ("program",), ("program",)),
        MeasureKind("entered", None, RATIO_RANGE, ("unit", "range")),
    )
}
#: kinds whose counts come from the program outcomes through record linkage (no engine metric)
LINKED_KINDS: tuple[str, ...] = ("pipeline-yield",)
MEASURE_KINDS: tuple[str, ...] = tuple(KINDS)
#: The ``range`` an entered (typed-in) measure may declare.
ENTERED_RANGES: Mapping[str, tuple[float, float]] = {
    "share": SHARE_RANGE,
    "ratio": RATIO_RANGE,
    "count": (0.0, math.inf),
}


@dataclass(frozen=True)
class MetricBinding:
    """A measure's binding: its ``kind``, ``category`` and ``options`` as written in the plan.
    :meth:`specs` gives the engine specifications; :meth:`points` reads the series back."""

    kind: str
    category: str | None
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def measure_kind(self) -> MeasureKind:
        return KINDS[self.kind]

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    @property
    def subject(self) -> str:
        """What the measure is of, in words: the category, the program of a pipeline yield, or
        that its values are typed in."""
        if self.category:
            return f"category {self.category}"
        if self.option("program"):
            return f"program {self.option('program')}"
        return "values typed into the plan"

    @property
    def select(self) -> dict[str, Any]:
        return dict(self.option("select") or {})

    @property
    def value_range(self) -> tuple[float, float]:
        if self.kind == "entered":
            return ENTERED_RANGES.get(str(self.option("range", "ratio")), RATIO_RANGE)
        return self.measure_kind.value_range

    @property
    def year_column(self) -> str:
        if self.kind in ("stage-rate", "selection-ratio"):
            return "cycle"
        if self.kind == "graduation":
            return "matriculation_year"
        return str(self.option("year") or DEFAULT_YEAR[str(self.option("dataset", "applications"))])

    def specs(self, years: Sequence[int] = ()) -> tuple[MetricSpec, ...]:
        """The engine specifications behind the series (checked by ``make_spec``; a
        :class:`~ristra.core.metrics.errors.MetricError` for a bad option). Survival kinds give
        one per year of ``years``; the others one for all years."""
        kind = self.measure_kind
        if kind.metric is None:
            return ()
        select = tuple(self.select)
        o = dict(self.options)
        if self.kind == "representation":
            return (
                make_spec(
                    "representation",
                    category=self.category,
                    dataset=o["dataset"],
                    by=(self.year_column, *select),
                ),
            )
        if self.kind == "representation-ratio":
            return (
                make_spec(
                    "representation-ratio",
                    category=self.category,
                    dataset=o["dataset"],
                    by=(self.year_column, *select),
                    stage=o.get("stage"),
                    population=o.get("population"),
                    geography=o.get("geography"),
                ),
            )
        if self.kind == "stage-rate":
            return (make_spec("funnel", category=self.category, by=("cycle", *select)),)
        if self.kind == "selection-ratio":
            return (
                make_spec(
                    "selection-ratio",
                    category=self.category,
                    by=("cycle", *select),
                    stages=(o["stage"],),
                    min_reference_size=o.get("min_reference_size"),
                ),
            )
        if self.kind == "graduation":
            return (make_spec("graduation", category=self.category, within=(int(o["within"]),)),)
        horizon = float(o["horizon"])
        if self.kind == "retention":
            return tuple(
                make_spec(
                    "retention",
                    category=self.category,
                    population=o.get("population"),
                    horizons=(horizon,),
                    window_start=o.get("window_start"),
                    as_of=f"{y}-12-31",
                )
                for y in years
            )
        return tuple(
            make_spec(
                "promotion",
                category=self.category,
                transitions=((o["from_rank"], o["to_rank"]),),
                horizons=(horizon,),
                window_start=o.get("window_start"),
                as_of=f"{y}-12-31",
            )
            for y in years
        )

    def points(self, results: Sequence[MetricResult], years: Sequence[int] = ()) -> tuple[Point, ...]:
        """The yearly series read from ``results`` (those of :meth:`specs`, in order), sorted by
        year, one point per year; survival kinds are dated by ``years``."""
        if self.measure_kind.survival:
            found = [p for year, r in zip(years, results, strict=True) for p in self._survival(r, year)]
        else:
            found = [p for r in results for row in r.rows if (p := self._point(row)) is not None]
        by_year: dict[int, Point] = {}
        for p in found:
            by_year.setdefault(p.year, p)
        return tuple(by_year[y] for y in sorted(by_year))

    def _matches(self, row: Row) -> int | None:
        by = dict(getattr(row, "by", ()))
        for column, wanted in self.select.items():
            if isinstance(wanted, bool):  # a flag written true/false in YAML is 'yes'/'no' in the data
                wanted = "yes" if wanted else "no"
            if by.get(column) != wanted:
                return None
        year = by.get(self.year_column)
        return int(year) if isinstance(year, int | float) and not isinstance(year, bool) else None

    def _point(self, row: Row) -> Point | None:
        year = self._matches(row)
        if year is None:
            return None
        if isinstance(row, RepresentationRow) and row.level == "yes":
            return Point(year, row.share, row.lower, row.upper, row.count, row.total, 1.0, row.small_number)
        if isinstance(row, RatioRow) and row.reference == "state":
            per = row.reference_share if row.reference_share is not None else math.nan
            return Point(
                year, row.ratio, row.ratio_lower, row.ratio_upper, row.count, row.known, per, row.small_number
            )
        if isinstance(row, FunnelRow) and row.level == "yes" and row.stage == self.option("stage"):
            if row.conversion is None or row.lower is None or row.upper is None:
                return None
            return Point(
                year,
                row.conversion,
                row.lower,
                row.upper,
                row.count,
                row.previous_count,
                1.0,
                row.small_number,
            )
        if isinstance(row, SelectionRow) and row.scope == "stratum" and row.stage == self.option("stage"):
            if row.group == "yes":
                return Point(
                    year,
                    row.impact_ratio,
                    row.impact_lower,
                    row.impact_upper,
                    row.selected,
                    row.total,
                    row.reference_rate,
                    row.small_number,
                )
            if row.reference_group == "yes" and row.in_family:
                # the group is the reference (the highest rate): its ratio is 1 by the rule's
                # definition, with no interval of its own
                return Point(
                    year,
                    1.0,
                    math.nan,
                    math.nan,
                    row.reference_selected,
                    row.reference_total,
                    row.reference_rate,
                    row.reference_small,
                )
            return None
        if (
            isinstance(row, GraduationRow)
            and row.level == "yes"
            and row.outcome == f"graduated_within_{int(self.option('within'))}"
            and row.complete
        ):
            return Point(year, row.rate, row.lower, row.upper, row.count, row.total, 1.0, row.small_number)
        return None

    def _survival(self, result: MetricResult, year: int) -> list[Point]:
        measure = "retention" if self.kind == "retention" else "promoted_within"
        horizon = float(self.option("horizon"))
        out = []
        for row in result.rows:
            if (
                isinstance(row, SurvivalRow)
                and row.level == "yes"
                and row.measure == measure
                and row.horizon == horizon
            ):
                lower = row.lower if row.lower is not None else math.nan
                upper = row.upper if row.upper is not None else math.nan
                out.append(
                    Point(
                        year,
                        row.estimate,
                        lower,
                        upper,
                        round(row.estimate * row.n),
                        row.n,
                        1.0,
                        row.small_number,
                    )
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.category is not None:
            data["category"] = self.category
        data.update({k: (dict(v) if k == "select" else v) for k, v in self.options})
        return data
