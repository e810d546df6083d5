"""Follow-up times for survival metrics, computed in the query and summarised as two small
tables per level: how many people enter observation at each day, and how many leave (by cause)
at each day.

Times are whole days since the start of the spell (hire, or reaching a rank); the report uses
years (days / 365.25). A person hired before the data window enters observation when the
window opens (left truncation); everyone is followed to their exit or to the end of the data
(``as_of``). A record with no time at risk (exit on or before entry) is dropped and counted.

Kaplan–Meier, log-rank and Aalen–Johansen depend on the records only through those two
tables (the number at risk at t is #entries before t minus #exits before t; the exits at t are
counted by cause), so :func:`compact_records` rebuilds an equivalent, much smaller set of
records with frequency weights: sorted entries are paired with sorted exits. Pairing the i-th
smallest entry with the i-th smallest exit never puts an entry at or after its exit: the i people
who leave first all entered before the i-th exit. The estimates are identical to those of the
original records (tests check this against the row-level records).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ristra.core.categories import SqlFragment
from ristra.core.categories.syntax import Value
from ristra.core.metrics.conditions import Always, Condition
from ristra.core.metrics.sql.cube import SetColumns, ValueDimension
from ristra.core.sql_dialect import Dialect

DAYS_PER_YEAR = 365.25
OUTSIDE, NO_TIME = -1, -2


def join(*pieces: str | SqlFragment) -> SqlFragment:
    """Concatenate SQL text and fragments, keeping the parameters in textual order."""
    sql: list[str] = []
    params: list[Value] = []
    for piece in pieces:
        if isinstance(piece, SqlFragment):
            sql.append(piece.sql)
            params.extend(piece.params)
        else:
            sql.append(piece)
    return SqlFragment("".join(sql), tuple(params))


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value)
    return None


@dataclass(frozen=True)
class SpellDefinition:
    """How one spell is read from a row: it starts on ``start`` (a date column), ends by the
    event on ``event_date`` (counted with cause code from ``cause``), or is censored at
    ``censor_date`` (e.g. separation, for promotion) or at ``as_of``. ``population`` restricts
    who is followed."""

    name: str
    start: str
    event_date: str
    censor_date: str | None
    cause: tuple[str, tuple[str, ...]] | None
    population: Condition
    window_start: dt.date
    as_of: dt.date

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the spell reads."""
        names = [self.start, self.event_date, *([self.censor_date] if self.censor_date else []),
                 *([self.cause[0]] if self.cause else []), *self.population.columns()]
        return tuple(dict.fromkeys(names))

    # --------------------------------------------------------------- SQL (in a dialect)

    def _as_of(self, dialect: Dialect) -> SqlFragment:
        return SqlFragment(dialect.cast("?", dialect.date), (self.as_of.isoformat(),))

    def _end(self, dialect: Dialect) -> SqlFragment:
        ev = dialect.quote(self.event_date)
        if self.censor_date:
            censor = join("least(coalesce(", dialect.quote(self.censor_date), ", ", self._as_of(dialect), "), ",
                          self._as_of(dialect), ")")
        else:
            censor = self._as_of(dialect)
        return join(f"(CASE WHEN {ev} IS NOT NULL AND {ev} <= ", self._as_of(dialect), f" THEN {ev} ELSE ", censor,
                    " END)")

    def _entry(self, dialect: Dialect) -> SqlFragment:
        start = SqlFragment(dialect.cast("?", dialect.date), (self.window_start.isoformat(),))
        return SqlFragment(f"greatest({dialect.days_between(start.sql, dialect.quote(self.start))}, 0)", start.params)

    def _exit(self, dialect: Dialect) -> SqlFragment:
        end = self._end(dialect)
        return SqlFragment(f"({dialect.days_between(end.sql, dialect.quote(self.start))})", end.params)

    def followed(self, dialect: Dialect) -> SqlFragment:
        """SQL: the row's spell is followed (in the population, with a start date)."""
        return self._followed(dialect)

    def scope(self) -> Callable[[Dialect], SqlFragment] | None:
        """SQL (in a dialect) over the dataset's own columns true for every followed row (the
        population), or None when everyone may be followed."""
        if isinstance(self.population, Always):
            return None
        return self._population

    def _population(self, dialect: Dialect) -> SqlFragment:
        return join("coalesce(", self.population.sql(dialect), ", FALSE)")

    def _followed(self, dialect: Dialect) -> SqlFragment:
        return join("(coalesce(", self.population.sql(dialect),
                    f", FALSE) AND {dialect.quote(self.start)} IS NOT NULL)")

    def _valid(self, dialect: Dialect) -> SqlFragment:
        return join("(", self._followed(dialect), " AND ", self._exit(dialect), " > ", self._entry(dialect), ")")

    def _entry_sql(self, dialect: Dialect) -> SqlFragment:
        return join("CASE WHEN ", self._valid(dialect), " THEN ", self._entry(dialect), " END")

    def _exit_sql(self, dialect: Dialect) -> SqlFragment:
        return join("CASE WHEN ", self._valid(dialect), " THEN ", self._exit(dialect), " END")

    def _event_sql(self, dialect: Dialect) -> SqlFragment:
        ev = dialect.quote(self.event_date)
        if self.cause is not None:
            column, codes = self.cause
            whens = " ".join(f"WHEN ? THEN {i + 1}" for i in range(len(codes)))
            cause = SqlFragment(f"(CASE coalesce({dialect.quote(column)}, ?) {whens} ELSE {len(codes)} END)",
                                ("unknown", *codes))
        else:
            cause = SqlFragment("1")
        return join("CASE WHEN NOT ", self._followed(dialect), f" THEN {OUTSIDE} WHEN NOT ", self._valid(dialect),
                    f" THEN {NO_TIME} WHEN {ev} IS NOT NULL AND {ev} <= ", self._as_of(dialect), " THEN ", cause,
                    " ELSE 0 END")

    def entry_dimension(self) -> ValueDimension:
        return ValueDimension(f"entry:{self.name}", self._entry_sql, lambda row: self.times(row)[0], self.columns, self)

    def exit_dimension(self) -> ValueDimension:
        return ValueDimension(f"exit:{self.name}", self._exit_sql, lambda row: self.times(row)[1], self.columns, self)

    def event_dimension(self) -> ValueDimension:
        return ValueDimension(f"event:{self.name}", self._event_sql, self.event, self.columns, self)

    # --------------------------------------------------------------- Python (the same, per row)

    def _end_date(self, row: Mapping[str, object]) -> dt.date:
        ev = _date(row.get(self.event_date))
        if ev is not None and ev <= self.as_of:
            return ev
        if self.censor_date is None:
            return self.as_of
        censor = _date(row.get(self.censor_date))
        return min(censor or self.as_of, self.as_of)

    def times(self, row: Mapping[str, object]) -> tuple[int | None, int | None]:
        start = _date(row.get(self.start))
        if start is None or not self.population.test(row):
            return None, None
        entry = max((self.window_start - start).days, 0)
        exit_ = (self._end_date(row) - start).days
        return (entry, exit_) if exit_ > entry else (None, None)

    def event(self, row: Mapping[str, object]) -> int:
        start = _date(row.get(self.start))
        if start is None or not self.population.test(row):
            return OUTSIDE
        if self.times(row)[1] is None:
            return NO_TIME
        ev = _date(row.get(self.event_date))
        if ev is None or ev > self.as_of:
            return 0
        if self.cause is None:
            return 1
        column, codes = self.cause
        value = row.get(column) or "unknown"
        return codes.index(str(value)) + 1 if value in codes else len(codes)


@dataclass(frozen=True)
class WeightedRecords:
    """Follow-up records (years) with frequency weights."""

    entry: NDArray[np.float64]
    exit: NDArray[np.float64]
    event: NDArray[np.int64]
    weight: NDArray[np.float64]
    #: People at risk by time, filled by whoever counts them (the records never change).
    at_risk_memo: dict[float, int] = field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def people(self) -> int:
        return int(self.weight.sum())


@dataclass(frozen=True)
class LevelFollowUp:
    """One level's entry table (days, people) and exit table (days, cause, people), and the
    number of people dropped for having no time at risk."""

    entry_days: NDArray[np.int64]
    entry_people: NDArray[np.int64]
    exit_days: NDArray[np.int64]
    exit_events: NDArray[np.int64]
    exit_people: NDArray[np.int64]
    dropped: int = 0


def _stable_order(days: NDArray[np.int64]) -> NDArray[np.intp]:
    """``np.argsort(days, kind="stable")``; days spanning fewer than 2**16 values are sorted as
    16-bit offsets (NumPy radix-sorts those; a stable order is unique, so it is the same)."""
    if days.size and int(days.max()) - int(days.min()) < 1 << 16:
        return np.argsort((days - days.min()).astype(np.uint16), kind="stable")
    return np.argsort(days, kind="stable")


def _sorted_union(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """``np.unique(np.concatenate((a, b)))`` for two non-decreasing arrays (a merge, not a hash)."""
    merged = np.concatenate((a, b))
    merged.sort(kind="stable")  # two sorted runs: a linear merge
    keep = np.empty(merged.size, dtype=bool)
    keep[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def compact_records(level: LevelFollowUp) -> WeightedRecords:
    """Weighted records with the same entry and exit tables (see the module docstring)."""
    if int(level.entry_people.sum()) != int(level.exit_people.sum()):
        raise ValueError("entry and exit tables count different numbers of people")
    if level.exit_days.size == 0:
        empty = np.zeros(0)
        return WeightedRecords(empty, empty, np.zeros(0, dtype=np.int64), empty)
    e_order = _stable_order(level.entry_days)
    x_order = _stable_order(level.exit_days)
    e_times, e_counts = level.entry_days[e_order], level.entry_people[e_order]
    x_times, x_events, x_counts = level.exit_days[x_order], level.exit_events[x_order], level.exit_people[x_order]
    ce, cx = np.cumsum(e_counts), np.cumsum(x_counts)
    breaks = _sorted_union(ce, cx)
    starts = np.concatenate(([0], breaks[:-1]))
    weight = (breaks - starts).astype(np.float64)
    ei = np.searchsorted(ce, starts, side="right")
    xi = np.searchsorted(cx, starts, side="right")
    return WeightedRecords(e_times[ei] / DAYS_PER_YEAR, x_times[xi] / DAYS_PER_YEAR,
                           x_events[xi].astype(np.int64), weight)


def level_codes(levels: Sequence[str], level_of: Callable[[Sequence[object]], str],
                values: Sequence[np.ma.MaskedArray[Any, Any]]) -> NDArray[np.int64]:
    """Each row's index into ``levels`` from its grouping dimension values (vectorised for one or
    two rule dimensions, whose values are TRUE / FALSE / NULL)."""
    def truth(v: np.ma.MaskedArray[Any, Any]) -> NDArray[np.int64] | None:
        if v.dtype != bool and not (v.size and bool(np.all(np.ma.getmaskarray(v)))):
            return None
        mask = np.ma.getmaskarray(v)
        data = np.ma.getdata(v).astype(bool) if v.dtype == bool else np.zeros(v.size, dtype=bool)
        return np.where(mask, 2, np.where(data, 0, 1)).astype(np.int64)

    codes = [truth(v) for v in values]
    if values and len(levels) == 3 ** len(values) and all(c is not None for c in codes):
        out = np.zeros(values[0].size, dtype=np.int64)
        for c in codes:
            assert c is not None
            out = out * 3 + c
        return out
    memo: dict[tuple[object, ...], int] = {}
    result = []
    for combo in zip(*(v.tolist() for v in values), strict=True):
        if combo not in memo:
            memo[combo] = levels.index(level_of(combo))
        result.append(memo[combo])
    return np.array(result, dtype=np.int64)


def _ints(values: np.ma.MaskedArray[Any, Any], fill: int) -> NDArray[np.int64]:
    """A masked column as integers, ``fill`` where masked (object columns of the reference too)."""
    mask = np.ma.getmaskarray(values)
    data = np.ma.getdata(values)
    if data.dtype == object:
        return np.array([fill if m else int(v) for v, m in zip(data.tolist(), mask.tolist(), strict=True)],
                        dtype=np.int64)
    return np.where(mask, fill, data).astype(np.int64)


def level_tables(levels: Sequence[str], level_of: Callable[[Sequence[object]], str],
                 entries: SetColumns, exits: SetColumns) -> dict[str, LevelFollowUp]:
    """Per level: entries by day, exits by (day, cause), people dropped for no time at risk."""
    n_dims = len(entries.values) - 1
    e_level = level_codes(levels, level_of, entries.values[:n_dims])
    e_day = entries.values[n_dims]
    x_level = level_codes(levels, level_of, exits.values[:n_dims])
    x_day, x_event = exits.values[n_dims], exits.values[n_dims + 1]
    e_ok = ~np.ma.getmaskarray(e_day)
    x_event_data = _ints(x_event, OUTSIDE)
    x_ok = ~np.ma.getmaskarray(x_day) & (x_event_data >= 0)
    e_days = _ints(e_day, 0)
    x_days = _ints(x_day, 0)
    out = {}
    for i, level in enumerate(levels):
        e = e_ok & (e_level == i)
        x = x_ok & (x_level == i)
        dropped = int(exits.counts[(x_level == i) & (x_event_data == NO_TIME), 0].sum())
        out[level] = LevelFollowUp(e_days[e], entries.counts[e, 0], x_days[x], x_event_data[x], exits.counts[x, 0],
                                   dropped)
    return out
