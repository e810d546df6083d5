"""``ristra link``: run the linkage of the participants roster, its status, and offline review.

Exit codes follow :mod:`ristra.cli.main`: 0 success; 1 a decisions or labels file with problems
(each listed with its line and column, never a cell's value; nothing recorded); 2 an unusable
request (no roster or identities imported, a roster without any linkage field, a field of the
wrong kind, no run yet, an empty review queue). Messages name datasets, columns and rows only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ristra.cli import outcome_commands, output
from ristra.core.linkage import LinkageInputError
from ristra.services.errors import LinkRunError
from ristra.services.linkage import DEFAULT_REVIEW_BAND, DEFAULT_TARGET, LINK_TARGETS, LinkageService
from ristra.services.workspace import Workspace


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("link", help="record linkage of the participants roster: run, status, review export/import",
                       description="See docs/linkage.md.")
    lsub = p.add_subparsers(dest="link_command", metavar="run|status|review-export|review-import|outcomes",
                            required=True)

    def target(c: argparse.ArgumentParser) -> None:
        c.add_argument("--to", default=DEFAULT_TARGET, choices=tuple(LINK_TARGETS),
                       help=f"the identity dataset to link to (default {DEFAULT_TARGET})")

    c = lsub.add_parser("run", help="link the current roster to the current identities (if either changed)")
    target(c)
    c.add_argument("--labels", type=Path, help="CSV of participant_id,person_id to calibrate the threshold on")
    c.add_argument("--threshold", type=float, help="a fixed match-weight threshold instead of a calibrated one")
    c.add_argument("--review-band", type=float, default=DEFAULT_REVIEW_BAND,
                   help="bits either side of the threshold that go to review")
    c.add_argument("--force", action="store_true", help="run even if no input changed")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_run, needs_workspace=True)
    c = lsub.add_parser("status", help="the run in force, whether its inputs changed, tiers, decisions, queue")
    target(c)
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_status, needs_workspace=True)
    c = lsub.add_parser("review-export", help="write the review queue as CSV (holds linkage fields: keep it safe)")
    target(c)
    c.add_argument("file", type=Path)
    c.set_defaults(handler=cmd_export, needs_workspace=True)
    c = lsub.add_parser("review-import", help="record the decisions of a reviewed queue file")
    target(c)
    c.add_argument("file", type=Path)
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_import, needs_workspace=True)
    outcome_commands.add_parser(lsub)


def _service(workspace: Workspace | None, args: argparse.Namespace) -> LinkageService:
    assert workspace is not None
    return LinkageService(workspace, args.to)


def _problems(error: Exception, as_json: bool) -> int:
    problems = getattr(error, "problems", ())
    if as_json:
        output.print_json({"valid": False, "message": str(error), "problems": [p.to_dict() for p in problems]})
    else:
        output.rows_table(str(error), ("line", "column", "problem"), ((p.line, p.column, p.message) for p in problems))
    return 1


def cmd_run(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.services.linkage_review import DecisionFileError, read_labels

    try:
        service = _service(workspace, args)
        labels = read_labels(args.labels) if args.labels else None
        done = service.run(labels=labels, label_source=f"labels file {args.labels.name}" if args.labels else None,
                           threshold=args.threshold, review_band=args.review_band, force=args.force)
    except DecisionFileError as error:
        return _problems(error, args.json)
    except (LinkageInputError, LinkRunError) as error:
        output.error(str(error))
        return 2
    if args.json:
        output.print_json(done.to_dict())
        return 0
    record = done.run.record
    if not done.rerun:
        output.console().print(f"run {done.run.run_id} of {record.link} is in force: {done.reason}")
        return 0
    how = {"calibrated": f"calibrated on {record.calibration['labelled_rows'] if record.calibration else 0} "
                         f"labelled rows ({record.label_source})",
           "given": "given", "default": "the uncalibrated default (too few labels)"}.get(
        record.threshold_source, record.threshold_source)
    output.console().print(f"published run {done.run.run_id} of {record.link} ({done.reason}); "
                           f"threshold {record.threshold:.2f}, {how}")
    output.rows_table("links by tier", ("tier", "rows"), sorted(record.counts.items()))
    return 0


def cmd_status(args: argparse.Namespace, workspace: Workspace | None) -> int:
    try:
        status = _service(workspace, args).status()
    except (LinkageInputError, LinkRunError) as error:
        output.error(str(error))
        return 2
    if args.json:
        output.print_json(status.to_dict())
        return 0
    if status.run is None:
        output.console().print(f"{status.link} has not been run yet; run it with `ristra link run`")
        return 0
    record = status.run.record
    output.console().print(
        f"run {status.run.run_id} of {status.link} by {record.created_by} at {record.created_at}; threshold "
        f"{record.threshold:.2f} ({record.threshold_source}); "
        + ("STALE: an input snapshot changed since; run `ristra link run`" if status.stale else "inputs unchanged"))
    output.rows_table("inputs", ("dataset", "run pinned to", "current"),
                      ((k, v, status.current_inputs.get(k)) for k, v in sorted(record.inputs.items())))
    output.rows_table("links in force by tier", ("tier", "rows"), status.tiers.items())
    output.console().print(f"{status.decisions} clerical decision(s); {status.queue} pair(s) in the review queue")
    return 0


def cmd_export(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.services.linkage_review import export_queue

    try:
        written = export_queue(_service(workspace, args), args.file)
    except (LinkageInputError, LinkRunError) as error:
        output.error(str(error))
        return 2
    output.console().print(f"wrote {written} pair(s) to {output.escape(str(args.file))} (owner-only: it holds "
                           "names, birth dates and e-mails; delete it after the review)")
    return 0


def cmd_import(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.services.linkage_review import DecisionFileError, import_decisions

    try:
        done = import_decisions(_service(workspace, args), args.file)
    except DecisionFileError as error:
        return _problems(error, args.json)
    except (LinkageInputError, LinkRunError) as error:
        output.error(str(error))
        return 2
    if args.json:
        output.print_json(done.to_dict())
    else:
        output.console().print(f"recorded {done.recorded} decision(s); {done.skipped} row(s) without a decision skipped")
    return 0
