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
from collections.abc import Sequence
from dataclasses import dataclass

from ristra.core.columnmap import ColumnMap
from ristra.core.datasets import US_STATES, Column
from ristra.core.validation_issues import FORMULA_SQL_PATTERN, Reason
from ristra.ingest.messages import EARLIEST_DATE

#: A formula lead after any whitespace, checked on the value as stored (trimmed), in every
#: text column (:func:`ristra.core.validation_issues.looks_like_formula` is the same test).
FORMULA_PATTERN = FORMULA_SQL_PATTERN
CONTROL_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
UNKNOWN_CODES = ("unknown", "declined")
#: Text the fast pass leaves to the full pass: a formula lead, surrounding space (``trim``
#: removes every space separator, ``\p{Zs}``), control characters. Matched in multi-line mode.
FAST_TEXT_REFUSALS = r"^[=+\-@\t\r\p{Zs}]|[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{85}]|\p{Zs}$"
#: The written forms of numbers, the same in both passes: digits only (an optional leading
#: minus); a decimal may have one point. No exponent, no ``+``, no separators, no hex.
INTEGER_PATTERN = "-?[0-9]+"
NUMBER_PATTERN = r"-?([0-9]+(\.[0-9]+)?|\.[0-9]+)"
YEAR_PATTERN = "[0-9]{4}"
#: A decimal is stored as a double: more significant digits than this would be rounded.
MAX_NUMBER_DIGITS = 15
#: The ENUM type of US state codes (created by the fast pass).
STATE_ENUM = '"__us_state"'


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
    checks: tuple[tuple[str, Reason], ...]

    def any_issue(self) -> str:
        return " OR ".join(f"({condition})" for condition, _ in self.checks) or "false"

    def issue_code(self) -> str:
        """A CASE giving the reason code of the cell's first issue, else NULL."""
        if not self.checks:
            return "NULL"
        whens = " ".join(f"WHEN {condition} THEN '{code.value}'" for condition, code in self.checks)
        return f"CASE {whens} END"


def column_sql(column: Column, raw: str, column_map: ColumnMap, today: dt.date) -> ColumnSql:
    """The value and checks for ``column`` read from the raw text expression ``raw``."""
    text = f"NULLIF(trim({raw}), '')"
    checks: list[tuple[str, Reason]] = []
    empty_default = _empty_default(column)
    if column.required and empty_default is None:
        checks.append((f"{text} IS NULL", Reason.MISSING_VALUE))

    kind = column.kind
    if kind in ("text", "id"):
        value = text
        checks += [
            (f"length({text}) > {int(column.max_length)}", Reason.TOO_LONG),
            (f"regexp_matches({text}, '{FORMULA_PATTERN}')", Reason.FORMULA),
            (f"regexp_matches({text}, '{CONTROL_PATTERN}')", Reason.CONTROL_CHARACTER),
        ]
    elif kind == "code":
        looked_up = f"{map_identifier(column)}[lower({text})]"
        default = f"'{empty_default}'" if empty_default else "NULL"
        value = f"CASE WHEN {text} IS NULL THEN {default} ELSE {looked_up} END"
        checks.append((f"{text} IS NOT NULL AND {looked_up} IS NULL", Reason.UNKNOWN_CODE))
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
        checks.append((f"len(list_filter({mapped}, lambda x: x IS NULL)) > 0", Reason.UNKNOWN_CODE))
    elif kind == "flag":
        looked_up = f"{map_identifier(column)}[lower({text})]"
        value = f"CAST({looked_up} AS BOOLEAN)"
        checks.append((f"{text} IS NOT NULL AND {looked_up} IS NULL", Reason.UNKNOWN_CODE))
    elif kind == "integer":
        value = f"CASE WHEN regexp_full_match({text}, '{INTEGER_PATTERN}') THEN TRY_CAST({text} AS INTEGER) END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_INTEGER))
        checks += _range_checks(column, value)
    elif kind == "number":
        digits = f"length(regexp_replace({text}, '[^0-9]', '', 'g'))"
        value = (f"CASE WHEN regexp_full_match({text}, '{NUMBER_PATTERN}') AND {digits} <= {MAX_NUMBER_DIGITS} "
                 f"THEN CAST({text} AS DOUBLE) END")
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_NUMBER))
        checks += _range_checks(column, value)
    elif kind == "year":
        value = f"CASE WHEN regexp_full_match({text}, '{YEAR_PATTERN}') THEN CAST({text} AS SMALLINT) END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_YEAR))
        checks.append((f"{value} > {today.year + column.future_years}", Reason.FUTURE_DATE))
        checks += _range_checks(column, value)
    elif kind == "date":
        fmt = column_map.date_format.replace("'", "''")
        value = f"CAST(try_strptime({text}, '{fmt}') AS DATE)"
        limit = today + dt.timedelta(days=int(366 * column.future_years))
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_DATE))
        checks.append((f"{value} > DATE '{limit.isoformat()}'", Reason.FUTURE_DATE))
        checks.append((f"{value} < DATE '{EARLIEST_DATE}'", Reason.OUT_OF_RANGE))
    elif kind == "fips":
        value = f"CASE WHEN regexp_full_match({text}, '[0-9]{{4,5}}') THEN lpad({text}, 5, '0') END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_FIPS))
    elif kind == "zip":
        value = (
            f"CASE WHEN regexp_full_match({text}, '[0-9]{{3,5}}(-[0-9]{{4}})?') "
            f"THEN lpad(split_part({text}, '-', 1), 5, '0') END"
        )
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_ZIP))
    elif kind == "state":
        states = ", ".join(f"'{s}'" for s in US_STATES)
        value = f"CASE WHEN upper({text}) IN ({states}) THEN upper({text}) END"
        checks.append((f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_STATE))
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


def _range_checks(column: Column, value: str) -> list[tuple[str, Reason]]:
    checks = []
    if column.minimum is not None:
        checks.append((f"{value} < {column.minimum!r}", Reason.OUT_OF_RANGE))
    if column.maximum is not None:
        checks.append((f"{value} > {column.maximum!r}", Reason.OUT_OF_RANGE))
    return checks


@dataclass(frozen=True)
class FastColumn:
    """A column in the fast pass: the type the CSV reader parses it as, the canonical value
    computed from that, and a guard that is true for anything the fast pass will not decide.

    The fast pass is conservative: a guard may fire on a value the full pass accepts (say
    ``" F "`` with spaces); the full pass then decides. It must never accept a value the
    full pass would refuse.
    """

    column: Column
    reader_type: str
    value: str
    guard: str
    #: Free text whose refusals (:data:`FAST_TEXT_REFUSALS`) the caller checks, for every such
    #: column of a row at once (:func:`row_guard`).
    free_text: str | None = None
    #: Text that must be all digits (its length, ``digits_length``, is checked in ``guard``),
    #: checked likewise.
    digits: str | None = None
    digits_length: int = 5


def row_guard(columns: Sequence[FastColumn]) -> str:
    """True for a row the fast pass will not decide: any column's guard, or refused free text or
    digits in any column. Free texts are joined by line feeds and matched once in multi-line mode
    (a value holding a line feed can only fire more often, never less); digit columns, already
    checked for their length, are joined (a missing one reads as zeros) and matched once."""
    parts = [c.guard for c in columns if c.guard != "false"]
    texts = [c.free_text for c in columns if c.free_text is not None]
    if texts:
        joined = ", chr(10), ".join(texts)
        parts.append(f"regexp_matches(concat({joined}), '(?m){FAST_TEXT_REFUSALS}')")
    digits = [c for c in columns if c.digits is not None]
    if digits:
        joined = ", ".join(f"coalesce({c.digits}, '{'0' * c.digits_length}')" for c in digits)
        total = sum(c.digits_length for c in digits)
        parts.append(f"NOT regexp_full_match(concat({joined}), '[0-9]{{{total}}}')")
    return " OR ".join(parts) or "false"


def enum_identifier(column: Column) -> str:
    return quote_identifier(f"__spell_{column.name}")


def code_enum_identifier(column: Column) -> str:
    """The ENUM type of a coded column's canonical codes (the fast pass's output type)."""
    return quote_identifier(f"__code_{column.name}")


def fast_column(column: Column, raw: str, codes_in_enum_order: tuple[str, ...], today: dt.date,
                *, native_flag: bool = False) -> FastColumn:
    """The fast-pass reading of ``column`` from the reader column ``raw``.

    Coded columns are read as an ENUM of their exact spellings (in lower, upper and title
    case), so the CSV reader itself refuses anything else; ``codes_in_enum_order`` gives the
    canonical code of each ENUM member. A code column's value is typed as the ENUM
    :func:`code_enum_identifier` of its canonical codes, which the caller creates holding every
    code of ``codes_in_enum_order``: the Parquet writer then takes each value's dictionary index
    instead of hashing its text, and the file holds the same strings. With ``native_flag`` a
    flag is read as DuckDB's own BOOLEAN, whose accepted spellings (true/false, t/f, yes/no,
    y/n, 1/0, any case) are a subset of the flag vocabulary (``tests/ingest/test_ingest.py`` checks
    this); use it only when the column map adds no spellings of its own.
    """
    kind = column.kind
    guard = "false"
    missing = f"{raw} IS NULL" if column.required else "false"
    if kind == "flag" and native_flag:
        return FastColumn(column, "BOOLEAN", raw, missing)
    if kind in ("code", "flag"):
        codes = "[" + ", ".join(_literal(c) for c in codes_in_enum_order) + "]"
        default = _empty_default(column)
        typed = kind == "code"
        if typed:
            codes = f"CAST({codes} AS {code_enum_identifier(column)}[])"
        looked_up = f"{codes}[enum_code({raw}) + 1]"
        if kind == "flag":
            looked_up = f"CAST({looked_up} AS BOOLEAN)"
        fallback = f"CAST({_literal(default)} AS {code_enum_identifier(column)})" if typed else _literal(default)
        value = f"CASE WHEN {raw} IS NULL THEN {fallback} ELSE {looked_up} END" if default else looked_up
        if default:
            missing = "false"
        return FastColumn(column, enum_identifier(column), value, missing)
    if kind == "code_set":
        real = tuple(c for c in column.allowed_values if c not in UNKNOWN_CODES)
        allowed = "[" + ", ".join(f"'{c}'" for c in real) + "]"
        singles = ", ".join(f"'{c}'" for c in column.allowed_values)
        parts = f"string_split({raw}, ';')"
        value = (
            f"CASE WHEN {raw} IS NULL THEN ['unknown'] WHEN NOT contains({raw}, ';') THEN [{raw}] "
            f"ELSE list_sort(list_distinct({parts})) END"
        )
        guard = (
            f"CASE WHEN {raw} IS NULL THEN false WHEN contains({raw}, ';') THEN NOT list_has_all({allowed}, {parts}) "
            f"ELSE {raw} NOT IN ({singles}) END"
        )
        return FastColumn(column, "VARCHAR", value, guard)
    if kind in ("text", "id"):
        guard = f"({missing} OR strlen({raw}) > {int(column.max_length)})"
        return FastColumn(column, "VARCHAR", raw, guard, free_text=raw)
    if kind in ("integer", "number", "year"):
        # Read as text and checked against the same written form as the full pass: the CSV
        # reader's own INTEGER/DOUBLE/SMALLINT parsing accepts (and rounds) 2016.4, 2.016e3,
        # 20_16 or +2016, which the full pass refuses.
        storage = {"integer": "INTEGER", "number": "DOUBLE", "year": "SMALLINT"}[kind]
        value = f"CAST({raw} AS {storage})"
        parsed = f"TRY_CAST({raw} AS {storage})"
        bounds = [missing]
        if kind == "year":
            bounds.append(f"strlen({raw}) <> 4")
            bounds.append(f"{parsed} > {today.year + column.future_years} OR {parsed} < 1000")
        elif kind == "integer":
            bounds.append(f"strlen({raw}) > 9 OR NOT regexp_full_match({raw}, '{INTEGER_PATTERN}')")
        else:
            bounds.append(f"strlen({raw}) > {MAX_NUMBER_DIGITS} OR NOT regexp_full_match({raw}, '{NUMBER_PATTERN}')")
        bounds += [condition for condition, _ in _range_checks(column, parsed)]
        guard = "(" + " OR ".join(bounds) + ")"
        if kind == "year":
            return FastColumn(column, "VARCHAR", value, guard, digits=raw, digits_length=4)
        return FastColumn(column, "VARCHAR", value, guard)
    if kind == "date":
        limit = today + dt.timedelta(days=int(366 * column.future_years))
        guard = f"({missing} OR {raw} > DATE '{limit.isoformat()}' OR {raw} < DATE '{EARLIEST_DATE}')"
        return FastColumn(column, "DATE", raw, guard)
    if kind in ("fips", "zip"):
        return FastColumn(column, "VARCHAR", raw, f"({missing} OR strlen({raw}) <> 5)", digits=raw)
    if kind == "state":
        return FastColumn(column, STATE_ENUM, raw, missing)  # written as the state's text
    raise ValueError(f"unsupported column kind {kind}")  # pragma: no cover


def _literal(code: str | None) -> str:
    return "NULL" if code is None else "'" + code.replace("'", "''") + "'"
