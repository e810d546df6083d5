"""Report pack speed (issue 4).

* The whole pack — LCME 3.3, ACGME recruitment and retention and the annual outcomes report, in
  DOCX, XLSX, CSV and HTML (12 files, 6 charts twice: PNG for Word, SVG for the page) — for the
  default-size synthetic school (``generate(dir)`` defaults: 1,700 applications a cycle, 10
  cycles), public audience: at most 10 s, including complementary suppression, the audit,
  rendering and writing. The release cache is cleared first, so every step runs.
* Baseline in the same run: computing the same tables (one pass of the metrics engine over the
  same snapshots, the same counts and metrics) without release or rendering. ``ratio`` = pack /
  baseline. The release alone (suppression and audit of every table together) is reported too.

Setup (not timed): the school is generated and imported into a temporary data directory, and
the libraries are loaded (the first chart conversion starts vl-convert's engine, a once-per-process
cost that a long-running web server does not pay per report). Quick: 300 applications a cycle.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.harness import Measurement, timed
from ristra.services import reports
from ristra.services.imports import import_file
from ristra.services.metrics import MetricsService
from ristra.services.workspace import Settings, Workspace

PACK = ("lcme-3.3", "acgme-recruitment-retention", "annual-outcomes")
FORMATS = ("docx", "xlsx", "csv", "html")
TARGET_SECONDS = 10.0
IMPORT_ORDER = ("applications", "students", "trainees", "employees", "employee_events", "programs", "participants")


def _school(root: Path, quick: bool) -> Workspace:
    from ristra.synth import extract_starts, generate

    paths = generate(root / "source", applications_per_cycle=300) if quick else generate(root / "source")
    workspace = Workspace(Settings(data_dir=root / "data"))
    starts = extract_starts()  # the extracts declare where they start (the reports never guess)
    for name in IMPORT_ORDER:
        result = import_file(workspace, name, paths[name], extract_start=starts.get(name))
        assert result.imported, name
    return workspace


def _warm_libraries() -> None:
    import docx  # noqa: F401
    import vl_convert
    import xlsxwriter  # noqa: F401

    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a"}}})


def _baseline(workspace: Workspace) -> None:
    service = MetricsService(workspace)
    try:
        templates = [reports.load_template(t) for t in PACK]
        reports.compute_sections(workspace, service, templates, service.context())
    finally:
        service.close()


def run(quick: bool) -> list[Measurement]:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root = Path(tmp)
        workspace = _school(root, quick)
        _warm_libraries()
        baseline_seconds, _ = timed(lambda: _baseline(workspace), repeat=1 if quick else 2)
        out_dir = root / "out"
        out_dir.mkdir()

        def pack() -> list[reports.ReportRecord]:
            reports.clear_cache()
            return reports.generate_pack(workspace, PACK, "public", FORMATS, out_dir)

        seconds, records = timed(pack, repeat=1)
        reports.clear_cache()
        start = time.perf_counter()
        found = reports.documents(workspace, PACK, "public")
        release_seconds = time.perf_counter() - start - baseline_seconds
        summary = next(iter(found.values())).summary
        size = "default school (1,700 applications a cycle)" if not quick else "quick school (300 a cycle)"
        return [
            Measurement(
                name=f"report pack, 3 templates x 4 formats, {size}", value=seconds, unit="s",
                target="at most 10 s including suppression and audit", passed=seconds <= TARGET_SECONDS,
                baseline="the same tables computed without release or rendering", baseline_value=baseline_seconds,
                ratio=seconds / baseline_seconds,
                detail=f"{len(records)} files, {summary.cells} counts in {len(summary.tables)} tables, "
                       f"{summary.primary} primary and {summary.secondary} complementary suppressions, "
                       f"audit passed={summary.passed}"),
            Measurement(
                name="release of the pack (suppression + audit, all tables together)",
                value=max(release_seconds, 0.0), unit="s", target="reported (part of the pack's 10 s)", passed=True,
                baseline="the same tables computed without release or rendering", baseline_value=baseline_seconds,
                ratio=max(release_seconds, 0.0) / baseline_seconds,
                detail=f"{summary.rounds} MILP rounds, {summary.cuts} cuts"),
        ]
