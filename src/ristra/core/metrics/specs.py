"""Metric specifications: frozen, hashable values saying what to compute (never how).

Every specification names its metric (:attr:`metric`), the category (or crossing, or race scheme;
see :mod:`.groupings`) and its options. :func:`make_spec` builds one from loose arguments (the
Python API and the CLI) and checks everything that can be checked without data: the metric, the
dataset, the grouping columns, the option ranges. Category names are checked against the category
version in use when the specification is planned (:mod:`.plan`).

Methods are described in ``docs/metrics.md`` and the statistics in ``docs/methods.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from ristra.core.datasets import DATASETS
from ristra.core.metrics.columns import DEFAULT_YEAR, grouping_column
from ristra.core.metrics.errors import InvalidSpecification, UnknownDatasetForMetric, UnknownMetric
from ristra.core.stats.multiplicity import ADJUSTMENTS

#: Datasets of people that categories apply to.
PERSON_DATASETS = ("applications", "students", "trainees", "employees", "participants")
#: The application stages, in order, and the flag that marks each.
APPLICATION_STAGES: tuple[str, ...] = ("applied", "completed", "interviewed", "offered", "matriculated")
#: Stages where the school selects (the four-fifths rule applies): each with the stage before it.
SELECTION_STAGES: Mapping[str, str] = {"interviewed": "completed", "offered": "interviewed", "matriculated": "offered"}
EMPLOYEE_POPULATIONS = ("faculty", "staff", "senior_administrative", "all")
RANK_LADDER = ("instructor", "assistant_professor", "associate_professor", "professor")
POPULATIONS = ("all_ages", "18_plus", "20_34")


def _check_dataset(metric: str, name: str, allowed: Sequence[str]) -> None:
    if name not in allowed:
        raise UnknownDatasetForMetric(name, metric, allowed)


def _check_by(dataset: str, by: tuple[str, ...]) -> None:
    if len(set(by)) != len(by):
        raise InvalidSpecification(f"a column is listed twice in by: {', '.join(by)}")
    for name in by:
        grouping_column(dataset, name)


def _check_confidence(confidence: float) -> None:
    if not 0.5 <= confidence < 1.0:
        raise InvalidSpecification(f"confidence must lie in [0.5, 1), not {confidence}")


#: How applications are counted (see :func:`~.sql.source.applications_source`).
COUNTINGS = ("applications", "first", "latest")
#: Inference on applications from repeat applicants: clustered by person (default) or not.
REPEAT_APPLICANTS = ("cluster", "ignore")


def _check_counting(counting: str, from_cycle: int | None, to_cycle: int | None) -> None:
    if counting not in COUNTINGS:
        raise InvalidSpecification(f"counting must be one of {', '.join(COUNTINGS)}, not {counting!r}")
    for name, value in (("from_cycle", from_cycle), ("to_cycle", to_cycle)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidSpecification(f"{name} must be a cycle (a year), not {value!r}")
    if from_cycle is not None and to_cycle is not None and from_cycle > to_cycle:
        raise InvalidSpecification(f"from_cycle {from_cycle} is after to_cycle {to_cycle}")


def _check_repeats(value: str) -> None:
    if value not in REPEAT_APPLICANTS:
        raise InvalidSpecification(f"repeat_applicants must be one of {', '.join(REPEAT_APPLICANTS)}, not {value!r}")


def _check_benchmark_year(value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100):
        raise InvalidSpecification(f"benchmark_year must be a year between 1900 and 2100, not {value!r}")


def _check_date(name: str, value: str | None) -> None:
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidSpecification(f"{name} must be a date written YYYY-MM-DD, not {value!r}") from None


@dataclass(frozen=True)
class MetricSpec:
    """Fields every specification has."""

    metric: ClassVar[str] = ""
    category: str

    def check(self) -> None:
        """Raise a :class:`~.errors.MetricError` for anything wrong that needs no data."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"metric": self.metric, **{k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}}


@dataclass(frozen=True)
class RepresentationSpec(MetricSpec):
    """Counts and shares of each level of ``category`` in ``dataset``, by the ``by`` columns."""

    metric: ClassVar[str] = "representation"
    dataset: str = "applications"
    by: tuple[str, ...] = ()
    confidence: float = 0.95

    def check(self) -> None:
        _check_dataset(self.metric, self.dataset, PERSON_DATASETS)
        _check_by(self.dataset, self.by)
        _check_confidence(self.confidence)


@dataclass(frozen=True)
class RepresentationRatioSpec(MetricSpec):
    """The share of the ``yes`` level among people of known membership, divided by the state
    benchmark share (fixed) and, for an application ``stage``, by the share at the stage before
    (sampled). ``stage`` is None for the whole dataset.

    The benchmark: ``population`` (ages: ``all_ages``, default; ``18_plus``; ``20_34``, the ACS
    age band) in ``geography``, of the census (or ACS release) nearest ``benchmark_year`` — by
    default nearest each row's year when ``by`` holds a year column (a 2002 cohort is compared
    with the 2000 Census), else the latest."""

    metric: ClassVar[str] = "representation-ratio"
    dataset: str = "applications"
    by: tuple[str, ...] = ()
    stage: str | None = None
    population: str = "all_ages"
    geography: str = "NM"
    confidence: float = 0.95
    benchmark_year: int | None = None

    def check(self) -> None:
        _check_benchmark_year(self.benchmark_year)
        _check_dataset(self.metric, self.dataset, PERSON_DATASETS)
        _check_by(self.dataset, self.by)
        _check_confidence(self.confidence)
        if self.stage is not None:
            if self.dataset != "applications":
                raise InvalidSpecification("a stage can only be given for the applications dataset")
            if self.stage not in APPLICATION_STAGES[1:]:
                raise InvalidSpecification(f"unknown stage {self.stage!r}; choose from {', '.join(APPLICATION_STAGES[1:])}")
        if self.population not in POPULATIONS:
            raise InvalidSpecification(f"population must be one of {', '.join(POPULATIONS)}")


@dataclass(frozen=True)
class PathSpec(MetricSpec):
    """One row per stage from the state population to senior administrative staff."""

    metric: ClassVar[str] = "path"
    population: str = "all_ages"
    geography: str = "NM"
    confidence: float = 0.95
    #: The benchmark's year (the census or ACS release nearest it); default the latest.
    benchmark_year: int | None = None

    def check(self) -> None:
        _check_benchmark_year(self.benchmark_year)
        _check_confidence(self.confidence)
        if self.population not in POPULATIONS:
            raise InvalidSpecification(f"population must be one of {', '.join(POPULATIONS)}")


@dataclass(frozen=True)
class FunnelSpec(MetricSpec):
    """Counts at each application stage and the conversion from the stage before, per level."""

    metric: ClassVar[str] = "funnel"
    by: tuple[str, ...] = ("cycle",)
    confidence: float = 0.95
    #: ``applications`` (every one, default), or one per person: ``first`` or ``latest`` in the window.
    counting: str = "applications"
    #: The window of cycles counted (inclusive; None: unbounded).
    from_cycle: int | None = None
    to_cycle: int | None = None

    def check(self) -> None:
        _check_counting(self.counting, self.from_cycle, self.to_cycle)
        _check_by("applications", self.by)
        _check_confidence(self.confidence)


@dataclass(frozen=True)
class SelectionRatioSpec(MetricSpec):
    """Four-fifths analysis at each selection stage, per stratum of ``by`` and pooled (with
    Mantel–Haenszel, or the exact conditional test, and Breslow–Day across the strata); every test
    of the result is one multiplicity family, corrected by ``adjustment`` (``holm`` or ``bh``)."""

    metric: ClassVar[str] = "selection-ratio"
    by: tuple[str, ...] = ("cycle",)
    stages: tuple[str, ...] = ("interviewed", "offered", "matriculated")
    threshold: float = 0.8
    alpha: float = 0.05
    confidence: float = 0.95
    #: The smallest known group (people at the stage before) that may be the reference group.
    min_reference_size: int = 30
    #: The multiplicity correction over the family (every test of the result): ``holm`` or ``bh``.
    adjustment: str = "holm"
    #: ``applications`` (every one, default), or one per person: ``first`` or ``latest`` in the window.
    counting: str = "applications"
    from_cycle: int | None = None
    to_cycle: int | None = None
    #: ``cluster`` (default): where a comparison holds several applications of one person, its test
    #: in the family is the GEE score test clustered by person; ``ignore``: Fisher's test throughout.
    repeat_applicants: str = "cluster"

    def check(self) -> None:
        _check_counting(self.counting, self.from_cycle, self.to_cycle)
        _check_repeats(self.repeat_applicants)
        if self.adjustment not in ADJUSTMENTS:
            raise InvalidSpecification(f"adjustment must be one of {', '.join(ADJUSTMENTS)}, not {self.adjustment!r}")
        _check_by("applications", self.by)
        _check_confidence(self.confidence)
        if isinstance(self.min_reference_size, bool) or not isinstance(self.min_reference_size, int) \
                or self.min_reference_size < 0:
            raise InvalidSpecification(f"min_reference_size must be a whole number >= 0, not {self.min_reference_size!r}")
        bad = [s for s in self.stages if s not in SELECTION_STAGES]
        if bad or not self.stages:
            raise InvalidSpecification(f"unknown selection stage(s) {bad}; choose from {', '.join(SELECTION_STAGES)}")
        if not 0 < self.threshold <= 1 or not 0 < self.alpha < 1:
            raise InvalidSpecification("threshold must lie in (0, 1] and alpha in (0, 1)")


@dataclass(frozen=True)
class GraduationSpec(MetricSpec):
    """Students: graduation within ``within`` years and attrition by matriculation cohort.
    Trainees: completion and attrition by start year."""

    metric: ClassVar[str] = "graduation"
    dataset: str = "students"
    by: tuple[str, ...] = ()
    within: tuple[int, ...] = (4, 5, 6)
    confidence: float = 0.95

    @property
    def cohort(self) -> str:
        return DEFAULT_YEAR[self.dataset]

    def check(self) -> None:
        _check_dataset(self.metric, self.dataset, ("students", "trainees"))
        _check_by(self.dataset, self.by)
        if self.cohort in self.by:
            raise InvalidSpecification(f"results are already by {self.cohort}; do not list it in by")
        _check_confidence(self.confidence)
        if not self.within or any(k < 1 or k > 15 for k in self.within):
            raise InvalidSpecification("within must list years between 1 and 15")


@dataclass(frozen=True)
class RetentionSpec(MetricSpec):
    """Employee retention: Kaplan–Meier by level with left truncation, log-rank across levels,
    retention at ``horizons`` years and competing exits by separation reason."""

    metric: ClassVar[str] = "retention"
    population: str = "faculty"
    horizons: tuple[float, ...] = (3.0, 5.0)
    window_start: str | None = None
    as_of: str | None = None
    confidence: float = 0.95

    def check(self) -> None:
        if self.population not in EMPLOYEE_POPULATIONS:
            raise InvalidSpecification(f"population must be one of {', '.join(EMPLOYEE_POPULATIONS)}")
        _check_confidence(self.confidence)
        _check_date("window_start", self.window_start)
        _check_date("as_of", self.as_of)
        if not self.horizons or any(h <= 0 for h in self.horizons):
            raise InvalidSpecification("horizons must be positive numbers of years")


@dataclass(frozen=True)
class PromotionSpec(MetricSpec):
    """Faculty promotion from ``from_rank`` to ``to_rank``: the share promoted while observed,
    the cumulative probability of promotion by ``horizons`` years in rank, and the median time."""

    metric: ClassVar[str] = "promotion"
    transitions: tuple[tuple[str, str], ...] = (
        ("assistant_professor", "associate_professor"), ("associate_professor", "professor"))
    horizons: tuple[float, ...] = (5.0, 7.0)
    window_start: str | None = None
    as_of: str | None = None
    confidence: float = 0.95

    def check(self) -> None:
        _check_confidence(self.confidence)
        _check_date("window_start", self.window_start)
        _check_date("as_of", self.as_of)
        for a, b in self.transitions:
            if a not in RANK_LADDER or b not in RANK_LADDER or RANK_LADDER.index(b) <= RANK_LADDER.index(a):
                raise InvalidSpecification(f"a promotion goes up the ladder {' → '.join(RANK_LADDER)}; not {a} → {b}")
        if not self.transitions or not self.horizons or any(h <= 0 for h in self.horizons):
            raise InvalidSpecification("give at least one transition and positive horizons")


@dataclass(frozen=True)
class TrendSpec(MetricSpec):
    """Shares of each level by year, with the Cochran–Armitage test for a linear trend."""

    metric: ClassVar[str] = "trend"
    dataset: str = "applications"
    year: str | None = None
    confidence: float = 0.95
    #: Applications: ``cluster`` (default) adds the trend test clustered by person; ``ignore`` does not.
    repeat_applicants: str = "cluster"

    @property
    def year_column(self) -> str:
        return self.year or DEFAULT_YEAR[self.dataset]

    def check(self) -> None:
        _check_dataset(self.metric, self.dataset, PERSON_DATASETS)
        _check_repeats(self.repeat_applicants)
        column = grouping_column(self.dataset, self.year_column)
        if column.kind != "year":
            raise InvalidSpecification(f"{self.year_column} is not a year column")
        _check_confidence(self.confidence)


SPEC_TYPES: Mapping[str, type[MetricSpec]] = {
    cls.metric: cls
    for cls in (RepresentationSpec, RepresentationRatioSpec, PathSpec, FunnelSpec, SelectionRatioSpec,
                GraduationSpec, RetentionSpec, PromotionSpec, TrendSpec)
}
METRICS: tuple[str, ...] = tuple(SPEC_TYPES)

Spec = (RepresentationSpec | RepresentationRatioSpec | PathSpec | FunnelSpec | SelectionRatioSpec | GraduationSpec
        | RetentionSpec | PromotionSpec | TrendSpec)


def _tuple(value: object) -> object:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(_tuple(v) if isinstance(v, list) else v for v in value)
    return value


def make_spec(metric: str, **options: Any) -> MetricSpec:
    """A checked specification of ``metric`` (hyphens or underscores) from keyword options;
    ``None`` options are left at their defaults. Raises a :class:`~.errors.MetricError`."""
    name = metric.strip().lower().replace("_", "-")
    if name not in SPEC_TYPES:
        raise UnknownMetric(metric, METRICS)
    cls = SPEC_TYPES[name]
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InvalidSpecification(f"metric {name} takes no option(s) {', '.join(unknown)}; it takes {', '.join(sorted(allowed))}")
    if "category" not in options or not options["category"]:
        raise InvalidSpecification(f"metric {name} needs a category")
    tuple_fields = {f.name for f in fields(cls) if isinstance(f.default, tuple)}
    given = {k: (_tuple(v) if k in tuple_fields else v) for k, v in options.items() if v is not None}
    if name == "promotion" and "transitions" in given:
        given["transitions"] = tuple(tuple(t) for t in given["transitions"])  # type: ignore[union-attr]
    for key in ("horizons",):
        if key in given:
            given[key] = tuple(float(h) for h in given[key])  # type: ignore[union-attr]
    if "within" in given:
        given["within"] = tuple(int(h) for h in given["within"])  # type: ignore[union-attr]
    spec = cls(**given)  # type: ignore[arg-type]
    spec.check()
    if hasattr(spec, "dataset") and spec.dataset not in DATASETS:
        raise UnknownDatasetForMetric(spec.dataset, name, PERSON_DATASETS)
    return spec


