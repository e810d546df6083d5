"""The metrics engine: an in-memory DuckDB over the current snapshots' Parquet files.

:class:`~ristra.engine.session.MetricsEngine` opens one view per dataset (named after it) and the
reference tables the derived columns come from, and answers the plans of
:mod:`ristra.core.metrics.plans` with one merged query per source and phase.
"""

from ristra.engine.session import MetricsEngine, SnapshotFile

__all__ = ["MetricsEngine", "SnapshotFile"]
