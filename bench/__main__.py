"""Run the benchmark modules (``bench/bench_*.py``), print each target, and record the figures.

Each module's results are written to ``bench/results/<module>.json`` (committed); ``docs/benchmarks.md`` is
then rebuilt from every module's latest record (so running one module updates its own
section only). ``--quick`` uses small sizes for a smoke run and writes nothing to docs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOCS = HERE.parent / "docs" / "benchmarks.md"
#: hand-written: the design decisions that rest on a measurement (appended to the page as is)
HISTORY = HERE / "history.md"


def machine() -> str:
    """CPU model, cores and memory of this machine, for the record."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal"))
        memory = f"{memory_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    versions = ", ".join(f"{name} {_version(name)}" for name in ("duckdb", "numpy", "scipy", "pandas"))
    return (f"{model}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}, {platform.system()}; "
            f"{versions}")


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def render_docs() -> str:
    lines = [
        "# Benchmarks",
        "",
        "Speed and memory targets, each measured against a named baseline **in the same run** (machines",
        "are noisy; the ratio is what is compared). Run them all with `make bench`, one with",
        "`make bench ONLY=bench_import`; this page is rebuilt from `bench/results/*.json` by each run.",
        "The machine is a shared virtual machine: absolute times of the same DuckDB scan have differed by",
        "up to 2.6× between sessions, so an absolute target (seconds) can pass one day and fail the next;",
        "the ratios move far less. Each section names the library versions it ran with.",
        "",
    ]
    for record_path in sorted(RESULTS.glob("bench_*.json")):
        record = json.loads(record_path.read_text())
        lines += [f"## {record['module']}", "", f"{record['date']} on {record['machine']}.", "",
                  "| result | measured | target | baseline (same run) | ratio |", "|---|---|---|---|---|"]
        for r in record["results"]:
            mark = "✅" if r["passed"] else "❌"
            base = f"{r['baseline']}: {r['baseline_value']:.3f} {r['unit']}" if r.get("baseline") else "—"
            ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "—"
            detail = f" ({r['detail']})" if r.get("detail") else ""
            lines.append(f"| {mark} {r['name']}{detail} | {r['value']:.3f} {r['unit']} | {r['target']} | {base} | {ratio} |")
        lines.append("")
    lines.append(HISTORY.read_text(encoding="utf-8").rstrip("\n"))
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run (docs untouched)")
    parser.add_argument("only", nargs="*", help="module names to run (e.g. bench_import)")
    args = parser.parse_args(argv)
    names = args.only or sorted(p.stem for p in HERE.glob("bench_*.py"))
    RESULTS.mkdir(exist_ok=True)
    all_passed = True
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        results = []
        for m in module.run(args.quick):
            results.append(m.to_dict())
            all_passed &= m.passed
            flag = "PASS" if m.passed else "FAIL"
            ratio = f" ratio {m.ratio:.2f} vs {m.baseline}" if m.ratio is not None else ""
            print(f"[{flag}] {m.name}: {m.value:.3f} {m.unit}{ratio} — target: {m.target}", flush=True)
        if not args.quick:
            record = {"module": name, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                      "machine": machine(), "results": results}
            (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2))
    if not args.quick:
        DOCS.write_text(render_docs(), encoding="utf-8")
        print(f"wrote {DOCS.relative_to(HERE.parent)}")
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
