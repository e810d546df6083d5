"""DuckDB connections that never write to the terminal.

DuckDB's Python client prints a progress bar on standard output for statements that run longer
than a couple of seconds (the default since DuckDB 2.0), which would corrupt ``--json`` output
and the CLI's own progress display. Every connection ristra opens comes from :func:`connect`,
which turns that printing off; progress is still *measured* where a caller asks for it
(:mod:`ristra.ingest.progress`).
"""

from __future__ import annotations

from typing import Any

import duckdb


def connect(database: str = ":memory:", config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``database`` with ``config``, printing nothing."""
    con = duckdb.connect(database, config=config or {})
    con.execute("SET enable_progress_bar_print = false")
    return con
