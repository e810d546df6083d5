"""The rendered files read back (python-docx, openpyxl, csv, an HTML parser) and compared with the
released values; reproducibility (equal bytes from equal snapshots); formula neutralisation."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest

from ristra.core.table_view import SUPPRESSED_MARK, TableView
from ristra.reports import FORMATS, render
from ristra.reports.document import ReportDocument
from ristra.reports.formatting import header
from ristra.services import reports
from ristra.services.workspace import Settings, Workspace
from support.report_school import shared_school

PACK = ("lcme-3.3", "acgme-recruitment-retention", "annual-outcomes")


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportDocument]:
    return reports.documents(shared_school(tmp_path_factory), PACK, "public")


def _count(text: str) -> int | None:
    return None if text in (SUPPRESSED_MARK, "suppressed", "") else int(str(text).replace(",", ""))


def test_public_release_suppresses_and_passes_its_audit(public: dict[str, ReportDocument]) -> None:
    summary = public["lcme-3.3"].summary
    assert summary.passed
    assert summary.primary > 0
    assert summary.secondary > 0
    for doc in public.values():
        for view in doc.tables:
            for row in view.released.cells:
                assert all(v is None or v == 0 or v >= 11 for v in row)


@pytest.mark.parametrize("template", PACK)
def test_docx_tables_read_back_equal_the_released_values(public: dict[str, ReportDocument], template: str) -> None:
    doc = public[template]
    word = docx.Document(io.BytesIO(render(doc, "docx")))
    captions = [p.text for p in word.paragraphs if p.style is not None and p.style.name == "Caption"]
    for view, grid in zip(doc.tables, word.tables, strict=False):
        r = view.released
        assert f"Table {view.number}. {r.title}" in captions
        texts = [[cell.text for cell in row.cells] for row in grid.rows]
        assert texts[0] == header(view)
        n = len(r.row_dims)
        for i, row in enumerate(texts[1:]):
            assert tuple(row[:n]) == r.row_labels[i]
            assert [_count(t) for t in row[n:n + len(r.col_labels)]] == list(r.cells[i])
    assert len(word.tables) == len(doc.tables) + (1 if doc.attack_summary()["intervals"] else 0)
    assert len(word.inline_shapes) == len(doc.figures)
    props = word.core_properties
    assert props.author == "ristra"
    assert props.title == doc.metadata.title
    assert props.created is not None
    assert props.created.year == int(doc.metadata.issued[:4])


@pytest.mark.parametrize("template", PACK)
def test_xlsx_sheets_read_back_equal_the_released_values(public: dict[str, ReportDocument], template: str) -> None:
    doc = public[template]
    book = openpyxl.load_workbook(io.BytesIO(render(doc, "xlsx")))
    assert book.sheetnames == ["About", *(f"Table {t.number}" for t in doc.tables), "Notes", "Disclosure"]
    for view in doc.tables:
        r = view.released
        sheet = book[f"Table {view.number}"]
        assert sheet.cell(1, 1).value == f"Table {view.number}. {r.title}"
        assert [c.value for c in sheet[3]][:len(header(view))] == header(view)
        n = len(r.row_dims)
        for i in range(len(r.row_labels)):
            values = [sheet.cell(4 + i, 1 + n + c).value for c in range(len(r.col_labels))]
            assert [None if v == "suppressed" else v for v in values] == list(r.cells[i])
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_csv_holds_every_released_cell(public: dict[str, ReportDocument]) -> None:
    doc = public["lcme-3.3"]
    lines = list(csv.DictReader(io.StringIO(render(doc, "csv").decode("utf-8"))))
    counts = {(int(x["table"]), x["row"], x["column"]): x for x in lines if x["record"] == "count"}
    for view in doc.tables:
        r = view.released
        for i, labels in enumerate(r.row_labels):
            for c, value in enumerate(r.cells[i]):
                found = counts[(view.number, " / ".join(labels), r.col_labels[c])]
                assert (found["value"], found["status"]) == (("", "suppressed") if value is None else (str(value), ""))
    meta = {x["title"]: x["value"] for x in lines if x["record"] == "metadata"}
    assert meta["Template"] == "lcme-3.3, version 1"
    assert meta["Category definitions"] == "version 1"
    assert any(x["record"] == "audit" for x in lines)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.after_table: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.tags and self.tags[-1][0] == "table":
            self.after_table.append(tag)
        self.tags.append((tag, dict(attrs)))


def test_html_is_standalone_and_accessible(public: dict[str, ReportDocument]) -> None:
    doc = public["annual-outcomes"]
    text = render(doc, "html").decode("utf-8")
    page = _Page()
    page.feed(text)
    tags = page.tags
    assert tags[0] == ("html", {"lang": "en"})
    assert "<script" not in text
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert sum(1 for t, _ in tags if t == "h1") == 1
    assert all(first == "caption" for first in page.after_table)
    assert {a.get("scope") for t, a in tags if t == "th"} == {"col", "row"}
    svgs = [a for t, a in tags if t == "svg"]
    assert len(svgs) == len(doc.figures)
    assert all(a.get("role") == "img" for a in svgs)
    assert all(a.get("aria-describedby") for a in svgs)
    for figure in doc.figures:
        for view in figure.tables:
            assert f'href="#table-{view.number}"' in text
    assert "suppressed</span>" in text


def _copy(workspace: Workspace, target: Path) -> Workspace:
    shutil.copytree(workspace.root, target)
    return Workspace(Settings(data_dir=target))


def test_equal_snapshots_give_equal_bytes_in_every_format(tmp_path_factory: pytest.TempPathFactory,
                                                         tmp_path: Path) -> None:
    source = shared_school(tmp_path_factory)
    digests = []
    for name in ("first", "second"):
        workspace = _copy(source, tmp_path / name)
        out = tmp_path / f"{name}-out"
        out.mkdir()
        records = reports.generate_pack(workspace, ["annual-outcomes"], "internal", FORMATS, out,
                                        threshold=1, scope=[])
        digests.append({r.format: r.sha256 for r in records})
        for r in records:
            assert hashlib.sha256(r.path.read_bytes()).hexdigest() == r.sha256
    assert digests[0] == digests[1]


def test_text_that_looks_like_a_formula_is_neutralised(tmp_path_factory: pytest.TempPathFactory,
                                                      tmp_path: Path) -> None:
    template = tmp_path / "formula.yaml"
    template.write_text(
        "id: formula-test\nversion: 1\ntitle: '=HYPERLINK(\"http://example.invalid\")'\ncategories: [women]\n"
        "sections:\n  - {id: t, kind: text, title: '+cmd', text: '@SUM(A1)'}\n"
        "  - {id: c, kind: table, title: '-offers', columns: [{id: o, metric: applications.offered, label: '=1+1'}]}\n")
    doc = reports.documents(shared_school(tmp_path_factory), [template], "internal", threshold=1, scope=[])["formula-test"]
    lines = render(doc, "csv").decode("utf-8")
    assert "'=HYPERLINK" in lines
    assert "'@SUM(A1)" in lines
    assert "'=1+1" in lines
    assert "\n=" not in lines
    book = openpyxl.load_workbook(io.BytesIO(render(doc, "xlsx")))
    values = [c.value for s in book.worksheets for row in s.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://example.invalid\")" in values
    assert "Table 1. -offers" in values


def test_views_number_tables_and_figures_in_order(public: dict[str, ReportDocument]) -> None:
    doc = public["annual-outcomes"]
    assert [t.number for t in doc.tables] == list(range(1, len(doc.tables) + 1))
    assert [f.number for f in doc.figures] == list(range(1, len(doc.figures) + 1))
    assert all(isinstance(t, TableView) for f in doc.figures for t in f.tables)
