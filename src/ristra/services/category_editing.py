"""Editing category definitions (the web page and the API): the text to edit, a preview of what would change
(and, where the engine can count them, how many people each category would hold), and saving
with refusal of a stale edit.

The text is the YAML layout of ``docs/categories.md`` (a list under ``categories``). A save
names the version it was edited from; if someone saved meanwhile the category store raises
``StaleVersionError`` and nothing is overwritten.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import yaml

from ristra.core.categories import (
    CategoryFileError,
    CategorySet,
    DefinitionProblem,
    changes,
    definitions_from_dict,
)
from ristra.core.disclosure import INTERNAL, ReleasedTable, release
from ristra.core.tables import nested_crosstab
from ristra.services.workspace import Workspace

MAX_TEXT = 200_000


def editable_text(category_set: CategorySet) -> str:
    """The definitions of a version as YAML to edit."""
    body = {"categories": [d.to_dict() for d in category_set.definitions]}
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)


def parse_text(text: str) -> dict[str, Any]:
    """The edited text as a dict; :class:`CategoryFileError` when it is not YAML or not a mapping."""
    if len(text) > MAX_TEXT:
        raise CategoryFileError([DefinitionProblem("-", "file", f"the text is longer than {MAX_TEXT:,} characters")])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise CategoryFileError([DefinitionProblem("-", "file", f"not valid YAML{where}")]) from None
    if not isinstance(data, dict):
        raise CategoryFileError([DefinitionProblem("-", "file", "the text must hold a mapping with 'categories'")])
    return data


@dataclass(frozen=True)
class CategoryCount:
    """How many rows of a dataset's current snapshot a category holds (yes / no / unknown)."""

    category: str
    dataset: str
    yes: int
    no: int
    unknown: int
    before_yes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "dataset": self.dataset, "yes": self.yes, "no": self.no,
                "unknown": self.unknown, "before_yes": self.before_yes}


@dataclass(frozen=True)
class Preview:
    """What saving the edited text would do."""

    based_on: int
    problems: tuple[DefinitionProblem, ...] = ()
    changes: tuple[str, ...] = ()
    counts: tuple[CategoryCount, ...] = ()
    counts_note: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def counts_table(self) -> ReleasedTable | None:
        """The counts as a table released at the internal threshold (analysts edit categories)."""
        if not self.counts:
            return None
        table = nested_crosstab("Members of each category under the proposed definitions", _grouped(self.counts),
                                ["yes", "no", "unknown"], group_dim="category", row_dim="dataset",
                                col_dim="membership", key="category-preview")
        return release(table, INTERNAL)

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"based_on": self.based_on, "valid": self.valid, "problems": [p.to_dict() for p in self.problems],
                "changes": list(self.changes), "counts": [c.to_dict() for c in self.counts],
                "counts_note": self.counts_note, "warnings": list(self.warnings)}


def _grouped(counts: tuple[CategoryCount, ...]) -> dict[str, dict[str, list[int]]]:
    groups: dict[str, dict[str, list[int]]] = {}
    for c in counts:
        groups.setdefault(c.category, {})[c.dataset] = [c.yes, c.no, c.unknown]
    return groups


def preview(workspace: Workspace, text: str, based_on: int) -> Preview:
    """Check the edited text and say what would change; counts come from the metrics engine."""
    store = workspace.categories
    current = store.current()
    try:
        definitions = definitions_from_dict(parse_text(text))
    except CategoryFileError as err:
        return Preview(based_on, problems=err.problems)
    proposed = current.next_version(definitions, "preview", "", "preview")
    counted = membership_counts(workspace, current, proposed)
    warnings: tuple[str, ...] = ()
    if based_on != current.version:
        warnings = (f"You are editing version {based_on}, but version {current.version} is now current "
                    f"({current.author}: {current.reason}); saving will be refused. Reload to edit the current version.",)
    return Preview(based_on, changes=changes(current, proposed), counts=counted[0], counts_note=counted[1],
                   warnings=warnings)


def membership_counts(workspace: Workspace, current: CategorySet,
                      proposed: CategorySet) -> tuple[tuple[CategoryCount, ...], str]:
    """Counts of each proposed category over the current snapshots (with the current version's
    count beside it), from the metrics service; with a note when this build has none."""
    from ristra.core.metrics.results import RepresentationRow
    from ristra.core.metrics.specs import make_spec
    from ristra.services.metrics import shared_service

    service = shared_service(workspace)
    present = set(service.current_files())
    person = ("applications", "students", "trainees", "employees", "participants")

    def counted(category_set: CategorySet) -> dict[tuple[str, str], CategoryCount]:
        asked = [(d.id, ds) for d in category_set.definitions for ds in d.datasets if ds in present and ds in person]
        specs = [make_spec("representation", category=category, dataset=ds) for category, ds in asked]
        # the service caches by version number: a candidate gets a number of its own, from its content
        digest = hashlib.sha256(repr([d.to_dict() for d in category_set.definitions]).encode()).hexdigest()
        candidate = CategorySet(1_000_000 + int(digest[:7], 16), category_set.definitions, "preview", "", "preview")
        out = {}
        for (category, dataset), result in zip(asked, service.compute_many(specs, categories=candidate), strict=True):
            tally = {row.level: int(row.count) for row in result.rows if isinstance(row, RepresentationRow)}
            out[(category, dataset)] = CategoryCount(category, dataset, tally.get("yes", 0),
                                                     tally.get("no", 0), tally.get("unknown", 0))
        return out

    before = counted(current)
    rows = tuple(CategoryCount(c.category, c.dataset, c.yes, c.no, c.unknown,
                               before[(c.category, c.dataset)].yes if (c.category, c.dataset) in before else None)
                 for c in counted(proposed).values())
    return rows, "Counts are of the current snapshot of each dataset, released at the internal threshold."


def save(workspace: Workspace, text: str, author: str, reason: str, based_on: int) -> CategorySet:
    """Store the edited text as the next version (the caller starts the new publication). Raises
    ``CategoryFileError`` (problems), ``StaleVersionError`` (edited meanwhile) or ``ValueError``
    (no reason, nothing changed)."""
    return workspace.categories.save(parse_text(text), author, reason, based_on)
