"""Plan page speed: the production server (``ristra serve``, waitress) over the default-size
synthetic school with the demo plan, signed in as an analyst (each scorecard and measure view
also writes its audit event), SQLite as the application database.

* warm: 20 concurrent clients on loopback, p95 of the plan tree, the scorecard (small trend
  charts of every measure) and one measure's page (trend, projection band, closed cycles) — at
  most 150 ms each, the dashboard's target;
* baseline in the same run: the same clients on a static page of the same server (``/about/``);
  the ratio to it is what is compared between runs.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.bench_web import CLIENTS, PASSWORD, _free_port, _get, _load, _p95, _page, _school, _sign_in
from bench.harness import Measurement

PLAN = "som-dei-2030"
PAGES = (("plan tree", f"/plans/{PLAN}/"), ("scorecard", f"/plans/{PLAN}/scorecard/"),
         ("measure page", f"/plans/{PLAN}/measures/M-URM-MATRIC/"))
TARGET = 0.150


def run(quick: bool) -> list[Measurement]:
    size, per_client = (300, 5) if quick else (1700, 25)
    with tempfile.TemporaryDirectory(prefix="ristra-bench-plans-") as tmp:
        root = Path(tmp)
        _school(root, size)
        env = {**os.environ, "RISTRA_DATA_DIR": str(root / "data"), "RISTRA_SECRET_KEY": secrets.token_urlsafe(60),
               "RISTRA_HTTPS": "false", "RISTRA_ALLOWED_HOSTS": "127.0.0.1"}
        env.pop("RISTRA_DATABASE_URL", None)
        cli = [sys.executable, "-m", "ristra.cli.main"]
        subprocess.run([*cli, "plan", "import", "--demo", "--reason", "benchmark"], env=env, check=True,
                       capture_output=True)
        subprocess.run([*cli, "createuser", "bench-analyst", "--role", "analyst", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--threads", "8"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
            while "reload shortly" in _page(port, PAGES[1][1], cookie):
                if time.monotonic() - started > 600:
                    raise RuntimeError("the publication was not ready within 10 minutes")
                time.sleep(0.5)
            for _, path in PAGES:
                _get(port, path, cookie)  # first views: charts drawn once
            _load(port, "/about/", cookie, 2)
            static = _p95(_load(port, "/about/", cookie, per_client))
            warm = {name: _p95(_load(port, path, cookie, per_client)) for name, path in PAGES}
        finally:
            server.terminate()
            server.wait(timeout=30)
    detail = f"{size} applications per cycle, demo plan of 8 measures, SQLite"
    return [Measurement(f"plan pages: {name} p95, {CLIENTS} concurrent clients (warm)", value, "s",
                        f"at most {TARGET:.3f} s", value <= TARGET, baseline="static page p95, same clients",
                        baseline_value=static, ratio=value / static if static else None, detail=detail)
            for name, value in warm.items()]
