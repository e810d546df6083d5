"""A pure-Python evaluator of checked rules with exactly the semantics of :mod:`.sql`.

``evaluate(rule, row)`` returns ``True``, ``False`` or ``None`` (unknown) for one row given as a
mapping of column name to value (a missing key counts as NULL). Values are as the snapshot stores
them: strings for codes and text, a sequence of codes for ``code_set`` columns, ``bool`` for
flags, numbers, and ``datetime.date`` (or ISO text) for dates. Logic is Kleene's, as in SQL:
``False and None`` is ``False``; ``True or None`` is ``True``; ``not None`` is ``None``.

It is the reference the SQL is tested against, and the way to classify a single record (for
example in a web form) without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from ristra.core.categories.checking import ColumnInfo, Rule
from ristra.core.categories.sql import MEMBERSHIP_LEVELS, as_rule
from ristra.core.categories.syntax import And, Compare, Expr, KnownTest, Not, Or, SetTest, Value

Truth = bool | None

_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


def evaluate(rule: Rule | str, row: Mapping[str, object], dataset: str | None = None) -> Truth:
    """``True``/``False``/``None`` (unknown) for ``row`` under ``rule``."""
    checked = as_rule(rule, dataset)
    return _eval(checked.expr, checked, row)


def membership(rule: Rule | str, row: Mapping[str, object], dataset: str | None = None) -> str:
    """``'yes'``, ``'no'`` or ``'unknown'`` for ``row`` (as :func:`~.sql.membership_sql`)."""
    result = evaluate(rule, row, dataset)
    yes, no, unknown = MEMBERSHIP_LEVELS
    return unknown if result is None else (yes if result else no)


def kleene_and(values: Iterable[Truth]) -> Truth:
    seen_unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            seen_unknown = True
    return None if seen_unknown else True


def kleene_or(values: Iterable[Truth]) -> Truth:
    seen_unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            seen_unknown = True
    return None if seen_unknown else False


def _eval(expr: Expr, rule: Rule, row: Mapping[str, object]) -> Truth:
    if isinstance(expr, Not):
        inner = _eval(expr.operand, rule, row)
        return None if inner is None else not inner
    if isinstance(expr, And):
        return kleene_and(_eval(e, rule, row) for e in expr.operands)
    if isinstance(expr, Or):
        return kleene_or(_eval(e, rule, row) for e in expr.operands)
    info = rule.columns[expr.column]
    raw = row.get(expr.column)
    if isinstance(expr, KnownTest):
        return _is_unknown(info, raw) != expr.known
    if isinstance(expr, SetTest):
        return _set_test(expr, info, raw)
    value = _clean(info, raw)
    if value is None:
        return None
    if isinstance(expr, Compare):
        return _COMPARE[expr.op](value, _literal(info, expr.value.value))
    found = any(value == _literal(info, v.value) for v in expr.values)
    return not found if expr.negated else found


def _literal(info: ColumnInfo, value: Value) -> object:
    if info.kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _clean(info: ColumnInfo, raw: object) -> object:
    """The value as the SQL sees it: NULL for missing, unknown markers and empty strings."""
    if raw is None:
        return None
    if info.kind == "code":
        return None if raw in info.markers else raw
    if info.kind in ("text", "id", "fips", "zip", "state"):
        text = str(raw).strip(" ")
        if not text:
            return None
        return text.lower() if info.kind == "text" else text
    if info.kind == "date" and isinstance(raw, str):
        return date.fromisoformat(raw)
    return raw


def _is_unknown(info: ColumnInfo, raw: object) -> bool:
    if info.kind == "code_set":
        return _known_codes(info, raw) is None
    return _clean(info, raw) is None


def _known_codes(info: ColumnInfo, raw: object) -> list[str] | None:
    """The set's codes other than unknown markers; ``None`` when there are none."""
    if raw is None:
        return None
    codes: Sequence[object] = raw if isinstance(raw, list | tuple) else [raw]
    known = [str(c) for c in codes if c not in info.markers]
    return known or None


def _set_test(expr: SetTest, info: ColumnInfo, raw: object) -> Truth:
    known = _known_codes(info, raw)
    if known is None:
        return None
    listed = {v.value for v in expr.values}
    if expr.op == "has_any":
        return any(c in listed for c in known)
    if expr.op == "has_all":
        return listed <= set(known)
    return all(c in listed for c in known)
