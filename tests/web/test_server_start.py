"""``ristra serve`` for real, as in production behind a TLS proxy on the same machine: it settles
the import jobs a dead server left running before it answers, and believes the proxy's
``X-Forwarded-Proto`` (no redirect loop)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

GOOD_KEY = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def production(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISTRA_")}
    env.update(RISTRA_DATA_DIR=str(tmp_path / "data"), RISTRA_SECRET_KEY=GOOD_KEY, RISTRA_BEHIND_PROXY="true",
               RISTRA_ALLOWED_HOSTS="localhost")
    yield env, tmp_path / "data"


def _dead_job(data_dir: Path, state: str) -> int:
    """A job as a killed server leaves it: running, its staged file kept, nobody holding its lock."""
    staged = data_dir / "web-uploads" / f"dead-{state}" / "programs.csv"
    staged.parent.mkdir(parents=True)
    staged.write_text("program_id,name\n", encoding="utf-8")
    with sqlite3.connect(data_dir / "web.sqlite3") as db:
        cursor = db.execute(
            "INSERT INTO ristra_web_importjob (dataset, file_name, size, staged_path, uploaded_by, created_at, "
            "updated_at, state, message, report, snapshot_id, step, progress) "
            "VALUES ('programs', 'programs.csv', 16, ?, 'ana', '2026-01-01 00:00:00', '2026-01-01 00:00:00', ?, '', "
            "'{}', '', 'reading', 40.0)", (str(staged), state))
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def test_serve_settles_dead_jobs_and_believes_its_proxy(production: tuple[dict[str, str], Path]) -> None:
    env, data_dir = production
    subprocess.run([sys.executable, "-m", "ristra.cli.main", "createuser", "ana", "--role", "analyst",
                    "--password-stdin"], env=env, input="a long enough password 42\n", text=True, check=True,
                   capture_output=True, timeout=120)
    jobs = [_dead_job(data_dir, "validating"), _dead_job(data_dir, "importing")]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "ristra.cli.main", "serve", "--port", str(port), "--threads", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    proxied = {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = requests.get(f"{url}/health", headers=proxied, allow_redirects=False, timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, "ristra serve did not start"
                assert time.monotonic() < deadline, "ristra serve did not start"
                time.sleep(0.2)
        assert health.status_code == 200
        assert requests.get(f"{url}/about/", headers=proxied, allow_redirects=False, timeout=30).status_code == 200
        plain = requests.get(f"{url}/about/", headers={"Host": "localhost"}, allow_redirects=False, timeout=30)
        assert plain.status_code == 301
        assert plain.headers["Location"] == "https://localhost/about/"
    finally:
        server.terminate()
        server.wait(timeout=30)
    with sqlite3.connect(data_dir / "web.sqlite3") as db:
        rows = db.execute(f"SELECT state, message, progress FROM ristra_web_importjob WHERE id IN ({jobs[0]}, {jobs[1]}) "
                          "ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["failed", "failed"]
    assert all("The server stopped" in r[1] for r in rows)
    assert all(r[2] is None for r in rows)
