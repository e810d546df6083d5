"""Bad input gets a clear message and leaves nothing at the output path: malformed templates, unknown
metrics, columns and categories, a threshold below 1, a workspace with no data, unknown formats,
missing directories, failures while rendering or writing. Also: the CLI and the audit-log hook."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ristra.cli.main import main
from ristra.core.disclosure import PolicyError
from ristra.reports.templates import TemplateError, load_template, parse_template
from ristra.services import reports
from ristra.services.workspace import Workspace
from ristra.stores import atomic
from support.report_school import shared_school

GOOD: dict[str, Any] = {"id": "t", "version": 1, "title": "T", "categories": ["women"],
        "sections": [{"id": "s", "kind": "table", "title": "S", "columns": [{"id": "o", "metric": "applications.offered"}]}]}


def _with(section: dict[str, Any]) -> dict[str, Any]:
    return {**GOOD, "sections": [{**GOOD["sections"][0], **section}]}


@pytest.mark.parametrize(("data", "expected"), [
    (_with({"columns": [{"id": "o", "metric": "applications.offerd"}]}),
     "section 's', field 'columns[0].metric': unknown metric 'applications.offerd'; did you mean applications.offered?"),
    (_with({"kind": "tabel"}), "field 'kind': unknown kind 'tabel'; did you mean table?"),
    (_with({"years": {"column": "cycel", "recent": 3}}), "field 'years.column': dataset applications has no column 'cycel'"),
    (_with({"years": {"column": "program"}}), "field 'years.column': program is not a year column"),
    (_with({"years": {"column": "cycle", "recent": 0}}), "field 'years.recent': must be a whole number from 1 to 50"),
    (_with({"where": {"progam": "MD"}}), "field 'where.progam': dataset applications has no column 'progam'"),
    (_with({"where": {"sex": "female"}}), "field 'where.sex': a sensitive column cannot filter a report"),
    (_with({"where": {"in_state": "maybe"}}), "field 'where.in_state': 'maybe' is not a code of in_state"),
    (_with({"columns": [{"id": "o", "metric": "applications.offered", "by": "name"}]}),
     "field 'columns[0].by': dataset applications has no column 'name'"),
    (_with({"columns": [{"id": "a", "metric": "applications.offered"}, {"id": "b", "metric": "students.matriculants"}]}),
     "field 'columns[1].metric': every column of one table must count the same dataset"),
    (_with({"columns": [{"id": "a", "metric": "applications.offered", "total_of": ["x"]}]}),
     "field 'columns[0].total_of': names no earlier column 'x'"),
    (_with({"colour": "red"}), "field 'colour': is not a field of a table section"),
    ({**GOOD, "sections": [{"id": "p", "kind": "path", "title": "P", "chart": "pie"}]},
     "section 'p', field 'chart': a path section can draw path"),
    ({**GOOD, "version": 0}, "template t, field 'version': must be a whole number from 1"),
    ({**GOOD, "sections": []}, "template t, field 'sections': must be a non-empty list"),
    ({**GOOD, "sections": [GOOD["sections"][0], GOOD["sections"][0]]},
     "field 'sections': section id 's' is used twice"),
])
def test_malformed_templates_are_refused_naming_section_and_field(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(TemplateError) as raised:
        parse_template(data)
    assert expected in str(raised.value)


def test_unreadable_and_unknown_templates(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nsections: [\n")
    with pytest.raises(TemplateError, match="is not valid YAML at line"):
        load_template(bad)
    with pytest.raises(TemplateError, match="unknown report template 'lcme'.*choose from"):
        load_template("lcme")
    with pytest.raises(TemplateError, match="cannot be read"):
        load_template(tmp_path / "missing.yaml")


def test_shipped_templates_load() -> None:
    found = {t.id: t for t in reports.list_templates()}
    assert set(found) == {"lcme-3.3", "acgme-recruitment-retention", "annual-outcomes", "lcme-3.3-pipeline",
                          "program-outcomes"}
    assert all(t.version >= 1 for t in found.values())
    assert all(t.title for t in found.values())


def test_a_template_naming_an_unknown_category_leaves_no_file(tmp_path_factory: pytest.TempPathFactory,
                                                             tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text("id: t\nversion: 1\ntitle: T\ncategories: [women, rurall]\nsections:\n"
                        "  - {id: s, kind: table, title: S, columns: [{id: o, metric: applications.offered}]}\n")
    out = tmp_path / "t.docx"
    with pytest.raises(TemplateError) as raised:
        reports.generate(shared_school(tmp_path_factory), template, "internal", "docx", out, scope=[])
    assert "template t, section 's', field 'categories': unknown category 'rurall'" in str(raised.value)
    assert "did you mean rural" in str(raised.value)
    assert not out.exists()


def test_a_category_that_does_not_apply_is_refused(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text("id: t\nversion: 1\ntitle: T\ncategories: [in_state]\nsections:\n"
                        "  - {id: s, kind: table, title: S, columns: [{id: o, metric: employees.faculty_current}]}\n")
    with pytest.raises(TemplateError, match="category in_state does not apply to employees"):
        reports.documents(shared_school(tmp_path_factory), [template], "internal", scope=[])


def test_threshold_below_one_is_refused_and_nothing_written(tmp_path_factory: pytest.TempPathFactory,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    with pytest.raises(PolicyError, match="at least 1"):
        reports.generate(shared_school(tmp_path_factory), "lcme-3.3", "public", "xlsx", out, threshold=0)
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_a_workspace_with_no_data_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    with pytest.raises(reports.ReportError, match="no data has been imported yet"):
        reports.generate(workspace, "annual-outcomes", "public", "docx", out)
    assert not out.exists()


@pytest.mark.parametrize(("audience", "fmt", "message"), [
    ("public", "pdf", "unknown format 'pdf'"), ("everyone", "csv", "unknown audience 'everyone'")])
def test_unknown_format_or_audience(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, audience: str,
                                    fmt: str, message: str) -> None:
    with pytest.raises(reports.ReportError, match=message):
        reports.generate(shared_school(tmp_path_factory), "lcme-3.3", audience, fmt, tmp_path / "r")
    assert not list(tmp_path.iterdir())


def test_a_missing_output_directory_is_refused(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    with pytest.raises(reports.ReportError, match="does not exist"):
        reports.generate(shared_school(tmp_path_factory), "lcme-3.3", "internal", "csv", tmp_path / "no" / "r.csv")


def test_a_failure_while_rendering_keeps_the_old_file(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.html"
    out.write_text("the previous report")

    def broken(document: object, fmt: str) -> bytes:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(reports, "render", broken)
    with pytest.raises(RuntimeError):
        reports.generate(shared_school(tmp_path_factory), "lcme-3.3", "internal", "html", out, threshold=1)
    assert out.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_a_failure_while_writing_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        atomic.write_atomically(tmp_path / "r.docx", b"x" * 1000)
    assert list(tmp_path.iterdir()) == []


def test_the_audit_log_hook_gets_the_confidential_record(tmp_path_factory: pytest.TempPathFactory,
                                                        tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    record = reports.generate(shared_school(tmp_path_factory), "lcme-3.3", "public", "csv", tmp_path / "r.csv",
                              audit_log=events.append)
    assert len(events) == 1
    assert events[0]["sha256"] == record.sha256
    assert events[0]["template"] == "lcme-3.3"
    kinds = {i["kind"] for i in events[0]["suppression"]["intervals"]}
    assert kinds == {"primary", "secondary"}
    assert record.suppression["passed"]
    assert record.suppression["report_suppressed"] > 0
    assert "kind" not in str(record.suppression)  # the public summary never says which cell is primary
    assert dict(record.snapshots).keys() >= {"applications", "employees"}
    assert record.category_version == 1


def test_cli_lists_generates_and_refuses(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = str(shared_school(tmp_path_factory).root)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--list"]) == 0
    assert "lcme-3.3" in capsys.readouterr().out
    assert not (tmp_path / "ristra-data").exists()
    out = tmp_path / "lcme.xlsx"
    assert main(["--data-dir", data_dir, "report", "lcme-3.3", "--format", "xlsx", "--audience", "internal",
                 "--threshold", "1", "--out", str(out)]) == 0
    assert out.is_file()
    assert "written to" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "report", "lcme-3.3", "--threshold", "0", "--out", str(tmp_path / "x")]) == 2
    assert "the threshold must be at least 1" in capsys.readouterr().err
    assert main(["--data-dir", data_dir, "report", "nope", "--out", str(tmp_path / "y")]) == 2
    assert "unknown report template 'nope'" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path / "empty"), "report", "lcme-3.3", "--out", str(tmp_path / "z")]) == 2
    assert "no data has been imported" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "lcme.xlsx"]
