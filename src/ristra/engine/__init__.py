"""The metrics engine: plans answered by an SQL engine, DuckDB over the current snapshots' Parquet files.

* :mod:`ristra.engine.runner` answers plans in two phases against a small
  :class:`~ristra.engine.runner.Connection` protocol, whatever the engine.
* :mod:`ristra.engine.session` is DuckDB's connection (:class:`~ristra.engine.session.DuckDBConnection`,
  the :data:`~ristra.core.sql_dialect.DUCKDB` dialect); :class:`~ristra.engine.session.MetricsEngine`
  is the runner over it.
* :data:`ENGINES` registers every backend by id; :func:`installed_engines` lists those whose driver
  is installed (the reference-evaluator tests run over each) and :func:`open_engine` opens one.

The names are loaded on first use, so that importing :mod:`ristra.engine.connections` (as the
import path does) does not load the metrics engine and its statistics.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ristra.engine.runner import Runner
    from ristra.engine.session import MetricsEngine, SnapshotFile

__all__ = ["ENGINES", "EngineKind", "MetricsEngine", "SnapshotFile", "installed_engines", "open_engine"]


@dataclass(frozen=True)
class EngineKind:
    """A backend: its id, the Python module of its driver, and the module and name of its opener:
    a callable taking the snapshot files (and ``memory_limit``) that returns a
    :class:`~ristra.engine.runner.Runner` over a new connection of the backend."""

    id: str
    driver: str
    module: str
    opener: str

    def installed(self) -> bool:
        return importlib.util.find_spec(self.driver) is not None


#: Every backend, by id.
ENGINES: Mapping[str, EngineKind] = {
    "duckdb": EngineKind("duckdb", "duckdb", "ristra.engine.session", "MetricsEngine"),
}


def installed_engines() -> tuple[str, ...]:
    """The ids of the backends whose driver is installed."""
    return tuple(kind.id for kind in ENGINES.values() if kind.installed())


def open_engine(engine_id: str, files: Mapping[str, SnapshotFile], *, memory_limit: str | None = None) -> Runner:
    """A runner over a new connection of backend ``engine_id`` to ``files`` (``KeyError`` for an
    unknown id)."""
    import importlib

    from ristra.engine.runner import Runner

    kind = ENGINES[engine_id]
    runner = getattr(importlib.import_module(kind.module), kind.opener)(files, memory_limit=memory_limit)
    if not isinstance(runner, Runner):
        raise TypeError(f"the opener of engine {engine_id} returned {type(runner).__name__}, not a Runner")
    return runner


def __getattr__(name: str) -> Any:
    if name in ("MetricsEngine", "SnapshotFile"):
        from ristra.engine import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
