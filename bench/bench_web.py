"""Web dashboard speed: the production server (``ristra serve``, waitress) over the default-size
synthetic school, signed in as an analyst (so each view also writes its audit event), once with
SQLite and once with this machine's PostgreSQL as the application database.

* protection: the server starts protecting the publications at start; the time until the
  dashboard stops saying "being prepared" is reported;
* first page after protection (charts not yet drawn) — at most 2 s;
* warm: 20 concurrent clients on loopback, p95 of the dashboard page — at most 150 ms;
* baseline in the same run: the same clients on a static page of the same server (``/about/``).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import Measurement

CLIENTS = 20
PASSWORD = "bench-analyst-password-42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _school(root: Path, applications_per_cycle: int) -> None:
    from ristra.cli.data_commands import IMPORT_ORDER
    from ristra.services import imports
    from ristra.services.workspace import Settings, Workspace
    from ristra.synth import extract_starts, generate

    sources = generate(root / "source", applications_per_cycle=applications_per_cycle)
    ws = Workspace(Settings(data_dir=root / "data", user="bench"))
    for name in IMPORT_ORDER:
        assert imports.import_file(ws, name, sources[name], extract_start=extract_starts().get(name)).imported


def _sign_in(base: str) -> str:
    """Sign in through the login form; returns the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = urllib.parse.urlencode({"username": "bench-analyst", "password": PASSWORD,
                                   "csrfmiddlewaretoken": token.group(1)}).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"}))
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "ristra_session" in cookies, "sign-in failed"
    return cookies


def _get(port: int, path: str, cookie: str) -> float:
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    return time.perf_counter() - start


def _page(port: int, path: str, cookie: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie})
    body = connection.getresponse().read().decode("utf-8", "replace")
    connection.close()
    return body


def _load(port: int, path: str, cookie: str, per_client: int) -> list[float]:
    timings: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        mine = [_get(port, path, cookie) for _ in range(per_client)]
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1]


POSTGRES = os.environ.get("RISTRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _fresh_postgres() -> str:
    """An empty database ``ristra_bench`` on the machine's PostgreSQL server."""
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS ristra_bench WITH (FORCE)")
        connection.execute("CREATE DATABASE ristra_bench")
    return POSTGRES.rsplit("/", 1)[0] + "/ristra_bench"


def run(quick: bool) -> list[Measurement]:
    size = 300 if quick else 1700
    out: list[Measurement] = []
    for database in ("sqlite", "postgresql"):
        out += _run(size, 5 if quick else 25, database)
    return out


def _run(size: int, per_client: int, database: str) -> list[Measurement]:
    with tempfile.TemporaryDirectory(prefix="ristra-bench-web-") as tmp:
        root = Path(tmp)
        _school(root, size)
        env = {**os.environ, "RISTRA_DATA_DIR": str(root / "data"), "RISTRA_SECRET_KEY": secrets.token_urlsafe(60),
               "RISTRA_HTTPS": "false", "RISTRA_ALLOWED_HOSTS": "127.0.0.1"}
        env.pop("RISTRA_DATABASE_URL", None)
        if database == "postgresql":
            env["RISTRA_DATABASE_URL"] = _fresh_postgres()
        subprocess.run([sys.executable, "-m", "ristra.cli.main", "createuser", "bench-analyst", "--role", "analyst",
                        "--password-stdin"], input=PASSWORD + "\n", text=True, env=env, check=True,
                       capture_output=True)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "ristra.cli.main", "serve", "--port", str(port),
                                   "--threads", "8"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            cookie = _sign_in(base)
            while "being prepared" in _page(port, "/dashboard/?category=women", cookie):  # not the page timed next
                if time.monotonic() - started > 600:
                    raise RuntimeError("the publication was not ready within 10 minutes")
                time.sleep(0.5)
            protection = time.monotonic() - started
            cold = _get(port, "/dashboard/", cookie)
            _load(port, "/about/", cookie, 2)  # warm both paths
            static = _p95(_load(port, "/about/", cookie, per_client))
            warm = _p95(_load(port, "/dashboard/", cookie, per_client))
            detail = ""
        finally:
            server.terminate()
            server.wait(timeout=30)
    return [
        Measurement(f"web ({database}): server start to publications ready (both audiences, in the background)",
                    protection, "s", "reported (protection itself: bench_publication)", True, detail=detail),
        Measurement(f"web ({database}): dashboard, first page after protection", cold, "s", "at most 2 s",
                    cold <= 2.0, detail=detail),
        Measurement(f"web ({database}): dashboard p95, {CLIENTS} concurrent clients (warm)", warm, "s",
                    "at most 0.150 s", warm <= 0.150, baseline="static page p95, same clients",
                    baseline_value=static, ratio=warm / static if static else None, detail=detail),
    ]
