"""The Python evaluator of metric plans: the same plans, answered by looping over
rows instead of by SQL.

It exists to check the SQL (property tests compare both on random small datasets) and to compute
a metric for a handful of records without a database. Rows are dicts of canonical values as a
snapshot stores them (codes as text, ``race`` a list, flags as ``bool``, dates as
``datetime.date``) **including the derived columns** of :mod:`ristra.core.categories.derived`
(the caller computes them from the census tables of :mod:`ristra.reference`). Results are
identical to the engine's: the plans' statistics run on the same counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ristra.core.metrics.plans import Ask, CountsByKey, Plan
from ristra.core.metrics.results import MetricResult
from ristra.core.metrics.sql.cube import SetColumns, dimension_value
from ristra.core.metrics.sql.source import PROMOTION_SOURCE, Source, counted_rows

Rows = Sequence[Mapping[str, object]]


def promotion_rows(transitions: Sequence[tuple[str, str]], employees: Rows, events: Rows) -> list[dict[str, object]]:
    """The promotion spells of :func:`~.sql.source.promotion_source`, computed in Python."""
    firsts: dict[str, dict[str, dt.date]] = {}
    for event in events:
        appointment = event.get("appointment_id")
        day = event.get("date")
        if appointment is None or not isinstance(day, dt.date):
            continue
        found = firsts.setdefault(str(appointment), {})
        for i, (from_rank, to_rank) in enumerate(transitions):
            if event.get("event") in ("hire", "promotion") and event.get("to_rank") == from_rank:
                key = f"rank_start_{i}"
                found[key] = min(found.get(key, day), day)
            if event.get("event") == "promotion" and event.get("from_rank") == from_rank \
                    and event.get("to_rank") == to_rank:
                key = f"promoted_{i}"
                found[key] = min(found.get(key, day), day)
    out = []
    for row in employees:
        spells = firsts.get(str(row.get("appointment_id")), {})
        extra = {f"{name}_{i}": spells.get(f"{name}_{i}") for i in range(len(transitions))
                 for name in ("rank_start", "promoted")}
        out.append({**row, **extra})
    return out


class PythonAnswers:
    """Answers computed by looping over rows (see the module docstring)."""

    def __init__(self, rows: Mapping[str, Rows]) -> None:
        self.rows = rows
        self._sources: dict[Source, Rows] = {}

    def source_rows(self, source: Source) -> Rows:
        if source not in self._sources:
            if source.name == PROMOTION_SOURCE:
                transitions = list(source.transitions)
                self._sources[source] = promotion_rows(transitions, self.rows.get("employees", ()),
                                                       self.rows.get("employee_events", ()))
            elif source.counting is not None:
                self._sources[source] = counted_rows(self.rows.get(source.dataset, ()), *source.counting)
            else:
                self._sources[source] = self.rows.get(source.dataset, ())
        return self._sources[source]


    def table(self, ask: Ask) -> CountsByKey:
        counts: dict[tuple[object, ...], list[int]] = {}
        for row in self.source_rows(ask.source):
            key = tuple(dimension_value(d, row) for d in ask.dims)
            bucket = counts.setdefault(key, [0] * (1 + len(ask.measures)))
            bucket[0] += 1
            for j, measure in enumerate(ask.measures):
                if measure.test(row):
                    bucket[1 + j] += 1
        return {k: tuple(v) for k, v in counts.items()}

    def columns(self, ask: Ask) -> SetColumns:
        return SetColumns.from_table(self.table(ask), 1 + len(ask.measures), len(ask.dims))

    def extent(self, ask: Ask, column: str) -> tuple[dt.date | None, dt.date | None]:
        values: list[Any] = [r.get(column) for r in self.source_rows(ask.source)]
        dates = [v for v in values if isinstance(v, dt.date)]
        return (min(dates), max(dates)) if dates else (None, None)


def evaluate(plans: Sequence[Plan], rows: Mapping[str, Rows]) -> list[MetricResult]:
    """Every plan's result, answered in Python (same phases as the engine)."""
    answers = PythonAnswers(rows)
    for plan in plans:
        plan.asks()
    for plan in plans:
        plan.followups(answers)
    return [plan.finish(answers) for plan in plans]
