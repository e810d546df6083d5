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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ristra.core.categories import SqlFragment
from ristra.core.categories.sql import quote_identifier
from ristra.core.categories.syntax import Value
from ristra.core.metrics.sql.cube import ValueDimension

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
    ``censor_date`` (e.g. separation, for promotion) or at ``as_of``. ``population`` is SQL
    (and a Python test) restricting who is followed."""

    name: str
    start: str
    event_date: str
    censor_date: str | None
    cause: tuple[str, tuple[str, ...]] | None
    population: SqlFragment
    population_test: Callable[[Mapping[str, object]], bool]
    window_start: dt.date
    as_of: dt.date

    # --------------------------------------------------------------- SQL

    def _as_of(self) -> SqlFragment:
        return SqlFragment("CAST(? AS DATE)", (self.as_of.isoformat(),))

    def _end(self) -> SqlFragment:
        ev = quote_identifier(self.event_date)
        if self.censor_date:
            censor = join("least(coalesce(", quote_identifier(self.censor_date), ", ", self._as_of(), "), ",
                          self._as_of(), ")")
        else:
            censor = self._as_of()
        return join(f"(CASE WHEN {ev} IS NOT NULL AND {ev} <= ", self._as_of(), f" THEN {ev} ELSE ", censor, " END)")

    def _entry(self) -> SqlFragment:
        start = SqlFragment("CAST(? AS DATE)", (self.window_start.isoformat(),))
        return join("greatest(", start, f" - {quote_identifier(self.start)}, 0)")

    def _exit(self) -> SqlFragment:
        return join("(", self._end(), f" - {quote_identifier(self.start)})")

    def _followed(self) -> SqlFragment:
        return join("(coalesce(", self.population, f", FALSE) AND {quote_identifier(self.start)} IS NOT NULL)")

    def _valid(self) -> SqlFragment:
        return join("(", self._followed(), " AND ", self._exit(), " > ", self._entry(), ")")

    def entry_dimension(self) -> ValueDimension:
        fragment = join("CASE WHEN ", self._valid(), " THEN ", self._entry(), " END")
        return ValueDimension(f"entry:{self.name}", fragment, lambda row: self.times(row)[0])

    def exit_dimension(self) -> ValueDimension:
        fragment = join("CASE WHEN ", self._valid(), " THEN ", self._exit(), " END")
        return ValueDimension(f"exit:{self.name}", fragment, lambda row: self.times(row)[1])

    def event_dimension(self) -> ValueDimension:
        ev = quote_identifier(self.event_date)
        if self.cause is not None:
            column, codes = self.cause
            whens = " ".join(f"WHEN ? THEN {i + 1}" for i in range(len(codes)))
            cause = SqlFragment(f"(CASE coalesce({quote_identifier(column)}, ?) {whens} ELSE {len(codes)} END)",
                                ("unknown", *codes))
        else:
            cause = SqlFragment("1")
        fragment = join("CASE WHEN NOT ", self._followed(), f" THEN {OUTSIDE} WHEN NOT ", self._valid(),
                        f" THEN {NO_TIME} WHEN {ev} IS NOT NULL AND {ev} <= ", self._as_of(), " THEN ", cause,
                        " ELSE 0 END")
        return ValueDimension(f"event:{self.name}", fragment, self.event)

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
        if start is None or not self.population_test(row):
            return None, None
        entry = max((self.window_start - start).days, 0)
        exit_ = (self._end_date(row) - start).days
        return (entry, exit_) if exit_ > entry else (None, None)

    def event(self, row: Mapping[str, object]) -> int:
        start = _date(row.get(self.start))
        if start is None or not self.population_test(row):
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

    @property
    def people(self) -> int:
        return int(self.weight.sum())


def compact_records(entries: Mapping[int, int], exits: Mapping[tuple[int, int], int]) -> WeightedRecords:
    """Weighted records with the same entry and exit tables (see the module docstring)."""
    if sum(entries.values()) != sum(exits.values()):
        raise ValueError("entry and exit tables count different numbers of people")
    e_times = np.array(sorted(entries), dtype=np.float64)
    e_counts = np.array([entries[int(t)] for t in e_times], dtype=np.float64)
    x_keys = sorted(exits)
    x_times = np.array([k[0] for k in x_keys], dtype=np.float64)
    x_events = np.array([k[1] for k in x_keys], dtype=np.int64)
    x_counts = np.array([exits[k] for k in x_keys], dtype=np.float64)
    if not x_keys:
        empty = np.zeros(0)
        return WeightedRecords(empty, empty, np.zeros(0, dtype=np.int64), empty)
    ce, cx = np.cumsum(e_counts), np.cumsum(x_counts)
    breaks = np.unique(np.concatenate((ce, cx)))
    starts = np.concatenate(([0.0], breaks[:-1]))
    weight = breaks - starts
    ei = np.searchsorted(ce, starts, side="right")
    xi = np.searchsorted(cx, starts, side="right")
    return WeightedRecords(e_times[ei] / DAYS_PER_YEAR, x_times[xi] / DAYS_PER_YEAR, x_events[xi], weight)


def level_tables(entry_table: Mapping[tuple[object, ...], tuple[int, ...]],
                 exit_table: Mapping[tuple[object, ...], tuple[int, ...]],
                 level_of: Callable[[Sequence[object]], str], n_dims: int,
                 ) -> tuple[dict[str, dict[int, int]], dict[str, dict[tuple[int, int], int]], dict[str, int]]:
    """Per level: entries by day, exits by (day, cause), and people dropped for no time at risk."""
    entries: dict[str, dict[int, int]] = {}
    exits: dict[str, dict[tuple[int, int], int]] = {}
    dropped: dict[str, int] = {}
    for key, counts in entry_table.items():
        day = key[n_dims]
        if day is not None:
            level = level_of(key[:n_dims])
            bucket = entries.setdefault(level, {})
            bucket[int(day)] = bucket.get(int(day), 0) + counts[0]  # type: ignore[call-overload]
    for key, counts in exit_table.items():
        day, event = key[n_dims], key[n_dims + 1]
        level = level_of(key[:n_dims])
        if event == NO_TIME:
            dropped[level] = dropped.get(level, 0) + counts[0]
        elif day is not None and event is not None and int(event) >= 0:  # type: ignore[call-overload]
            bucket2 = exits.setdefault(level, {})
            k = (int(day), int(event))  # type: ignore[call-overload]
            bucket2[k] = bucket2.get(k, 0) + counts[0]
    return entries, exits, dropped
