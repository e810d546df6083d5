"""Every DuckDB connection ristra opens prints nothing (DuckDB's own progress bar would corrupt
``--json`` output)."""

from __future__ import annotations

import duckdb
import pytest

from ristra.engine.connections import connect

QUERY = "SELECT sum(hash(range)) FROM range(60000000)"


def _run(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET enable_progress_bar = true")
    con.execute("SET progress_bar_time = 0")  # show the bar at once instead of after 2 s
    con.execute(QUERY).fetchall()


def test_a_plain_duckdb_connection_would_print_a_progress_bar(capfd: pytest.CaptureFixture[str]) -> None:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar_print = true")  # DuckDB's default since 2.0
    _run(con)
    assert "%" in capfd.readouterr().out  # the hazard the wrapper exists for


def test_ristra_connections_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    con = connect()
    _run(con)
    assert con.execute("SELECT current_setting('enable_progress_bar_print')").fetchone() == (False,)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""
