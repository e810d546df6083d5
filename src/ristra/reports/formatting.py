"""How released values are written in documents: counts, shares, ratios, p-values, intervals,
suppressed and undefined cells, and text made safe for spreadsheets.

Every renderer shows a suppressed cell as :data:`SUPPRESSED_MARK` and explains it once in the
report; a derived value that cannot be computed (a share of nobody) is :data:`UNDEFINED_MARK`.
"""

from __future__ import annotations

import math
from typing import Any

from ristra.reports.document import ReportDocument, TableView

SUPPRESSED_MARK = "—"
SUPPRESSED_WORD = "suppressed"
UNDEFINED_MARK = "n/a"
#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when it begins like a formula, so no spreadsheet runs it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def count_text(value: int | None) -> str:
    """A released count: thousands separated, or the suppression mark."""
    return SUPPRESSED_MARK if value is None else f"{value:,}"


def derived_text(value: Any, fmt: str, suppressed: bool = False) -> str:
    """A released derived value as text in the given format (see ``sections.FORMATS``)."""
    if suppressed:
        return SUPPRESSED_MARK
    if value == "":
        return ""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return UNDEFINED_MARK
    if isinstance(value, tuple):
        low, high = value
        if not (math.isfinite(low) and math.isfinite(high)):
            return UNDEFINED_MARK
        if fmt == "interval_percent":
            return f"{100 * low:.1f}–{100 * high:.1f}%"
        return f"{low:.2f}–{high:.2f}"
    if fmt == "percent":
        return f"{100 * value:.1f}%"
    if fmt == "pvalue":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    return f"{value:.2f}"


def header(view: TableView) -> list[str]:
    """Column headings of a table: its row dimensions, its count columns, its derived columns."""
    r = view.released
    return [*r.row_dims, *r.col_labels, *view.derived_columns]


def body(view: TableView) -> list[tuple[list[str], list[str]]]:
    """Each row as (row labels, shown values of count and derived columns)."""
    r = view.released
    derived = view.derived_grid()
    columns = view.derived_columns
    out = []
    for i, labels in enumerate(r.row_labels):
        counts = [count_text(v) for v in r.cells[i]]
        extra = [derived_text(v, view.formats.get(columns[k], "ratio"), view.derived_suppressed(i, columns[k]))
                 for k, v in enumerate(derived[i])]
        out.append((list(labels), [*counts, *extra]))
    return out


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
