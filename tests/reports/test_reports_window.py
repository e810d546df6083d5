"""Reports over data whose window was not declared (issue 15, item 8): the publication never
guesses where an extract starts; a section whose metric needs the window says why in its note,
and the rest of the report is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from ristra.core.disclosure import INTERNAL
from ristra.reports.document import ReportDocument, SectionView
from ristra.services import publication, reports
from ristra.services.dashboard import Filters, panels
from ristra.services.imports import import_file
from ristra.services.workspace import Settings, Workspace
from support.report_school import EXTRACT_STARTS, school_files

TEMPLATE = "acgme-recruitment-retention"


def _school(root: Path, *, declared: bool) -> Workspace:
    workspace = Workspace(Settings(data_dir=root / "data"))
    for name, path in school_files(root / "source").items():
        start = EXTRACT_STARTS.get(name) if declared else None
        assert import_file(workspace, name, path, extract_start=start).imported
    return workspace


def _section(doc: ReportDocument, section_id: str) -> SectionView:
    return next(s for s in doc.sections if s.id == section_id)


@pytest.fixture(scope="module")
def undeclared(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _school(tmp_path_factory.mktemp("undeclared-school"), declared=False)


def test_a_report_over_an_undeclared_window_says_why_in_the_note(undeclared: Workspace) -> None:
    doc = reports.documents(undeclared, [TEMPLATE], "internal", threshold=1)[TEMPLATE]
    retention = _section(doc, "faculty_retention")
    assert retention.tables == ()
    assert retention.figure is None  # nothing guessed, nothing shown
    note = " ".join(retention.notes)
    assert "This section is not computed: the employees import did not declare the first day" in note
    assert "`ristra import employees FILE --extract-start YYYY-MM-DD`" in note
    assert '"Extract start" field of the web import form' in note
    # the rest of the report is made: the faculty by department, entering and attrition tables
    assert _section(doc, "faculty_by_department").tables
    assert _section(doc, "attrition").tables
    assert "faculty_retention" not in " ".join(t.released.key for t in doc.tables)


def test_the_same_report_declared_computes_the_section(tmp_path: Path) -> None:
    doc = reports.documents(_school(tmp_path, declared=True), [TEMPLATE], "internal", threshold=1)[TEMPLATE]
    retention = _section(doc, "faculty_retention")
    assert retention.tables
    assert not any("not computed" in n for n in retention.notes)
    assert any("declared with the employees import" in n for n in retention.notes)


def test_the_dashboard_says_the_retention_panel_does_not_apply_and_why(undeclared: Workspace) -> None:
    status = publication.current(undeclared, INTERNAL, wait=True)
    assert status.state == "ready"
    assert status.publication is not None
    built = status.publication
    assert "employees import did not declare" in built.dashboard.withheld["retention"]
    assert not any(k.startswith("dashboard/retention.") for k in built.tables)
    board = panels(built, Filters(None, None, None, "women"), {}, 1)
    assert [p.key for p in board.panels] == ["path", "funnel", "trend", "departments"]
    assert "Faculty retention does not apply: the employees import did not declare the first day" in board.notice
    assert "--extract-start YYYY-MM-DD" in board.notice
