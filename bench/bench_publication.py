"""Protecting the whole publication of each audience (issue 12).

The default-size synthetic school (``ristra demo``: 1,700 applications a cycle, ten cycles) is
imported once. Measured in the same run:

* protecting the whole **public** and the whole **internal** publication — every table of every
  shipped report and every dashboard table (all filters), the relations between them, one
  audit over everything: at most 60 s each on this 2-core machine. Baseline: the release path
  before the publication (each shipped report pack released on its own, its equations only, no
  dashboard, no relations between measures), same data, same run — the ratio says what
  protecting everything together costs;
* information loss of the public LCME 3.3 report: the share of its counts hidden in the
  publication, against the share the report path before the publication hid on the same data
  (the issue's 38 % on the default school; target: no more, aim well below).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.harness import Measurement, timed


def _school(root: Path, size: int) -> Any:
    from ristra.cli.data_commands import IMPORT_ORDER
    from ristra.services import imports
    from ristra.services.workspace import Settings, Workspace
    from ristra.synth import extract_starts, generate

    sources = generate(root / "source", applications_per_cycle=size)
    workspace = Workspace(Settings(data_dir=root / "data", user="bench"))
    for name in IMPORT_ORDER:
        assert imports.import_file(workspace, name, sources[name], extract_start=extract_starts().get(name)).imported
    return workspace


def _reports_alone(workspace: Any, policy: Any) -> tuple[Any, list[Any]]:
    """The report pack released as before the publication: unknown shown as its own group, the
    equations between report tables only (``ristra.reports.joint_release.equations_between``)."""
    from ristra.core.metrics.plans import Context
    from ristra.reports.joint_release import equations_between, release_jointly
    from ristra.reports.templates import load_template, shipped_template_ids
    from ristra.services.metrics import MetricsService
    from ristra.services.publication import compute_sections

    service = MetricsService(workspace)
    try:
        files = {k: f for k, f in service.current_files().items() if f.ref.row_count > 0}
        context = Context(service.categories(), service.benchmarks, {k: f.ref for k, f in files.items()})
        templates = [load_template(t) for t in shipped_template_ids()]
        sections = compute_sections(workspace, service, templates, context)
    finally:
        service.close()
    plans = [t for ps in sections.values() for p in ps for t in p.tables]
    return release_jointly([p.table for p in plans], policy, equations_between(plans)), plans


def _lcme_share(tables: dict[str, Any], counts: dict[str, Any]) -> tuple[int, int, float]:
    cells = hidden = total = hidden_count = 0
    for key, table in tables.items():
        if not key.startswith("lcme-3.3/"):
            continue
        for r, row in enumerate(table.cells):
            for c, value in enumerate(row):
                cells += 1
                true = counts[key][r][c]
                total += true
                if value is None:
                    hidden += 1
                    hidden_count += true
    return hidden, cells, hidden_count / total if total else 0.0


def run(quick: bool) -> list[Measurement]:
    from ristra.core.disclosure import INTERNAL, PUBLIC, Policy
    from ristra.services import publication

    size = 300 if quick else 1700
    out: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="ristra-bench-publication-") as tmp:
        workspace = _school(Path(tmp), size)
        truth = publication.build(workspace, Policy("public", 1), record=False)
        counts = {k: [[int(v or 0) for v in row] for row in t.cells] for k, t in truth.tables.items()}
        for policy in (PUBLIC, INTERNAL):
            before_seconds, (before, _) = timed(lambda p=policy: _reports_alone(workspace, p))
            publication.clear_cache()
            seconds, made = timed(lambda p=policy: publication.build(workspace, p, record=False))
            s = made.summary
            out.append(Measurement(
                name=f"protect the whole {policy.audience} publication (k = {policy.threshold})",
                value=seconds, unit="s", target="at most 60 s", passed=seconds <= 60.0 and s.passed,
                baseline="the report pack alone, released as before the publication", baseline_value=before_seconds,
                ratio=seconds / before_seconds,
                detail=f"{len(made.tables)} tables, {made.loss.cells:,} counts, {s.primary} primary, "
                       f"{s.secondary} complementary; {made.relations['sums_and_equalities']:,} sums and equalities, "
                       f"{made.relations['identities']:,} identities, {made.relations['orders']:,} order relations; "
                       f"{made.loss.describe()}, {100 * made.loss.count_share:.0f}% of the total count hidden; "
                       f"audit passed={s.passed}"))
            if policy is PUBLIC:
                hidden, cells, share = _lcme_share(made.tables, counts)
                _, before_plans = _reports_alone(workspace, Policy("public", 1))
                before_counts = {p.table.key: [list(r) for r in p.table.counts] for p in before_plans}
                old_hidden, old_cells, old_share = _lcme_share(before.tables, before_counts)
                now, then = hidden / cells, old_hidden / old_cells
                out.append(Measurement(
                    name="information loss: public LCME 3.3 report, share of its counts suppressed",
                    value=100 * now, unit="%", target="no more than before the publication (38 % in the issue)",
                    passed=now <= then and share <= old_share,
                    baseline="the LCME report as released before the publication, same data",
                    baseline_value=100 * then, ratio=now / then if then else None,
                    detail=f"{hidden} of {cells} counts suppressed, {100 * share:.0f}% of the total count hidden; "
                           f"before: {old_hidden} of {old_cells}, {100 * old_share:.0f}% of the total count"))
    return out
