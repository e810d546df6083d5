"""Progress of long DuckDB statements, reported while they run.

DuckDB estimates how far a running query has got (``query_progress()``, 0–100). A statement
runs on a worker thread while the calling thread polls that estimate and hands it to the
caller's ``report(step, percent)``; errors are re-raised in the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb

#: what a long statement calls while it runs: ``report(step, percent)``
ProgressCallback = Callable[[str, float], None]
POLL_SECONDS = 0.2


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], *, step: str,
            report: ProgressCallback | None) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return its rows, reporting progress as ``report(step, percent)``."""
    if report is None:
        return con.execute(sql, params).fetchall()
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(lambda: con.execute(sql, params).fetchall())
        while True:
            try:
                rows = future.result(timeout=POLL_SECONDS)
                break
            except TimeoutError:
                percent = con.query_progress()
                if percent >= 0:
                    report(step, min(percent, 99.9))
    report(step, 100.0)
    return rows
