"""The category rule language: tokens, syntax tree and a hand-written recursive-descent parser.

Grammar (keywords are case-insensitive; column names are lower-case identifiers)::

    expr    := or
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | cmp
    cmp     := '(' expr ')'
             | COLUMN op value
             | COLUMN 'in' list | COLUMN 'not' 'in' list
             | COLUMN 'has_any' list | COLUMN 'has_all' list | COLUMN 'has_only' list
             | COLUMN 'is' 'unknown' | COLUMN 'is' 'known'
    op      := '==' | '!=' | '<' | '<=' | '>' | '>='
    value   := STRING | NUMBER | 'true' | 'false'
    list    := '[' value (',' value)* ']'

Strings are single-quoted; a quote inside a string is written twice (``'O''Brien'``). Numbers are
decimal (``4``, ``-1``, ``0.5``). Nothing in the rule text is ever evaluated by Python or pasted into
SQL: the parser builds the frozen tree below, and :mod:`.checking` validates every column and
value against an allow-list before :mod:`.sql` compiles it with values as parameters.

Contract: :func:`parse` returns an :data:`Expr` or raises :class:`RuleError` carrying the
0-based character ``position`` of the problem. Rules are limited to :data:`MAX_RULE_LENGTH`
characters and :data:`MAX_DEPTH` levels of nesting so that no input can exhaust the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_RULE_LENGTH = 20_000
MAX_DEPTH = 64
MAX_STRING_LENGTH = 500

Value = str | int | float | bool
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
SetOp = Literal["has_any", "has_all", "has_only"]

KEYWORDS = frozenset(
    {"and", "or", "not", "in", "has_any", "has_all", "has_only", "is", "unknown", "known", "true", "false"}
)
COMPARE_OPS: tuple[CompareOp, ...] = ("==", "!=", "<=", ">=", "<", ">")
SET_OPS: tuple[SetOp, ...] = ("has_any", "has_all", "has_only")


class RuleError(ValueError):
    """A rule that cannot be parsed or does not fit its dataset.

    ``position`` is the 0-based character offset in ``text`` (``None`` when unknown);
    ``column`` names the offending column where there is one; ``suggestions`` lists near names.
    ``str(error)`` shows the message, and the rule with a caret under the position.
    """

    def __init__(
        self,
        message: str,
        position: int | None = None,
        text: str = "",
        column: str | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        self.message = message
        self.position = position
        self.text = text
        self.column = column
        self.suggestions = suggestions
        super().__init__(self._render())

    def with_text(self, text: str) -> RuleError:
        """The same error, rendered against ``text``."""
        return RuleError(self.message, self.position, text, self.column, self.suggestions)

    def _render(self) -> str:
        if self.position is None:
            return self.message
        head = f"at position {self.position}: {self.message}"
        if not self.text or len(self.text) > 400:
            return head
        line_start = self.text.rfind("\n", 0, self.position) + 1
        line_end = self.text.find("\n", self.position)
        line = self.text[line_start : line_end if line_end >= 0 else len(self.text)]
        return f"{head}\n  {line}\n  {' ' * (self.position - line_start)}^"

    def to_dict(self) -> dict[str, object]:
        return {
            "message": self.message,
            "position": self.position,
            "column": self.column,
            "suggestions": list(self.suggestions),
        }


# --------------------------------------------------------------------------- tokens

TokenKind = Literal["ident", "keyword", "string", "number", "op", "punct", "end"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    value: Value | None
    position: int


_SPACE = re.compile(r"\s+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?![A-Za-z0-9_.])")
_OPS = ("==", "!=", "<=", ">=", "<", ">")
_PUNCT = "()[],"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (ending with an ``end`` token); :class:`RuleError` otherwise."""
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"rule is longer than {MAX_RULE_LENGTH} characters", 0, "")
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        ch = text[i]
        if ch == "'":
            tokens.append(_string(text, i))
            i = tokens[-1].position + len(tokens[-1].text)
            continue
        number = _NUMBER.match(text, i)
        if number:
            raw = number.group()
            if len(raw.lstrip("-").replace(".", "")) > 15:
                raise RuleError("number has more than 15 digits", i, text)
            tokens.append(Token("number", raw, float(raw) if "." in raw else int(raw), i))
            i = number.end()
            continue
        ident = _IDENT.match(text, i)
        if ident:
            word = ident.group()
            if word.lower() in KEYWORDS:
                lowered = word.lower()
                value: Value | None = {"true": True, "false": False}.get(lowered)
                tokens.append(Token("keyword", lowered, value, i))
            else:
                tokens.append(Token("ident", word, None, i))
            i = ident.end()
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op:
            tokens.append(Token("op", op, None, i))
            i += len(op)
            continue
        if ch in _PUNCT:
            tokens.append(Token("punct", ch, None, i))
            i += 1
            continue
        hint = " (strings use single quotes; column names are plain words)" if ch in "\"`" else ""
        if ch == "=":
            hint = " (write == to compare)"
        raise RuleError(f"unexpected character {ch!r}{hint}", i, text)
    tokens.append(Token("end", "", None, len(text)))
    return tokens


def _string(text: str, start: int) -> Token:
    parts: list[str] = []
    i = start + 1
    while True:
        end = text.find("'", i)
        if end < 0:
            raise RuleError("unterminated string (a quote inside a string is written twice: '')", start, text)
        parts.append(text[i:end])
        if text.startswith("''", end):
            parts.append("'")
            i = end + 2
            continue
        value = "".join(parts)
        if len(value) > MAX_STRING_LENGTH:
            raise RuleError(f"string longer than {MAX_STRING_LENGTH} characters", start, text)
        return Token("string", text[start : end + 1], value, start)


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Literal_:
    """A value in the rule text, with its position."""

    value: Value
    position: int


@dataclass(frozen=True)
class Compare:
    """``column op value``."""

    column: str
    op: CompareOp
    value: Literal_
    position: int


@dataclass(frozen=True)
class InList:
    """``column in [...]`` or, with ``negated``, ``column not in [...]``."""

    column: str
    values: tuple[Literal_, ...]
    negated: bool
    position: int


@dataclass(frozen=True)
class SetTest:
    """``column has_any|has_all|has_only [...]`` on a set-valued (code_set) column."""

    column: str
    op: SetOp
    values: tuple[Literal_, ...]
    position: int


@dataclass(frozen=True)
class KnownTest:
    """``column is known`` (``known=True``) or ``column is unknown``: never itself unknown."""

    column: str
    known: bool
    position: int


@dataclass(frozen=True)
class Not:
    operand: Expr
    position: int


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]
    position: int


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]
    position: int


Expr = Compare | InList | SetTest | KnownTest | Not | And | Or
Leaf = Compare | InList | SetTest | KnownTest


def leaves(expr: Expr) -> list[Leaf]:
    """Every comparison in ``expr``, left to right."""
    if isinstance(expr, Not):
        return leaves(expr.operand)
    if isinstance(expr, And | Or):
        return [leaf for operand in expr.operands for leaf in leaves(operand)]
    return [expr]


# --------------------------------------------------------------------------- parser


def parse(text: str) -> Expr:
    """Parse ``text`` into an :data:`Expr`; :class:`RuleError` (with position) otherwise."""
    if not text.strip():
        raise RuleError("the rule is empty", 0, text)
    parser = _Parser(text, tokenize(text))
    expr = parser.expr(0)
    parser.expect_end()
    return expr


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> RuleError:
        tok = tok or self.tok
        found = "the end of the rule" if tok.kind == "end" else repr(tok.text)
        return RuleError(f"{message}, found {found}", tok.position, self.text)

    def is_keyword(self, word: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.text == word

    def expect_end(self) -> None:
        if self.tok.kind != "end":
            raise self.error("expected 'and', 'or' or the end of the rule")

    def expr(self, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise RuleError(f"rule nests deeper than {MAX_DEPTH} levels", self.tok.position, self.text)
        return self.or_(depth)

    def or_(self, depth: int) -> Expr:
        start = self.tok.position
        operands = [self.and_(depth)]
        while self.is_keyword("or"):
            self.advance()
            operands.append(self.and_(depth))
        return operands[0] if len(operands) == 1 else Or(tuple(operands), start)

    def and_(self, depth: int) -> Expr:
        start = self.tok.position
        operands = [self.not_(depth)]
        while self.is_keyword("and"):
            self.advance()
            operands.append(self.not_(depth))
        return operands[0] if len(operands) == 1 else And(tuple(operands), start)

    def not_(self, depth: int) -> Expr:
        if self.is_keyword("not"):
            start = self.advance().position
            if depth + 1 > MAX_DEPTH:
                raise RuleError(f"rule nests deeper than {MAX_DEPTH} levels", start, self.text)
            return Not(self.not_(depth + 1), start)
        return self.cmp(depth)

    def cmp(self, depth: int) -> Expr:
        tok = self.tok
        if tok.kind == "punct" and tok.text == "(":
            self.advance()
            inner = self.expr(depth + 1)
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                raise self.error("expected ')' to close the '(' at position " + str(tok.position))
            self.advance()
            return inner
        if tok.kind != "ident":
            if tok.kind == "keyword" and tok.text not in ("not", "true", "false"):
                raise self.error(f"expected a column name ({tok.text!r} is a keyword)")
            raise self.error("expected a column name or '('")
        column = self.advance().text
        nxt = self.tok
        if nxt.kind == "op":
            op = self.advance().text
            return Compare(column, _compare_op(op), self.value(), tok.position)
        if nxt.kind == "keyword":
            word = nxt.text
            if word == "in":
                self.advance()
                return InList(column, self.list_(), False, tok.position)
            if word == "not":
                self.advance()
                if not self.is_keyword("in"):
                    raise self.error(f"expected 'in' after '{column} not'")
                self.advance()
                return InList(column, self.list_(), True, tok.position)
            if word in SET_OPS:
                self.advance()
                return SetTest(column, _set_op(word), self.list_(), tok.position)
            if word == "is":
                self.advance()
                if self.is_keyword("unknown") or self.is_keyword("known"):
                    return KnownTest(column, self.advance().text == "known", tok.position)
                raise self.error(f"expected 'unknown' or 'known' after '{column} is'")
        raise self.error(f"expected a comparison after column {column!r} (==, !=, <, in, has_any, is unknown, ...)")

    def value(self) -> Literal_:
        tok = self.tok
        if tok.kind in ("string", "number") or (tok.kind == "keyword" and tok.text in ("true", "false")):
            self.advance()
            assert tok.value is not None
            return Literal_(tok.value, tok.position)
        if tok.kind == "ident":
            raise self.error("expected a value: strings are written in single quotes")
        raise self.error("expected a value (a 'string', a number, true or false)")

    def list_(self) -> tuple[Literal_, ...]:
        if not (self.tok.kind == "punct" and self.tok.text == "["):
            raise self.error("expected '[' to start a list")
        self.advance()
        if self.tok.kind == "punct" and self.tok.text == "]":
            raise self.error("a list needs at least one value")
        values = [self.value()]
        while self.tok.kind == "punct" and self.tok.text == ",":
            self.advance()
            values.append(self.value())
        if not (self.tok.kind == "punct" and self.tok.text == "]"):
            raise self.error("expected ',' or ']' in the list")
        self.advance()
        return tuple(values)


def _compare_op(text: str) -> CompareOp:
    for op in COMPARE_OPS:
        if op == text:
            return op
    raise AssertionError(text)  # pragma: no cover - the tokenizer only yields these


def _set_op(text: str) -> SetOp:
    for op in SET_OPS:
        if op == text:
            return op
    raise AssertionError(text)  # pragma: no cover
