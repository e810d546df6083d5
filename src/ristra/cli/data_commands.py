"""Commands over the data spine: synth, validate, import, snapshots, rollback, demo."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ristra.cli import output
from ristra.core.datasets import DATASETS, dataset
from ristra.services import demo, imports
from ristra.services.demo import IMPORT_ORDER as IMPORT_ORDER  # the order the demo imports in (tests use it)
from ristra.services.errors import UnreadableFile
from ristra.services.workspace import Workspace

#: The largest file `validate` and `import` accept, as for the web app's uploads.
MAX_SIZE_ENV = "RISTRA_MAX_UPLOAD_MB"
DEFAULT_MAX_SIZE_MB = 200


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("synth", help="write the synthetic New Mexico school as one CSV per dataset")
    p.add_argument("--out", required=True, type=Path, help="directory to write <dataset>.csv files into")
    p.add_argument("--seed", type=int, default=20250701)
    p.add_argument("--applications-per-cycle", type=int, default=1700)
    p.add_argument("--cycles", type=int, default=10)
    p.set_defaults(handler=cmd_synth, needs_workspace=False)

    for name, help_text, handler in (
        ("validate", "check a file against a dataset without importing it", cmd_validate),
        ("import", "validate a file and publish it as a new snapshot", cmd_import),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("dataset", help=f"one of: {', '.join(DATASETS)}")
        p.add_argument("file", type=Path)
        p.add_argument("--map", type=Path, default=None, help="column map (YAML) for another system's export")
        p.add_argument("--sheet", default=None, metavar="NAME",
                       help="the worksheet of an XLSX workbook to read (default: the first visible one)")
        p.add_argument("--max-size-mb", type=int, default=None, metavar="MB",
                       help=f"largest file accepted (default: ${MAX_SIZE_ENV}, else {DEFAULT_MAX_SIZE_MB}, "
                            "the same limit as the web app's uploads)")
        if name == "import":
            p.add_argument("--extract-start", type=_date, default=None, metavar="YYYY-MM-DD",
                           help="the first day the extract covers (recorded in the snapshot; opens the data window "
                                "of retention and promotion, which refuse to guess it)")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler, needs_workspace=True)

    p = sub.add_parser("snapshots", help="list snapshots (current first) per dataset")
    p.add_argument("dataset", nargs="?", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_snapshots, needs_workspace=True)

    p = sub.add_parser("rollback", help="make an earlier snapshot of a dataset current again")
    p.add_argument("dataset")
    p.add_argument("snapshot_id")
    p.set_defaults(handler=cmd_rollback, needs_workspace=True)

    p = sub.add_parser("demo", help="generate the synthetic school, import it and summarise")
    p.add_argument("--no-serve", action="store_true", help="do not start the web server afterwards")
    p.add_argument("--applications-per-cycle", type=int, default=1700)
    p.add_argument("--seed", type=int, default=20250701)
    p.set_defaults(handler=cmd_demo, needs_workspace=True)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date written YYYY-MM-DD: {text!r}") from None


def cmd_synth(args: argparse.Namespace, workspace: Workspace | None) -> int:
    with _progress() as progress:
        task = progress.add_task("generating", total=None)

        def report(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=total)

        paths = demo.write_synthetic_school(args.out, seed=args.seed,
                                            applications_per_cycle=args.applications_per_cycle,
                                            cycles=args.cycles, progress=report)
    output.rows_table(f"synthetic school written to {args.out}", ("dataset", "file"),
                      [(name, str(path)) for name, path in paths.items()])
    return 0


def max_bytes(flag: int | None, environ: Mapping[str, str]) -> int:
    """The size limit in bytes: ``--max-size-mb``, else ``$RISTRA_MAX_UPLOAD_MB``, else 200 MB."""
    if flag is not None:
        megabytes = flag
    else:
        try:
            megabytes = int(environ.get(MAX_SIZE_ENV, "").strip() or DEFAULT_MAX_SIZE_MB)
        except ValueError:
            raise UnreadableFile(f"{MAX_SIZE_ENV} must be a whole number of megabytes") from None
    if megabytes < 1:
        raise UnreadableFile("the size limit must be at least 1 MB")
    return megabytes * 1024 * 1024


def cmd_validate(args: argparse.Namespace, workspace: Workspace | None) -> int:
    assert workspace is not None
    with _percent_progress(f"validating {args.file.name}") as report_progress:
        report = imports.validate(workspace, args.dataset, args.file, args.map, report=report_progress,
                                  sheet=args.sheet, max_bytes=max_bytes(args.max_size_mb, os.environ))
    if args.json:
        output.print_json([issue.to_dict() for issue in report.issues])
    else:
        output.report_issues(report)
    return 0 if report.valid else 1


def cmd_import(args: argparse.Namespace, workspace: Workspace | None) -> int:
    assert workspace is not None
    with _percent_progress(f"importing {args.file.name}") as report_progress:
        result = imports.import_file(workspace, args.dataset, args.file, args.map, report=report_progress,
                                     sheet=args.sheet, max_bytes=max_bytes(args.max_size_mb, os.environ),
                                     extract_start=args.extract_start)
    if args.json:
        if result.manifest:
            output.print_json({"snapshot_id": result.manifest.snapshot_id, "dataset": result.manifest.dataset,
                               "row_count": result.manifest.row_count,
                               "extract_start": result.manifest.extract_start})
        else:
            output.print_json([issue.to_dict() for issue in result.report.issues])
    elif result.manifest:
        output.console(stderr=True).print(
            f"[green]imported[/] {result.manifest.row_count:,} rows of {result.manifest.dataset}")
        print(result.manifest.snapshot_id)
    else:
        output.report_issues(result.report)
    return 0 if result.imported else 1


def cmd_snapshots(args: argparse.Namespace, workspace: Workspace | None) -> int:
    assert workspace is not None
    store = workspace.snapshots
    names = [dataset(args.dataset).name] if args.dataset else store.datasets()
    entries = [(name, entry) for name in names for entry in reversed(store.history(name))]
    if args.json:
        output.print_json([{"dataset": name, **entry.to_dict()} for name, entry in entries])
        return 0
    output.rows_table(
        "snapshots", ("dataset", "snapshot", "current", "rows", "source", "extract start", "imported by",
                      "imported at"),
        [(name, e.manifest.snapshot_id, "yes" if e.is_current else "", f"{e.manifest.row_count:,}",
          e.manifest.source_name, e.manifest.extract_start or "", e.manifest.imported_by, e.manifest.imported_at)
         for name, e in entries],
    )
    return 0


def cmd_rollback(args: argparse.Namespace, workspace: Workspace | None) -> int:
    assert workspace is not None
    manifest = imports.rollback(workspace, args.dataset, args.snapshot_id)
    output.console().print(f"{manifest.dataset} now at snapshot {manifest.snapshot_id} ({manifest.row_count:,} rows)")
    return 0


def cmd_demo(args: argparse.Namespace, workspace: Workspace | None) -> int:
    assert workspace is not None
    with _progress() as progress:
        task = progress.add_task("generating the synthetic school", total=None)

        def report(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=total)

        summary = demo.import_demo(workspace, seed=args.seed, applications_per_cycle=args.applications_per_cycle,
                                   progress=report)
    if summary.report is not None:
        output.report_issues(summary.report)
        return 1
    rows = [(d.dataset, f"{d.rows:,}", d.snapshot_id) for d in summary.datasets]
    output.rows_table(f"demo data imported into {workspace.root}", ("dataset", "rows", "snapshot"), rows)
    if summary.links:
        tiers = ("linked by identifier", "linked", "review", "not linked")
        output.rows_table("rosters linked (`ristra link status` names the runs)", ("linked to", *tiers),
                          [(link.identities, *(f"{link.counts.get(t, 0):,}" for t in tiers))
                           for link in summary.links])
    if not args.no_serve:
        from ristra.cli.web_commands import serve_demo

        return serve_demo(workspace.root)
    return 0


@contextlib.contextmanager
def _percent_progress(title: str) -> Iterator[Callable[[str, float], None]]:
    """A Rich progress bar in percent, fed by the import's ``report(step, percent)``."""
    with _progress() as progress:
        task = progress.add_task(title, total=100)

        def report(step: str, percent: float) -> None:
            progress.update(task, description=f"{title}: {step}", completed=percent)

        yield report


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    transient=True, console=output.console(stderr=True))
