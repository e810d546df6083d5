"""Collect what one audience can see of the demo school and attack it (the "before" figure of
issue 12).

Run against any checkout of ristra through ``PYTHONPATH`` (it uses only the release path as it
was at the issue: ``ristra.services.reports.documents`` and ``ristra.web.dashboard.build``)::

    PYTHONPATH=/work/before/src:/work/main/tests python /work/main/tests/support/collect_before.py

For each audience (public k = 11, internal k = 5) it collects every table of every shipped
report template and every dashboard panel under every filter the dashboard offers, with the
unreleased counts (recomputed with the same table builders, before release) and what each count
means, then runs :mod:`support.intruder` on it. With ``--snapshots`` it also corrects one record
(a late separation of one faculty member), imports again, collects the second publication and
attacks both together with ``|after - before| <= 1``.

Dashboard filters: a panel depends on the category and on (path, retention, trend) nothing else,
(funnel) the year and the program, (departments) the department; so every combination of
year x program x department x category yields one of the tables collected from the
combinations (category, year, program) and (category, department). The script checks that
claim on a sample of full combinations.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import itertools
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.intruder import AttackResult, CellMeaning, Observed, attack, attack_snapshots  # noqa: E402

AUDIENCES = {"public": 11, "internal": 5}


def _extract_starts() -> dict[str, Any]:
    """Where the demo's extracts start, as ``ristra demo`` declares them (none in a checkout from
    before the data window was declared, which guessed it)."""
    from ristra import synth

    starts = getattr(synth, "extract_starts", None)
    return starts() if starts is not None else {}


def _declared(workspace: Any, dataset: str) -> dict[str, Any]:
    """The extract start the current snapshot of ``dataset`` declared, as import arguments."""
    current = workspace.snapshots.current(dataset)
    start = getattr(current, "extract_start", None)
    return {"extract_start": start} if start else {}


def build_school(data_dir: Path, applications_per_cycle: int, seed: int) -> tuple[Any, dict[str, Path]]:
    """The demo school (as ``ristra demo --no-serve``) in ``data_dir``."""
    from ristra.cli.data_commands import IMPORT_ORDER
    from ristra.services import imports
    from ristra.services.workspace import Settings, Workspace
    from ristra.synth import generate

    workspace = Workspace(Settings(data_dir=data_dir, user="intruder"))
    paths = generate(data_dir / "synthetic-source", seed=seed, applications_per_cycle=applications_per_cycle)
    starts = _extract_starts()
    for name in IMPORT_ORDER:
        declared = {"extract_start": starts[name]} if name in starts else {}
        result = imports.import_file(workspace, name, paths[name], wait_seconds=30, **declared)
        if not result.manifest:
            raise SystemExit(f"the demo import of {name} failed")
    return workspace, {k: Path(v) for k, v in paths.items()}


def _meaning(m: Any) -> CellMeaning:
    return CellMeaning(m.dataset, frozenset(tuple(str(p) for p in a) for a in m.atoms), m.category, m.level)


def collect_reports(workspace: Any, audience: str, prefix: str = "report:") -> list[Observed]:
    """Every released table of every shipped template (one release of record), with meanings
    and true counts from the unreleased section plans."""
    from ristra.core.metrics.plans import Context
    from ristra.services import reports
    from ristra.services.metrics import MetricsService

    ids = reports.shipped_template_ids()
    docs = reports.documents(workspace, ids, audience)
    released: dict[str, Any] = {}
    for doc in docs.values():
        for view in doc.tables:
            released[view.released.key] = view.released
    service = MetricsService(workspace)
    try:
        files = {k: f for k, f in service.current_files().items() if f.ref.row_count > 0}
        context = Context(service.categories(), service.benchmarks, {k: f.ref for k, f in files.items()})
        templates = [reports.load_template(i) for i in sorted(ids)]
        sections = reports.compute_sections(workspace, service, templates, context)
    finally:
        service.close()
    plans = {t.table.key: t for ps in sections.values() for p in ps for t in p.tables}
    out = []
    for key, table in sorted(released.items()):
        plan = plans[key]
        out.append(Observed.from_dict(table.to_dict(), key=prefix + key, source="report",
                                      meanings={cell: _meaning(m) for cell, m in plan.meanings.items()},
                                      truth=[list(r) for r in plan.table.counts]))
    return out


def _level_cells(dataset: str, atoms: frozenset[tuple[str, ...]], category: str, levels: Sequence[str | None],
                 row: int, out: dict[tuple[int, int], CellMeaning]) -> None:
    for c, level in enumerate(levels):
        out[(row, c)] = CellMeaning(dataset, atoms, category if level else None, level)


class Dashboards:
    """The dashboard panels of one workspace: released (``build``) and unreleased (the same
    table builders on the same metric results), with meanings."""

    def __init__(self, workspace: Any) -> None:
        from ristra.core.metrics.plans.path import STAGES
        from ristra.reports.measures import atoms_of
        from ristra.web import dashboard_panels as dp

        self.workspace = workspace
        self.dp = dp
        self.module = importlib.import_module("ristra.services.metrics")
        self.stage_atoms = {stage: (ds, atoms_of(cond)) for stage, _, ds, cond in STAGES}
        self.levels: tuple[str | None, ...] = (*dp.LEVELS, None)

    def released(self, policy: Any, filters: Any) -> Any:
        from ristra.web.dashboard import build

        return build(self.workspace, policy, filters)

    def unreleased(self, filters: Any) -> dict[str, tuple[Any, dict[tuple[int, int], CellMeaning]]]:
        """Each panel's table of true counts and its meanings (mirrors ``dashboard_panels.panels``)."""
        dp, module = self.dp, self.module
        service = dp.service_for(module, self.workspace)
        categories = service.categories()
        category = filters.category if filters.category in categories.ids else "urm_nm"
        label = categories.get(category).label
        funnel_by = ("cycle", "program") if filters.program else ("cycle",)
        path, funnel, selection, retention, trend, departments, _programs = service.compute_many([
            module.make_spec("path", category=category),
            module.make_spec("funnel", category=category, by=funnel_by),
            module.make_spec("selection-ratio", category=category, by=funnel_by),
            module.make_spec("retention", category=category, horizons=dp.HORIZONS),
            module.make_spec("trend", category=category, dataset="applications"),
            module.make_spec("representation", category=category, dataset="employees", by=("department",)),
            module.make_spec("funnel", category=category, by=("program",)),
        ])
        out: dict[str, tuple[Any, dict[tuple[int, int], CellMeaning]]] = {}
        # path
        table = dp.path_table(path, label)
        meanings: dict[tuple[int, int], CellMeaning] = {}
        r = 0
        for row in path.rows:
            if row.dataset is None or row.count is None or row.known is None:
                continue
            ds, atoms = self.stage_atoms[row.stage]
            _level_cells(ds, atoms, category, self.levels, r, meanings)
            r += 1
        out["path"] = (table, meanings)
        # funnel
        table = dp.funnel_table(funnel, selection, label, filters)
        extra: set[tuple[str, ...]] = set()
        if filters.year is not None:
            extra.add(("eq", "cycle", str(filters.year)))
        if filters.program is not None:
            extra.add(("eq", "program", str(filters.program)))
        meanings = {}
        for r, (stage,) in enumerate(table.row_labels):
            atoms = frozenset(extra | ({("flag", stage)} if stage != "applied" else set()))
            _level_cells("applications", atoms, category, self.levels, r, meanings)
        out["funnel"] = (table, meanings)
        # retention
        table = dp.retention_table(retention, label)
        names = {label: "yes", "not": "no", "unknown": "unknown", "all faculty": None}
        whats = ["followed", "separated", *(f"separated within {c.removeprefix('left within ').removesuffix(' y')}"
                                             for c in table.col_labels[2:])]
        meanings = {}
        for r, (name,) in enumerate(table.row_labels):
            level = names[name]
            for c, what in enumerate(whats):
                meanings[(r, c)] = CellMeaning("employees", frozenset({("retention", what, "faculty")}),
                                               category if level else None, level)
        out["retention"] = (table, meanings)
        # trend
        table = dp.trend_table(trend, label)
        meanings = {}
        for r, (year,) in enumerate(table.row_labels):
            _level_cells("applications", frozenset({("eq", "cycle", year)}), category, self.levels, r, meanings)
        out["trend"] = (table, meanings)
        # departments
        table = dp.department_table(departments, label, filters)
        meanings = {}
        for r, (name,) in enumerate(table.row_labels):
            _level_cells("employees", frozenset({("eq", "department", name)}), category, self.levels, r, meanings)
        out["departments"] = (table, meanings)
        return out


def _panel_key(panel: str, filters: Any, category: str) -> str:
    if panel == "funnel":
        return f"dashboard:funnel:{category}:{filters.year}:{filters.program}"
    if panel == "departments":
        return f"dashboard:departments:{category}:{filters.department}"
    return f"dashboard:{panel}:{category}"


def collect_dashboards(workspace: Any, policy: Any, log: Callable[[str], None], check: int = 3,
                       prefix: str = "") -> tuple[list[Observed], dict[str, Any]]:
    """Every dashboard table under every filter combination (see the module docstring)."""
    from ristra.web.dashboard import Filters

    boards = Dashboards(workspace)
    first = boards.released(policy, Filters())
    choices = first.choices
    years: list[int | None] = [None, *(int(y) for y in choices["year"])]
    programs: list[str | None] = [None, *choices["program"]]
    departments: list[str | None] = [None, *choices["department"]]
    combos: list[Any] = []
    for category in choices["category"]:
        combos += [Filters(y, p, None, category) for y in years for p in programs]
        combos += [Filters(None, None, d, category) for d in departments[1:]]
    found: dict[str, Observed] = {}
    failed: Counter[str] = Counter()
    for filters in combos:
        try:
            board = boards.released(policy, filters)
            truths = boards.unreleased(filters)
        except Exception as error:  # the dashboard answers 500 for some categories (issue 12)
            failed[f"{filters.category}: {type(error).__name__}"] += 1
            continue
        category = board.category or str(filters.category)
        for panel in board.panels:
            key = prefix + _panel_key(panel.key, filters, category)
            if key in found:
                continue
            table, meanings = truths[panel.key]
            released = panel.table.to_dict()
            if released["row_labels"] != [list(r) for r in table.row_labels]:
                raise SystemExit(f"{key}: the recomputed table does not match the released one")
            found[key] = Observed.from_dict(released, key=key, meanings=meanings, source="dashboard",
                                            truth=[list(r) for r in table.counts])
    # the claim of the module docstring, on a sample of full combinations
    rng = random.Random(12)
    checked = 0
    for _ in range(check):
        category = rng.choice([c for c in choices["category"] if not any(k.startswith(c + ":") for k in failed)])
        filters = Filters(rng.choice(years[1:]), rng.choice(programs[1:]), rng.choice(departments[1:]), category)
        board = boards.released(policy, filters)
        for panel in board.panels:
            key = prefix + _panel_key(panel.key, Filters(filters.year, filters.program, filters.department, category),
                                      board.category or category)
            seen = found[key]
            cells = [[None if isinstance(v, str) else v for v in row] for row in panel.table.to_dict()["cells"]]
            if cells != seen.cells:
                raise SystemExit(f"{key}: a full filter combination shows another table")
        checked += 1
    info = {"combinations_built": len(combos), "tables": len(found), "failed": dict(failed),
            "full_combinations_possible": len(choices["category"]) * len(years) * len(programs) * len(departments),
            "full_combinations_checked": checked}
    log(f"  dashboard: {info}")
    return list(found.values()), info


def late_separation(workspace: Any, paths: dict[str, Path], out: Path) -> str:
    """Correct one record: a current faculty member of unknown sex separated (imports a new
    employees snapshot). Returns the appointment id."""
    from ristra.services import imports

    with paths["employees"].open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    pick = next((r for r in rows if r["employee_class"] == "faculty" and not r["separation_date"]
                 and r["sex"] in ("", "unknown")), None)
    pick = pick or next(r for r in rows if r["employee_class"] == "faculty" and not r["separation_date"])
    pick["separation_date"] = "2026-03-31"
    pick["separation_reason"] = pick.get("separation_reason") or "resigned"
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    result = imports.import_file(workspace, "employees", out, wait_seconds=30, **_declared(workspace, "employees"))
    if not result.manifest:
        raise SystemExit("the corrected employees file did not import")
    return str(pick[fields[0]])


def _describe(result: AttackResult, tables: dict[str, Observed], limit: int) -> list[str]:
    lines = []
    by_kind: dict[str, list[Any]] = {}
    for f in sorted(result.findings, key=lambda f: (not f.pinned, f.table, f.row, f.col)):
        kind = ":".join(f.table.split(":")[:2]) if f.table.startswith("dashboard") else f.table.split("/")[0]
        by_kind.setdefault(kind, []).append(f)
    ordered = [f for group in itertools.zip_longest(*by_kind.values()) for f in group if f is not None]
    for f in ordered[:limit]:
        t = tables[f.table] if f.table in tables else None
        meaning = t.meanings.get((f.row, f.col)) if t else None
        what = "" if meaning is None else f"  [{meaning.dataset} {sorted(meaning.atoms)} {meaning.category}={meaning.level}]"
        lines.append(f"    {f.snapshot + ' ' if f.snapshot else ''}{f.table} row {' / '.join(f.row_label)!r} "
                     f"col {f.col_label!r}: true {f.true}, interval [{f.lower}, {f.upper}]{what}")
    return lines


def _by_source(result: AttackResult, tables: dict[str, Observed]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for f in result.findings:
        source = f.table.split(":")[0] + ":" + f.table.split(":")[1] if f.table.startswith("dashboard") else "report"
        entry = out.setdefault(source, {"recovered": 0, "pinned": 0})
        entry["recovered"] += 1
        entry["pinned"] += f.pinned
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    parser.add_argument("--applications-per-cycle", type=int, default=1700)
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--audience", choices=sorted(AUDIENCES), action="append")
    parser.add_argument("--snapshots", action="store_true", help="also a second publication after a correction")
    parser.add_argument("--examples", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None, help="write the figures and findings here")
    args = parser.parse_args(argv)
    start = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - start:6.1f}s] {text}", flush=True)

    import ristra
    from ristra.services.reports import policy_for

    log(f"ristra from {ristra.__file__}")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ristra-intruder-")) / "data"
    workspace, paths = build_school(data_dir, args.applications_per_cycle, args.seed)
    log(f"demo school imported into {data_dir}")
    audiences = args.audience or list(AUDIENCES)
    collected: dict[str, list[Observed]] = {}
    figures: dict[str, Any] = {}
    for audience in audiences:
        policy = policy_for(audience)
        assert policy.threshold == AUDIENCES[audience]
        reports = collect_reports(workspace, audience)
        log(f"{audience}: {len(reports)} report tables")
        boards, info = collect_dashboards(workspace, policy, log)
        observed = reports + boards
        collected[audience] = observed
        result = attack(observed, policy.threshold)
        tables = {t.key: t for t in observed}
        summary = result.summary()
        summary["dashboard"] = info
        summary["by_source"] = _by_source(result, tables)
        summary["findings"] = [f.to_dict() for f in result.findings]
        figures[audience] = summary
        log(f"{audience} (k={policy.threshold}): {len(observed)} tables, {summary['suppressed']} suppressed cells, "
            f"{result.sensitive} sensitive suppressed; RECOVERED {result.recovered} "
            f"(pinned {result.pinned}, bounded {result.recovered - result.pinned}); "
            f"sensitive cells published as such: {len(result.published_sensitive)}; "
            f"intervals missing the true count (must be 0): {len(result.inconsistent)}")
        log(f"  by source: {summary['by_source']}")
        log(f"  relations: {result.stats.to_dict()}")
        for line in _describe(result, tables, args.examples):
            print(line)
    if args.snapshots:
        from ristra.services import reports as report_service

        changed = late_separation(workspace, paths, data_dir / "employees-corrected.csv")
        report_service.clear_cache()
        log(f"second snapshot: appointment {changed} separated (one record corrected)")
        for audience in audiences:
            policy = policy_for(audience)
            after = collect_reports(workspace, audience)
            boards, _ = collect_dashboards(workspace, policy, log, check=0)
            after += boards
            joint = attack_snapshots(collected[audience], after, 1, policy.threshold)
            alone = attack(after, policy.threshold)
            new = {(f.table, f.row, f.col) for f in joint.findings if f.snapshot == "after"} - {
                (f.table, f.row, f.col) for f in alone.findings}
            tables = {t.key: t for t in after}
            figures[audience + " two snapshots"] = {**joint.summary(), "after_alone_recovered": alone.recovered,
                                                    "recovered_only_by_combining": len(new)}
            log(f"{audience} two snapshots: RECOVERED {joint.recovered} (pinned {joint.pinned}) of "
                f"{joint.sensitive} sensitive suppressed over both; the second alone {alone.recovered}; "
                f"recovered only by combining the two: {len(new)}")
            extra = [f for f in joint.findings if f.snapshot == "after" and (f.table, f.row, f.col) in new]
            for f in extra[: args.examples]:
                meaning = tables[f.table].meanings.get((f.row, f.col))
                print(f"    after {f.table} row {' / '.join(f.row_label)!r} col {f.col_label!r}: true {f.true}, "
                      f"interval [{f.lower}, {f.upper}]"
                      + ("" if meaning is None else f"  [{sorted(meaning.atoms)} {meaning.category}={meaning.level}]"))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
