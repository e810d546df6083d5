"""Problems in a plan file: every one is collected, with the line, the item and the field.

The plan parser (:mod:`.parsing`) never stops at the first problem: a file is refused whole with
a :class:`PlanFileError` listing each :class:`PlanProblem`, in the style of the category
definitions (:class:`~ristra.core.categories.DefinitionProblem`), plus the line of the file when
the caller read the file with its line marks (``ristra.stores.plan_files``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A field's place in the plan document: keys and list indexes from the top, e.g.
#: ``("measures", 2, "target", "value")``.
FieldPath = tuple[str | int, ...]
#: The line (1-based) of each field path in the file it was read from.
LineMarks = Mapping[FieldPath, int]


def dotted(path: FieldPath) -> str:
    """``("measures", 2, "target")`` → ``measures[2].target``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "-"


def line_of(lines: LineMarks | None, path: FieldPath) -> int | None:
    """The line of ``path``, else of its nearest ancestor that has one (None without marks)."""
    if not lines:
        return None
    for end in range(len(path), -1, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class PlanProblem:
    """One problem: where (``line`` of the file, the ``item`` id or ``#index``, the ``field`` as a
    dotted path) and what."""

    item: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.item}, field {self.field}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "item": self.item, "field": self.field, "message": self.message}


class PlanFileError(ValueError):
    """A plan document with problems; ``problems`` lists all of them, in file order."""

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line is None, p.line or 0)))
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the plan:\n{lines}")

    def __str__(self) -> str:
        return str(self.args[0])


def suggest(name: object, choices: Sequence[str]) -> str:
    near = difflib.get_close_matches(str(name), list(choices), n=1)
    listed = ", ".join(choices) if choices else "(none)"
    return (f"; did you mean {near[0]}? Choose from: " if near else ". Choose from: ") + listed


class ProblemCollector:
    def __init__(self, lines: LineMarks | None) -> None:
        self.lines = lines
        self.found: list[PlanProblem] = []

    def add(self, item: str, path: FieldPath, message: str) -> None:
        self.found.append(PlanProblem(item, dotted(path), message, line_of(self.lines, path)))

    def fields(
        self,
        item: str,
        path: FieldPath,
        data: Mapping[str, Any],
        required: Sequence[str],
        optional: Sequence[str],
    ) -> bool:
        ok = True
        for name in required:
            if data.get(name) in (None, "", []):
                self.add(item, (*path, name), "missing")
                ok = False
        for name in data:
            if name not in required and name not in optional:
                self.add(
                    item,
                    (*path, str(name)),
                    f"unknown field; the fields are {', '.join((*required, *optional))}",
                )
        return ok

    def text(self, item: str, path: FieldPath, value: object) -> str:
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.add(item, path, "must be text")
            return ""
        return str(value).strip()

    def year(self, item: str, path: FieldPath, value: object) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2200:
            self.add(item, path, f"must be a year written as a whole number (1900-2200), not {value!r}")
            return None
        return value

    def date(self, item: str, path: FieldPath, value: object) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            self.add(item, path, f"must be a date written YYYY-MM-DD, not {value!r}")
            return ""

    def number(
        self, item: str, path: FieldPath, value: object, value_range: tuple[float, float], what: str
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            self.add(item, path, f"must be a number, not {value!r}")
            return None
        low, high = value_range
        if not low <= float(value) <= high:
            shown = f"[{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, ∞)"
            self.add(item, path, f"{value!r} is outside {shown}, the range of {what}")
            return None
        return float(value)

    def ids(self, item: str, path: FieldPath, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(item, path, "must be a list of ids")
            return ()
        return tuple(value)
