"""Result values: frozen rows of each metric and the :class:`MetricResult` that carries them with
their provenance (snapshots, category version, method, warnings and notes).

``to_dict()`` is JSON-ready: a number that is undefined (NaN, e.g. a share of nobody) or
unbounded (an infinite upper bound) becomes ``None``, and the row's ``note`` says why; the row
attributes keep the raw floats. ``records()`` is the list of row dicts the CLI prints with
``--json``; their keys are documented in ``docs/metrics.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from ristra.core.metrics.specs import MetricSpec

ByValues = tuple[tuple[str, object], ...]


def json_value(value: object) -> object:
    """``value`` made JSON-safe: non-finite floats become None, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value


@dataclass(frozen=True)
class Row:
    """Base of every metric row: ``to_dict`` flattens the ``by`` values into the row's keys."""

    def values(self) -> dict[str, object]:
        """The row as a flat dict of raw values (floats may be NaN or infinite)."""
        out: dict[str, object] = {}
        names = {f.name for f in fields(self)}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "by":
                for column, v in value:
                    out[f"by_{column}" if column in names else column] = v
            else:
                out[f.name] = value
        return out

    def to_dict(self) -> dict[str, object]:
        """The row as a flat, JSON-ready dict (see the module docstring)."""
        return {k: json_value(v) for k, v in self.values().items()}


@dataclass(frozen=True)
class RepresentationRow(Row):
    dataset: str
    category: str
    by: ByValues
    level: str
    count: int
    total: int
    share: float
    lower: float
    upper: float
    known: int
    share_of_known: float | None
    small_number: bool
    #: Bounds for unknown membership (docs/methods.md, "Unknown membership"): the share with every
    #: person of unknown membership counted out of the level (low) and in it (high).
    share_unknown_low: float | None = None
    share_unknown_high: float | None = None


@dataclass(frozen=True)
class RatioRow(Row):
    dataset: str
    category: str
    by: ByValues
    stage: str
    reference: str
    reference_label: str
    count: int
    known: int
    unknown: int
    share: float
    lower: float
    upper: float
    reference_count: float | None
    reference_known: float | None
    reference_share: float | None
    ratio: float
    ratio_lower: float
    ratio_upper: float
    method: str
    small_number: bool
    note: str | None
    #: Bounds for unknown membership (docs/methods.md, "Unknown membership"): the share with every
    #: person of unknown membership counted out of the level (low) and in it (high).
    share_unknown_low: float | None = None
    share_unknown_high: float | None = None
    #: The ratio over every assignment of the unknowns (of this population and of the reference).
    ratio_unknown_low: float | None = None
    ratio_unknown_high: float | None = None
    #: People of unknown membership in the reference population (previous stage; None for a benchmark).
    reference_unknown: int | None = None
    #: The benchmark (rows against the state): its name (survey, geography, ages), year and ages.
    benchmark: str | None = None
    benchmark_year: int | None = None
    benchmark_ages: str | None = None
    #: The benchmark share counting race "alone" (low) and any mention (high), and the ratio over
    #: them: share / benchmark_share_high (low) and share / benchmark_share_low (high).
    benchmark_share_low: float | None = None
    benchmark_share_high: float | None = None
    ratio_benchmark_low: float | None = None
    ratio_benchmark_high: float | None = None


@dataclass(frozen=True)
class PathRow(Row):
    order: int
    stage: str
    stage_label: str
    dataset: str | None
    category: str
    count: float | None
    known: float | None
    unknown: int | None
    share: float | None
    lower: float | None
    upper: float | None
    ratio_to_state: float | None
    ratio_to_state_lower: float | None
    ratio_to_state_upper: float | None
    previous_stage: str | None
    ratio_to_previous: float | None
    ratio_to_previous_lower: float | None
    ratio_to_previous_upper: float | None
    small_number: bool | None
    note: str | None
    #: Bounds for unknown membership (docs/methods.md, "Unknown membership"): the share with every
    #: person of unknown membership counted out of the level (low) and in it (high).
    share_unknown_low: float | None = None
    share_unknown_high: float | None = None
    ratio_to_state_unknown_low: float | None = None
    ratio_to_state_unknown_high: float | None = None
    ratio_to_previous_unknown_low: float | None = None
    ratio_to_previous_unknown_high: float | None = None
    #: The benchmark of ``ratio_to_state`` (name, year, ages), its alone / any-mention shares and
    #: the ratio to the state over them (share / high, share / low).
    benchmark: str | None = None
    benchmark_year: int | None = None
    benchmark_ages: str | None = None
    benchmark_share_low: float | None = None
    benchmark_share_high: float | None = None
    ratio_to_state_benchmark_low: float | None = None
    ratio_to_state_benchmark_high: float | None = None


@dataclass(frozen=True)
class FunnelRow(Row):
    category: str
    by: ByValues
    level: str
    stage: str
    count: int
    previous_stage: str | None
    previous_count: int | None
    conversion: float | None
    lower: float | None
    upper: float | None
    small_number: bool
    #: Bounds for unknown membership: the conversion over every assignment of the people of unknown
    #: membership (at both stages) to this level or not (docs/methods.md, "Unknown membership").
    conversion_unknown_low: float | None = None
    conversion_unknown_high: float | None = None


@dataclass(frozen=True)
class SelectionRow(Row):
    category: str
    stage: str
    scope: str
    by: ByValues
    group: str
    reference_group: str
    selected: int
    total: int
    rate: float
    lower: float
    upper: float
    reference_selected: int
    reference_total: int
    reference_rate: float
    impact_ratio: float
    impact_lower: float
    impact_upper: float
    below_four_fifths: bool | None
    fisher_p: float | None
    holm_p: float | None
    holm_reject: bool | None
    chi_square_p: float | None
    mh_odds_ratio: float | None
    mh_lower: float | None
    mh_upper: float | None
    mh_p: float | None
    strata: int | None
    small_number: bool
    note: str | None
    #: False for unknown (and declined) membership: compared on its own line, outside the family.
    in_family: bool = True
    #: The multiplicity family ``holm_p`` was adjusted over, in words; ``family_size`` its tests.
    family: str | None = None
    family_size: int | None = None
    #: True when no known group reached the minimum reference size (the reference is small).
    reference_small: bool = False
    #: The impact ratio is below the threshold (also on small rows, where ``below_four_fifths`` is null).
    ratio_below_threshold: bool | None = None
    #: The multiplicity correction of the family (``holm`` or ``bh``); ``adjusted_p`` is ``fisher_p``
    #: adjusted over the family and ``adjusted_reject`` the decision at ``alpha`` (``holm_p`` and
    #: ``holm_reject`` repeat them under ``holm`` and are null under ``bh``).
    adjustment: str | None = None
    adjusted_p: float | None = None
    adjusted_reject: bool | None = None
    #: Pooled rows with strata: the test of a common odds ratio of 1 to read (``mantel_haenszel`` when
    #: the Mantel–Fleiss criterion holds, else ``exact_conditional``), its p-value, and that p-value
    #: adjusted over the same family.
    stratified_test: str | None = None
    stratified_p: float | None = None
    stratified_adjusted_p: float | None = None
    stratified_adjusted_reject: bool | None = None
    #: The Mantel–Fleiss distance min(Σ E[a] − Σ L, Σ U − Σ E[a]) (the criterion holds at 5 or more).
    mantel_fleiss: float | None = None
    #: The exact conditional test (only where the criterion fails): p-value, conditional MLE of the
    #: common odds ratio and its exact interval.
    exact_p: float | None = None
    exact_odds_ratio: float | None = None
    exact_lower: float | None = None
    exact_upper: float | None = None
    #: The Breslow–Day test (Tarone's correction) of a common odds ratio across the strata.
    breslow_day_statistic: float | None = None
    breslow_day_df: int | None = None
    breslow_day_p: float | None = None
    #: Bounds for unknown membership (docs/methods.md, "Unknown membership"): the group's rate and the
    #: impact ratio over every assignment of the people of unknown membership to the group or the
    #: reference group (null on the unknown lines themselves).
    rate_unknown_low: float | None = None
    rate_unknown_high: float | None = None
    impact_unknown_low: float | None = None
    impact_unknown_high: float | None = None
    #: Repeat applicants (docs/methods.md, "Repeat applicants"): the GEE score test of the comparison
    #: clustered by person (``clustered_test`` ``gee_score``, its z and p), the people behind the
    #: applications compared, and the test the family adjusts (``family_test``: ``gee_score`` where
    #: a person has several applications in the comparison and every expected count is at least 5,
    #: else ``fisher``); ``adjusted_p`` is that test's p-value adjusted.
    clustered_test: str | None = None
    clustered_z: float | None = None
    clustered_p: float | None = None
    people: int | None = None
    family_test: str | None = None


@dataclass(frozen=True)
class GraduationRow(Row):
    dataset: str
    category: str
    by: ByValues
    level: str
    outcome: str
    count: int
    total: int
    rate: float
    lower: float
    upper: float
    complete: bool
    small_number: bool
    #: Bounds for unknown membership: the rate over every assignment of the people of unknown
    #: membership in the cohort to this level or not.
    rate_unknown_low: float | None = None
    rate_unknown_high: float | None = None


@dataclass(frozen=True)
class SurvivalRow(Row):
    """A row of ``retention`` (measures ``retention`` and ``exit:<reason>``) or ``promotion``
    (measures ``promoted_share``, ``promoted_within`` and ``median_years``)."""

    category: str
    population: str
    level: str
    measure: str
    horizon: float | None
    estimate: float
    lower: float | None
    upper: float | None
    n: int
    events: int
    at_risk: int | None
    logrank_statistic: float | None
    logrank_df: int | None
    logrank_p: float | None
    small_number: bool
    note: str | None
    #: At a horizon: events (separations, or exits for that reason) up to and including it.
    #: A released table must show this as a count beside the estimate, so that a small number of
    #: events behind an estimate is suppressed with it (an estimate near 1 reveals it otherwise).
    events_to_horizon: int | None = None


@dataclass(frozen=True)
class TrendRow(Row):
    dataset: str
    category: str
    year_column: str
    year: object
    level: str
    count: int
    total: int
    share: float
    lower: float
    upper: float
    small_number: bool
    trend_z: float | None
    trend_p: float | None
    slope: float | None
    #: Bounds for unknown membership (docs/methods.md, "Unknown membership"): the share with every
    #: person of unknown membership counted out of the level (low) and in it (high).
    share_unknown_low: float | None = None
    share_unknown_high: float | None = None
    #: Applications: the trend test clustered by person (GEE score test, docs/methods.md "Repeat
    #: applicants"), its z and p, and the people behind the applications; read it rather than
    #: ``trend_p`` (which takes every application as an independent person).
    clustered_z: float | None = None
    clustered_p: float | None = None
    people: int | None = None


@dataclass(frozen=True)
class SnapshotRef:
    """Which snapshot of which dataset a result was computed from, and the first day its extract
    covers when the import declared it (``extract_start``, ``YYYY-MM-DD``)."""

    dataset: str
    snapshot_id: str
    row_count: int
    extract_start: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"dataset": self.dataset, "snapshot_id": self.snapshot_id, "row_count": self.row_count,
                "extract_start": self.extract_start}


@dataclass(frozen=True)
class MetricResult:
    """One metric computed: its rows and everything needed to reproduce and read them.

    ``snapshots`` and ``category_version`` pin the inputs; ``method`` names the statistical
    methods (pointing at ``docs/methods.md``); ``warnings`` are about the data (a category that
    matches nobody, a dataset that is empty); ``notes`` about the method (dropped records,
    incomplete follow-up). Small-number flags are on the rows.
    """

    metric: str
    spec: MetricSpec
    rows: tuple[Row, ...]
    snapshots: tuple[SnapshotRef, ...]
    category_version: int
    method: str
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    parameters: tuple[tuple[str, object], ...] = field(default=())

    def records(self) -> list[dict[str, object]]:
        """The rows as JSON-ready dicts (the CLI's ``--json`` output)."""
        return [row.to_dict() for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "spec": self.spec.to_dict(),
            "snapshots": [s.to_dict() for s in self.snapshots],
            "category_version": self.category_version,
            "method": self.method,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "parameters": {k: json_value(v) for k, v in self.parameters},
            "rows": self.records(),
        }
