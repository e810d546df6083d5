"""Compilation of checked rules to SQL (in a :class:`~ristra.core.sql_dialect.Dialect`) with every
value bound as a parameter.

Contract
--------
* :func:`compile_rule` returns a :class:`SqlFragment`: a boolean SQL expression that is TRUE,
  FALSE or NULL (unknown) for each row, with one ``?`` placeholder per entry of ``params`` in
  order. No value from the rule text is ever written into ``sql``; identifiers come only from
  the dataset's allow-list (:func:`~.checking.columns_for`) and are double-quoted.
* The three-valued semantics are SQL's own (Kleene logic for ``AND``/``OR``/``NOT``):

  - a comparison with a NULL value, or with a code ``unknown``/``declined``, is NULL;
  - text, id, FIPS, ZIP and state values are compared after trimming spaces, and text
    case-insensitively; an empty string counts as missing;
  - ``race has_any [...]`` is TRUE if a listed code is present, NULL if the set is empty or holds
    only ``unknown``/``declined``, else FALSE (likewise ``has_all``; ``has_only`` is TRUE when
    every known code of the set is listed);
  - ``is unknown`` / ``is known`` are never NULL.

* :func:`membership_sql` wraps the expression in a ``CASE`` giving ``'yes'``, ``'no'`` or
  ``'unknown'`` (the labels are the constants :data:`MEMBERSHIP_LEVELS`).

:mod:`.evaluator` implements the identical semantics in Python; a property test checks both
agree row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

from ristra.core.categories.checking import ColumnInfo, Rule, check
from ristra.core.categories.syntax import And, Compare, Expr, KnownTest, Not, Or, SetTest, Value
from ristra.core.sql_dialect import DUCKDB, Dialect, checked_identifier

MEMBERSHIP_LEVELS = ("yes", "no", "unknown")
_SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class SqlFragment:
    """A SQL expression with ``?`` placeholders and the values to bind to them, in order."""

    sql: str
    params: tuple[Value, ...] = ()

    def __post_init__(self) -> None:
        if self.sql.count("?") != len(self.params):
            raise ValueError(f"{self.sql.count('?')} placeholders but {len(self.params)} parameters")

    def to_dict(self) -> dict[str, object]:
        return {"sql": self.sql, "params": list(self.params)}


def quote_identifier(name: str) -> str:
    """``name`` double-quoted (ANSI; the quoting of the engine's own views and tables); only
    allow-listed identifier shapes are accepted. SQL over the data quotes with
    :meth:`~ristra.core.sql_dialect.Dialect.quote`."""
    return f'"{checked_identifier(name)}"'


def as_rule(rule: Rule | str, dataset: str | None) -> Rule:
    """``rule`` if already checked, else the text checked against ``dataset``."""
    if isinstance(rule, Rule):
        if dataset is not None and dataset != rule.dataset:
            return check(rule.text or rule.expr, dataset)
        return rule
    if dataset is None:
        raise ValueError("a rule given as text needs its dataset")
    return check(rule, dataset)


def compile_rule(rule: Rule | str, dataset: str | None = None, *, dialect: Dialect = DUCKDB) -> SqlFragment:
    """The boolean SQL expression (TRUE/FALSE/NULL) of ``rule`` over ``dataset``'s columns, in
    ``dialect``.

    Raises :class:`~.syntax.RuleError` when text does not parse or check.
    """
    checked = as_rule(rule, dataset)
    params: list[Value] = []
    sql = _expr(checked.expr, checked, params, dialect)
    return SqlFragment(sql, tuple(params))


def membership_sql(rule: Rule | str, dataset: str | None = None, *, dialect: Dialect = DUCKDB) -> SqlFragment:
    """A ``CASE`` expression giving ``'yes'``, ``'no'`` or ``'unknown'`` for each row."""
    inner = compile_rule(rule, dataset, dialect=dialect)
    yes, no, unknown = MEMBERSHIP_LEVELS
    return SqlFragment(
        f"CASE ({inner.sql}) WHEN TRUE THEN '{yes}' WHEN FALSE THEN '{no}' ELSE '{unknown}' END",
        inner.params,
    )


def _placeholders(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _expr(expr: Expr, rule: Rule, params: list[Value], dialect: Dialect) -> str:
    if isinstance(expr, Not):
        return f"(NOT {_expr(expr.operand, rule, params, dialect)})"
    if isinstance(expr, And | Or):
        joiner = " AND " if isinstance(expr, And) else " OR "
        return "(" + joiner.join(_expr(e, rule, params, dialect) for e in expr.operands) + ")"
    info = rule.columns[expr.column]
    if isinstance(expr, KnownTest):
        unknown = _is_unknown(info, params, dialect)
        return f"(NOT {unknown})" if expr.known else unknown
    if isinstance(expr, SetTest):
        return _set_test(expr, info, params, dialect)
    if isinstance(expr, Compare):
        left = _value_expr(info, params, dialect)
        right = _cast(info, "?", dialect)
        params.append(expr.value.value)
        return f"({left} {_SQL_OPS[expr.op]} {right})"
    left = _value_expr(info, params, dialect)
    items = ", ".join(_cast(info, "?", dialect) for _ in expr.values)
    params.extend(v.value for v in expr.values)
    return f"({left} {'NOT IN' if expr.negated else 'IN'} ({items}))"


def _cast(info: ColumnInfo, placeholder: str, dialect: Dialect) -> str:
    return dialect.cast(placeholder, dialect.date) if info.kind == "date" else placeholder


def _value_expr(info: ColumnInfo, params: list[Value], dialect: Dialect) -> str:
    """The column's value with unknown markers and empty strings turned into NULL."""
    col = dialect.quote(info.name)
    if info.kind == "code":
        expr = col
        for marker in info.markers:
            expr = f"NULLIF({expr}, ?)"
            params.append(marker)
        return expr
    if info.kind == "text":
        params.append("")
        return f"lower(NULLIF(trim({col}), ?))"
    if info.kind in ("id", "fips", "zip", "state"):
        params.append("")
        return f"NULLIF(trim({col}), ?)"
    return col


def _is_unknown(info: ColumnInfo, params: list[Value], dialect: Dialect) -> str:
    col = dialect.quote(info.name)
    if info.kind == "code_set":
        return _set_unknown(info, params, dialect)
    if info.kind == "code" and info.markers:
        params.extend(info.markers)
        return f"({col} IS NULL OR {col} IN ({_placeholders(len(info.markers))}))"
    if info.kind in ("text", "id", "fips", "zip", "state"):
        params.append("")
        return f"(NULLIF(trim({col}), ?) IS NULL)"
    return f"({col} IS NULL)"


def _marks(dialect: Dialect, n: int) -> str:
    """A list literal of ``n`` parameters."""
    return dialect.list_literal(["?"] * n)


def _set_unknown(info: ColumnInfo, params: list[Value], dialect: Dialect) -> str:
    col = dialect.quote(info.name)
    if not info.markers:
        return f"({col} IS NULL OR {dialect.list_length(col)} = 0)"
    params.extend(info.markers)
    return f"({col} IS NULL OR {dialect.list_has_all(_marks(dialect, len(info.markers)), col)})"


def _set_test(expr: SetTest, info: ColumnInfo, params: list[Value], dialect: Dialect) -> str:
    col = dialect.quote(info.name)
    unknown = _set_unknown(info, params, dialect)
    values = [v.value for v in expr.values]
    if expr.op == "has_any":
        test = dialect.list_has_any(col, _marks(dialect, len(values)))
    elif expr.op == "has_all":
        test = dialect.list_has_all(col, _marks(dialect, len(values)))
    else:
        values = values + list(info.markers)
        test = dialect.list_has_all(_marks(dialect, len(values)), col)
    params.extend(values)
    return f"(CASE WHEN {unknown} THEN NULL ELSE {test} END)"
