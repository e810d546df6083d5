"""The category version store: one JSON file per version under ``<data_dir>/categories/``.

Contract
--------
* ``CategoryStore(data_dir).current()`` is the newest version; on first use, when no version
  exists, version 1 is seeded from the New Mexico defaults shipped in
  :mod:`ristra.categories_defaults`.
* ``save(new_set_dict, author, reason, expected_version)`` validates the whole file first
  (:class:`~ristra.core.categories.CategoryFileError` lists every problem; nothing is written),
  refuses a stale edit — ``expected_version`` is not the current version — with
  :class:`StaleVersionError`, and writes version ``current + 1``.
* Versions are immutable. Each is written to a temporary file in the same directory, flushed and
  fsynced, then published under its final name in one atomic step. The step is ``os.link`` (like
  ``os.replace`` it is atomic, and unlike it, it never overwrites), so two writers racing for the
  same version number cannot both win: the loser gets :class:`StaleVersionError`. The directory
  is fsynced after publishing. A crash leaves at most a stray temporary file, never a partial
  version.
* ``check_file(path)`` validates a YAML or JSON definitions file for ``ristra categories check``
  and returns its problems (empty when the file is good).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ristra.core.categories import (
    CategoryFileError,
    CategorySet,
    DefinitionProblem,
    changes,
    definitions_from_dict,
)
from ristra.core.versions import StaleVersionError
from ristra.stores.atomic import publish_new

DEFAULTS_PACKAGE = "ristra.categories_defaults"
DEFAULTS_FILE = "new_mexico.yaml"
_VERSION_FILE = re.compile(r"v(\d{4,})\.json")


class CorruptVersionError(RuntimeError):
    """A stored version file cannot be read."""


def default_definitions() -> dict[str, Any]:
    """The shipped New Mexico defaults as a dict (the file's layout)."""
    text = resources.files(DEFAULTS_PACKAGE).joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):  # pragma: no cover - shipped file
        raise CategoryFileError([DefinitionProblem("-", "-", "the defaults file is not a mapping")])
    return data


def read_definitions_file(path: str | Path) -> dict[str, Any]:
    """A definitions file (``.json``, else YAML) as a dict; :class:`CategoryFileError` when it
    is not readable, not well-formed (with line and column) or not a mapping."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CategoryFileError([DefinitionProblem("-", "file", f"cannot read {p}: {err}")]) from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as err:
        raise CategoryFileError(
            [DefinitionProblem("-", "file", f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}")]
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise CategoryFileError([DefinitionProblem("-", "file", f"not valid YAML{where}")]) from None
    if not isinstance(data, dict):
        raise CategoryFileError([DefinitionProblem("-", "file", "the file must hold a mapping with 'categories'")])
    return data


def check_file(path: str | Path) -> list[DefinitionProblem]:
    """Every problem in the definitions file at ``path`` (empty list: the file is good)."""
    try:
        definitions_from_dict(read_definitions_file(path))
    except CategoryFileError as err:
        return list(err.problems)
    return []


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CategoryStore:
    """Versioned category definitions kept under ``data_dir``."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)

    def __repr__(self) -> str:
        return f"CategoryStore({str(self.data_dir)!r})"

    @property
    def directory(self) -> Path:
        return self.data_dir / "categories"

    def _path(self, version: int) -> Path:
        return self.directory / f"v{version:04d}.json"

    def _numbers(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = (_VERSION_FILE.fullmatch(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def get(self, version: int) -> CategorySet:
        """One stored version (``KeyError`` if there is none)."""
        path = self._path(version)
        if not path.is_file():
            raise KeyError(f"no category version {version}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            result = CategorySet.from_dict(data)
        except (OSError, ValueError) as err:
            raise CorruptVersionError(f"category version file {path} cannot be read: {err}") from None
        if result.version != version:
            raise CorruptVersionError(f"{path} holds version {result.version}")
        return result

    def versions(self) -> tuple[CategorySet, ...]:
        """Every stored version, oldest first (seeding version 1 if none exists)."""
        if not self._numbers():
            self.current()
        return tuple(self.get(n) for n in self._numbers())

    def current(self) -> CategorySet:
        """The newest version; seeds version 1 from the New Mexico defaults on first use."""
        numbers = self._numbers()
        if numbers:
            return self.get(numbers[-1])
        defaults = default_definitions()
        seed = CategorySet(
            1,
            definitions_from_dict(defaults),
            str(defaults.get("author") or "ristra defaults"),
            _now(),
            str(defaults.get("reason") or "initial defaults"),
        )
        try:
            self._publish(seed)
        except StaleVersionError:
            pass  # another process seeded it first: read theirs
        return self.get(self._numbers()[-1])

    def save(self, new_set_dict: dict[str, Any], author: str, reason: str, expected_version: int) -> CategorySet:
        """Validate ``new_set_dict`` and store it as the next version.

        Raises :class:`CategoryFileError` (nothing written) for a malformed set, ``ValueError``
        for a missing author or reason or a set identical to the current one, and
        :class:`StaleVersionError` when ``expected_version`` is not the current version.
        """
        if not author or not author.strip():
            raise ValueError("a new category version needs its author")
        if not reason or not reason.strip():
            raise ValueError("a new category version needs the reason for the change")
        definitions = definitions_from_dict(new_set_dict)
        current = self.current()
        if expected_version != current.version:
            raise StaleVersionError(
                f"the categories were edited from version {expected_version}, but the current version is "
                f"{current.version} (by {current.author}: {current.reason}); reload and apply the change again"
            )
        new = current.next_version(definitions, author.strip(), _now(), reason.strip())
        if not changes(current, new):
            raise ValueError(f"nothing changed from version {current.version}")
        self._publish(new)
        return new

    def _publish(self, category_set: CategorySet) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self._path(category_set.version)
        payload = json.dumps(category_set.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        try:
            publish_new(final, payload.encode("utf-8"))
        except FileExistsError:
            raise StaleVersionError(
                f"category version {category_set.version} was saved by someone else meanwhile; reload and retry"
            ) from None
