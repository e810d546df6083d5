"""One release path (DESIGN.md §4): renderers, charts, pages and API responses accept only a
``ReleasedTable``, which only ``ristra.core.disclosure.release`` can build.

Two kinds of proof: every entry point that shows a table refuses an unreleased ``Table`` at
run time; and no rendering module can even name an unreleased table (they do not import
``ristra.core.tables``), so the only way a count reaches a document, a page or a response is
through ``release``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ristra.core.disclosure import PUBLIC, ReleasedTable, release
from ristra.core.tables import crosstab

SRC = Path(__file__).resolve().parents[1] / "src" / "ristra"

#: Modules that turn tables into documents, pages, charts or responses.
RENDERING = sorted([
    *(SRC / "reports").glob("render_*.py"),
    SRC / "reports" / "charts.py",
    SRC / "reports" / "document.py",
    SRC / "web" / "presentation.py",
    SRC / "web" / "charts.py",
])


def _table():  # type: ignore[no-untyped-def]
    return crosstab("Faculty by rank", [[3, 20, 30], [15, 25, 12]], rows=["Assistant", "Full"], cols=["A", "B", "C"])


def test_rendering_modules_exist() -> None:
    assert len(RENDERING) >= 7 and all(p.is_file() for p in RENDERING)


@pytest.mark.parametrize("path", RENDERING, ids=lambda p: str(p.relative_to(SRC)))
def test_rendering_modules_cannot_name_an_unreleased_table(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [m for m in imported if m == "ristra.core.tables" or m.startswith("ristra.core.tables.")]


def test_report_tables_refuse_an_unreleased_table() -> None:
    from ristra.reports.document import TableView

    with pytest.raises(TypeError, match="ReleasedTable"):
        TableView(number=1, released=_table(), formats={})  # type: ignore[arg-type]
    view = TableView(number=1, released=release(_table(), PUBLIC), formats={})
    assert isinstance(view.released, ReleasedTable)


def test_pages_and_charts_refuse_an_unreleased_table() -> None:
    from ristra.web.charts import chart
    from ristra.web.presentation import table_view

    with pytest.raises(TypeError):
        table_view(_table())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        chart(_table())  # type: ignore[arg-type]
    released = release(_table(), PUBLIC)
    assert table_view(released) is not None


def test_a_released_table_hides_the_small_count() -> None:
    released = release(_table(), PUBLIC)
    assert released.cells[0][0] is None
    assert "3" not in str([row[0] for row in released.to_dict()["cells"]])
