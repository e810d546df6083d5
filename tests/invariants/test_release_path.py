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

SRC = Path(__file__).resolve().parents[2] / "src" / "ristra"

#: Modules that turn tables into documents, pages, charts or responses.
RENDERING = sorted([
    *(SRC / "reports").glob("render_*.py"),
    SRC / "reports" / "charts.py",
    SRC / "reports" / "document.py",
    SRC / "reports" / "page_charts.py",
    SRC / "core" / "table_view.py",
])


def _table():  # type: ignore[no-untyped-def]
    return crosstab("Faculty by rank", [[3, 20, 30], [15, 25, 12]], rows=["Assistant", "Full"], cols=["A", "B", "C"])


def test_rendering_modules_exist() -> None:
    assert len(RENDERING) >= 7
    assert all(p.is_file() for p in RENDERING)


@pytest.mark.parametrize("path", RENDERING, ids=lambda p: str(p.relative_to(SRC)))
def test_rendering_modules_cannot_name_an_unreleased_table(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [m for m in imported if m == "ristra.core.tables" or m.startswith("ristra.core.tables.")]


def test_report_tables_refuse_an_unreleased_table() -> None:
    from ristra.core.table_view import TableView

    with pytest.raises(TypeError, match="ReleasedTable"):
        TableView(number=1, released=_table(), formats={})  # type: ignore[arg-type]
    view = TableView(number=1, released=release(_table(), PUBLIC), formats={})
    assert isinstance(view.released, ReleasedTable)


def test_pages_and_charts_refuse_an_unreleased_table() -> None:
    from ristra.core.table_view import TableView
    from ristra.services.charts import table_chart

    with pytest.raises(TypeError):
        TableView(_table())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        table_chart(_table())  # type: ignore[arg-type]
    released = release(_table(), PUBLIC)
    assert TableView(released).suppressed > 0


def test_a_released_table_hides_the_small_count() -> None:
    released = release(_table(), PUBLIC)
    assert released.cells[0][0] is None
    assert "3" not in str([row[0] for row in released.to_dict()["cells"]])


def test_a_retention_estimate_does_not_reveal_a_few_leavers() -> None:
    """A retention estimate near 100 % in a large group reveals how many left (200 people, 3 left
    within a year: 98.5 %). The table every output uses (the report binder, which the dashboard
    slices) derives the estimate from the leavers within its horizon, so when that count is small
    it is suppressed with it."""
    from types import SimpleNamespace

    from ristra.core.metrics.groupings import Grouping
    from ristra.core.metrics.results import SurvivalRow
    from ristra.reports.metric_sections import RetentionBinder

    def row(level: str, n: int, events: int, horizon: float, estimate: float, within: int) -> SurvivalRow:
        return SurvivalRow(category="women", population="faculty", level=level, measure="retention", horizon=horizon,
                           estimate=estimate, lower=None, upper=None, n=n, events=events, at_risk=None,
                           logrank_statistic=None, logrank_df=None, logrank_p=None, small_number=False, note=None,
                           events_to_horizon=within)

    women = Grouping("women", "Women", "category", ("yes", "no"), ("employees",), unknown_merged=True)
    section = SimpleNamespace(id="retention", title="Retention", notes=(), population="faculty", horizons=(1.0, 5.0))
    binder = RetentionBinder(section, [women])  # type: ignore[arg-type]
    result = SimpleNamespace(rows=[row("yes", 200, 40, 1.0, 0.985, 3), row("yes", 200, 40, 5.0, 0.80, 40),
                                   row("no", 300, 60, 1.0, 0.95, 15), row("no", 300, 60, 5.0, 0.80, 60)], notes=())
    plan = binder.build(None, {binder._spec(women): result}).tables[0]
    released = release(plan.table, PUBLIC)
    estimates = {(d.row, d.column): d for d in released.derived}
    assert estimates[(0, "Retained at 1 year")].suppressed
    assert estimates[(0, "Retained at 1 year")].value is None
    assert not estimates[(0, "Retained at 5 years")].suppressed
    assert estimates[(0, "Retained at 5 years")].value == 0.8
    assert released.cells[0][2] is None  # the 3 leavers within a year
