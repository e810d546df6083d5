"""Category definitions as a use case: checking a definitions file before anyone saves it
(``ristra categories check``). The versions themselves are the workspace's
(:attr:`ristra.services.workspace.Workspace.categories`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ristra.core.categories import (
    CategoryDefinition,
    CategoryFileError,
    DefinitionProblem,
    definitions_from_dict,
)
from ristra.stores.categories import read_definitions_file


@dataclass(frozen=True)
class DefinitionsCheck:
    """A definitions file checked as a whole: every problem, or (when there is none) its
    definitions."""

    problems: tuple[DefinitionProblem, ...]
    definitions: tuple[CategoryDefinition, ...] = ()


def check_definitions_file(path: str | Path) -> DefinitionsCheck:
    """Read and check the definitions file at ``path`` (YAML, or JSON by its suffix)."""
    try:
        definitions = definitions_from_dict(read_definitions_file(path))
    except CategoryFileError as error:
        return DefinitionsCheck(tuple(error.problems))
    return DefinitionsCheck((), tuple(definitions))
