"""``ristra plan``: import, export, status and close-cycle of the strategic plan.

``status`` prints the plan scorecard of one audience's protected publication (``--audience``,
default ``internal``: the command line is an analyst's tool, like ``ristra query``), every value
and status computed from released counts only, or withheld with them; ``--history`` adds the
statuses frozen in every closed cycle for that audience. ``--unreleased`` is the analyst's
working view of the live, unprotected values, and says so above and in ``--json``.
``close-cycle`` freezes the released statuses of every audience.

Exit codes follow :mod:`ristra.cli.main`: 0 success; 1 a plan file with problems (each listed
with its line, item and field; nothing stored); 2 an unusable request (unknown plan, a stale
edit, a cycle already closed).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from ristra.cli import output
from ristra.core.plan import PlanFileError
from ristra.services.errors import StalePlanError, UnknownPlanError
from ristra.services.workspace import Workspace

if TYPE_CHECKING:
    from ristra.services.plans import ClosedStatus, PlanService


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plan",
        help="the strategic plan: import, export, status, close-cycle",
        description="See docs/plan.md.",
    )
    psub = p.add_subparsers(dest="plan_command", metavar="import|export|status|close-cycle", required=True)
    c = psub.add_parser("import", help="check a plan file (YAML) and store it as the plan's next version")
    c.add_argument("file", type=Path, nargs="?", help="the plan file (omit with --demo)")
    c.add_argument("--demo", action="store_true", help="import the synthetic school's demo plan")
    c.add_argument("--reason", default="", help="why (recorded with the version; required)")
    c.add_argument("--expected-version", type=int, help="refuse if the plan's current version is not this")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_import, needs_workspace=True)
    c = psub.add_parser("export", help="print a plan as YAML")
    c.add_argument("plan_id")
    c.add_argument("--version", type=int)
    c.set_defaults(handler=cmd_export, needs_workspace=True)
    c = psub.add_parser("status", help="every measure's status, projection and what it would take, from the "
                                       "audience's protected publication")
    c.add_argument("plan_id")
    c.add_argument("--audience", choices=("public", "internal"), default="internal",
                   help="whose publication the statuses come from (default: internal)")
    c.add_argument("--history", action="store_true", help="also the statuses frozen in every closed cycle")
    c.add_argument("--unreleased", action="store_true",
                   help="analysts only: the live values before disclosure control (not for sharing)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_status, needs_workspace=True)
    c = psub.add_parser(
        "close-cycle", help="freeze the statuses of a cycle with the snapshots they came from"
    )
    c.add_argument("plan_id")
    c.add_argument("--cycle", help="the cycle's name (default: the plan's cycle)")
    c.add_argument("--reason", default="")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_close_cycle, needs_workspace=True)


def _service(workspace: Workspace | None) -> PlanService:
    from ristra.services.plans import PlanService

    assert workspace is not None
    return PlanService(workspace)


def _problems(error: PlanFileError, as_json: bool) -> int:
    if as_json:
        output.print_json({"valid": False, "problems": [p.to_dict() for p in error.problems]})
    else:
        output.rows_table(
            f"{len(error.problems)} problem(s) in the plan; nothing was stored",
            ("line", "item", "field", "message"),
            (("" if p.line is None else p.line, p.item, p.field, p.message) for p in error.problems),
        )
    return 1


def _refused(error: Exception) -> int:
    output.error(str(error))
    return 2


def cmd_import(args: argparse.Namespace, workspace: Workspace | None) -> int:
    if not args.reason.strip():
        output.error("say why with --reason (it is recorded with the plan's version)")
        return 2
    if (args.file is None) == (not args.demo):
        output.error("give a plan file or --demo")
        return 2
    service = _service(workspace)
    try:
        if args.demo:
            stored = service.import_demo(args.reason, args.expected_version)
        else:
            stored = service.import_file(args.file, args.reason, args.expected_version)
    except PlanFileError as error:
        return _problems(error, args.json)
    except (StalePlanError, UnknownPlanError, ValueError) as error:
        return _refused(error)
    finally:
        service.close()
    if args.json:
        output.print_json({"valid": True, "plan_id": stored.plan_id, "version": stored.version})
    else:
        output.console().print(
            f"stored plan {output.escape(stored.plan_id)} version {stored.version} "
            f"({len(stored.plan.measures)} measures)"
        )
    return 0


def cmd_export(args: argparse.Namespace, workspace: Workspace | None) -> int:
    service = _service(workspace)
    try:
        text = service.export_yaml(args.plan_id, args.version)
    except UnknownPlanError as error:
        return _refused(error)
    finally:
        service.close()
    print(text, end="")
    return 0


def _number(value: float | None, digits: int = 3) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


UNRELEASED = ("UNRELEASED: live values before disclosure control, for the analyst's own work; not for sharing "
              "(the statuses anyone may read are those of `ristra plan status` without --unreleased)")


def cmd_status(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.services.plans import ReleasedPlanStatus, cycle_history

    service = _service(workspace)
    try:
        status = service.status(args.plan_id) if args.unreleased else service.released(args.plan_id, args.audience)
        history = cycle_history(service.workspace, args.plan_id, args.audience) if args.history else ()
    except (UnknownPlanError, ValueError) as error:  # ValueError: a PublicationError (nothing to publish)
        return _refused(error)
    finally:
        service.close()
    if args.json:
        data = status.to_dict()
        if args.unreleased:
            data = {"computed_from": "unreleased values", "warning": UNRELEASED, **data}
        if args.history:
            data["history"] = [h.to_dict() for h in history]
        output.print_json(data)
        return 0
    if isinstance(status, ReleasedPlanStatus):
        title = (f"plan {status.plan.id} version {status.plan_version}: {status.audience} publication "
                 f"(threshold {status.threshold}), category version {status.category_version}, "
                 "statuses from released counts")
    else:
        output.error(UNRELEASED)
        title = (f"UNRELEASED: plan {status.plan.id} version {status.plan_version}, "
                 f"category version {status.category_version}")
    rows = []
    for m in status.measures:
        p, need = m.projection, m.need
        rows.append(
            (
                m.measure,
                m.label + (" (entered)" if m.entered else ""),
                _number(m.baseline.value if m.baseline else None),
                _number(m.latest.value if m.latest else None),
                status.plan.measure(m.measure).target.value,
                _number(m.percent_achieved, 3),
                "" if p is None else f"{p.value:.3g} [{p.lower:.3g}, {p.upper:.3g}]",
                "" if p is None else f"{p.probability:.0%}",
                ""
                if need is None
                else (
                    f"{need.additional:+d} of {int(need.total)} ({need.per_year:+.1f}/yr)"
                    if need.additional
                    else "met"
                ),
            )
        )
    output.rows_table(
        title,
        (
            "measure",
            "status",
            "baseline",
            "latest",
            "target",
            "% of change",
            "projected",
            "P(reach)",
            "what it would take",
        ),
        rows,
    )
    output.rows_table(
        "goals and objectives",
        ("item", "status", "getting worse", "without status"),
        ((r.item, r.status, ", ".join(r.failing), ", ".join(r.without_status)) for r in status.rollups),
    )
    if status.unmeasured:
        output.console().print(
            "parent items no measure reaches: " + ", ".join(i.id for i in status.unmeasured)
        )
    if args.history:
        _print_history(history, args.audience)
    return 0


def _print_history(history: tuple[ClosedStatus, ...], audience: str) -> None:
    if not history:
        output.console().print(f"no closed cycle holds {audience} statuses yet")
        return
    output.rows_table(
        f"closed cycles ({audience} statuses, frozen)",
        ("cycle", "closed at", "measure", "status", "value", "snapshots"),
        ((h.cycle, h.closed_at, h.measure, h.label,
          "" if h.value is None else f"{h.value:.3g} ({h.year})",
          ", ".join(f"{d} {s}" for d, s in h.snapshots)) for h in history),
    )


def cmd_close_cycle(args: argparse.Namespace, workspace: Workspace | None) -> int:
    service = _service(workspace)
    try:
        record = service.close_cycle(args.plan_id, args.cycle, args.reason)
    except (UnknownPlanError, StalePlanError, ValueError) as error:  # ValueError: a PublicationError
        return _refused(error)
    except PlanFileError as error:
        return _problems(error, args.json)
    finally:
        service.close()
    if args.json:
        output.print_json(record)
    else:
        for audience, frozen in record["audiences"].items():
            output.console().print(
                f"closed cycle {output.escape(record['cycle'])} of plan {args.plan_id} ({audience}): "
                f"{len(frozen['measures'])} released statuses frozen with "
                f"{len(frozen['snapshots'])} snapshots and category version {frozen['category_version']} "
                f"(threshold {frozen['threshold']})"
            )
    return 0
