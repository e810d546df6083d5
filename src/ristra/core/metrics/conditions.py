"""Conditions counted by metrics (``count_if``) and restricting populations: small frozen values
that compile to SQL (``sql(dialect)``) with ``?`` parameters and evaluate the same way in Python.

Column names are checked against the dataset's canonical columns by :func:`check_condition`;
SQL quotes them. A condition is ``TRUE`` only when it holds; missing values never count
(``NULL`` is not counted by ``count_if``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ristra.core.categories.sql import SqlFragment
from ristra.core.datasets import dataset
from ristra.core.sql_dialect import Dialect


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value)
    return None


@dataclass(frozen=True)
class Always:
    """Every row (``count(*)``)."""

    def sql(self, dialect: Dialect) -> SqlFragment:
        return SqlFragment("TRUE")

    def test(self, row: Mapping[str, object]) -> bool:
        return True

    def columns(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class FlagsTrue:
    """Every listed flag column is true."""

    flags: tuple[str, ...]

    def sql(self, dialect: Dialect) -> SqlFragment:
        return SqlFragment("(" + " AND ".join(f"coalesce({dialect.quote(f)}, FALSE)" for f in self.flags) + ")")

    def test(self, row: Mapping[str, object]) -> bool:
        return all(row.get(f) is True for f in self.flags)

    def columns(self) -> tuple[str, ...]:
        return self.flags


@dataclass(frozen=True)
class CodeIn:
    """The column's value is one of ``codes``."""

    column: str
    codes: tuple[str, ...]

    def sql(self, dialect: Dialect) -> SqlFragment:
        marks = ", ".join("?" for _ in self.codes)
        return SqlFragment(f"coalesce({dialect.quote(self.column)} IN ({marks}), FALSE)", self.codes)

    def test(self, row: Mapping[str, object]) -> bool:
        return row.get(self.column) in self.codes

    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class IsMissing:
    """The column is empty (e.g. no separation date: still employed)."""

    column: str

    def sql(self, dialect: Dialect) -> SqlFragment:
        return SqlFragment(f"({dialect.quote(self.column)} IS NULL)")

    def test(self, row: Mapping[str, object]) -> bool:
        return row.get(self.column) is None

    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class IsPresent:
    """The column has a value."""

    column: str

    def sql(self, dialect: Dialect) -> SqlFragment:
        return SqlFragment(f"({dialect.quote(self.column)} IS NOT NULL)")

    def test(self, row: Mapping[str, object]) -> bool:
        return row.get(self.column) is not None

    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class WithinYears:
    """``end_date`` is present and its calendar year is at most ``years`` after ``start_year``
    (e.g. graduation within 4 years of the matriculation year)."""

    start_year: str
    end_date: str
    years: int

    def sql(self, dialect: Dialect) -> SqlFragment:
        start, end = dialect.quote(self.start_year), dialect.quote(self.end_date)
        return SqlFragment(f"coalesce({dialect.year(end)} - {start} <= ?, FALSE)", (self.years,))

    def test(self, row: Mapping[str, object]) -> bool:
        end = _date(row.get(self.end_date))
        start = row.get(self.start_year)
        return end is not None and isinstance(start, int) and end.year - start <= self.years

    def columns(self) -> tuple[str, ...]:
        return (self.start_year, self.end_date)


@dataclass(frozen=True)
class AllOf:
    """Every part holds."""

    parts: tuple[Condition, ...]

    def sql(self, dialect: Dialect) -> SqlFragment:
        if not self.parts:
            return SqlFragment("TRUE")
        fragments = [p.sql(dialect) for p in self.parts]
        return SqlFragment("(" + " AND ".join(f.sql for f in fragments) + ")",
                           tuple(v for f in fragments for v in f.params))

    def test(self, row: Mapping[str, object]) -> bool:
        return all(p.test(row) for p in self.parts)

    def columns(self) -> tuple[str, ...]:
        return tuple(c for p in self.parts for c in p.columns())


Condition = Always | FlagsTrue | CodeIn | IsMissing | IsPresent | WithinYears | AllOf


def check_condition(condition: Condition, dataset_name: str) -> Condition:
    """``condition`` if every column it names is a canonical column of ``dataset_name``."""
    names = dataset(dataset_name).column_names
    missing = [c for c in condition.columns() if c not in names]
    if missing:
        raise ValueError(f"dataset {dataset_name} has no column(s) {', '.join(missing)}")
    return condition


def both(a: Condition, b: Condition) -> Condition:
    """``a`` and ``b`` (flattening :class:`Always`)."""
    if isinstance(a, Always):
        return b
    if isinstance(b, Always):
        return a
    return AllOf((a, b))
