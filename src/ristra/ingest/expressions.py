"""SQL for validating and normalising one canonical column from its raw text.

For every canonical column present in a file this module produces, from the raw text
column (always read as VARCHAR):

* ``value`` — the canonical, typed value (NULL where the text is empty or invalid);
* ``checks`` — ordered ``(condition, reason code)`` pairs; the first true condition is the
  cell's issue (one issue per cell, the most basic first).

The same expressions serve both passes of an import: the fast pass (one streaming COPY that
stops at the first problem) and the full pass (which collects every issue with its row).
Identifiers come only from the dataset declarations and are quoted; code spellings are
looked up in MAP columns built from a table of bound parameters, never pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ristra.core.columnmap import ColumnMap
from ristra.core.datasets import US_STATES, Column

FORMULA_PATTERN = r"^[=+\-@\t\r]"
CONTROL_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
UNKNOWN_CODES = ("unknown", "declined")


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def map_identifier(column: Column) -> str:
    return quote_identifier(f"__map_{column.name}")


@dataclass(frozen=True)
class ColumnSql:
    column: Column
    raw: str
    value: str
    checks: tuple[tuple[str, str], ...]

    def any_issue(self) -> str:
        return " OR ".join(f"({condition})" for condition, _ in self.checks) or "false"

    def issue_code(self) -> str:
        """A CASE giving the reason code of the cell's first issue, else NULL."""
        if not self.checks:
            return "NULL"
        whens = " ".join(f"WHEN {condition} THEN '{code}'" for condition, code in self.checks)
        return f"CASE {whens} END"


def column_sql(column: Column, raw: str, column_map: ColumnMap, today: dt.date) -> ColumnSql:
    """The value and checks for ``column`` read from the raw text expression ``raw``."""
    text = f"NULLIF(trim({raw}), '')"
    checks: list[tuple[str, str]] = []
    empty_default = _empty_default(column)
    if column.required and empty_default is None:
        checks.append((f"{text} IS NULL", "missing_value"))

    kind = column.kind
    if kind in ("text", "id"):
        value = text
        checks += [
            (f"length({text}) > {int(column.max_length)}", "too_long"),
            (f"regexp_matches({raw}, '{FORMULA_PATTERN}')", "formula"),
            (f"regexp_matches({text}, '{CONTROL_PATTERN}')", "control_character"),
        ]
    elif kind == "code":
        looked_up = f"{map_identifier(column)}[lower({text})]"
        default = f"'{empty_default}'" if empty_default else "NULL"
        value = f"CASE WHEN {text} IS NULL THEN {default} ELSE {looked_up} END"
        checks.append((f"{text} IS NOT NULL AND {looked_up} IS NULL", "unknown_code"))
    elif kind == "code_set":
        tokens = (
            f"list_filter(list_transform(regexp_split_to_array(coalesce({text}, ''), '[;,|]'), "
            f"lambda x: NULLIF(trim(x), '')), lambda x: x IS NOT NULL)"
        )
        mapped = f"list_transform({tokens}, lambda x: {map_identifier(column)}[lower(x)])"
        real = f"list_filter({mapped}, lambda x: x NOT IN ('unknown', 'declined'))"
        value = (
            f"CASE WHEN len({real}) > 0 THEN list_sort(list_distinct({real})) "
            f"WHEN list_contains({mapped}, 'declined') THEN ['declined'] ELSE ['unknown'] END"
        )
        checks.append((f"len(list_filter({mapped}, lambda x: x IS NULL)) > 0", "unknown_code"))
    elif kind == "flag":
        looked_up = f"{map_identifier(column)}[lower({text})]"
        value = f"CAST({looked_up} AS BOOLEAN)"
        checks.append((f"{text} IS NOT NULL AND {looked_up} IS NULL", "unknown_code"))
    elif kind == "integer":
        value = f"TRY_CAST({text} AS INTEGER)"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", "bad_integer"))
        checks += _range_checks(column, value)
    elif kind == "number":
        value = f"TRY_CAST({text} AS DOUBLE)"
        checks.append((f"{text} IS NOT NULL AND ({value} IS NULL OR isnan({value}) OR isinf({value}))", "bad_number"))
        checks += _range_checks(column, value)
    elif kind == "year":
        value = f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}') THEN CAST({text} AS SMALLINT) END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", "bad_year"))
        checks.append((f"{value} > {today.year + column.future_years}", "future_date"))
        checks += _range_checks(column, value)
    elif kind == "date":
        fmt = column_map.date_format.replace("'", "''")
        value = f"CAST(try_strptime({text}, '{fmt}') AS DATE)"
        limit = today + dt.timedelta(days=int(366 * column.future_years))
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", "bad_date"))
        checks.append((f"{value} > DATE '{limit.isoformat()}'", "future_date"))
        checks.append((f"{value} < DATE '1900-01-01'", "out_of_range"))
    elif kind == "fips":
        value = f"CASE WHEN regexp_full_match({text}, '[0-9]{{4,5}}') THEN lpad({text}, 5, '0') END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", "bad_fips"))
    elif kind == "zip":
        value = (
            f"CASE WHEN regexp_full_match({text}, '[0-9]{{3,5}}(-[0-9]{{4}})?') "
            f"THEN lpad(split_part({text}, '-', 1), 5, '0') END"
        )
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", "bad_zip"))
    elif kind == "state":
        states = ", ".join(f"'{s}'" for s in US_STATES)
        value = f"CASE WHEN upper({text}) IN ({states}) THEN upper({text}) END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", "bad_state"))
    else:  # pragma: no cover - guarded by Column.__post_init__
        raise ValueError(f"unsupported column kind {kind}")
    return ColumnSql(column, raw, value, tuple(checks))


def missing_value_sql(column: Column) -> str:
    """The value of a column absent from the file: its empty default, typed."""
    default = _empty_default(column)
    if column.kind == "code_set":
        return "['unknown']" if default else "CAST(NULL AS VARCHAR[])"
    if default:
        return f"'{default}'"
    return f"CAST(NULL AS {column.storage_type})"


def _empty_default(column: Column) -> str | None:
    """Demographic codes left empty mean ``unknown`` (kept as its own group, never dropped)."""
    if column.kind in ("code", "code_set") and column.vocabulary and "unknown" in column.vocabulary.codes:
        return "unknown" if column.required or column.kind == "code_set" else None
    return None


def _range_checks(column: Column, value: str) -> list[tuple[str, str]]:
    checks = []
    if column.minimum is not None:
        checks.append((f"{value} < {column.minimum!r}", "out_of_range"))
    if column.maximum is not None:
        checks.append((f"{value} > {column.maximum!r}", "out_of_range"))
    return checks
