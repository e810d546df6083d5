"""Metrics engine speed and memory (issue 3: "Speed and memory").

The standard metric pack (:func:`ristra.core.metrics.pack.standard_pack`: every metric, every
default category, every year and dataset) over the synthetic school with 10 million application
rows (quick: 200,000), generated with ``ristra.synth.generate(applications_per_cycle=rows / 10,
cycles=10)`` — every dataset at the generator's scale — and imported once into a cached data
directory under ``bench/out/`` (the CSVs are deleted after the import).

Targets, all measured in the same run:

* the pack in at most 10 s (engine opened on the snapshots, every query, every statistic);
* at most 5× a single DuckDB scan of the columns the pack reads (the engine reports them): one
  ``SELECT sum(hash(col, …))`` per dataset over its Parquet file, which reads and decodes every
  value once (a ``min``/``max`` scan is reported too, in the detail);
* at least 20× faster than the straightforward pandas implementation in ``bench/pandas_pack.py``,
  whose results must equal the engine's;
* peak resident memory of the child process running the pack at most 4 GB.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import Measurement

OUT = Path(__file__).resolve().parent / "out"
ORDER = ("programs", "participants", "applications", "students", "trainees", "employees", "employee_events")


def school(rows: int) -> Path:
    """The data directory of the synthetic school with about ``rows`` applications (cached)."""
    from ristra.core.datasets import SCHEMA_VERSION
    from ristra.ingest.validation import PARQUET_OPTIONS
    from ristra.stores.snapshots.layout import place_keys_name

    root = OUT / f"metrics-school-{rows}"
    # a format change makes a new school
    stamp = f"imported: schema {SCHEMA_VERSION}; {PARQUET_OPTIONS}; {place_keys_name('<family>')}\n"
    if (root / "ready").exists() and (root / "ready").read_text() == stamp:
        return root / "data"
    from ristra.services.imports import import_file
    from ristra.services.workspace import Settings, Workspace
    from ristra.synth import generate

    shutil.rmtree(root, ignore_errors=True)
    source = root / "source"
    paths = generate(source, applications_per_cycle=rows // 10, cycles=10)
    workspace = Workspace(Settings(data_dir=root / "data", user="bench", memory_limit="3GB"))
    for name in ORDER:
        if not import_file(workspace, name, paths[name], wait_seconds=30).imported:
            raise RuntimeError(f"the synthetic {name} did not import")
    shutil.rmtree(source)
    (root / "ready").write_text(stamp)
    return root / "data"


_ENGINE = r"""
import json, resource, sys, time
from pathlib import Path
import duckdb
t0 = time.perf_counter()
import ristra
from ristra.core.metrics.pack import standard_pack
from ristra.core.metrics.plans import plan_for
from ristra.engine import MetricsEngine
session = ristra.open(sys.argv[1])
service = session.service
files = service.current_files()
context = service.context()
specs = standard_pack(context.categories, files)

def scan(columns, kind):
    con = duckdb.connect()
    con.execute("SET enable_progress_bar_print = false")
    start = time.perf_counter()
    for name, cols in columns.items():
        quoted = ", ".join('"' + c + '"' for c in sorted(cols))
        path = str(files[name].path).replace("'", "''")
        if kind == "hash":
            con.execute(f"SELECT sum(hash({quoted})) FROM read_parquet('{path}')").fetchall()
        else:
            parts = ", ".join(f'min("{c}"), max("{c}")' for c in sorted(cols))
            con.execute(f"SELECT {parts} FROM read_parquet('{path}')").fetchall()
    con.close()
    return time.perf_counter() - start

start = time.perf_counter()
engine = MetricsEngine(files, memory_limit="3GB")
results = engine.run([plan_for(s, context) for s in specs])
seconds = time.perf_counter() - start
columns = {k: sorted(v) for k, v in engine.columns_read.items()}
scan(columns, "hash")  # warm the file cache as the pack had
hash_scan = min(scan(columns, "hash") for _ in range(2))
minmax_scan = scan(columns, "minmax")
Path(sys.argv[2]).write_text(json.dumps([r.to_dict() for r in results], default=str))
print(json.dumps({"seconds": seconds, "hash_scan": hash_scan, "minmax_scan": minmax_scan, "specs": len(specs),
                  "queries": engine.queries_run, "exact_reruns": engine.exact_reruns, "columns": columns,
                  "rows": {k: f.ref.row_count for k, f in files.items()},
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_PANDAS = r"""
import json, resource, sys, time
from pathlib import Path
import ristra
from ristra.core.metrics.pack import standard_pack
from bench.pandas_pack import run_pack
session = ristra.open(sys.argv[1])
service = session.service
files = service.current_files()
context = service.context()
specs = standard_pack(context.categories, files)
columns = {k: set(v) for k, v in json.loads(sys.argv[3]).items()}
start = time.perf_counter()
results = run_pack({k: f.path for k, f in files.items()}, columns, context, specs)
seconds = time.perf_counter() - start
Path(sys.argv[2]).write_text(json.dumps([r.to_dict() for r in results], default=str))
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(script: str, *args: str) -> dict[str, object]:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    record: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return record


def run(quick: bool) -> list[Measurement]:
    rows = 200_000 if quick else 10_000_000
    data = school(rows)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        engine_out, pandas_out = Path(tmp) / "engine.json", Path(tmp) / "pandas.json"
        ours = _child(_ENGINE, str(data), str(engine_out))
        print(f"engine: {json.dumps({k: v for k, v in ours.items() if k != 'columns'})}", file=sys.stderr, flush=True)
        theirs = _child(_PANDAS, str(data), str(pandas_out), json.dumps(ours["columns"]))
        if json.loads(engine_out.read_text()) != json.loads(pandas_out.read_text()):
            raise RuntimeError("the pandas pack and the engine disagree")
    seconds, scan = float(ours["seconds"]), float(ours["hash_scan"])  # type: ignore[arg-type]
    pandas_seconds, peak = float(theirs["seconds"]), float(ours["peak_mb"])  # type: ignore[arg-type]
    label = f"{ours['specs']} metrics over {rows:,} applications ({ours['queries']} queries)"
    detail = (f"rows {ours['rows']}; min/max scan {float(ours['minmax_scan']):.2f} s "  # type: ignore[arg-type]
              f"(ratio {seconds / float(ours['minmax_scan']):.2f}); pandas peak {float(theirs['peak_mb']):.0f} MB")  # type: ignore[arg-type]
    return [
        Measurement(f"standard pack: {label}", seconds, "s", "≤ 10 s", seconds <= 10.0, detail=detail),
        Measurement(f"standard pack vs one scan of its columns: {label}", seconds, "s",
                    "≤ 5× a DuckDB hash scan of the columns read", seconds <= 5 * scan, "duckdb hash scan", scan,
                    seconds / scan, detail),
        Measurement(f"standard pack vs pandas: {label}", seconds, "s", "≥ 20× faster than bench/pandas_pack.py",
                    pandas_seconds >= 20 * seconds, "pandas groupby pack", pandas_seconds, pandas_seconds / seconds),
        Measurement(f"peak memory, standard pack over {rows:,} applications", peak, "MB", "≤ 4096 MB",
                    peak <= 4096),
    ]
