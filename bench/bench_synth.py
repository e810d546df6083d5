"""Generator speed and memory (issue: foundation).

* The synthetic school with 10 million application rows (quick: 200,000) is generated in a child
  process: target at most 120 s. The whole school is written — applications plus every dataset
  that scales with it — and the time until the applications file is complete is reported too.
* Peak resident memory of that child (its own ``ru_maxrss``): bounded by the chunk size, not the
  row count.
* Baseline in the same run: the time PyArrow alone takes to write the same number of rows of
  pre-built random columns shaped like the applications file (same column count and types) to
  CSV, also in a child process. ``ratio`` = generator / raw write.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import Measurement

TARGET_SECONDS = 120.0

_GENERATE = """
import json, resource, sys, time
from pathlib import Path
from ristra.synth import generate
marks = {}
start = time.perf_counter()
def progress(step, done, total):
    if step == "applications" and done == total:
        marks.setdefault("applications", time.perf_counter() - start)
paths = generate(Path(sys.argv[1]), applications_per_cycle=int(sys.argv[2]), cycles=10, progress=progress)
seconds = time.perf_counter() - start
with paths["applications"].open("rb") as handle:
    rows = sum(1 for _ in handle) - 1
print(json.dumps({
    "seconds": seconds,
    "applications_seconds": marks.get("applications", seconds),
    "rows": rows,
    "bytes": sum(p.stat().st_size for p in paths.values()),
    "applications_bytes": paths["applications"].stat().st_size,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

_RAW_WRITE = """
import json, resource, sys, time
import numpy as np, pyarrow as pa, pyarrow.csv as pacsv
rows, chunk = int(sys.argv[2]), 250_000
rng = np.random.default_rng(1)
n = min(rows, chunk)
def codes(k):
    return pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, k, n, dtype=np.int32)),
                                          pa.array([f"value{i}" for i in range(k)]))
columns = {}
columns["application_id"] = pa.array([f"A2025-{i:07d}" for i in range(n)])
columns["person_id"] = pa.array([f"P{i:09d}" for i in range(n)])
for i in range(19):  # coded demographic and geography columns
    columns[f"code{i}"] = codes(8 + i * 20)
columns["birth_year"] = pa.array(rng.integers(1960, 2004, n).astype(np.int16))
columns["cycle"] = pa.array(np.full(n, 2025, dtype=np.int16))
for i in range(3):
    columns[f"date{i}"] = pa.array(rng.integers(16000, 20000, n).astype(np.int32)).cast(pa.date32())
for i in range(6):
    columns[f"flag{i}"] = pa.array(rng.random(n) < 0.3)
for i in range(4):
    columns[f"more{i}"] = codes(4)
batch = pa.record_batch(list(columns.values()), names=list(columns))
start = time.perf_counter()
with pacsv.CSVWriter(sys.argv[1], batch.schema,
                     write_options=pacsv.WriteOptions(quoting_style="none")) as writer:
    written = 0
    while written < rows:
        part = batch.slice(0, min(n, rows - written))
        writer.write_batch(part)
        written += part.num_rows
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": written, "columns": batch.num_columns,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(script: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True)
    record: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return record


def run(quick: bool) -> list[Measurement]:
    """Generate the school at 10 million (quick: 200,000) application rows and compare with a raw
    PyArrow CSV write of the same number of rows."""
    target_rows = 200_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory(prefix="ristra-bench-synth-") as tmp:
        work = Path(tmp)
        generated = _child(_GENERATE, str(work / "school"), str(target_rows // 10))
        rows = int(generated["rows"])
        for path in (work / "school").iterdir():
            path.unlink()  # free the disk before the baseline
        raw = _child(_RAW_WRITE, str(work / "raw.csv"), str(rows))
    ratio = generated["seconds"] / raw["seconds"]
    size = f"{rows:,} application rows"
    detail = (
        f"{size}; applications file complete after {generated['applications_seconds']:.1f} s "
        f"({generated['applications_bytes'] / 1e9:.2f} GB); all datasets {generated['bytes'] / 1e9:.2f} GB; "
        f"raw PyArrow write of {int(raw['columns'])} pre-built columns {raw['seconds']:.1f} s"
    )
    limit = TARGET_SECONDS * (rows / 10_000_000) if quick else TARGET_SECONDS
    return [
        Measurement(
            name=f"synth: generate the school ({size})",
            value=generated["seconds"],
            unit="s",
            target=f"at most {limit:.0f} s" + (" (pro rata)" if quick else " for 10 million application rows"),
            passed=generated["seconds"] <= limit,
            baseline="pyarrow raw CSV write, same rows",
            baseline_value=raw["seconds"],
            ratio=ratio,
            detail=detail,
        ),
        Measurement(
            name=f"synth: peak memory ({size})",
            value=generated["peak_mb"],
            unit="MB",
            target="bounded by the chunk size: at most 2,000 MB",
            passed=generated["peak_mb"] <= 2000,
            baseline="pyarrow raw CSV write, same rows",
            baseline_value=raw["peak_mb"],
            ratio=generated["peak_mb"] / raw["peak_mb"],
        ),
    ]
