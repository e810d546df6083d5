"""Problems in a plan file: every one is collected, with the line, the item and the field.

The plan parser (:mod:`.parsing`) never stops at the first problem: a file is refused whole with
a :class:`PlanFileError` listing each :class:`PlanProblem`, in the style of the category
definitions (:class:`~ristra.core.categories.DefinitionProblem`), plus the line of the file when
the caller read the file with its line marks (``ristra.stores.plan_files``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
