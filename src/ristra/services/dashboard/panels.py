"""The dashboard's panels: slices of the audience's protected publication
(:mod:`ristra.services.publication`), never a release of their own.

* **Path** — each stage from the state population to senior leadership, in the category or not;
  the share in the category and its ratio to the state population (the first bar is the state).
* **Admissions funnel** — counts at each stage by membership for all programs, for one cycle or
  over all cycles, or for one program over all cycles (the publication protects these three
  views, not a program within a cycle); the rate from the stage before and the selection-rate
  ratio (in the category ÷ not), both computed here from the slice's published counts only.
* **Applicants by cycle** — the "applied" counts of the funnel by cycle.
* **Faculty retention** — people followed, separations, and Kaplan–Meier retention at 1 to 10
  years (derived from published counts' cells: suppressed with any of them).
* **Departments** — faculty and staff by department (or the chosen department and the total).

A panel whose category does not apply to its dataset is left out, and the dashboard says so. So is
the retention panel when the employees import did not declare where its extract starts (the
publication does not guess the data window): the dashboard says the panel does not apply and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ristra.core.disclosure import ReleasedTable
from ristra.core.disclosure.released import Published
from ristra.core.tables import DerivedCell
from ristra.services import charts
from ristra.services.dashboard.values import Dashboard, Filters, Panel
from ristra.services.publication import FUNNEL_STAGES, Publication

STAGE_LABELS = tuple(s.capitalize() for s in FUNNEL_STAGES)
FOUR_FIFTHS = 0.8


def _category_rows(table: ReleasedTable, label: str) -> list[int]:
    return [r for r, labels in enumerate(table.row_labels) if labels[0] == label]


def _funnel_derived(stage_columns: Sequence[int]) -> Callable[[Published], list[DerivedCell]]:
    """Rates from the stage before and the selection-rate ratio (in the category ÷ not in it),
    from the slice's published counts (rows: in, not, all; columns: the stages in order)."""
    def derive(cells: Published) -> list[DerivedCell]:
        out: list[DerivedCell] = []
        for k in range(1, len(stage_columns)):
            for r in range(len(cells)):
                now, before = cells[r][k], cells[r][k - 1]
                value = now / before if isinstance(now, int) and isinstance(before, int) and before else None
                out.append(DerivedCell(r, f"{STAGE_LABELS[k]}: rate from the stage before", "rate", value,
                                       ((r, k), (r, k - 1))))
            if len(cells) >= 2:
                rates = []
                for r in (0, 1):
                    now, before = cells[r][k], cells[r][k - 1]
                    rates.append(now / before if isinstance(now, int) and isinstance(before, int) and before else None)
                ratio = rates[0] / rates[1] if rates[0] is not None and rates[1] else None
                out.append(DerivedCell(0, f"{STAGE_LABELS[k]}: selection-rate ratio", "ratio", ratio,
                                       ((0, k), (0, k - 1), (1, k), (1, k - 1))))
        return out
    return derive


def _shares(cells: Published) -> list[DerivedCell]:
    """The share in the category of each row (in ÷ all), from the published counts."""
    out = []
    for r, row in enumerate(cells):
        yes, total = row[0], row[-1]
        value = yes / total if isinstance(yes, int) and isinstance(total, int) and total else None
        out.append(DerivedCell(r, "Share in category", "share", value, ((r, 0), (r, len(row) - 1))))
    return out


def funnel_panel(publication: Publication, category: str, label: str, filters: Filters) -> ReleasedTable | None:
    """The funnel slice for ``filters``: a program over all cycles, one cycle, or all cycles."""
    if filters.program and filters.program in publication.dashboard.programs:
        table = publication.table("dashboard/funnel_programs")
        wanted = [f"{stage}: {filters.program}" for stage in STAGE_LABELS]
        where = f"all cycles, program {filters.program}"
    else:
        table = publication.table("dashboard/funnel")
        if filters.year is not None:
            wanted = [f"{filters.year}: {stage}" for stage in STAGE_LABELS]
            where = f"cycle {filters.year}"
        else:
            wanted = [f"All cycles: {stage}" for stage in FUNNEL_STAGES]
            where = "all cycles"
    if table is None:
        return None
    rows = _category_rows(table, label)
    cols = [list(table.col_labels).index(w) for w in wanted if w in table.col_labels]
    if not rows or len(cols) != len(wanted):
        return None
    notes = ("Rates and selection-rate ratios are computed from the counts shown, pooled over what the table "
             "covers (crude ratio: in the category ÷ not in it; four-fifths rule, 29 CFR 1607.4(D)).",
             *table.notes[:1])
    return table.slice(f"funnel.{category}", f"Admissions funnel: {label}, {where}", rows, cols,
                       derive=_funnel_derived(cols), notes=notes, row_dims=("Membership",),
                       row_labels=[table.row_labels[r][1:] for r in rows], col_labels=list(STAGE_LABELS))


def trend_panel(publication: Publication, category: str, label: str) -> ReleasedTable | None:
    table = publication.table("dashboard/funnel")
    if table is None:
        return None
    rows = _category_rows(table, label)
    cols = [c for c, name in enumerate(table.col_labels) if name.endswith(": Applied") and name[:4].isdigit()]
    if not rows or not cols:
        return None
    return table.slice(f"trend.{category}", f"Applicants by cycle: {label}", rows, cols, notes=table.notes[:1],
                       row_dims=("Membership",), row_labels=[table.row_labels[r][1:] for r in rows],
                       col_labels=[table.col_labels[c][:4] for c in cols])


def department_panel(publication: Publication, category: str, label: str, filters: Filters) -> ReleasedTable | None:
    table = publication.table(f"dashboard/departments.{category}")
    if table is None:
        return None
    rows = list(range(len(table.row_labels)))
    names = [labels[0] for labels in table.row_labels]
    if filters.department in names[:-1]:
        rows = [names.index(filters.department), len(names) - 1]
    return table.slice(f"departments.{category}", f"Faculty and staff by department: {label}", rows,
                       list(range(len(table.col_labels))), derive=_shares)


def choices(publication: Publication) -> dict[str, list[str]]:
    funnel = publication.table("dashboard/funnel")
    years = sorted({c[:4] for c in funnel.col_labels if c[:4].isdigit()}) if funnel is not None else []
    departments: list[str] = []
    for key, table in sorted(publication.tables.items()):
        if key.startswith("dashboard/departments."):
            departments = [labels[0] for labels in table.row_labels[:-1]]
            break
    return {"year": years, "program": list(publication.dashboard.programs), "department": departments,
            "category": [c for c, _ in publication.dashboard.categories]}


def panels(publication: Publication, filters: Filters, snapshots: dict[str, str], version: int) -> Dashboard:
    """Every panel of the dashboard for ``filters``, cut from ``publication``."""
    index = publication.dashboard
    labels = dict(index.categories)
    category = filters.category if filters.category in labels else ("urm_nm" if "urm_nm" in labels else
                                                                   next(iter(labels), ""))
    label = labels.get(category, category)
    offered = choices(publication)
    year = filters.year if filters.year is not None and str(filters.year) in offered["year"] else None
    shown = Filters(year if not filters.program else None, filters.program if filters.program in index.programs else None,
                    filters.department, category)
    built: list[tuple[str, str, str, ReleasedTable | None, str, str, str]] = [
        ("path", "path", "The path from the state population to senior leadership",
         publication.table(f"dashboard/path.{category}"), "bar", "Share in category", "row"),
        ("funnel", "funnel", "Admissions funnel and selection-rate ratios",
         funnel_panel(publication, category, label, shown), "bar", "count", "column"),
        ("trend", "funnel", "Applicants by cycle", trend_panel(publication, category, label), "line", "count", "column"),
        ("retention", "retention", "Faculty retention", publication.table(f"dashboard/retention.{category}"),
         "curve", "", "column"),
        ("departments", "departments", "Faculty and staff by department",
         department_panel(publication, category, label, shown), "bar", "Share in category", "row"),
    ]
    result, missing, withheld = [], [], []
    for key, section, heading, table, kind, measure, x in built:
        if category in index.applies.get(section, ()) and section in index.withheld:
            withheld.append(f"{heading} does not apply: {index.withheld[section]}")
            continue
        if table is None or category not in index.applies.get(section, ()):
            missing.append(heading)
            continue
        result.append(Panel(key, heading, table, charts.table_chart(table, kind, measure=measure or "count", x=x)))  # type: ignore[arg-type]
    notice = " ".join([*([f"{label} does not apply to the data of: {', '.join(missing)}; those panels are not "
                          "shown."] if missing else []), *dict.fromkeys(withheld)])
    return Dashboard(shown, publication.audience, publication.threshold, snapshots, version, tuple(result),
                     offered, category=category, category_labels=index.categories, notice=notice,
                     publication=publication.fingerprint, information_loss=publication.loss.describe())
