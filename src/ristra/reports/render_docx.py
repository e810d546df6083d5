"""A report as a Word document (python-docx): numbered table and figure titles, notes, charts as
PNG images, the provenance and the disclosure audit.

Reproducible: the core properties carry the data's date (the newest snapshot) instead of the
clock, and the zip container is rewritten with fixed timestamps, so the same document gives the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

from ristra.core.table_view import SUPPRESSED_MARK, TableView
from ristra.reports.charts import chart_png
from ristra.reports.document import FigureView, ReportDocument, SectionView
from ristra.reports.files import normalised_zip
from ristra.reports.formatting import (
    attack_lines,
    body,
    header,
    interval_rows,
    provenance_lines,
)


def _issued(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None, microsecond=0)
    except ValueError:
        return dt.datetime(1980, 1, 1)


def _repeat_header(row: object) -> None:
    properties = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _grid(doc: DocumentObject, heads: list[str], rows: list[list[str]], bold_rows: set[int]) -> None:
    """A Word table with a repeated, bold header row (cells filled through the flat cell list,
    which python-docx builds once)."""
    table = doc.add_table(rows=1 + len(rows), cols=len(heads))
    table.style = "Table Grid"
    cells = table._cells
    width = len(heads)
    for c, text in enumerate(heads):
        cells[c].paragraphs[0].add_run(text).bold = True
    _repeat_header(table.rows[0])
    for i, values in enumerate(rows, start=1):
        for c, text in enumerate(values):
            run = cells[i * width + c].paragraphs[0].add_run(text)
            if i in bold_rows:
                run.bold = True


def _table(doc: DocumentObject, view: TableView) -> None:
    r = view.released
    doc.add_paragraph(f"Table {view.number}. {r.title}", style="Caption")
    rows = body(view)
    totals = {i for i, (labels, _) in enumerate(rows, start=1) if labels[-1] == "All" or i == len(rows) and r.row_sums}
    _grid(doc, header(view), [[*labels, *values] for labels, values in rows], totals)


def _figure(doc: DocumentObject, figure: FigureView) -> None:
    doc.add_picture(io.BytesIO(chart_png(figure)), width=Inches(6.2))
    numbers = ", ".join(str(t.number) for t in figure.tables)
    doc.add_paragraph(f"Figure {figure.number}. {figure.title}. The data are in Table(s) {numbers}.", style="Caption")


def _section(doc: DocumentObject, section: SectionView) -> None:
    doc.add_heading(section.title, level=1)
    if section.text:
        paragraph = doc.add_paragraph(section.text)
        if section.placeholder:
            for run in paragraph.runs:
                run.italic = True
    if section.figure is not None:
        _figure(doc, section.figure)
    for view in section.tables:
        _table(doc, view)
    for k, note in enumerate(section.notes, start=1):
        doc.add_paragraph(f"Note {k}. {note}", style="Caption")


def render_docx(document: ReportDocument) -> bytes:
    """The report as the bytes of a .docx file (see the module docstring)."""
    meta = document.metadata
    doc = Document()
    doc.styles["Table Grid"].font.size = Pt(7.5)
    page = doc.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = page.page_height, page.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Inches(0.7))
    issued = _issued(meta.issued)
    props = doc.core_properties
    props.title, props.subject, props.author = meta.title, meta.template_id, "ristra"
    props.last_modified_by, props.comments = "ristra", f"release {meta.release}"
    props.created = props.modified = props.last_printed = issued
    props.revision = 1
    props.keywords = f"template {meta.template_id} v{meta.template_version}; audience {meta.audience}"
    doc.add_heading(meta.title, level=0)
    if meta.description:
        doc.add_paragraph(meta.description)
    doc.add_heading("About this report", level=1)
    for label, value in provenance_lines(document):
        doc.add_paragraph(f"{label}: {value}", style="List Bullet")
    doc.add_heading("Notes", level=1)
    for note in document.notes:
        doc.add_paragraph(note, style="List Number")
    doc.add_paragraph(f"{SUPPRESSED_MARK} marks a suppressed cell; n/a a value that cannot be computed.")
    for section in document.sections:
        _section(doc, section)
    doc.add_heading("Disclosure control", level=1)
    for line in attack_lines(document):
        doc.add_paragraph(line)
    rows = interval_rows(document)
    if rows:
        doc.add_paragraph("What an attacker can derive about each suppressed cell of this report:", style="Caption")
        _grid(doc, ["Table", "Row", "Column", "Lowest value", "Highest value"], rows, set())
    out = io.BytesIO()
    doc.save(out)
    return normalised_zip(out.getvalue())
