"""Plan files: YAML read with the line of every field, and written back in the document's layout.

:func:`read_plan_file` returns the document as a dict and its line marks (field path → line),
which :func:`ristra.core.plan.plan_from_dict` uses to name the line of each problem. A file that
cannot be read, is not well-formed YAML (with line and column) or is not a mapping raises
:class:`~ristra.core.plan.PlanFileError` with one problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ristra.core.plan import PlanFileError, PlanProblem
from ristra.core.plan.problems import FieldPath


def _marks(node: yaml.Node, path: FieldPath, out: dict[FieldPath, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                child = (*path, str(key.value))
                out[child] = key.start_mark.line + 1
                _marks(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _marks(item, (*path, i), out)


def parse_plan_text(text: str, name: str = "the plan file") -> tuple[dict[str, Any], dict[FieldPath, int]]:
    """The document in ``text`` and its line marks (see the module docstring)."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f" at line {line}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "malformed"
        raise PlanFileError(
            [PlanProblem("-", "file", f"{name} is not valid YAML{where}: {problem}", line)]
        ) from None
    if not isinstance(data, dict):
        raise PlanFileError(
            [
                PlanProblem(
                    "-",
                    "file",
                    f"{name} must hold a mapping with plan, goals, objectives, actions and measures",
                    1,
                )
            ]
        )
    lines: dict[FieldPath, int] = {}
    if node is not None:
        _marks(node, (), lines)
    return data, lines


def read_plan_file(path: str | Path) -> tuple[dict[str, Any], dict[FieldPath, int]]:
    """The plan document at ``path`` and its line marks."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PlanFileError([PlanProblem("-", "file", f"cannot read {p}: {err}")]) from None
    return parse_plan_text(text, p.name)


def plan_yaml(document: dict[str, Any]) -> str:
    """A plan document as YAML (keys in the document's order; readable, diff-friendly)."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
