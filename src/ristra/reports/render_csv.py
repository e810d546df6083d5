"""A report as one CSV file in long form: one line per fact, so any tool can read it.

Columns: ``record`` (``metadata``, ``note``, ``count``, ``derived`` or ``audit``), ``table``
(number), ``title``, ``row`` (row labels joined by `` / ``), ``column``, ``value`` and ``status``
(``suppressed`` or ``undefined``; empty otherwise). Counts are whole numbers; derived values are
decimals (shares as fractions), intervals ``low;high``. Text that begins like a formula is
neutralised with a leading apostrophe. UTF-8, ``\\r\\n`` line ends (RFC 4180).
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from ristra.reports.document import ReportDocument
from ristra.reports.formatting import attack_lines, neutralise, provenance_lines

HEADER = ("record", "table", "title", "row", "column", "value", "status")


def _number(value: Any) -> tuple[str, str]:
    if value is None:
        return "", "undefined"
    if isinstance(value, tuple):
        if not all(math.isfinite(v) for v in value):
            return "", "undefined"
        return ";".join(f"{v:.6g}" for v in value), ""
    if isinstance(value, float):
        return ("", "undefined") if not math.isfinite(value) else (f"{value:.6g}", "")
    return str(value), ""


def render_csv(document: ReportDocument) -> bytes:
    """The report as the bytes of a .csv file (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)

    def line(*values: Any) -> None:
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in values])

    meta = document.metadata
    line("metadata", "", "title", "", "", meta.title, "")
    for label, value in provenance_lines(document):
        line("metadata", "", label, "", "", value, "")
    for k, note in enumerate(document.notes, start=1):
        line("note", "", f"Note {k}", "", "", note, "")
    for section in document.sections:
        for note in section.notes:
            line("note", "", section.title, "", "", note, "")
        if section.text:
            line("note", "", section.title, "", "", section.text, "")
        for view in section.tables:
            r = view.released
            for i, labels in enumerate(r.row_labels):
                for c, count in enumerate(r.cells[i]):
                    line("count", view.number, r.title, " / ".join(labels), r.col_labels[c],
                         "" if count is None else count, "suppressed" if count is None else "")
            for d in r.derived:
                value, status = ("", "suppressed") if d.suppressed else _number(d.value)
                line("derived", view.number, r.title, " / ".join(r.row_labels[d.row]), d.column, value, status)
    for text in attack_lines(document):
        line("audit", "", "Disclosure control", "", "", text, "")
    for i in document.attack_summary()["intervals"]:
        upper = "" if i["upper"] is None else i["upper"]
        line("audit", i["table"], "attacker interval", i["row"], i["column"], f"{i['lower']};{upper}", "suppressed")
    return out.getvalue().encode("utf-8")
