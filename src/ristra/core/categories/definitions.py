"""Category definitions and their versioned sets.

A :class:`CategoryDefinition` names a group the school reports on (``women``, ``urm_nm``,
``rural_school`` ...): a label, a description, the **rationale** (why it serves the mission), the
datasets it applies to, a rule in the language of :mod:`.syntax`, and the key of its state
benchmark (or none). A :class:`CategorySet` is one version of all definitions with who made it,
when and why; every result records the version it used.

Definitions are built from plain dicts (an adapter parses the YAML/JSON file; see
:func:`definitions_from_dict` for the layout). Every problem in a file is collected before
anything is returned, so a malformed file is rejected whole with a :class:`CategoryFileError`
listing each problem with its category id, field and (for rules) character position.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ristra.core.categories.checking import Rule, check
from ristra.core.categories.sql import SqlFragment, compile_rule, membership_sql
from ristra.core.categories.syntax import RuleError
from ristra.core.datasets import DATASETS, UnknownDataset
from ristra.core.sql_dialect import DUCKDB, Dialect

_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
REQUIRED_FIELDS = ("id", "label", "description", "rationale", "datasets", "rule")
OPTIONAL_FIELDS = ("benchmark_key",)


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in a definitions file: where (``category`` id or ``#index``, ``field``, and
    ``position`` in the rule text) and what."""

    category: str
    field: str
    message: str
    position: int | None = None

    def __str__(self) -> str:
        where = f"category {self.category}, field {self.field}"
        if self.position is not None:
            where += f", position {self.position}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"category": self.category, "field": self.field, "message": self.message, "position": self.position}


class CategoryFileError(ValueError):
    """A definitions file with problems; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[DefinitionProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the category definitions:\n{lines}")


@dataclass(frozen=True)
class CategoryDefinition:
    """One category. ``rule`` must check against every dataset in ``datasets`` (use
    :func:`definition_from_dict` for collected errors; the constructor raises on the first)."""

    id: str
    label: str
    description: str
    rationale: str
    datasets: tuple[str, ...]
    rule: str
    benchmark_key: str | None = None

    def __post_init__(self) -> None:
        problems = _definition_problems(self)
        if problems:
            raise CategoryFileError(problems)

    def applies_to(self, dataset: str) -> bool:
        return dataset in self.datasets

    def checked(self, dataset: str) -> Rule:
        """The rule checked for ``dataset`` (``ValueError`` if the category does not apply)."""
        if dataset not in self.datasets:
            raise ValueError(f"category {self.id} does not apply to {dataset}; it applies to {', '.join(self.datasets)}")
        return _checked(self.rule, dataset)

    def sql(self, dataset: str, dialect: Dialect = DUCKDB) -> SqlFragment:
        """Boolean SQL (TRUE/FALSE/NULL) for ``dataset`` in ``dialect``."""
        return compile_rule(self.checked(dataset), dialect=dialect)

    def membership_sql(self, dataset: str, dialect: Dialect = DUCKDB) -> SqlFragment:
        """``'yes'``/``'no'``/``'unknown'`` SQL for ``dataset`` in ``dialect``."""
        return membership_sql(self.checked(dataset), dialect=dialect)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "rationale": self.rationale,
            "datasets": list(self.datasets),
            "rule": self.rule,
            "benchmark_key": self.benchmark_key,
        }


def _definition_problems(d: CategoryDefinition) -> list[DefinitionProblem]:
    cid = d.id if isinstance(d.id, str) and d.id else "?"
    problems: list[DefinitionProblem] = []
    if not isinstance(d.id, str) or not _ID.fullmatch(d.id):
        problems.append(DefinitionProblem(cid, "id", "an id is lower-case letters, digits and _ , starting with a letter"))
    for name in ("label", "description", "rationale", "rule"):
        value = getattr(d, name)
        if not isinstance(value, str) or not value.strip():
            problems.append(DefinitionProblem(cid, name, "must be non-empty text"))
    if d.benchmark_key is not None and (not isinstance(d.benchmark_key, str) or not _ID.fullmatch(d.benchmark_key)):
        problems.append(DefinitionProblem(cid, "benchmark_key", "must be an id or absent"))
    if not isinstance(d.datasets, tuple) or not d.datasets:
        problems.append(DefinitionProblem(cid, "datasets", "list at least one dataset"))
        return problems
    seen: set[str] = set()
    for ds in d.datasets:
        if ds in seen:
            problems.append(DefinitionProblem(cid, "datasets", f"dataset {ds!r} listed twice"))
        seen.add(ds)
        if ds not in DATASETS:
            problems.append(DefinitionProblem(cid, "datasets", f"unknown dataset {ds!r}; choose from {', '.join(DATASETS)}"))
            continue
        if isinstance(d.rule, str) and d.rule.strip():
            try:
                check(d.rule, ds)
            except RuleError as err:
                problems.append(DefinitionProblem(cid, "rule", f"in dataset {ds}: {err.message}", err.position))
            except UnknownDataset as err:  # pragma: no cover - filtered above
                problems.append(DefinitionProblem(cid, "datasets", str(err)))
    return problems


def definition_from_dict(data: Mapping[str, Any], index: int = 0) -> CategoryDefinition:
    """One definition from a dict; :class:`CategoryFileError` lists every problem."""
    if not isinstance(data, Mapping):
        raise CategoryFileError([DefinitionProblem(f"#{index + 1}", "-", "each category must be a mapping of fields")])
    cid = str(data.get("id")) if data.get("id") else f"#{index + 1}"
    problems: list[DefinitionProblem] = []
    for name in REQUIRED_FIELDS:
        if name not in data or data[name] in (None, "", []):
            problems.append(DefinitionProblem(cid, name, "missing"))
    unknown = sorted(set(data) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    for name in unknown:
        problems.append(DefinitionProblem(cid, str(name), f"unknown field; the fields are {', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)}"))
    datasets = data.get("datasets")
    if isinstance(datasets, str):
        datasets = [datasets]
    if datasets is not None and not (isinstance(datasets, Sequence) and all(isinstance(x, str) for x in datasets)):
        problems.append(DefinitionProblem(cid, "datasets", "must be a list of dataset names"))
        datasets = None
    if problems:
        raise CategoryFileError(problems)
    try:
        return CategoryDefinition(
            id=data["id"],
            label=data["label"],
            description=data["description"],
            rationale=data["rationale"],
            datasets=tuple(datasets or ()),
            rule=data["rule"],
            benchmark_key=data.get("benchmark_key"),
        )
    except CategoryFileError as err:
        raise CategoryFileError([_relabel(p, cid) for p in err.problems]) from None


def _relabel(problem: DefinitionProblem, cid: str) -> DefinitionProblem:
    return problem if problem.category != "?" else DefinitionProblem(cid, problem.field, problem.message, problem.position)


def definitions_from_dict(data: Mapping[str, Any]) -> tuple[CategoryDefinition, ...]:
    """All definitions of a file shaped ``{"categories": [{id, label, description, rationale,
    datasets, rule, benchmark_key?}, ...]}``. Every problem (missing fields, bad rules with their
    positions, unknown datasets, duplicate ids) is collected into one :class:`CategoryFileError`."""
    if not isinstance(data, Mapping) or not isinstance(data.get("categories"), list):
        raise CategoryFileError([DefinitionProblem("-", "categories", "the file needs a list under 'categories'")])
    problems: list[DefinitionProblem] = []
    result: list[CategoryDefinition] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data["categories"]):
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(raw_id, str) and raw_id:
            if raw_id in seen:
                problems.append(DefinitionProblem(raw_id, "id", f"duplicate id (categories #{seen[raw_id] + 1} and #{i + 1})"))
            seen.setdefault(raw_id, i)
        try:
            result.append(definition_from_dict(item, i))
        except CategoryFileError as err:
            problems.extend(err.problems)
    if not data["categories"]:
        problems.append(DefinitionProblem("-", "categories", "the list of categories is empty"))
    if problems:
        raise CategoryFileError(problems)
    return tuple(result)


@dataclass(frozen=True)
class CategorySet:
    """One version of the category definitions, with who made it (``author``), when
    (``created_at``, ISO 8601 text supplied by the caller) and why (``reason``)."""

    version: int
    definitions: tuple[CategoryDefinition, ...]
    author: str
    created_at: str
    reason: str

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError("a category set version is a whole number from 1")
        ids = [d.id for d in self.definitions]
        if len(set(ids)) != len(ids):
            raise ValueError("category ids must be unique within a set")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.definitions)

    def get(self, category_id: str) -> CategoryDefinition:
        for d in self.definitions:
            if d.id == category_id:
                return d
        raise KeyError(f"no category {category_id!r} in version {self.version}; there are: {', '.join(self.ids)}")

    def for_dataset(self, dataset: str) -> tuple[CategoryDefinition, ...]:
        return tuple(d for d in self.definitions if d.applies_to(dataset))

    def next_version(
        self, definitions: Sequence[CategoryDefinition], author: str, created_at: str, reason: str
    ) -> CategorySet:
        """The following version (``version + 1``) with new definitions."""
        return CategorySet(self.version + 1, tuple(definitions), author, created_at, reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "author": self.author,
            "created_at": self.created_at,
            "reason": self.reason,
            "categories": [d.to_dict() for d in self.definitions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategorySet:
        """A stored version (the shape of :meth:`to_dict`)."""
        definitions = definitions_from_dict(data)
        problems = [
            DefinitionProblem("-", name, "missing")
            for name in ("version", "author", "created_at", "reason")
            if data.get(name) in (None, "")
        ]
        if problems:
            raise CategoryFileError(problems)
        return cls(int(data["version"]), definitions, str(data["author"]), str(data["created_at"]), str(data["reason"]))


def changes(old: CategorySet, new: CategorySet) -> tuple[str, ...]:
    """Human-readable differences between two versions (added, removed, changed fields)."""
    before = {d.id: d.to_dict() for d in old.definitions}
    after = {d.id: d.to_dict() for d in new.definitions}
    out = [f"added {cid}" for cid in after if cid not in before]
    out += [f"removed {cid}" for cid in before if cid not in after]
    for cid in after:
        if cid in before:
            fields = [k for k in after[cid] if after[cid][k] != before[cid][k]]
            if fields:
                out.append(f"changed {cid}: {', '.join(fields)}")
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _checked(rule: str, dataset: str) -> Rule:
    """:func:`check` of a rule's text, kept: a metric pack checks each category's rule once per
    metric, and a checked rule is an immutable value."""
    return check(rule, dataset)
