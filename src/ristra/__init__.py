"""ristra: one honest, disclosure-safe picture of whom a medical school trains and employs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ristra.services.metrics import MetricsSession

__version__ = "0.1.0"


def open(data_dir: str | Path, *, benchmark_file: str | Path | None = None,  # noqa: A001 - the API's name
         memory_limit: str = "2GB") -> MetricsSession:
    """Open a data directory for metrics: ``ristra.open("ristra-data").representation(...)``.

    Imports nothing heavy until called (importing ``ristra`` never imports DuckDB).
    ``benchmark_file`` adds a school's own benchmarks; ``memory_limit`` is DuckDB's.
    See :class:`ristra.services.metrics.MetricsSession` and ``docs/metrics.md``.
    """
    from ristra.services.metrics import open_data_dir

    return open_data_dir(data_dir, benchmark_file=benchmark_file, memory_limit=memory_limit)
