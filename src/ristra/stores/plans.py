"""The plan store: versioned plan documents and closed cycles under ``<data_dir>/plans/``.

Contract
--------
* One directory per plan id: ``plans/<plan id>/v0001.json``, ``v0002.json`` … (the document with
  who saved it, when and why, and the category version it was checked against) and
  ``plans/<plan id>/cycles/<cycle>.json`` (a closed cycle: frozen statuses, see
  :mod:`ristra.services.plans`).
* ``save(document, author, reason, expected_version)`` checks the whole document first
  (:func:`ristra.core.plan.plan_from_dict` against the current categories, the parent
  catalogue and, for a ``pipeline-yield`` measure, the program registry's ids when there is a
  registry; :class:`~ristra.core.plan.PlanFileError` lists every problem and nothing is
  written), refuses a stale edit — ``expected_version`` is not the current version (0 for a new
  plan) — with :class:`StalePlanError`, refuses an unchanged document, and writes version
  ``current + 1``.
* Versions and closed cycles are immutable: each is written to a temporary file, flushed and
  fsynced, and published with ``os.link`` (atomic, never overwrites), so of two writers racing
  for one version number the loser gets :class:`StalePlanError`; a crash leaves at most a stray
  temporary file.
* ``import_file(path, …)`` reads YAML with line marks (problems name their lines);
  ``export_yaml(plan_id)`` writes the document back; importing an export changes nothing.
"""

from __future__ import annotations

import functools
import json
import re
import stat
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ristra.core.plan import (
    ParentCatalogue,
    Plan,
    PlanFileError,
    PlanProblem,
    catalogue_from_dicts,
    plan_from_dict,
)
from ristra.core.plan.problems import LineMarks
from ristra.stores.atomic import publish_new
from ristra.stores.plan_files import parse_plan_text, plan_yaml, read_plan_file

DEFAULTS_PACKAGE = "ristra.plan_defaults"
CATALOGUE_FILES = ("parent_plans.yaml", "accreditation.yaml")
DEMO_PLAN_FILE = "demo_plan.yaml"
_VERSION_FILE = re.compile(r"v(\d{4,})\.json")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}")


class StalePlanError(RuntimeError):
    """The edit was based on a version that is no longer the current one."""


class CorruptPlanError(RuntimeError):
    """A stored plan version or cycle cannot be read."""


class UnknownPlanError(KeyError):
    """No plan (or no such version or cycle) is stored under that id."""

    def __str__(self) -> str:
        return str(self.args[0])


@functools.cache
def default_catalogue() -> ParentCatalogue:
    """The parent plans (UNM 2040, the HSC plan) and accreditation elements shipped with ristra
    (read once: a frozen value)."""
    files = resources.files(DEFAULTS_PACKAGE)
    return catalogue_from_dicts(
        [yaml.safe_load(files.joinpath(name).read_text(encoding="utf-8")) for name in CATALOGUE_FILES]
    )


def demo_plan_text() -> str:
    """The synthetic school's demo plan (YAML)."""
    return resources.files(DEFAULTS_PACKAGE).joinpath(DEMO_PLAN_FILE).read_text(encoding="utf-8")


def _names_programs(document: object) -> bool:
    """Whether ``document`` has a measure bound to a program (a ``pipeline-yield`` measure)."""
    measures = document.get("measures") if isinstance(document, dict) else None
    return isinstance(measures, list) and any(
        isinstance(m, dict) and isinstance(m.get("metric"), dict) and m["metric"].get("kind") == "pipeline-yield"
        for m in measures)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PlanVersion:
    """One stored version of a plan document."""

    plan_id: str
    version: int
    author: str
    created_at: str
    reason: str
    category_version: int | None
    plan: Plan

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "version": self.version,
            "author": self.author,
            "created_at": self.created_at,
            "reason": self.reason,
            "category_version": self.category_version,
            "document": self.plan.to_dict(),
        }


#: the last answer of :meth:`PlanStore.current_versions` per plans folder, with the folder stamps
#: it was read under
_CURRENT_VERSIONS: dict[Path, tuple[object, tuple[tuple[str, int], ...]]] = {}
#: parsed version files by path, with the ``stat`` stamp they were read at (:meth:`PlanStore.get`)
_READ: dict[Path, tuple[tuple[int, int, int], PlanVersion]] = {}
_READ_LOCK = threading.Lock()


class PlanStore:
    """Versioned plan documents kept under ``data_dir`` (see the module docstring).

    ``categories`` returns the category version in use as ``(version, ids)``; ``catalogue`` is the
    parent catalogue (the shipped one by default); ``programs`` returns the program registry's
    ids (None without a registry), asked only for a document with a ``pipeline-yield`` measure."""

    def __init__(
        self,
        data_dir: str | Path,
        categories: Callable[[], tuple[int, Collection[str]]] | None = None,
        catalogue: ParentCatalogue | None = None,
        clock: Callable[[], str] = _now,
        programs: Callable[[], Collection[str] | None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._categories = categories
        self._programs = programs
        self.catalogue = catalogue or default_catalogue()
        self._clock = clock

    def __repr__(self) -> str:
        return f"PlanStore({str(self.data_dir)!r})"

    @property
    def directory(self) -> Path:
        return self.data_dir / "plans"

    def _plan_dir(self, plan_id: str) -> Path:
        if not _SAFE_NAME.fullmatch(plan_id):
            raise UnknownPlanError(f"no plan {plan_id!r}")
        return self.directory / plan_id

    def _numbers(self, plan_id: str) -> list[int]:
        folder = self._plan_dir(plan_id)
        if not folder.is_dir():
            return []
        found = (_VERSION_FILE.fullmatch(p.name) for p in folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def plan_ids(self) -> tuple[str, ...]:
        """The ids of the plans with at least one stored version, sorted."""
        return tuple(plan_id for plan_id, _ in self.current_versions())

    def current_versions(self) -> tuple[tuple[str, int], ...]:
        """Every stored plan with its current version number, sorted by id, from the directory
        listing only. Answered from memory while neither the plans folder nor any plan's folder
        has changed (a new version file changes its folder's modification time), so a page
        request that asks for it does not list every folder again."""
        try:
            folders = tuple(sorted(p for p in self.directory.iterdir() if p.is_dir()))
            stamp = (self.directory.stat().st_mtime_ns,
                     tuple((p.name, p.stat().st_mtime_ns) for p in folders))
        except FileNotFoundError:
            return ()
        known = _CURRENT_VERSIONS.get(self.directory)
        if known is not None and known[0] == stamp:
            return known[1]
        out = []
        for folder in folders:
            numbers = self._numbers(folder.name) if _SAFE_NAME.fullmatch(folder.name) else []
            if numbers:
                out.append((folder.name, numbers[-1]))
        found = tuple(out)
        _CURRENT_VERSIONS[self.directory] = (stamp, found)
        return found

    # ------------------------------------------------------------------ reading

    def get(self, plan_id: str, version: int) -> PlanVersion:
        """One stored version. A version file is written once and never changed, so it is parsed
        once per file (kept in memory by its path and ``stat`` stamp; a file replaced by hand
        is read again)."""
        path = self._plan_dir(plan_id) / f"v{version:04d}.json"
        try:
            info = path.stat()
        except OSError:
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            raise UnknownPlanError(f"no version {version} of plan {plan_id!r}")
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        with _READ_LOCK:
            known = _READ.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        stored = self._read(path, plan_id, version)
        with _READ_LOCK:
            _READ[path] = (stamp, stored)
            while len(_READ) > 256:
                _READ.pop(next(iter(_READ)))
        return stored

    def _read(self, path: Path, plan_id: str, version: int) -> PlanVersion:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            plan = plan_from_dict(data["document"])  # checked when saved; categories may have changed since
            stored = PlanVersion(
                plan_id,
                int(data["version"]),
                str(data["author"]),
                str(data["created_at"]),
                str(data["reason"]),
                data.get("category_version"),
                plan,
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CorruptPlanError(f"plan version file {path} cannot be read: {err}") from None
        if stored.version != version or plan.id != plan_id:
            raise CorruptPlanError(f"{path} holds version {stored.version} of plan {plan.id}")
        return stored

    def current(self, plan_id: str) -> PlanVersion | None:
        numbers = self._numbers(plan_id)
        return self.get(plan_id, numbers[-1]) if numbers else None

    def require(self, plan_id: str) -> PlanVersion:
        found = self.current(plan_id)
        if found is None:
            ids = ", ".join(self.plan_ids()) or "none yet; import one with `ristra plan import FILE`"
            raise UnknownPlanError(f"no plan {plan_id!r}; the plans are: {ids}")
        return found

    def versions(self, plan_id: str) -> tuple[PlanVersion, ...]:
        return tuple(self.get(plan_id, n) for n in self._numbers(plan_id))

    # ------------------------------------------------------------------ writing

    def check(self, document: dict[str, Any], lines: LineMarks | None = None) -> tuple[Plan, int | None]:
        """The plan of ``document`` checked against the categories and the parent catalogue, with
        the category version it was checked against (:class:`PlanFileError` otherwise)."""
        version, ids = self._categories() if self._categories else (None, None)
        programs = self._programs() if self._programs is not None and _names_programs(document) else None
        return plan_from_dict(document, lines=lines, categories=ids, catalogue=self.catalogue,
                              programs=programs), version

    def save(
        self,
        document: dict[str, Any],
        author: str,
        reason: str,
        expected_version: int,
        lines: LineMarks | None = None,
    ) -> PlanVersion:
        """Check ``document`` and store it as the next version of its plan (see the module
        docstring). ``ValueError`` for a missing author or reason or an unchanged document."""
        if not author or not author.strip():
            raise ValueError("a new plan version needs its author")
        if not reason or not reason.strip():
            raise ValueError("a new plan version needs the reason for the change")
        plan, category_version = self.check(document, lines)
        current = self.current(plan.id)
        current_number = current.version if current else 0
        if expected_version != current_number:
            who = f" (by {current.author}: {current.reason})" if current else ""
            raise StalePlanError(
                f"plan {plan.id} was edited from version {expected_version}, but the current "
                f"version is {current_number}{who}; reload and apply the change again"
            )
        if current is not None and current.plan == plan:
            raise ValueError(f"nothing changed from version {current.version} of plan {plan.id}")
        new = PlanVersion(
            plan.id, current_number + 1, author.strip(), self._clock(), reason.strip(), category_version, plan
        )
        folder = self._plan_dir(plan.id)
        self._publish(
            folder,
            f"v{new.version:04d}.json",
            new.to_dict(),
            f"version {new.version} of plan {plan.id} was saved by someone else meanwhile; reload and retry",
        )
        return new

    def import_text(
        self,
        text: str,
        author: str,
        reason: str,
        expected_version: int | None = None,
        name: str = "the plan file",
    ) -> PlanVersion:
        """Store the plan in YAML ``text``; ``expected_version`` None means the current one."""
        document, lines = parse_plan_text(text, name)
        return self._import(document, lines, author, reason, expected_version)

    def import_file(
        self, path: str | Path, author: str, reason: str, expected_version: int | None = None
    ) -> PlanVersion:
        """Store the plan in the YAML file at ``path`` (see :meth:`import_text`)."""
        document, lines = read_plan_file(path)
        return self._import(document, lines, author, reason, expected_version)

    def _import(
        self,
        document: dict[str, Any],
        lines: LineMarks,
        author: str,
        reason: str,
        expected_version: int | None,
    ) -> PlanVersion:
        if expected_version is None:
            head = document.get("plan")
            pid = head.get("id") if isinstance(head, dict) else None
            current = self.current(pid) if isinstance(pid, str) and _SAFE_NAME.fullmatch(pid) else None
            expected_version = current.version if current else 0
        return self.save(document, author, reason, expected_version, lines)

    def export_yaml(self, plan_id: str, version: int | None = None) -> str:
        """The plan document as YAML, with a header naming its version."""
        stored = self.get(plan_id, version) if version is not None else self.require(plan_id)
        header = (
            f"# Plan {stored.plan_id}, version {stored.version}, saved {stored.created_at} by "
            f"{stored.author}: {stored.reason}\n"
        )
        return header + plan_yaml(stored.plan.to_dict())

    # ------------------------------------------------------------------ closed cycles

    def write_cycle(self, plan_id: str, cycle: str, record: dict[str, Any]) -> Path:
        """Store a closed cycle once (:class:`StalePlanError` if that cycle is already closed)."""
        if not _SAFE_NAME.fullmatch(cycle):
            raise PlanFileError(
                [
                    PlanProblem(
                        "plan", "cycle", f"a cycle name is letters, digits, '_', '-' and '.', not {cycle!r}"
                    )
                ]
            )
        folder = self._plan_dir(plan_id) / "cycles"
        return self._publish(
            folder,
            f"{cycle}.json",
            record,
            f"cycle {cycle} of plan {plan_id} is already closed; a closed cycle is never changed",
        )

    def cycles(self, plan_id: str) -> tuple[dict[str, Any], ...]:
        """Every closed cycle of the plan, in the order they were closed."""
        folder = self._plan_dir(plan_id) / "cycles"
        if not folder.is_dir():
            return ()
        out = []
        for path in folder.glob("*.json"):
            try:
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as err:
                raise CorruptPlanError(f"closed cycle {path} cannot be read: {err}") from None
        return tuple(sorted(out, key=lambda r: (str(r.get("closed_at")), str(r.get("cycle")))))

    def _publish(self, folder: Path, name: str, payload: dict[str, Any], taken: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / name
        text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        try:
            publish_new(final, text.encode("utf-8"))
        except FileExistsError:
            raise StalePlanError(taken) from None
        return final
