"""The linked synthetic school shared by the linkage review, program outcomes and linked-intruder
tests: a small school with identity datasets (200 applications a cycle, four cycles), its rosters
linked to the applications once (threshold 5 bits, review band 12 bits, so that the band holds
pairs of PP01 — the test coordinator's program — and of other programs).

It is built once per test process (:func:`shared_linked_school`); tests work on copies
(:func:`copy_of`). Its modules carry the ``xdist_group`` mark :data:`GROUP`, so that they run in
one process and share the school and the publications made from it (a copy of a data directory
is served the publications of the original: ``services.publication``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ristra.services import imports
from ristra.services.linkage import LinkageService
from ristra.services.workspace import Settings, Workspace
from ristra.synth import generate

GROUP = pytest.mark.xdist_group("linked-school")
DATASETS = ("programs", "participants", "admissions_identities", "applications")
_SHARED: dict[str, Path] = {}
_PREPARED: dict[str, Path] = {}


def build_linked_school(base: Path) -> Path:
    """The school under ``base``: generated (``base/source``), imported and linked
    (``base/data``, returned)."""
    paths = generate(base / "source", applications_per_cycle=200, cycles=4, identities=True)
    workspace = Workspace(Settings(data_dir=base / "data", user="setup"))
    for name in DATASETS:
        assert imports.import_file(workspace, name, paths[name]).imported
    LinkageService(workspace).run(threshold=5.0, review_band=12.0)
    return base / "data"


def shared_linked_school(factory: pytest.TempPathFactory) -> Path:
    """The base folder of the school built once per test process (``source`` and ``data``
    below it; tests must not change it: take a :func:`copy_of` its data)."""
    if "base" not in _SHARED:
        base = factory.mktemp("linked-school")
        build_linked_school(base)
        _SHARED["base"] = base
    return _SHARED["base"]


def copy_of(factory: pytest.TempPathFactory, name: str) -> Path:
    """A fresh copy of the shared school's data directory (in a folder of its own, named ``name``)."""
    target = factory.mktemp(name) / "data"
    shutil.copytree(shared_linked_school(factory) / "data", target)
    return target


def prepared_copy(factory: pytest.TempPathFactory, name: str, prepare: Callable[[Path], None]) -> Path:
    """A copy of the shared school's data, made and ``prepare``-d once per test process for each
    ``name`` (a module fixture is set up again when pytest's ordering by parameters leaves its
    module and comes back; this one is not)."""
    if name not in _PREPARED:
        root = copy_of(factory, name)
        prepare(root)
        _PREPARED[name] = root
    return _PREPARED[name]


def source_paths(factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The generated source files of the shared school, by dataset name."""
    source = shared_linked_school(factory) / "source"
    return {p.stem: p for p in sorted(source.iterdir()) if p.is_file()}
