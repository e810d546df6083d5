"""The strategic plan in the web application: the tree, the scorecard, a measure's page, editing,
action updates and the API — every status checked against one recomputed here (with statsmodels'
Wilson interval) from the counts the audience's publication shows, and every role's limits."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from statsmodels.stats.proportion import proportion_confint

from ristra.core.disclosure import INTERNAL, PUBLIC, Policy
from ristra.core.plan import Point, measure_status
from ristra.core.plan.status import WITHHELD
from ristra.services import publication
from ristra.services.plans import PlanService
from ristra.services.workspace import Settings, Workspace
from ristra.stores.plans import PlanStore

pytestmark = pytest.mark.django_db(databases="__all__")

PLAN = """\
plan: {id: test-plan, title: Test plan, cycle: "2025-26", start_year: 2025, end_year: 2030}
goals:
  - {id: G1, title: Students who represent the state, aligns_to: [UNM2040-G1.3]}
objectives:
  - {id: G1.1, parent: G1, title: Matriculants, aligns_to: [LCME-1.1]}
actions:
  - {id: A1, parent: G1.1, title: Outreach visits, owner: the-viewer, due: 2026-06-30, status: in_progress}
  - {id: A2, parent: G1.1, title: Committee training, owner: Dean of Admissions, due: 2026-06-30}
measures:
  - id: M-REP
    parent: G1.1
    title: URM-NM share of matriculants
    metric: {kind: representation, dataset: students, category: urm_nm}
    direction: increase
    baseline: {year: 2023}
    target: {value: 0.6, year: 2030}
  - id: M-INT
    parent: G1.1
    title: Interview rate of URM-NM applicants
    metric: {kind: stage-rate, category: urm_nm, stage: interviewed}
    direction: increase
    baseline: {year: 2023}
    target: {value: 0.9, year: 2030}
  - id: M-GRAD
    parent: G1.1
    title: Graduation within four years
    metric: {kind: graduation, category: urm_nm, within: 4}
    direction: increase
    baseline: {year: 2023}
    target: {value: 0.9, year: 2030}
  - id: M-ENT
    parent: G1.1
    title: Pipeline yield (typed in)
    metric: {kind: entered, range: share}
    direction: increase
    baseline: {year: 2022, value: 0.18, lower: 0.15, upper: 0.21}
    target: {value: 0.3, year: 2030}
    entered:
      - {year: 2022, value: 0.18, lower: 0.15, upper: 0.21}
      - {year: 2023, value: 0.2, lower: 0.17, upper: 0.23}
"""


@pytest.fixture
def plan_dir(data_dir: Path) -> Path:
    service = PlanService(Workspace(Settings(data_dir=data_dir, user="setup")))
    service.import_text(PLAN, "the test plan")
    service.close()
    return data_dir


def _published(root: Path, policy: Policy) -> Any:
    status = publication.current(Workspace(Settings(data_dir=root)), policy, wait=True)
    assert status.publication is not None, status.error
    return status.publication


def _recomputed(made: Any, measure_id: str) -> str:
    """The status recomputed here from the measure's published counts (independently of
    ristra.core.plan.released: labels read from the table, Wilson from statsmodels)."""
    card = made.scorecards["plan-scorecard.test-plan"]
    measure = card.plan.measure(measure_id)
    table = made.tables[f"plan-scorecard.test-plan/s-{measure_id}"]
    rows = {labels[1]: r for r, labels in enumerate(table.row_labels)}
    points, hidden = [], []
    years = sorted({int(c.split(":")[0]) for c in table.col_labels})
    for year in years:
        cols = {c.split(": ", 1)[1]: i for i, c in enumerate(table.col_labels) if c.startswith(f"{year}:")}
        if measure.metric.kind == "representation":
            k, n = table.cells[rows["In category"]][cols["Counted"]], table.cells[rows["All"]][cols["Counted"]]
        else:
            k = table.cells[rows["In category"]][cols["At the stage"]]
            n = table.cells[rows["In category"]][cols["At the stage before"]]
        if k is None or n is None:
            hidden.append(year)
            continue
        lower, upper = proportion_confint(k, n, method="wilson")
        small = n < 30 or k < 5 or n - k < 5
        points.append(Point(year, k / n, float(lower), float(upper), k, n, 1.0, small))
    if measure.baseline.year in hidden or years[-1] in hidden:
        return WITHHELD
    return measure_status(measure, points).status


def _page_statuses(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-measure="([^"]+)" data-status="([^"]+)"', html))


@pytest.mark.parametrize(("role", "policy"), [("viewer", PUBLIC), ("planner", PUBLIC), ("analyst", INTERNAL)])
def test_scorecard_statuses_are_those_of_the_published_counts(client_as: Any, plan_dir: Path, role: str,
                                                              policy: Policy) -> None:
    made = _published(plan_dir, policy)
    response = client_as(role).get("/plans/test-plan/scorecard/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = _page_statuses(html)
    assert set(shown) == {"M-REP", "M-INT", "M-GRAD", "M-ENT"}
    for measure_id in ("M-REP", "M-INT"):
        assert shown[measure_id] == _recomputed(made, measure_id), measure_id
    assert shown["M-GRAD"] == WITHHELD  # a cohort rate is not a ratio of published counts (yet)
    assert shown["M-ENT"] == "insufficient_data"  # two typed-in points
    assert f"threshold {policy.threshold})" in html
    # the printed report says the same, in every format
    document = made.documents["plan-scorecard.test-plan"]
    text = next(s.text for s in document.sections if s.id == "statuses")
    for measure_id, status in shown.items():
        label = made.scorecards["plan-scorecard.test-plan"].statuses(made.tables).measure(measure_id).label
        assert f"{measure_id}: {label}." in text
        assert status in (WITHHELD, "insufficient_data", "target_met", "improving", "little_or_no_change",
                          "getting_worse")


def test_the_measure_page_shows_the_published_values_and_the_api_agrees(client_as: Any, plan_dir: Path) -> None:
    made = _published(plan_dir, PUBLIC)
    table = made.tables["plan-scorecard.test-plan/s-M-INT"]
    client = client_as("viewer")
    page = client.get("/plans/test-plan/measures/M-INT/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<p>stage-rate of category urm_nm;" in body
    api = client.get("/api/plans/test-plan/measures/M-INT").json()
    assert api["threshold"] == 11
    assert api["publication"] == made.fingerprint
    rows = {labels[1]: r for r, labels in enumerate(table.row_labels)}
    cols = {c: i for i, c in enumerate(table.col_labels)}
    for point in api["status"]["points"]:
        k = table.cells[rows["In category"]][cols[f"{point['year']}: At the stage"]]
        n = table.cells[rows["In category"]][cols[f"{point['year']}: At the stage before"]]
        assert (point["count"], point["total"]) == (k, n)
        assert point["value"] == pytest.approx(k / n)
        lower, upper = proportion_confint(k, n, method="wilson")
        assert (point["lower"], point["upper"]) == (pytest.approx(lower), pytest.approx(upper))
        assert f"{k / n:.3f}" in body
    assert api["table"]["key"] == table.key
    statuses = client.get("/api/plans/test-plan/statuses").json()
    assert statuses["computed_from"] == "released counts"
    assert statuses["threshold"] == 11
    assert {m["measure"]: m["status"] for m in statuses["measures"]} == _page_statuses(
        client.get("/plans/test-plan/scorecard/").content.decode())
    tree = client.get("/api/plans/test-plan").json()
    assert tree["plan"]["goals"][0]["objectives"][0]["measures"][0]["id"] == "M-REP"


def test_the_plan_tree_and_the_downloads(client_as: Any, plan_dir: Path) -> None:
    _published(plan_dir, PUBLIC)
    client = client_as("viewer")
    tree = client.get("/plans/test-plan/")
    assert tree.status_code == 200
    assert b"Outreach visits" in tree.content
    assert b"Add an update" in tree.content  # the viewer owns A1 only
    assert tree.content.count(b"Add an update") == 1
    assert client.get("/plans/").status_code == 200
    assert b"test-plan" in client.get("/plans/").content
    for fmt, magic in (("docx", b"PK"), ("xlsx", b"PK"), ("html", b"<!")):
        got = client.get(f"/plans/test-plan/scorecard.{fmt}")
        assert got.status_code == 200, fmt
        assert got.content.startswith(magic), fmt
    html = client.get("/plans/test-plan/scorecard.html").content.decode()
    assert "Status, from the published counts" in html
    import io

    import docx
    import openpyxl

    words = "\n".join(p.text for p in docx.Document(io.BytesIO(client.get("/plans/test-plan/scorecard.docx")
                                                                    .content)).paragraphs)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/plans/test-plan/scorecard.xlsx").content))
    cells = "\n".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
                      if c.value is not None)
    for text in (words, cells, html):
        assert "M-GRAD: Withheld." in text
        assert "Status, from the published counts" in text
    assert client.get("/plans/test-plan/scorecard.pdf").status_code == 404
    assert client.get("/plans/no-such-plan/").status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "anonymous"])
def test_who_cannot_read_the_plan(client_as: Any, plan_dir: Path, role: str) -> None:
    client = client_as(role)
    assert client.get("/plans/test-plan/scorecard/").status_code in (302, 403)
    assert client.get("/api/plans/test-plan/statuses").status_code == (401 if role == "anonymous" else 403)


def _events(action: str) -> list[Any]:
    from ristra.web.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action).order_by("at"))


def test_planners_edit_the_plan_and_bad_or_stale_edits_are_refused(client_as: Any, plan_dir: Path) -> None:
    store = PlanStore(plan_dir)
    assert client_as("viewer").get("/plans/test-plan/edit/").status_code == 403
    assert client_as("analyst").post("/plans/test-plan/edit/", {}).status_code == 403
    client = client_as("planner")
    assert client.get("/plans/test-plan/edit/").status_code == 200
    bad = PLAN.replace("category: urm_nm, stage", "category: no_such_category, stage")
    refused = client.post("/plans/test-plan/edit/", {"document": bad, "reason": "typo", "based_on": "1"})
    assert refused.status_code == 400
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if "no_such_category" in text)
    problems = re.findall(r'<tr class="plan-problem"><td class="num">(\d*)</td><td><code>([^<]*)</code></td>'
                          r"<td><code>([^<]*)</code></td>", refused.content.decode())
    assert (str(line), "measure M-INT", "measures[1].metric.category") in problems
    assert store.require("test-plan").version == 1  # nothing stored
    changed = PLAN.replace("title: Test plan", "title: Test plan (revised)")
    stale = client.post("/plans/test-plan/edit/", {"document": changed, "reason": "rename", "based_on": "0"})
    assert stale.status_code == 409
    assert store.require("test-plan").version == 1
    elsewhere = client.post("/plans/test-plan/edit/", {"document": changed.replace("id: test-plan", "id: x"),
                                                         "reason": "rename", "based_on": "1"})
    assert elsewhere.status_code == 400
    assert b"the document is plan x" in elsewhere.content
    saved = client.post("/plans/test-plan/edit/", {"document": changed, "reason": "rename", "based_on": "1"})
    assert saved.status_code == 302
    assert store.require("test-plan").plan.title == "Test plan (revised)"
    event = _events("plan_change")[-1]
    assert event.actor == "the-planner"
    assert event.detail["plan_version"] == 2
    assert event.detail["reason"] == "rename"
    # a new plan from an upload on the plans page
    from django.core.files.uploadedfile import SimpleUploadedFile

    other = PLAN.replace("id: test-plan", "id: other-plan")
    upload = SimpleUploadedFile("plan.yaml", other.encode())
    assert client.post("/plans/", {"plan_file": upload, "reason": "second plan", "based_on": "0"}).status_code == 302
    assert store.require("other-plan").version == 1
    assert client_as("viewer").post("/plans/", {"document": other, "reason": "x", "based_on": "0"}).status_code == 403


def test_action_owners_update_their_own_actions(client_as: Any, plan_dir: Path) -> None:
    store = PlanStore(plan_dir)
    form = {"action": "A1", "note": "Three visits made.", "date": "2025-12-01", "link": "https://example.org/r",
            "status": "done", "based_on": "1"}
    viewer = client_as("viewer")
    assert viewer.post("/plans/test-plan/", {**form, "action": "A2"}).status_code == 403  # not theirs
    assert viewer.post("/plans/test-plan/", {**form, "link": "javascript:alert(1)"}).status_code == 400
    assert viewer.post("/plans/test-plan/", form).status_code == 302
    stored = store.require("test-plan")
    action = next(a for a in stored.plan.actions if a.id == "A1")
    assert stored.version == 2
    assert action.status == "done"
    assert action.updates[-1].note == "Three visits made."
    assert action.updates[-1].author == "the-viewer"
    assert action.updates[-1].evidence[0].href == "https://example.org/r"
    assert viewer.post("/plans/test-plan/", form).status_code == 409  # stale: based on version 1
    assert client_as("analyst").post("/plans/test-plan/", {**form, "based_on": "2"}).status_code == 403
    assert client_as("planner").post("/plans/test-plan/", {**form, "action": "A2", "based_on": "2"}).status_code == 302
    events = _events("plan_action_update")
    assert [(e.actor, e.target) for e in events] == [("the-viewer", "plan test-plan action A1"),
                                                   ("the-planner", "plan test-plan action A2")]
    assert json.dumps(events[0].detail["update"])
    assert not math.isnan(events[0].detail["plan_version"])


def test_closed_cycles_are_shown_on_the_pages_and_in_the_api_for_each_audience(client_as: Any,
                                                                              plan_dir: Path) -> None:
    service = PlanService(Workspace(Settings(data_dir=plan_dir, user="the-analyst")))
    record = service.close_cycle("test-plan", "2025-26", "end of the cycle")
    service.close()
    for role, audience in (("viewer", "public"), ("analyst", "internal")):
        frozen = {m["measure"]: m for m in record["audiences"][audience]["measures"]}
        snapshots = record["audiences"][audience]["snapshots"]
        client = client_as(role)
        api = client.get("/api/plans/test-plan/history").json()
        assert api["audience"] == audience
        got = {h["measure"]: h for h in api["history"]}
        assert set(got) == set(frozen)
        for measure_id, m in frozen.items():
            assert got[measure_id]["status"] == m["status"]
            assert got[measure_id]["value"] == (m["latest"] or {}).get("value")
            assert got[measure_id]["snapshots"] == snapshots
            assert got[measure_id]["cycle"] == "2025-26"
            assert got[measure_id]["closed_at"] == record["closed_at"]
        page = client.get("/plans/test-plan/scorecard/").content.decode()
        rows = dict(re.findall(r'class="history-row" data-cycle="2025-26" data-measure="([^"]+)" '
                               r'data-status="([^"]+)"', page))
        assert rows == {k: m["status"] for k, m in frozen.items()}
        measure_page = client.get("/plans/test-plan/measures/M-REP/").content.decode()
        assert re.findall(r'class="history-row" data-cycle="2025-26" data-measure="M-REP" data-status="([^"]+)"',
                          measure_page) == [frozen["M-REP"]["status"]]
        students = next(s["snapshot_id"] for s in snapshots if s["dataset"] == "students")
        assert f"students {students}" in measure_page
        valued = next(m for m in frozen.values() if m["latest"] is not None)
        latest = valued["latest"]
        assert f"{latest['value']:.3f} ({latest['year']})" in page
    one = client_as("viewer").get("/api/plans/test-plan/history?measure=M-INT").json()["history"]
    assert [h["measure"] for h in one] == ["M-INT"]
    assert client_as("viewer").get("/api/plans/test-plan/history?measure=nope").status_code == 404
    assert client_as("coordinator").get("/api/plans/test-plan/history").status_code == 403


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def _evidence_files(root: Path) -> list[Path]:
    folder = root / "plans" / "test-plan" / "evidence"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def test_an_owner_attaches_an_evidence_file_that_readers_download(client_as: Any, plan_dir: Path) -> None:
    import hashlib

    store = PlanStore(plan_dir)
    viewer = client_as("viewer")
    form = {"action": "A1", "note": "Visit report attached.", "date": "2025-12-02", "based_on": "1"}
    done = viewer.post("/plans/test-plan/", {**form, "evidence_file": _upload("../../Visit report (final).pdf", PDF)})
    assert done.status_code == 302
    update = next(a for a in store.require("test-plan").plan.actions if a.id == "A1").updates[-1]
    (evidence,) = update.evidence
    assert evidence.kind == "file"
    assert evidence.name == "Visit_report_final_.pdf"  # the last path part, sanitised
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    (kept,) = _evidence_files(plan_dir)
    assert kept.read_bytes() == PDF
    tree = viewer.get("/plans/test-plan/").content.decode()
    url = f"/plans/test-plan/evidence/{evidence.sha256}/{evidence.name}"
    assert f'href="{url}"' in tree
    for role in ("viewer", "planner", "analyst", "admin"):
        got = client_as(role).get(url)
        assert got.status_code == 200, role
        assert got.content == PDF
        assert got["Content-Type"] == "application/pdf"
        assert "attachment" in got["Content-Disposition"]
    assert client_as("coordinator").get(url).status_code == 403
    assert client_as("anonymous").get(url).status_code == 302  # to the sign-in page
    assert client_as("viewer").get(f"/plans/test-plan/evidence/{'0' * 64}/other.pdf").status_code == 404
    downloads = [e for e in _events("export") if e.target == f"plan test-plan evidence {evidence.name}"]
    assert [e.actor for e in downloads] == ["the-viewer", "the-planner", "the-analyst", "the-admin"]
    assert _events("plan_action_update")[-1].detail["update"]["evidence"][0]["sha256"] == evidence.sha256


@pytest.mark.parametrize(("name", "data", "message"), [
    ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "the largest accepted is 5 MB"),
    ("tool.exe", b"MZ\x90\x00", "must be one of pdf, png, jpg, docx, xlsx, txt, csv"),
    ("empty.txt", b"", "is empty"),
    ("fake.png", b"not a png at all", "is not a PNG file"),
    ("notes.csv", b"\xff\xfe\x00bad", "is not UTF-8 text"),
])
def test_bad_evidence_files_are_refused_and_nothing_is_stored(client_as: Any, plan_dir: Path, name: str,
                                                              data: bytes, message: str) -> None:
    from django.utils.html import escape

    form = {"action": "A1", "note": "With a file.", "date": "2025-12-02", "based_on": "1",
            "evidence_file": _upload(name, data)}
    refused = client_as("viewer").post("/plans/test-plan/", form)
    assert refused.status_code == 400
    assert escape(message) in refused.content.decode()
    assert PlanStore(plan_dir).require("test-plan").version == 1
    assert _evidence_files(plan_dir) == []
    assert _events("plan_action_update") == []


def test_a_stale_update_with_a_file_keeps_no_file(client_as: Any, plan_dir: Path) -> None:
    client = client_as("planner")
    assert client.post("/plans/test-plan/", {"action": "A2", "note": "First.", "based_on": "1"}).status_code == 302
    stale = client.post("/plans/test-plan/", {"action": "A2", "note": "Second.", "based_on": "1",
                                             "evidence_file": _upload("notes.txt", b"minutes")})
    assert stale.status_code == 409
    assert _evidence_files(plan_dir) == []


def test_the_write_api_imports_plans_for_planners_only(client_as: Any, plan_dir: Path) -> None:
    store = PlanStore(plan_dir)
    other = PLAN.replace("id: test-plan", "id: api-plan")
    for role, status in (("viewer", 403), ("analyst", 403), ("coordinator", 403), ("anonymous", 401)):
        answer = client_as(role).post("/api/plans?reason=new", other, content_type="application/yaml")
        assert answer.status_code == status, role
    assert "api-plan" not in store.plan_ids()
    planner = client_as("planner")
    made = planner.post("/api/plans?reason=a+new+plan", other, content_type="application/yaml")
    assert made.status_code == 200
    assert made.json()["version"] == 1
    assert store.require("api-plan").plan.title == "Test plan"
    again = planner.post("/api/plans?reason=again", other.replace("title: Test plan", "title: X"),
                         content_type="application/yaml")
    assert again.status_code == 409  # based on 0, but the plan has version 1
    changed = PLAN.replace("title: Test plan", "title: Test plan (API)")
    admin = client_as("admin")
    put = admin.put("/api/plans/test-plan?based_on=1&reason=rename", changed, content_type="application/yaml")
    assert put.status_code == 200
    assert put.json()["version"] == 2
    assert store.require("test-plan").plan.title == "Test plan (API)"
    assert admin.put("/api/plans/test-plan?based_on=1&reason=rename", changed,
                     content_type="application/yaml").status_code == 409
    assert client_as("viewer").put("/api/plans/test-plan?based_on=2&reason=x", changed,
                                   content_type="application/yaml").status_code == 403
    admin = client_as("admin")  # one test client: signed in again as the admin
    wrong = admin.put("/api/plans/test-plan?based_on=2&reason=x", other, content_type="application/yaml")
    assert wrong.status_code == 400
    assert "the document is plan api-plan" in wrong.json()["detail"]
    bad = PLAN.replace("category: urm_nm, stage", "category: no_such_category, stage")
    problems = admin.put("/api/plans/test-plan?based_on=2&reason=typo", bad, content_type="application/yaml")
    assert problems.status_code == 400
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if "no_such_category" in text)
    assert {"line": line, "item": "measure M-INT", "field": "measures[1].metric.category"}.items() <= \
        problems.json()["problems"][0].items()
    assert store.require("test-plan").version == 2
    assert admin.put("/api/plans/no-such-plan?based_on=0&reason=x", other,
                     content_type="application/yaml").status_code == 404
    events = [(e.actor, e.target, e.via) for e in _events("plan_change")]
    assert events == [("the-planner", "plan api-plan version 1", "api"), ("the-admin", "plan test-plan version 2", "api")]


def test_the_write_api_takes_action_updates_from_their_owners(client_as: Any, plan_dir: Path) -> None:
    import hashlib

    store = PlanStore(plan_dir)
    url = "/api/plans/test-plan/actions/A1/updates"
    form = {"note": "Two visits.", "based_on": "1", "date": "2025-11-30", "status": "done",
            "link": "https://example.org/visits"}
    for role, status in (("analyst", 403), ("coordinator", 403), ("anonymous", 401)):
        assert client_as(role).post(url, form).status_code == status, role
    viewer = client_as("viewer")
    assert viewer.post("/api/plans/test-plan/actions/A2/updates", form).status_code == 403  # not theirs
    assert viewer.post("/api/plans/test-plan/actions/A9/updates", form).status_code == 404
    assert viewer.post(url, {**form, "note": ""}).status_code == 400
    assert viewer.post(url, {**form, "evidence_file": _upload("x.exe", b"MZ")}).status_code == 400
    assert store.require("test-plan").version == 1
    made = viewer.post(url, {**form, "evidence_file": _upload("minutes.txt", b"Minutes of the visits.\n")})
    assert made.status_code == 200
    body = made.json()
    assert body["version"] == 2
    assert body["update"]["evidence"] == [
        {"kind": "link", "href": "https://example.org/visits"},
        {"kind": "file", "name": "minutes.txt", "sha256": hashlib.sha256(b"Minutes of the visits.\n").hexdigest()}]
    assert next(a for a in store.require("test-plan").plan.actions if a.id == "A1").status == "done"
    assert viewer.post(url, form).status_code == 409  # based on version 1
    planner = client_as("planner")
    assert planner.post("/api/plans/test-plan/actions/A2/updates", {**form, "based_on": "2"}).status_code == 200
    events = [(e.actor, e.target, e.via) for e in _events("plan_action_update")]
    assert events == [("the-viewer", "plan test-plan action A1", "api"), ("the-planner", "plan test-plan action A2", "api")]


def _between(html: bytes, start: str, end: str) -> str:
    text = html.decode()
    return text[text.index(start):text.index(end, text.index(start))]


def test_a_warm_scorecard_is_the_same_body_without_computing_it_again(client_as: Any, plan_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import ristra.web.views.plans as views

    client = client_as("analyst")
    first = client.get("/plans/test-plan/scorecard/")
    assert first.status_code == 200
    drawn: list[object] = []
    real = views.trend_chart
    monkeypatch.setattr(views, "trend_chart", lambda *a, **k: drawn.append(a) or real(*a, **k))
    second = client.get("/plans/test-plan/scorecard/")
    table = ('<table id="scorecard">', "</table>")
    assert _between(second.content, *table) == _between(first.content, *table)
    assert drawn == []  # the body was kept: no chart drawn, no status recomputed


def test_each_audience_has_its_own_body(client_as: Any, plan_dir: Path) -> None:
    internal = client_as("analyst").get("/plans/test-plan/scorecard/").content.decode()
    public = client_as("viewer").get("/plans/test-plan/scorecard/").content.decode()
    again = client_as("analyst").get("/plans/test-plan/scorecard/").content.decode()
    assert "Internal release (threshold 5)" in internal
    assert "Public release (threshold 11)" in public
    assert "Internal release" not in public
    assert "Internal release (threshold 5)" in again


def test_an_action_owner_gets_the_update_form_after_a_reader_warmed_the_tree(client_as: Any, plan_dir: Path) -> None:
    reader = client_as("analyst").get("/plans/test-plan/").content.decode()
    assert "Add an update" not in reader
    owner = client_as("viewer").get("/plans/test-plan/").content.decode()  # the viewer owns A1
    form = _between(owner.encode(), "<summary>Add an update</summary>", "</form>")
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="action" value="A1"' in form


def test_a_new_plan_version_is_a_new_body(client_as: Any, plan_dir: Path) -> None:
    client = client_as("analyst")
    assert "Test plan" in client.get("/plans/test-plan/scorecard/").content.decode()
    service = PlanService(Workspace(Settings(data_dir=plan_dir, user="setup")))
    service.import_text(PLAN.replace("title: Test plan", "title: Renamed plan"), "a new title", expected_version=1)
    service.close()
    page = client.get("/plans/test-plan/scorecard/").content.decode()
    assert "Scorecard: Renamed plan" in page
