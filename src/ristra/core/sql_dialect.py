"""The SQL dialect the metric plans compile to: every construct that is not portable SQL.

Contract
--------
* A :class:`Dialect` turns SQL *text* into SQL *text*: it never sees a value (values stay ``?``
  parameters, bound by the engine) and never connects to anything. Every SQL builder in
  :mod:`ristra.core` (:mod:`ristra.core.categories.sql`, :mod:`ristra.core.categories.race`,
  :mod:`ristra.core.metrics.sql`, the conditions, grouping columns and follow-up spells of the
  plans) takes the dialect as a parameter; plans themselves hold no SQL, so one plan can be
  compiled for any engine.
* :data:`DUCKDB` is the dialect of :mod:`ristra.engine.session`. Its output is byte for byte the
  SQL ristra wrote before dialects existed (``tests/core/metrics/test_metrics_dialect.py``).
* Portable SQL is written directly by the builders: ``CASE``, ``coalesce``, ``NULLIF``, ``trim``,
  ``lower``, ``least``/``greatest``, ``GROUPING SETS`` and ``GROUPING()``, ``IS NOT DISTINCT
  FROM``, ``count(*)``, ``min``/``max``/``sum``, ``||``, and ANSI double-quoted names for the
  query's own generated relations and columns (``"rows"``, ``"d0"``, ``"l0_x1"``). A dialect
  whose engine quotes otherwise turns ANSI quoting on in its connection module (Spark:
  ``spark.sql.ansi.doubleQuotedIdentifiers``).
* Identifiers from the data (dataset and column names) go through :meth:`Dialect.quote`, which
  accepts only allow-listed shapes (``[a-z_][a-z0-9_]*``).

A new backend is a dialect (a class implementing :class:`Dialect`) plus a connection module
implementing :class:`ristra.engine.runner.Connection` (see ``docs/architecture.md``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def checked_identifier(name: str) -> str:
    """``name`` if it has an allowed identifier shape (``ValueError`` otherwise)."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not an allowed identifier: {name!r}")
    return name


class Dialect(Protocol):
    """The non-portable SQL of one engine (see the module docstring). Arguments are SQL text."""

    @property
    def name(self) -> str:
        """The engine's id (``duckdb``)."""
        ...

    @property
    def text(self) -> str:
        """The type of text."""
        ...

    @property
    def boolean(self) -> str:
        """The type of TRUE / FALSE."""
        ...

    @property
    def bigint(self) -> str:
        """The type of 64-bit integers."""
        ...

    @property
    def integer(self) -> str:
        """The type of 32-bit integers."""
        ...

    @property
    def date(self) -> str:
        """The type of calendar dates."""
        ...

    def quote(self, name: str) -> str:
        """An allow-listed identifier (dataset or column name), quoted."""
        ...

    def cast(self, expr: str, type_name: str) -> str:
        """``expr`` as ``type_name``."""
        ...

    def array_of(self, type_name: str) -> str:
        """The type of a list of ``type_name``."""
        ...

    def array_parameter(self, type_name: str) -> str:
        """One ``?`` parameter bound to a Python list, read as a list of ``type_name``."""
        ...

    def list_literal(self, items: Sequence[str]) -> str:
        """A list of the expressions ``items``."""
        ...

    def list_length(self, items: str) -> str:
        """The number of elements of a list (NULL for NULL)."""
        ...

    def list_element(self, items: str, position: int) -> str:
        """The element of a list at ``position`` (counted from 1)."""
        ...

    def list_contains(self, items: str, value: str) -> str:
        """Whether a list holds ``value``."""
        ...

    def list_has_any(self, items: str, wanted: str) -> str:
        """Whether ``items`` holds any element of ``wanted``."""
        ...

    def list_has_all(self, items: str, wanted: str) -> str:
        """Whether ``items`` holds every element of ``wanted``."""
        ...

    def list_intersect(self, items: str, other: str) -> str:
        """The elements of ``items`` that are also in ``other``."""
        ...

    def list_filter_by_bits(self, items: str, mask: str) -> str:
        """The elements of ``items`` whose position ``j`` (from 1) has bit ``j - 1`` set in the
        integer ``mask`` (every subset of a list, one per mask)."""
        ...

    def unnest(self, items: str) -> str:
        """A list's elements as rows (in a SELECT list)."""
        ...

    def integer_range(self, start: int, stop: int, alias: str, column: str) -> str:
        """A FROM item: the integers ``start`` .. ``stop - 1`` as ``alias(column)``."""
        ...

    def map_lookup(self, keys: str, values: str, key: str) -> str:
        """The element of ``values`` at the position of ``key`` in ``keys`` (NULL when absent)."""
        ...

    def count_if(self, condition: str) -> str:
        """How many rows of the group have ``condition`` TRUE (aggregate)."""
        ...

    def filtered(self, aggregate: str, condition: str) -> str:
        """``aggregate`` over the group's rows with ``condition`` TRUE."""
        ...

    def group_by_all(self, columns: Sequence[str]) -> str:
        """The GROUP BY clause grouping by ``columns``, every non-aggregate of the SELECT list."""
        ...

    def hash(self, columns: Sequence[str]) -> str:
        """A 64-bit hash of the values of ``columns`` (NULLs included)."""
        ...

    def year(self, day: str) -> str:
        """The calendar year of a date."""
        ...

    def days_between(self, later: str, earlier: str) -> str:
        """Whole days from the date ``earlier`` to the date ``later``."""
        ...

    def keep_first(self, select: str, partition: str, order: str) -> str:
        """``select`` (a SELECT statement) keeping the first row of each ``partition`` in ``order``."""
        ...

    def create_temp_table(self, name: str, select: str) -> str:
        """A statement making the session-local table ``name`` from ``select``."""
        ...


@dataclass(frozen=True)
class DuckDBDialect:
    """DuckDB's SQL (the engine of :mod:`ristra.engine.session`)."""

    name: str = "duckdb"
    text: str = "VARCHAR"
    boolean: str = "BOOLEAN"
    bigint: str = "BIGINT"
    integer: str = "INTEGER"
    date: str = "DATE"

    def quote(self, name: str) -> str:
        return f'"{checked_identifier(name)}"'

    def cast(self, expr: str, type_name: str) -> str:
        return f"CAST({expr} AS {type_name})"

    def array_of(self, type_name: str) -> str:
        return f"{type_name}[]"

    def array_parameter(self, type_name: str) -> str:
        return f"?::{self.array_of(type_name)}"

    def list_literal(self, items: Sequence[str]) -> str:
        return f"[{', '.join(items)}]"

    def list_length(self, items: str) -> str:
        return f"len({items})"

    def list_element(self, items: str, position: int) -> str:
        return f"({items})[{int(position)}]"

    def list_contains(self, items: str, value: str) -> str:
        return f"list_contains({items}, {value})"

    def list_has_any(self, items: str, wanted: str) -> str:
        return f"list_has_any({items}, {wanted})"

    def list_has_all(self, items: str, wanted: str) -> str:
        return f"list_has_all({items}, {wanted})"

    def list_intersect(self, items: str, other: str) -> str:
        return f"list_intersect({items}, {other})"

    def list_filter_by_bits(self, items: str, mask: str) -> str:
        return f"list_filter({items}, lambda x, j: (({mask} >> (j - 1)) & 1) = 1)"

    def unnest(self, items: str) -> str:
        return f"unnest({items})"

    def integer_range(self, start: int, stop: int, alias: str, column: str) -> str:
        return f"range({int(start)}, {int(stop)}) AS {alias}({column})"

    def map_lookup(self, keys: str, values: str, key: str) -> str:
        return f"map_extract_value(MAP({keys}, {values}), {key})"

    def count_if(self, condition: str) -> str:
        return f"count_if({condition})"

    def filtered(self, aggregate: str, condition: str) -> str:
        return f"{aggregate} FILTER (WHERE {condition})"

    def group_by_all(self, columns: Sequence[str]) -> str:
        return "GROUP BY ALL"

    def hash(self, columns: Sequence[str]) -> str:
        return f"hash({', '.join(columns)})"

    def year(self, day: str) -> str:
        return f"year({day})"

    def days_between(self, later: str, earlier: str) -> str:
        return f"{later} - {earlier}"

    def keep_first(self, select: str, partition: str, order: str) -> str:
        return f"{select} QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {order}) = 1"

    def create_temp_table(self, name: str, select: str) -> str:
        return f"CREATE TEMP TABLE {name} AS {select}"


#: DuckDB's dialect.
DUCKDB: Dialect = DuckDBDialect()
