"""What every metric plan shares: the questions it asks of the data (:class:`Ask`), the context it
is planned in, and small helpers that turn counts into rows with intervals.

A plan runs in up to two phases: :meth:`Plan.asks` (counts that need nothing but the
specification), then :meth:`Plan.followups` (counts whose definition depends on phase-one
answers, e.g. survival times that need the data window), then :meth:`Plan.finish` builds the
:class:`~ristra.core.metrics.results.MetricResult`. Every :class:`Ask` over the same source is
answered by one merged query (:mod:`ristra.core.metrics.sql.cube`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ristra.core.benchmarks import Benchmark, BenchmarkSet
from ristra.core.categories import CategorySet, MembershipCounts, SqlFragment, membership_warnings
from ristra.core.categories.crossing import SEPARATOR
from ristra.core.metrics.conditions import Condition
from ristra.core.metrics.errors import NoData
from ristra.core.metrics.groupings import AOIC_NOTE, UNKNOWN, Grouping, resolve_grouping
from ristra.core.metrics.results import MetricResult, SnapshotRef
from ristra.core.metrics.sql.cube import CubeDimension, SetColumns, SqlBuilder, ValueDimension, dimension_key
from ristra.core.metrics.sql.source import Source
from ristra.core.sql_dialect import Dialect
from ristra.core.stats import wilson_intervals
from ristra.core.stats.proportions import is_small_number
from ristra.core.stats.unknowns import Bounds

Counts = tuple[int, ...]
CountsByKey = dict[tuple[object, ...], Counts]


@dataclass(frozen=True, eq=False)
class Ask:
    """One table wanted from ``source``: counts (``n`` and each of ``measures``) by the values of
    ``dims``; ``extents`` asks for the min and max of date columns. ``where`` (optional: SQL in
    the dialect it is given) says the asker ignores other rows, so a query may skip them (the
    table may still hold them). ``scope`` (optional, the same) is implied by ``where`` and reads
    only the source dataset's own columns, so a query over a joined relation may skip rows before
    joining. An ask holds no SQL text: it is compiled in the engine's dialect."""

    source: Source
    dims: tuple[CubeDimension, ...]
    measures: tuple[Condition, ...] = ()
    extents: tuple[str, ...] = ()
    where: SqlBuilder | None = None
    scope: SqlBuilder | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dimension_key(d) for d in self.dims)


class Answers(Protocol):
    """The engine's (or the reference evaluator's) answers to asks."""

    def table(self, ask: Ask) -> CountsByKey: ...

    def columns(self, ask: Ask) -> SetColumns: ...

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]: ...


@dataclass(frozen=True)
class Context:
    """What a plan may know besides its specification: the category version, the benchmarks and
    the current snapshot of each dataset that has data."""

    categories: CategorySet
    benchmarks: BenchmarkSet
    snapshots: Mapping[str, SnapshotRef] = field(default_factory=dict)
    #: count unknown membership with "not in category" (public output; see
    #: :meth:`~ristra.core.metrics.groupings.Grouping.with_unknown_merged`)
    merge_unknown: bool = False
    #: refuse a retention or promotion metric whose data window is neither declared with the import
    #: (``SnapshotRef.extract_start``) nor given on the call (:class:`~.errors.WindowNotDeclared`),
    #: the default; only when False is the window guessed from the earliest separation, and the
    #: result's notes say so
    require_declared_window: bool = True

    def grouping(self, name: str) -> Grouping:
        found = resolve_grouping(self.categories, name)
        return found.with_unknown_merged() if self.merge_unknown else found

    def require(self, dataset: str, metric: str) -> SnapshotRef:
        if dataset not in self.snapshots:
            raise NoData(dataset, metric)
        return self.snapshots[dataset]

    def benchmark(self, key: str | None, population: str, geography: str,
                  year: int | None = None) -> Benchmark | None:
        """The benchmark of ``key`` for ``population`` in ``geography`` nearest ``year`` (the
        latest when None); another population of the geography when that one has none (the row's
        ``benchmark_ages`` then says so)."""
        if key is None:
            return None
        try:
            return self.benchmarks.get(key, population, geography, year)  # type: ignore[arg-type]
        except KeyError:
            found = [b for b in self.benchmarks.find(key) if b.geography == geography]
            if not found:
                return None
            return self.benchmarks.get(key, found[0].population, geography, year)


class Plan(Protocol):
    """A metric specification planned against a context."""

    def asks(self) -> Sequence[Ask]: ...

    def followups(self, answers: Answers) -> Sequence[Ask]: ...

    def finish(self, answers: Answers) -> MetricResult: ...


def level_totals(table: CountsByKey, grouping: Grouping, level_index: Sequence[int]) -> dict[str, int]:
    """Rows per level, summed over every other dimension of ``table`` (``level_index`` gives the
    positions of the grouping's dimensions in the keys)."""
    totals = dict.fromkeys(grouping.levels, 0)
    for key, counts in table.items():
        for level in grouping.memberships([key[i] for i in level_index]):
            totals[level] = totals.get(level, 0) + counts[0]
    return totals


def overlap_notes(grouping: Grouping) -> tuple[str, ...]:
    """The note every result over an overlapping grouping carries (its groups sum past the total)."""
    return (AOIC_NOTE,) if grouping.overlapping else ()


def warnings_for(grouping: Grouping, dataset: str, totals: Mapping[str, int]) -> list[str]:
    """Category warnings (matches nobody, always true, all unknown, …) from level totals."""
    if grouping.kind != "category":
        return [] if sum(totals.values()) else [f"{grouping.id} on {dataset}: the dataset has no rows"]
    counts = MembershipCounts(totals.get("yes", 0), totals.get("no", 0), totals.get("unknown", 0))
    return [w.message for w in membership_warnings(grouping.id, dataset, counts)]


@dataclass(frozen=True)
class Shares:
    """Vectorised Wilson intervals and small-number flags for many (k, n) pairs at once."""

    share: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    small: tuple[bool, ...]


def shares(pairs: Sequence[tuple[int, int]], confidence: float) -> Shares:
    """Share k/n (NaN when n = 0) with its Wilson interval (docs/methods.md, "Proportions") and
    the small-number flag, for every pair."""
    if not pairs:
        return Shares((), (), (), ())
    k = np.array([p[0] for p in pairs], dtype=np.float64)
    n = np.array([p[1] for p in pairs], dtype=np.float64)
    bounds = wilson_intervals(k, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)
    return Shares(
        tuple(float(v) for v in share),
        tuple(float(v) for v in bounds.lower),
        tuple(float(v) for v in bounds.upper),
        tuple(is_small_number(int(a), int(b)) for a, b in pairs),
    )


def by_values(names: Sequence[str], values: Sequence[object]) -> tuple[tuple[str, object], ...]:
    return tuple(zip(names, values, strict=True))


def sort_key(value: object) -> tuple[int, str]:
    """Sort key putting None (missing) last and comparing numbers as numbers."""
    if value is None:
        return (2, "")
    if isinstance(value, bool):
        return (0, f"{int(value):020d}")
    if isinstance(value, int | float):
        return (0, f"{value:020.6f}" if value >= 0 else f"-{-value:020.6f}")
    return (1, str(value))


def snapshot_refs(context: Context, datasets: Sequence[str]) -> tuple[SnapshotRef, ...]:
    return tuple(context.snapshots[d] for d in dict.fromkeys(datasets) if d in context.snapshots)


def dedupe(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class SingleAsk:
    """For a plan answered by one count request (``self.ask``) with no follow-up requests."""

    ask: Ask

    def asks(self) -> Sequence[Ask]:
        return [self.ask]

    def followups(self, answers: Answers) -> Sequence[Ask]:
        return []


# --------------------------------------------------------------------------- unknown membership


def compatible_unknowns(grouping: Grouping, level: str) -> tuple[str, ...]:
    """The unknown levels whose people could be in ``level``: every unknown (and declined) level
    for a category or a race scheme; for a crossing, those whose known part agrees with the
    level's (``yes×unknown`` can join ``yes×yes`` or ``yes×no``, not ``no×yes``); for alone or in
    combination, the people with no known race for every race and nobody for ``hispanic``. None
    for an unknown level itself."""
    if grouping.is_unknown(level) or (grouping.overlapping and level == "hispanic"):
        return ()  # alone or in combination: unknown means no known race; ethnicity is known
    unknown = [lv for lv in grouping.levels if grouping.is_unknown(lv)]
    if grouping.kind != "crossed":
        return tuple(unknown)
    parts = level.split(SEPARATOR)
    return tuple(lv for lv in unknown
                 if all(u in (UNKNOWN, p) for u, p in zip(lv.split(SEPARATOR), parts, strict=True)))


def unknown_count(grouping: Grouping, level: str, levels: Mapping[str, Counts], index: int = 0) -> int:
    """People of unknown membership who could be in ``level``: the ``index``-th count of the
    compatible unknown levels (:func:`compatible_unknowns`)."""
    return sum(levels[u][index] for u in compatible_unknowns(grouping, level) if u in levels)


def bound_values(bounds: Bounds | None) -> tuple[float | None, float | None]:
    """(low, high) of ``bounds`` for a row (None for no bounds)."""
    return (None, None) if bounds is None else (bounds.low, bounds.high)


def unknown_bounds_note(grouping: Grouping, described: str) -> tuple[str, ...]:
    """The note naming a result's unknown-membership bounds (``described`` says which fields and
    what they count); none when the grouping has no unknown level (unknowns merged with "not in
    category")."""
    if not any(grouping.is_unknown(lv) for lv in grouping.levels):
        return ()
    return (f"bounds for unknown membership (not assumed missing at random): {described}; they hold whatever the "
            "unknowns' membership is and are not confidence intervals (docs/methods.md: Unknown membership)",)


def _person(row: Mapping[str, object]) -> object:
    return row.get("person_id")


def _person_sql(dialect: Dialect) -> SqlFragment:
    return SqlFragment(dialect.quote("person_id"))


#: The person of each row (for inference clustered by person: repeat applicants).
PERSON = ValueDimension("person", _person_sql, _person, ("person_id",))
