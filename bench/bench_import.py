"""Import speed and memory (issue: foundation).

* Importing a 1-million-row applications CSV, validation included: at most 2× the time DuckDB
  takes to copy the same file from CSV to Parquet (same run), and at least 10× faster than the
  pandas ``read_csv`` + row-by-row validation baseline in ``bench/pandas_validation.py``.
* Peak memory importing 10 million rows: at most 2 GB (measured in a child process).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from bench.harness import Measurement, timed

OUT = Path(__file__).resolve().parent / "out"
TODAY = dt.date(2026, 11, 26)


def school_csv(applications: int) -> Path:
    """The synthetic school's applications CSV with about ``applications`` rows (cached)."""
    from ristra.synth import generate

    directory = OUT / f"school-{applications}"
    target = directory / "applications.csv"
    if not target.exists():
        generate(directory, applications_per_cycle=applications // 10, cycles=10)
    return target


def _duckdb_copy(path: Path, work: Path) -> None:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar_print = false")
    target = str(work / "baseline.parquet").replace("'", "''")
    con.execute(f"COPY (SELECT * FROM read_csv(?)) TO '{target}' (FORMAT parquet)", [str(path)])
    con.close()


def _ristra_import(path: Path, work: Path) -> int:
    from ristra.services.imports import import_file
    from ristra.services.workspace import Settings, Workspace

    data_dir = Path(tempfile.mkdtemp(dir=work))
    workspace = Workspace(Settings(data_dir=data_dir, user="bench",
                                   clock=lambda: dt.datetime(2026, 11, 26, tzinfo=dt.UTC)))
    result = import_file(workspace, "applications", path)
    if not result.imported:
        raise RuntimeError(f"benchmark input is invalid: {result.report.issues[:3]}")
    return result.report.row_count


def _peak_memory_mb(path: Path, work: Path) -> float:
    script = (
        "import datetime as dt, json, resource, sys\n"
        "from pathlib import Path\n"
        "from ristra.services.imports import import_file\n"
        "from ristra.services.workspace import Settings, Workspace\n"
        "w = Workspace(Settings(data_dir=Path(sys.argv[2]), user='bench'))\n"
        "r = import_file(w, 'applications', Path(sys.argv[1]))\n"
        "print(json.dumps({'rows': r.report.row_count, 'ok': r.imported,"
        " 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path), str(work / "mem-data")],
                          check=True, capture_output=True, text=True)
    record = json.loads(done.stdout.strip().splitlines()[-1])
    if not record["ok"]:
        raise RuntimeError("the 10-million-row benchmark file did not import")
    return float(record["peak_mb"])


def run(quick: bool) -> list[Measurement]:
    from bench.pandas_validation import validate_with_pandas
    from ristra.core.datasets import APPLICATIONS

    rows = 100_000 if quick else 1_000_000
    path = school_csv(rows)
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        work = Path(tmp)
        base, _ = timed(lambda: _duckdb_copy(path, work), repeat=3)
        ours, count = timed(lambda: _ristra_import(path, work), repeat=3)
        results.append(Measurement(
            f"import {count:,} applications (CSV, validated, snapshot)", ours, "s",
            "≤ 2× DuckDB's own CSV→Parquet copy", ours <= 2 * base, "duckdb COPY csv→parquet", base, ours / base))
        pandas_time, issues = timed(lambda: validate_with_pandas(APPLICATIONS, path, TODAY))
        if issues:
            raise RuntimeError(f"pandas baseline disagrees: {issues[:3]}")
        results.append(Measurement(
            f"import {count:,} applications vs pandas", ours, "s", "≥ 10× faster than pandas row-by-row validation",
            pandas_time >= 10 * ours, "pandas read_csv + row loop", pandas_time, pandas_time / ours))
        big = school_csv(1_000_000 if quick else 10_000_000)
        peak = _peak_memory_mb(big, work)
        results.append(Measurement(
            f"peak memory importing {'1' if quick else '10'} million applications", peak, "MB", "≤ 2048 MB",
            peak <= 2048))
    return results
