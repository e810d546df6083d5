"""The linkage connection: one in-memory DuckDB database with a memory limit and a spill directory.

DuckDB's default buffer pool is 80 % of the machine's memory, so without a limit a run at
benchmark scale keeps every intermediate table (Splink's blocked pairs, the standardised identity
table) resident. With ``memory_limit`` set, DuckDB evicts and spills to ``temp_directory``
instead (measured in ``bench/bench_linkage.py``; see ``docs/benchmarks.md``). The limit covers
DuckDB's buffer pool, not the Python process, so the process's peak is somewhat above it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ristra.engine.connections import connect

#: The default limit of a linkage connection (a 1,000,000-identity run fits; see docs/benchmarks.md).
DEFAULT_MEMORY_LIMIT = "1GB"


def linkage_connection(memory_limit: str | None = DEFAULT_MEMORY_LIMIT, temp_directory: Path | None = None,
                       threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection for one linkage run: ``memory_limit`` (DuckDB's own
    size syntax, e.g. ``"1GB"``; ``None`` leaves DuckDB's default), ``temp_directory`` where it
    may spill (created if missing; ``None``: DuckDB's default ``.tmp`` beside the database, which
    for an in-memory one is the working directory), ``threads`` (``None``: every core)."""
    config: dict[str, str | int] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_directory)
    if threads:
        config["threads"] = int(threads)
    return connect(config=config)
