"""The dashboard's panels: metric results (:mod:`ristra.services.metrics`) turned into tables of
counts with their derived figures, released under the viewer's policy, and drawn.

* **Path** — each stage from applicants to senior leadership: in the category, not, unknown;
  share of the known with its interval and the ratio to the state population (whose share, a
  census figure, is stated in a note).
* **Admissions funnel** — counts at each stage by membership, conversion from the stage
  before, and the selection-rate ratio (not in the category ÷ in it) with Fisher's exact test
  after Holm's correction; pooled over cycles with Mantel–Haenszel unless a year is chosen.
* **Faculty retention** — Kaplan–Meier retention at 1 to 10 years by membership (the curves).
* **Trend** — applicants by cycle and membership with the share in the category.
* **Departments** — faculty and staff by department (or the chosen department).

Counts are whole numbers of people; derived figures name the counts they come from, so
releasing a table suppresses a share or ratio whenever one of its counts is suppressed.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from ristra.core.disclosure import Policy, release
from ristra.core.tables import DerivedCell, Sum, Table
from ristra.services.workspace import Workspace
from ristra.web import charts
from ristra.web.dashboard import Dashboard, Filters, Panel

LEVELS = ("yes", "no", "unknown")
HORIZONS = tuple(float(h) for h in range(1, 11))
_SERVICES: OrderedDict[Any, Any] = OrderedDict()
_SERVICES_KEPT = 4
_LOCK = threading.Lock()


def service_for(module: Any, workspace: Workspace) -> Any:
    """One metrics service per data directory (it caches per snapshot and category version); the
    least recently used is closed when more than a few directories are served."""
    key = workspace.root
    with _LOCK:
        service = _SERVICES.get(key)
        if service is None:
            service = _SERVICES[key] = module.MetricsService(workspace)
            while len(_SERVICES) > _SERVICES_KEPT:
                _SERVICES.popitem(last=False)[1].close()
        _SERVICES.move_to_end(key)
        return service


def _finite(value: Any) -> float | None:
    """A statistic as a number, or None when it is undefined (NaN) or unbounded."""
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _by(row: Any) -> dict[str, object]:
    return dict(getattr(row, "by", ()))


def _table(title: str, key: str, row_dim: str, rows: Sequence[str], col_dim: str, cols: Sequence[str],
           counts: Sequence[Sequence[int]], derived: Iterable[DerivedCell] = (), notes: Sequence[str] = (),
           total_column: bool = True) -> Table:
    """A table whose last column is the total of the others (when ``total_column``)."""
    body = [list(r) for r in counts]
    labels = list(cols)
    col_sums: tuple[Sum, ...] = ()
    if total_column:
        body = [r + [sum(r)] for r in body]
        labels.append("total")
        col_sums = (Sum(len(cols), tuple(range(len(cols)))),)
    return Table(title=title, row_dims=(row_dim,), row_labels=tuple((r,) for r in rows), col_dim=col_dim,
                 col_labels=tuple(labels), counts=body, col_sums=col_sums, derived=tuple(derived), key=key,
                 notes=tuple(notes))


def path_table(result: Any, label: str) -> Table:
    rows, counts, derived, notes = [], [], [], []
    for row in result.rows:
        if row.dataset is None or row.count is None or row.known is None:
            if row.share is not None:
                notes.append(f"{row.stage_label}: {100 * row.share:.1f}% (census; the benchmark of the ratios).")
            continue
        r = len(rows)
        yes, known, unknown = int(row.count), int(row.known), int(row.unknown or 0)
        rows.append(row.stage_label)
        counts.append([yes, known - yes, unknown])
        sources = ((r, 0), (r, 1))
        interval = (row.lower, row.upper) if _finite(row.lower) is not None and _finite(row.upper) is not None else None
        derived += [DerivedCell(r, "share of known", "share", _finite(row.share), sources),
                    DerivedCell(r, "95% interval", "interval", interval, sources),
                    DerivedCell(r, "ratio to state", "ratio", _finite(row.ratio_to_state), sources)]
    return _table(f"The path: {label}", "path", "stage", rows, "membership", [label, "not", "unknown"], counts,
                  derived, notes)


def funnel_table(funnel: Any, selection: Any, label: str, filters: Filters) -> Table:
    def keep(row: Any) -> bool:
        by = _by(row)
        return ((filters.year is None or by.get("cycle") == filters.year)
                and (filters.program is None or by.get("program") == filters.program))

    stages: list[str] = []
    cells: dict[tuple[str, str], int] = {}
    for row in funnel.rows:
        if keep(row):
            if row.stage not in stages:
                stages.append(row.stage)
            cells[(row.stage, row.level)] = cells.get((row.stage, row.level), 0) + int(row.count)
    counts = [[cells.get((s, level), 0) for level in LEVELS] for s in stages]
    derived: list[DerivedCell] = []
    for r in range(1, len(stages)):
        for c, level in ((0, label), (1, "not")):
            before = counts[r - 1][c]
            value = counts[r][c] / before if before else None
            derived.append(DerivedCell(r, f"conversion, {level}", "rate", value, ((r, c), (r - 1, c))))
    scope = "stratum" if filters.year is not None else "pooled"
    notes = []
    for row in selection.rows:
        if row.group != "no" or row.scope != scope or (filters.year is not None and _by(row).get("cycle") != filters.year):
            continue
        if row.stage in stages:
            r = stages.index(row.stage)
            sources = ((r, 0), (r - 1, 0), (r, 1), (r - 1, 1))
            derived.append(DerivedCell(r, "selection-rate ratio", "ratio", _finite(row.impact_ratio), sources))
            derived.append(DerivedCell(r, "p (Fisher, Holm)", "other", _finite(row.holm_p), sources))
            if row.below_four_fifths:
                notes.append(f"{row.stage}: selection-rate ratio below four-fifths"
                             + (" and significant after Holm's correction." if row.holm_reject else "."))
    where = f"cycle {filters.year}" if filters.year else "all cycles (Mantel–Haenszel across cycles)"
    program = f", program {filters.program}" if filters.program else ""
    return _table(f"Admissions funnel: {label}, {where}{program}", "funnel", "stage", stages, "membership",
                  [label, "not", "unknown"], counts, derived, notes)


def retention_table(result: Any, label: str) -> Table:
    """People followed, people who left, and people who left within each horizon, by membership,
    with everyone as the last row. The retention estimate at a horizon is derived from the
    people followed and those who left within it, so a small number of leavers behind an
    estimate is suppressed together with it (an estimate near 100 % would reveal it)."""
    levels = [level for level in LEVELS if any(r.level == level and r.measure == "retention"
                                               and r.horizon is not None for r in result.rows)]
    horizons = sorted({x.horizon for x in result.rows if x.measure == "retention" and x.horizon is not None})
    counts: list[list[int]] = []
    derived = []
    for level in levels:
        rows = {x.horizon: x for x in result.rows if x.level == level and x.measure == "retention"
                and x.horizon is not None}
        if not rows:
            continue
        first = rows[horizons[0]]
        counts.append([int(first.n), int(first.events),
                       *(int(rows[h].events_to_horizon or 0) if h in rows else 0 for h in horizons)])
        r = len(counts) - 1
        for k, h in enumerate(horizons):
            if h in rows:
                derived.append(DerivedCell(r, f"{h:g} y", "share", _finite(rows[h].estimate), ((r, 0), (r, 2 + k))))
    names = {"yes": label, "no": "not", "unknown": "unknown"}
    counts.append([sum(c[i] for c in counts) for i in range(2 + len(horizons))])
    p = next((x.logrank_p for x in result.rows if x.logrank_p is not None), None)
    notes = [f"Kaplan–Meier with left truncation; log-rank p = {p:.3g}."] if p is not None else []
    return Table(title=f"Faculty retention: {label}", row_dims=("membership",),
                 row_labels=tuple((names[v],) for v in levels) + (("all faculty",),), col_dim="faculty",
                 col_labels=("people", "left", *(f"left within {h:g} y" for h in horizons)), counts=counts,
                 row_sums=(Sum(len(levels), tuple(range(len(levels)))),),
                 derived=tuple(derived), key="retention", notes=tuple(notes))


def trend_table(result: Any, label: str) -> Table:
    years = sorted({row.year for row in result.rows}, key=str)
    cells = {(row.year, row.level): int(row.count) for row in result.rows}
    counts = [[cells.get((y, level), 0) for level in LEVELS] for y in years]
    derived = [DerivedCell(r, f"share {label}", "share", (c[0] / sum(c)) if sum(c) else None, ((r, 0), (r, 1), (r, 2)))
               for r, c in enumerate(counts)]
    slope = next((row for row in result.rows if row.level == "yes" and row.trend_p is not None), None)
    notes = [f"Trend in the share: {100 * slope.slope:+.2f} points a year, p = {slope.trend_p:.3g}."] if slope else []
    return _table(f"Applicants by cycle: {label}", "trend", "cycle", [str(y) for y in years], "membership",
                  [label, "not", "unknown"], counts, derived, notes)


def department_table(result: Any, label: str, filters: Filters) -> Table:
    names = sorted({str(_by(r).get("department")) for r in result.rows})
    if filters.department in names:
        names = [filters.department]
    cells = {(str(_by(r).get("department")), r.level): int(r.count) for r in result.rows}
    counts = [[cells.get((d, level), 0) for level in LEVELS] for d in names]
    derived = [DerivedCell(r, f"share {label}", "share", (c[0] / sum(c)) if sum(c) else None, ((r, 0), (r, 1), (r, 2)))
               for r, c in enumerate(counts)]
    return _table(f"Faculty and staff by department: {label}", "departments", "department", names, "membership",
                  [label, "not", "unknown"], counts, derived)


def panels(module: Any, workspace: Workspace, policy: Policy, filters: Filters, snapshots: dict[str, str],
           version: int) -> Dashboard:
    """Compute (shared scans, cached by the service), release and draw every panel."""
    service = service_for(module, workspace)
    categories = service.categories()
    category = filters.category if filters.category in categories.ids else "urm_nm"
    if category not in categories.ids:
        category = categories.ids[0]
    label = categories.get(category).label
    funnel_by = ("cycle", "program") if filters.program else ("cycle",)
    path, funnel, selection, retention, trend, departments, programs = service.compute_many([
        module.make_spec("path", category=category),
        module.make_spec("funnel", category=category, by=funnel_by),
        module.make_spec("selection-ratio", category=category, by=funnel_by),
        module.make_spec("retention", category=category, horizons=HORIZONS),
        module.make_spec("trend", category=category, dataset="applications"),
        module.make_spec("representation", category=category, dataset="employees", by=("department",)),
        module.make_spec("funnel", category=category, by=("program",)),
    ])
    built = [
        ("path", "The path from the state population to senior leadership", path_table(path, label), "bar", "share of known", "row"),
        ("funnel", "Admissions funnel and selection-rate ratios", funnel_table(funnel, selection, label, filters), "bar", "count", "row"),
        ("retention", "Faculty retention curves", retention_table(retention, label), "curve", "", "column"),
        ("trend", "Trend by year", trend_table(trend, label), "line", f"share {label}", "row"),
        ("departments", "Departments", department_table(departments, label, filters), "bar", f"share {label}", "row"),
    ]
    result = []
    for key, heading, table, kind, measure, x in built:
        released = release(table, policy)
        result.append(Panel(key, heading, released, charts.chart(released, kind, measure=measure or "count", x=x)))
    choices = {
        "year": sorted({str(_by(r).get("cycle")) for r in funnel.rows if _by(r).get("cycle") is not None}),
        "program": sorted({str(_by(r).get("program")) for r in programs.rows if _by(r).get("program") is not None}),
        "department": sorted({str(_by(r).get("department")) for r in departments.rows}),
        "category": list(categories.ids),
    }
    return Dashboard(filters, policy.audience, policy.threshold, snapshots, version, tuple(result), choices,
                     category=category)
