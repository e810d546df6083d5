"""What every document renderer writes besides the cells: headings, provenance, the attack's
intervals, and text made safe for spreadsheets. The cells' text is the one table view's
(:mod:`ristra.core.table_view`): every renderer shows a suppressed cell as
:data:`~ristra.core.table_view.SUPPRESSED_MARK` and explains it once in the report; a derived
value that cannot be computed (a share of nobody) is ``n/a``.
"""

from __future__ import annotations

from ristra.core.table_view import SUPPRESSED_MARK, TableView
from ristra.reports.document import ReportDocument

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when it begins like a formula, so no spreadsheet runs it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def header(view: TableView) -> list[str]:
    """Column headings of a table: its row dimensions, its count columns, its derived columns."""
    r = view.released
    return [*r.row_dims, *r.col_labels, *view.derived_columns]


def body(view: TableView) -> list[tuple[list[str], list[str]]]:
    """Each row as (row labels, shown values of count and derived columns), suppressed cells as
    :data:`SUPPRESSED_MARK` (see :meth:`TableView.body`)."""
    return view.body(SUPPRESSED_MARK)


def provenance_lines(document: ReportDocument) -> list[tuple[str, str]]:
    """The report's provenance as (label, value) pairs, in the order every format shows them."""
    m = document.metadata
    protected = f"counts from 1 to {m.threshold - 1} protected" if m.threshold > 1 else "no count protected"
    lines = [("Template", f"{m.template_id}, version {m.template_version}"),
             ("Audience", f"{m.audience} ({protected}; threshold {m.threshold})"),
             ("Category definitions", f"version {m.category_version}"),
             ("Data as of", m.issued)]
    lines += [(f"Snapshot: {s.dataset}", f"{s.snapshot_id} ({s.row_count:,} rows)") for s in m.snapshots]
    lines.append(("Release", f"{m.release} (released together with: {', '.join(m.released_with)})"))
    return lines


def attack_lines(document: ReportDocument) -> list[str]:
    """The attack summary in sentences (the text still says "disclosure audit")."""
    a = document.attack_summary()
    verdict = "passed" if a["passed"] else "FAILED"
    return [
        f"Disclosure audit {verdict}: for every suppressed cell, the least and greatest value an attacker can "
        f"derive from all tables of the release is at most {a['required_lower']} and at least "
        f"{a['required_upper']}.",
        f"This report shows {a['report_cells']:,} counts, of which {a['report_suppressed']:,} are suppressed "
        f"({_percent(a['report_suppressed'], a['report_cells'])}); the publication it is part of holds "
        f"{a['release_tables']} tables with {a['release_cells']:,} counts, {a['release_suppressed']:,} suppressed "
        f"({_percent(a['release_suppressed'], a['release_cells'])}).",
    ]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def interval_rows(document: ReportDocument) -> list[list[str]]:
    """One row per suppressed cell of this report: table, row, column, attacker's lower and upper bound."""
    return [[str(i["table"]), i["row"], i["column"], str(i["lower"]), "unbounded" if i["upper"] is None
             else str(i["upper"])] for i in document.attack_summary()["intervals"]]
