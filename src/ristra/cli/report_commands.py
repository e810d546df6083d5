"""``ristra report``: make a report from a template, or list the templates.

    ristra report TEMPLATE --format docx|xlsx|csv|html --audience public|internal --out PATH
    ristra report --list

TEMPLATE is a shipped template id (see ``--list``) or a template file (``.yaml``). Exit codes
follow :mod:`ristra.cli.main`: 0 the report was written; 2 an unusable request (unknown template,
metric, category, format or audience; a threshold below 1; no data imported; a missing output
directory; a release that cannot be made safe) — nothing is written at the output path then.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ristra.cli import output
from ristra.services.workspace import Workspace


class _ListTemplates(argparse.Action):
    """``--list``: listing needs no data directory (none is created)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        namespace.list = True
        namespace.needs_workspace = False


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="make a report (LCME 3.3, ACGME, annual outcomes) or list the templates",
                       description="Make a report from a template over the current snapshots, with every table "
                                   "protected by disclosure control. See docs/reports.md.")
    p.add_argument("template", nargs="?", metavar="TEMPLATE", help="template id (see --list) or a template file")
    p.add_argument("--list", action=_ListTemplates, nargs=0, default=False, help="list the templates")
    p.add_argument("--format", dest="fmt", choices=("docx", "xlsx", "csv", "html"), default="docx")
    p.add_argument("--audience", choices=("public", "internal"), default="public",
                   help="public: counts 1-10 protected; internal: 1-4 (default: public)")
    p.add_argument("--threshold", type=int, default=None, help="another threshold for the audience (at least 1)")
    p.add_argument("--out", type=Path, help="output file (default: TEMPLATE.FORMAT in the current directory)")
    p.add_argument("--json", action="store_true", help="print the report's record (or the list) as JSON")
    p.set_defaults(handler=cmd_report, needs_workspace=True)


def cmd_report(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.core.disclosure import DisclosureError, PolicyError
    from ristra.core.metrics.errors import MetricError
    from ristra.core.tables import TableError
    from ristra.services import reports
    from ristra.services.errors import TemplateError

    if args.list:
        found = reports.list_templates()
        if args.json:
            output.print_json([t.to_dict() for t in found])
        else:
            output.rows_table("report templates", ("id", "version", "title"),
                              [(t.id, t.version, t.title) for t in found])
        return 0
    if not args.template:
        output.error("name a TEMPLATE (see `ristra report --list`)")
        return 2
    assert workspace is not None
    name = Path(args.template).stem if str(args.template).endswith((".yaml", ".yml")) else args.template
    out = args.out or Path(f"{name}.{args.fmt}")
    try:
        record = reports.generate(workspace, args.template, args.audience, args.fmt, out, threshold=args.threshold)
    except (reports.ReportError, TemplateError, PolicyError, MetricError, TableError) as error:
        output.error(str(error))
        return 2
    except DisclosureError as error:
        output.error(f"the release could not be made safe, so nothing was written: {error}")
        return 2
    if args.json:
        output.print_json(record.to_dict())
        return 0
    summary = record.suppression
    output.console().print(
        f"{record.title} (template {record.template_id} v{record.template_version}, {record.audience}) written to "
        f"{output.escape(str(record.path))}\n"
        f"  {summary.get('report_suppressed', 0):,} of {summary.get('report_cells', 0):,} counts suppressed; "
        f"disclosure audit {'passed' if summary.get('passed') else 'FAILED'}; category version "
        f"{record.category_version}; sha256 {record.sha256}")
    return 0
