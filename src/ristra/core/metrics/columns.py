"""The columns a metric may group by (``by=[...]``), and how each is computed.

Contract
--------
* :func:`grouping_column` resolves a name for a dataset or raises :class:`UnknownColumn` naming the
  nearest allowed names. Allowed: the dataset's canonical columns of a groupable kind (codes,
  flags, years, integers, states, FIPS and ZIP codes, and non-sensitive text such as ``program`` or
  ``department``), the derived columns of :mod:`ristra.core.categories.derived`, and for every date
  column a *year of* column — ``hire_date`` → ``hire_year``, ``start_date`` → ``start_year``, the
  events' ``date`` → ``event_year`` — holding the calendar year of the date.
* Identifiers are only ever taken from this allow-list; SQL quotes them
  (:func:`~ristra.core.categories.sql.quote_identifier`).
* :meth:`GroupingColumn.value` computes the same value from a row in Python (the reference
  evaluator uses it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ristra.core.categories.derived import derived_columns
from ristra.core.categories.sql import quote_identifier
from ristra.core.datasets import ColumnKind, dataset
from ristra.core.metrics.errors import UnknownColumn
from ristra.core.sql_dialect import Dialect

GROUPABLE_KINDS: frozenset[str] = frozenset({"code", "flag", "year", "integer", "state", "fips", "zip", "text"})

#: The year column each dataset is reported by when a metric needs "the year" and none is given.
DEFAULT_YEAR: Mapping[str, str] = MappingProxyType({
    "applications": "cycle",
    "students": "matriculation_year",
    "trainees": "start_year",
    "employees": "hire_year",
    "employee_events": "event_year",
    "programs": "start_year",
    "participants": "year",
})

_SPECIAL_YEAR_NAMES = {"date": "event_year"}


def year_column_name(date_column: str) -> str:
    """The name of the *year of* column of ``date_column`` (``hire_date`` → ``hire_year``)."""
    if date_column in _SPECIAL_YEAR_NAMES:
        return _SPECIAL_YEAR_NAMES[date_column]
    stem = date_column[: -len("_date")] if date_column.endswith("_date") else date_column
    return f"{stem}_year"


@dataclass(frozen=True)
class GroupingColumn:
    """A column a metric can group by: ``name`` as the user writes it, the canonical or derived
    ``source`` column it comes from, and whether it is the year of a date (``year_of_date``)."""

    name: str
    source: str
    kind: ColumnKind
    derived: bool = False
    year_of_date: bool = False

    def sql(self, column_sql: str, dialect: Dialect) -> str:
        """The SQL expression given the (quoted, possibly table-qualified) source column."""
        return dialect.year(column_sql) if self.year_of_date else column_sql

    @property
    def quoted_source(self) -> str:
        return quote_identifier(self.source)

    def value(self, row: Mapping[str, object]) -> object:
        """The value of this column in a row of canonical values (dates as ``datetime.date``)."""
        raw = row.get(self.source)
        if self.year_of_date:
            if raw is None:
                return None
            if isinstance(raw, str):
                raw = dt.date.fromisoformat(raw)
            return raw.year if isinstance(raw, dt.date) else None
        return raw


def grouping_columns(dataset_name: str) -> Mapping[str, GroupingColumn]:
    """Every column ``dataset_name`` can be grouped by, by name (raises ``UnknownDataset``)."""
    ds = dataset(dataset_name)
    result: dict[str, GroupingColumn] = {}
    for col in ds.columns:
        if col.kind == "date":
            name = year_column_name(col.name)
            if name not in ds.column_names:
                result[name] = GroupingColumn(name, col.name, "year", year_of_date=True)
        elif col.kind in GROUPABLE_KINDS and not (col.kind == "text" and col.sensitive):
            result[col.name] = GroupingColumn(col.name, col.name, col.kind)
    for d in derived_columns(dataset_name):
        result[d.name] = GroupingColumn(d.name, d.name, d.kind, derived=True)
    return MappingProxyType(result)


def grouping_column(dataset_name: str, name: str) -> GroupingColumn:
    """The grouping column ``name`` of ``dataset_name``, or :class:`UnknownColumn`."""
    available = grouping_columns(dataset_name)
    if name in available:
        return available[name]
    ds = dataset(dataset_name)
    why = ""
    if name in ds.column_names:
        kind = ds.column(name).kind
        why = "identifiers, lists and free text cannot be grouped by" if kind != "date" else (
            f"group by {year_column_name(name)} for its year")
    raise UnknownColumn(name, dataset_name, available, why)
