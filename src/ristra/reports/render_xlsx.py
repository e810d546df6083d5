"""A report as an Excel workbook (XlsxWriter): an ``About`` sheet (provenance), a sheet per table
(numbers as numbers, suppressed cells as the word "suppressed"), a ``Notes`` sheet (report and
table notes) and a ``Disclosure`` sheet (the audit).

Never a formula: the workbook is written with ``strings_to_formulas`` (and URL and number
guessing) off, and text beginning with ``= + - @`` is neutralised with a leading apostrophe.
Reproducible: the creation date is the data's date, which XlsxWriter also uses for the zip
members' timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter

from ristra.core.table_view import SUPPRESSED_WORD, TableView, derived_text
from ristra.reports.document import ReportDocument
from ristra.reports.formatting import (
    attack_lines,
    interval_rows,
    neutralise,
    provenance_lines,
)

_NUMBER_FORMATS = {"percent": "0.0%", "ratio": "0.00", "pvalue": "0.000"}


def _issued(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None, microsecond=0)
    except ValueError:
        return dt.datetime(1980, 1, 1)


class _Book:
    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.bold = workbook.add_format({"bold": True})
        self.title = workbook.add_format({"bold": True, "font_size": 13})
        self.muted = workbook.add_format({"italic": True, "font_color": "#555555"})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.numbers = {k: workbook.add_format({"num_format": v}) for k, v in _NUMBER_FORMATS.items()}
        self.count = workbook.add_format({"num_format": "#,##0"})

    def text(self, sheet: Any, row: int, col: int, value: str, fmt: Any = None) -> None:
        sheet.write_string(row, col, neutralise(value), fmt)


def _table_sheet(book: _Book, view: TableView) -> None:
    r = view.released
    sheet = book.workbook.add_worksheet(f"Table {view.number}")
    book.text(sheet, 0, 0, f"Table {view.number}. {r.title}", book.title)
    heads = [*r.row_dims, *r.col_labels, *view.derived_columns]
    for c, text in enumerate(heads):
        book.text(sheet, 2, c, text, book.bold)
    n_dims = len(r.row_dims)
    derived = view.derived_grid()
    columns = view.derived_columns
    for i, labels in enumerate(r.row_labels):
        row = 3 + i
        for c, label in enumerate(labels):
            book.text(sheet, row, c, label)
        for c, value in enumerate(r.cells[i]):
            if value is None:
                book.text(sheet, row, n_dims + c, SUPPRESSED_WORD, book.muted)
            else:
                sheet.write_number(row, n_dims + c, value, book.count)
        for k, value in enumerate(derived[i]):
            col = n_dims + len(r.col_labels) + k
            fmt = view.format_of(columns[k])
            if view.derived_suppressed(i, columns[k]):
                book.text(sheet, row, col, SUPPRESSED_WORD, book.muted)
            elif isinstance(value, int | float) and value == value:
                sheet.write_number(row, col, float(value), book.numbers.get(fmt))
            elif value != "":
                book.text(sheet, row, col, derived_text(value, fmt))
    sheet.set_column(0, n_dims - 1, 28)
    sheet.set_column(n_dims, len(heads), 14)
    sheet.freeze_panes(3, n_dims)


def render_xlsx(document: ReportDocument) -> bytes:
    """The report as the bytes of an .xlsx file (see the module docstring)."""
    meta = document.metadata
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    workbook.set_properties({"title": meta.title, "subject": meta.template_id, "author": "ristra",
                             "comments": f"release {meta.release}", "created": _issued(meta.issued)})
    book = _Book(workbook)
    about = workbook.add_worksheet("About")
    book.text(about, 0, 0, meta.title, book.title)
    book.text(about, 1, 0, meta.description, book.wrap)
    for i, (label, value) in enumerate(provenance_lines(document), start=3):
        book.text(about, i, 0, label, book.bold)
        book.text(about, i, 1, value)
    row = 4 + len(provenance_lines(document))
    book.text(about, row, 0, "Tables", book.bold)
    for view in document.tables:
        row += 1
        book.text(about, row, 0, f"Table {view.number}")
        book.text(about, row, 1, view.released.title)
    about.set_column(0, 0, 26)
    about.set_column(1, 1, 110)
    for view in document.tables:
        _table_sheet(book, view)
    notes = workbook.add_worksheet("Notes")
    book.text(notes, 0, 0, "Notes", book.title)
    row = 1
    for k, note in enumerate(document.notes, start=1):
        row += 1
        book.text(notes, row, 0, str(k))
        book.text(notes, row, 1, note, book.wrap)
    for section in document.sections:
        numbers = ", ".join(f"Table {t.number}" for t in section.tables) or section.title
        for note in section.notes:
            row += 1
            book.text(notes, row, 0, numbers)
            book.text(notes, row, 1, note, book.wrap)
        if section.text:
            row += 1
            book.text(notes, row, 0, section.title)
            book.text(notes, row, 1, section.text, book.wrap)
    notes.set_column(0, 0, 22)
    notes.set_column(1, 1, 120)
    audit = workbook.add_worksheet("Disclosure")
    for i, line in enumerate(attack_lines(document)):
        book.text(audit, i, 0, line)
    start = len(attack_lines(document)) + 1
    for c, text in enumerate(("Table", "Row", "Column", "Lowest value", "Highest value")):
        book.text(audit, start, c, text, book.bold)
    for i, cells in enumerate(interval_rows(document), start=start + 1):
        for c, text in enumerate(cells):
            book.text(audit, i, c, text)
    audit.set_column(0, 0, 10)
    audit.set_column(1, 2, 45)
    workbook.close()
    return out.getvalue()
