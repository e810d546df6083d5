"""Type checking of rules against a dataset's columns (canonical and derived).

:func:`check` turns rule text (or a parsed tree) into a :class:`Rule`: every column is one that the
dataset has (canonical columns of :mod:`ristra.core.datasets` plus the declarations of
:mod:`.derived`), every operator fits the column's kind and every value fits its type and
vocabulary. Values are normalised on the way (a code matched case-insensitively becomes the
canonical code; text is compared trimmed and case-insensitively, so text values are lower-cased;
a state code is upper-cased). Errors are :class:`~.syntax.RuleError` with the position of the
offending column or value, naming near column names (``difflib``) or the allowed values.

Which comparisons each kind allows:

==========================  ======================================================
kind                        allowed
==========================  ======================================================
code                        ``== != in not in`` with codes of its vocabulary
code_set (race)             ``has_any has_all has_only``
flag                        ``== != in not in`` with ``true``/``false``
integer, year, number       every comparison and ``in``, with numbers
date                        every comparison and ``in``, with ``'YYYY-MM-DD'``
text, id, fips, zip, state  ``== != in not in`` with strings
every kind                  ``is unknown``, ``is known``
==========================  ======================================================

The codes ``unknown`` and ``declined`` may not be used as values: a comparison with an unknown
value is itself unknown; write ``column is unknown`` instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType

from ristra.core.categories.derived import derived_columns
from ristra.core.categories.syntax import (
    And,
    Compare,
    Expr,
    KnownTest,
    Literal_,
    Not,
    Or,
    RuleError,
    SetTest,
    Value,
    parse,
)
from ristra.core.datasets import US_STATES, ColumnKind, dataset

UNKNOWN_CODES = ("unknown", "declined")
ORDERED_KINDS = frozenset({"integer", "year", "number", "date"})
STRING_KINDS = frozenset({"text", "id", "fips", "zip", "state"})


@dataclass(frozen=True)
class ColumnInfo:
    """What the rule language knows about one column: its kind, its codes (without the unknown
    markers), the markers that mean unknown (``unknown``/``declined`` where the vocabulary has
    them), and whether it is derived."""

    name: str
    kind: ColumnKind
    codes: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    derived: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "codes": list(self.codes),
            "markers": list(self.markers),
            "derived": self.derived,
        }


def columns_for(dataset_name: str) -> Mapping[str, ColumnInfo]:
    """Every column a rule over ``dataset_name`` may use (raises ``UnknownDataset``)."""
    ds = dataset(dataset_name)
    result: dict[str, ColumnInfo] = {}
    for col in ds.columns:
        codes = col.allowed_values
        result[col.name] = ColumnInfo(
            col.name,
            col.kind,
            tuple(c for c in codes if c not in UNKNOWN_CODES),
            tuple(c for c in codes if c in UNKNOWN_CODES),
        )
    for d in derived_columns(dataset_name):
        result[d.name] = ColumnInfo(d.name, d.kind, derived=True)
    return MappingProxyType(result)


@dataclass(frozen=True)
class Rule:
    """A rule checked against one dataset: ``text`` as written, ``expr`` normalised, and the
    columns it uses. Build with :func:`check`; compile with :func:`~.sql.compile_rule` or evaluate
    with :func:`~.evaluator.evaluate`."""

    text: str
    dataset: str
    expr: Expr
    columns: Mapping[str, ColumnInfo]

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "dataset": self.dataset, "columns": sorted(self.columns)}


def check(rule: str | Expr, dataset_name: str) -> Rule:
    """Parse (if given text) and type-check ``rule`` for ``dataset_name``.

    Raises :class:`RuleError` (position, column, suggestions) for any problem, and
    ``UnknownDataset`` for a dataset that does not exist.
    """
    text = rule if isinstance(rule, str) else ""
    available = columns_for(dataset_name)
    try:
        expr = parse(rule) if isinstance(rule, str) else rule
        used: dict[str, ColumnInfo] = {}
        normalised = _check(expr, available, used, dataset_name)
    except RuleError as err:
        raise err.with_text(text) from None
    return Rule(text, dataset_name, normalised, MappingProxyType(used))


def _check(expr: Expr, available: Mapping[str, ColumnInfo], used: dict[str, ColumnInfo], ds: str) -> Expr:
    if isinstance(expr, Not):
        return replace(expr, operand=_check(expr.operand, available, used, ds))
    if isinstance(expr, And | Or):
        return replace(expr, operands=tuple(_check(e, available, used, ds) for e in expr.operands))
    info = _column(expr.column, expr.position, available, ds)
    used[info.name] = info
    if isinstance(expr, KnownTest):
        return expr
    if isinstance(expr, SetTest):
        if info.kind != "code_set":
            raise RuleError(
                f"{expr.op} works only on set-valued columns such as race; {info.name} is a {info.kind} "
                f"column: use 'in [...]'",
                expr.position,
                column=info.name,
            )
        return replace(expr, values=tuple(_value(info, v) for v in expr.values))
    if info.kind == "code_set":
        raise RuleError(
            f"{info.name} holds several values: compare it with has_any, has_all or has_only",
            expr.position,
            column=info.name,
        )
    if isinstance(expr, Compare):
        if expr.op not in ("==", "!=") and info.kind not in ORDERED_KINDS:
            raise RuleError(
                f"'{expr.op}' works only on numbers, years and dates; {info.name} is a {info.kind} "
                "column: use ==, != or in [...]",
                expr.position,
                column=info.name,
            )
        return replace(expr, value=_value(info, expr.value))
    return replace(expr, values=tuple(_value(info, v) for v in expr.values))


def _column(name: str, position: int, available: Mapping[str, ColumnInfo], ds: str) -> ColumnInfo:
    info = available.get(name)
    if info is not None:
        return info
    near = tuple(difflib.get_close_matches(name, list(available), n=3, cutoff=0.6))
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise RuleError(f"unknown column {name!r} in dataset {ds}{hint}", position, column=name, suggestions=near)


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FIVE_DIGITS = re.compile(r"[0-9]{5}")


def _value(info: ColumnInfo, lit: Literal_) -> Literal_:
    v: Value = lit.value
    where = lit.position

    def fail(message: str, suggestions: tuple[str, ...] = ()) -> RuleError:
        return RuleError(message, where, column=info.name, suggestions=suggestions)

    kind = info.kind
    if kind in ("code", "code_set"):
        if not isinstance(v, str):
            raise fail(f"{info.name} takes codes in quotes: one of {', '.join(info.codes)}")
        if v.lower() in UNKNOWN_CODES:
            raise fail(f"{v!r} cannot be compared (the comparison would be unknown): write '{info.name} is unknown'")
        by_lower = {c.lower(): c for c in info.codes}
        if v.lower() not in by_lower:
            near = tuple(difflib.get_close_matches(v.lower(), list(by_lower), n=3, cutoff=0.5))
            raise fail(f"{v!r} is not a value of {info.name}; allowed values: {', '.join(info.codes)}", near)
        return Literal_(by_lower[v.lower()], where)
    if kind == "flag":
        if not isinstance(v, bool):
            raise fail(f"{info.name} is true or false (without quotes)")
        return lit
    if kind in ("integer", "year", "number"):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise fail(f"{info.name} is a {kind} column: compare it with a number (without quotes)")
        if kind != "number" and isinstance(v, float):
            raise fail(f"{info.name} holds whole numbers: {v} is not one")
        return lit
    if not isinstance(v, str):
        raise fail(f"{info.name} is a {kind} column: compare it with a 'string'")
    if kind == "date":
        try:
            if not _DATE.fullmatch(v):
                raise ValueError(v)
            date.fromisoformat(v)
        except ValueError:
            raise fail(f"{v!r} is not a date: write 'YYYY-MM-DD'") from None
        return lit
    stripped = v.strip(" ")
    if not stripped:
        raise fail(f"an empty value cannot be compared: write '{info.name} is unknown'")
    if kind in ("fips", "zip") and not _FIVE_DIGITS.fullmatch(stripped):
        raise fail(f"{info.name} holds five-digit {'FIPS codes' if kind == 'fips' else 'ZIP codes'}: {v!r} is not one")
    if kind == "state":
        if stripped.upper() not in US_STATES:
            raise fail(f"{v!r} is not a two-letter USPS state code")
        return Literal_(stripped.upper(), where)
    if kind == "text":
        return Literal_(stripped.lower(), where)
    return Literal_(stripped, where)
