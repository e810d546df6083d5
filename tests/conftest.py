"""Shared fixtures: a workspace in a temporary data directory with a fixed clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ristra.services.workspace import Settings, Workspace

FIXED_NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", user="tester", clock=lambda: FIXED_NOW)


@pytest.fixture
def workspace(settings: Settings) -> Workspace:
    return Workspace(settings)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``pytest -n N --dist loadgroup`` (``make test``): the tests of one module run in one
    process, so a module's fixtures (a generated school, its publications) are made once, not in
    every process; modules marked with one ``xdist_group`` (``support.linked_school.GROUP``) share
    a process and what it has built."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
