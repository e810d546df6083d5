"""Commands over the metrics: ``query``, ``categories`` and ``categories check``.

Exit codes follow :mod:`ristra.cli.main`: 0 success; 1 an invalid categories file; 2 an unusable
request (unknown metric, dataset, category or column; no data imported yet).
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence
from pathlib import Path

from ristra.cli import output
from ristra.core.metrics.specs import METRICS, MetricSpec, make_spec
from ristra.core.stats.multiplicity import ADJUSTMENTS
from ristra.services.workspace import Settings, Workspace, resolve_data_dir

#: The row keys shown on the terminal for each metric (``--json`` prints every key).
SHOWN: dict[str, tuple[str, ...]] = {
    "representation": ("level", "count", "total", "share", "lower", "upper", "small_number"),
    "representation-ratio": ("stage", "reference", "benchmark_year", "count", "known", "share", "reference_share",
                             "ratio", "ratio_lower", "ratio_upper", "ratio_unknown_low", "ratio_unknown_high",
                             "small_number"),
    "path": ("stage", "count", "known", "unknown", "share", "lower", "upper", "ratio_to_state",
             "ratio_to_previous", "small_number"),
    "funnel": ("level", "stage", "count", "conversion", "lower", "upper", "small_number"),
    "selection-ratio": ("stage", "scope", "group", "reference_group", "rate", "reference_rate", "impact_ratio",
                        "below_four_fifths", "fisher_p", "family_test", "adjusted_p", "stratified_p", "small_number"),
    "graduation": ("level", "outcome", "count", "total", "rate", "lower", "upper", "complete", "small_number"),
    "retention": ("population", "level", "measure", "horizon", "estimate", "lower", "upper", "n", "events",
                  "logrank_p", "small_number"),
    "promotion": ("population", "level", "measure", "horizon", "estimate", "lower", "upper", "n", "events",
                  "logrank_p", "small_number"),
    "trend": ("year", "level", "count", "total", "share", "lower", "upper", "trend_p", "clustered_p"),
}
_METRIC_DATASET = {"funnel": "applications", "selection-ratio": "applications", "retention": "employees",
                   "promotion": "employees"}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("query", help="compute a metric over the current snapshots",
                       description=f"METRIC is one of: {', '.join(METRICS)}. Options a metric does not take are "
                                   "refused. See docs/metrics.md.")
    p.add_argument("metric", metavar="METRIC")
    p.add_argument("--category", help="category id, two crossed (a*b) or race:ipeds / race:nm_school / race:aoic "
                                      "(default: every category that applies)")
    p.add_argument("--dataset", help="dataset (representation, representation-ratio, trend, graduation)")
    p.add_argument("--by", nargs="+", metavar="COL", help="grouping columns, e.g. cycle program")
    p.add_argument("--stage", help="application stage (representation-ratio)")
    p.add_argument("--stages", nargs="+", help="selection stages (selection-ratio)")
    p.add_argument("--population", help="all_ages, 18_plus or 20_34 (the benchmark's ages: ratios, path); faculty, "
                                        "staff, senior_administrative or all (retention)")
    p.add_argument("--benchmark-year", type=int, help="census or ACS year of the benchmark (ratios, path; default: "
                                                      "nearest each row's year, else the latest)")
    p.add_argument("--counting", help="applications (default), first or latest: one application per person "
                                      "(funnel, selection-ratio)")
    p.add_argument("--from-cycle", type=int, help="first cycle counted (funnel, selection-ratio)")
    p.add_argument("--to-cycle", type=int, help="last cycle counted (funnel, selection-ratio)")
    p.add_argument("--repeat-applicants", help="cluster (default: tests clustered by person) or ignore "
                                               "(selection-ratio, trend)")
    p.add_argument("--geography", help="benchmark geography: NM, US or a county FIPS")
    p.add_argument("--within", nargs="+", type=int, help="graduation within these years")
    p.add_argument("--horizon", nargs="+", type=float, dest="horizons", help="years for retention/promotion")
    p.add_argument("--window-start", help="start of the employee data window, YYYY-MM-DD (default: the extract "
                                          "start declared with the import; retention and promotion refuse without one)")
    p.add_argument("--as-of", help="end of the data, YYYY-MM-DD")
    p.add_argument("--year", help="year column (trend)")
    p.add_argument("--confidence", type=float)
    p.add_argument("--min-reference-size", type=int, help="smallest known group that may be the reference "
                                                          "(selection-ratio; default 30)")
    p.add_argument("--adjustment", metavar="{" + ",".join(ADJUSTMENTS) + "}",
                   help="multiplicity correction over every test of a result (selection-ratio): holm (default, "
                        "family-wise error rate) or bh (Benjamini–Hochberg, false discovery rate)")
    p.add_argument("--json", action="store_true", help="print a list of row objects (keys: docs/metrics.md)")
    p.set_defaults(handler=cmd_query, needs_workspace=True)

    p = sub.add_parser("categories", help="list the category definitions and their versions")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_categories, needs_workspace=True)
    csub = p.add_subparsers(dest="categories_command", metavar="check")
    c = csub.add_parser("check", help="validate a category definitions file (YAML or JSON)")
    c.add_argument("file", type=Path)
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_categories_check, needs_workspace=False)


def _options(args: argparse.Namespace) -> dict[str, object]:
    names = ("dataset", "by", "stage", "stages", "population", "geography", "within", "horizons", "window_start",
             "as_of", "year", "confidence", "min_reference_size", "adjustment", "benchmark_year", "counting",
             "from_cycle", "to_cycle", "repeat_applicants")
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}


def _specs(args: argparse.Namespace, service: object) -> list[MetricSpec]:
    from ristra.services.metrics import MetricsService

    assert isinstance(service, MetricsService)
    options = _options(args)
    if args.category:
        return [make_spec(args.metric, category=args.category, **options)]
    template = make_spec(args.metric, category="_", **options)
    dataset = getattr(template, "dataset", _METRIC_DATASET.get(template.metric))
    categories = service.categories()
    chosen = [d.id for d in categories.definitions if dataset is None or d.applies_to(dataset)]
    return [make_spec(args.metric, category=c, **options) for c in chosen]


def cmd_query(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.services.metrics import MetricsService

    assert workspace is not None
    service = MetricsService(workspace, require_declared_window=True)
    try:
        specs = _specs(args, service)
        with output.console(stderr=True).status(f"computing {args.metric}…"):
            results = service.compute_many(specs)
    finally:
        service.close()
    err = output.console(stderr=True)
    for result in results:
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {output.escape(warning)}")
    if args.json:  # rows on standard output; the notes (e.g. overlapping groups) on standard error
        for result in results:
            for note in result.notes:
                err.print(f"note: {output.escape(note)}")
        output.print_json([record for r in results for record in r.records()])
        return 0
    for result in results:
        records = result.records()
        by = [k for k in (records[0] if records else {}) if k in getattr(result.spec, "by", ())
              or k in ("matriculation_year", "start_year")]
        columns = [*by, *(k for k in SHOWN[result.metric] if k not in by)]
        snapshots = ", ".join(f"{s.dataset} {s.snapshot_id}" for s in result.snapshots)
        output.rows_table(f"{result.metric} — {result.spec.category} (categories v{result.category_version}; "
                          f"{snapshots})", columns, [[_cell(r.get(c)) for c in columns] for r in records])
        for note in result.notes:
            err.print(f"[dim]note: {output.escape(note)}[/]")
        err.print(f"[dim]method: {output.escape(result.method)}[/]")
    return 0


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def cmd_categories(args: argparse.Namespace, workspace: Workspace | None) -> int:
    assert workspace is not None
    store = workspace.categories
    current = store.current()
    versions = store.versions()
    if args.json:
        output.print_json({
            "version": current.version,
            "categories": [d.to_dict() for d in current.definitions],
            "versions": [{"version": v.version, "author": v.author, "created_at": v.created_at, "reason": v.reason}
                         for v in versions],
        })
        return 0
    output.rows_table(f"categories, version {current.version}", ("id", "label", "datasets", "benchmark", "rule"),
                      [(d.id, d.label, ", ".join(d.datasets), d.benchmark_key or "", _short(d.rule))
                       for d in current.definitions])
    output.rows_table("versions", ("version", "author", "created at", "reason"),
                      [(v.version, v.author, v.created_at, v.reason) for v in reversed(versions)])
    return 0


def _short(rule: str, width: int = 70) -> str:
    text = " ".join(rule.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_categories_check(args: argparse.Namespace, workspace: Workspace | None) -> int:
    from ristra.core.categories import CategorySet
    from ristra.services.categories import check_definitions_file

    if not args.file.is_file():
        raise FileNotFoundError(2, "no such file", str(args.file))
    checked = check_definitions_file(args.file)
    problems = checked.problems
    if problems:
        if args.json:
            output.print_json([p.to_dict() for p in problems])
        else:
            output.rows_table(f"{len(problems)} problem(s) in {args.file}", ("category", "field", "position", "message"),
                              [(p.category, p.field, "" if p.position is None else p.position, p.message)
                               for p in problems])
            output.console(stderr=True).print("[red]invalid[/]: nothing was changed")
        return 1
    definitions = checked.definitions
    warnings = _data_warnings(args, CategorySet(1, definitions, "check", "", "check"))
    if args.json:
        output.print_json({"valid": True, "categories": len(definitions), "warnings": warnings})
        return 0
    for warning in warnings:
        output.console(stderr=True).print(f"[yellow]warning:[/] {output.escape(warning)}")
    output.console().print(f"[green]valid[/]: {len(definitions)} categories in {output.escape(str(args.file))}")
    return 0


def _data_warnings(args: argparse.Namespace, candidate: object) -> list[str]:
    """Warnings (matches nobody, always true, …) from trying the candidate on the current data,
    when a data directory with data exists; nothing is written."""
    from ristra.core.categories import CategorySet
    from ristra.core.metrics.specs import PERSON_DATASETS, RepresentationSpec
    from ristra.services.metrics import MetricsService

    assert isinstance(candidate, CategorySet)
    root = resolve_data_dir(args.data_dir, os.environ)
    if not (root / "snapshots").is_dir():
        return []
    service = MetricsService(Workspace(Settings(data_dir=root)))
    try:
        present = service.current_files()
        specs: Sequence[MetricSpec] = [RepresentationSpec(d.id, ds) for d in candidate.definitions
                                       for ds in PERSON_DATASETS if ds in present and d.applies_to(ds)]
        results = service.compute_many(specs, categories=candidate)
    finally:
        service.close()
    return [w for r in results for w in r.warnings]
