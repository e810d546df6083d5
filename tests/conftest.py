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
