"""Run every benchmark module (``bench/bench_*.py``), print a table and write JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("only", nargs="*", help="module names to run (e.g. bench_import)")
    args = parser.parse_args(argv)
    names = args.only or sorted(p.stem for p in HERE.glob("bench_*.py"))
    results = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        for m in module.run(args.quick):
            results.append(m.to_dict())
            flag = "PASS" if m.passed else "FAIL"
            ratio = f" ratio {m.ratio:.2f} vs {m.baseline}" if m.ratio is not None else ""
            print(f"[{flag}] {m.name}: {m.value:.3f} {m.unit}{ratio} — target: {m.target}", flush=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    record = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {platform.processor()} python {platform.python_version()}",
        "quick": args.quick,
        "results": results,
    }
    (out / "latest.json").write_text(json.dumps(record, indent=2))
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
