"""The metrics engine: an in-memory DuckDB over the current snapshots' Parquet files.

:class:`~ristra.engine.session.MetricsEngine` opens one view per dataset (named after it) and the
reference tables the derived columns come from, and answers the plans of
:mod:`ristra.core.metrics.plans` with one merged query per source and phase.

The names are loaded on first use, so that importing :mod:`ristra.engine.connections` (as the
import path does) does not load the metrics engine and its statistics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ristra.engine.session import MetricsEngine, SnapshotFile

__all__ = ["MetricsEngine", "SnapshotFile"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ristra.engine import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
