"""The dashboard: released tables per role, charts with their tables, filters, audit of
internal views, cache per snapshot and category version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ristra.core.disclosure import ReleasedTable
from ristra.web.models import AuditEvent

PANELS = ["path", "funnel", "retention", "trend", "departments"]


def test_every_panel_is_a_released_table_with_its_chart(client_as: Any, data_dir: Path) -> None:
    page = client_as("viewer").get("/dashboard/")
    assert page.status_code == 200
    built = page.context["dashboard"]
    assert [p.key for p in built.panels] == PANELS
    for panel in built.panels:
        assert isinstance(panel.table, ReleasedTable) and panel.table.policy.threshold == 11
        for row in panel.table.cells:
            assert all(v is None or v == 0 or v >= 11 for v in row)
    html = page.content.decode()
    drawn = [panel.chart for panel in built.panels if panel.chart is not None]
    assert drawn and html.count('<img src="data:image/svg+xml;base64,') == len(drawn)
    for chart in drawn:
        assert f'aria-describedby="{chart.table_id}"' in html and f'id="{chart.table_id}"' in html
    assert not AuditEvent.objects.filter(action=AuditEvent.INTERNAL_VIEW).exists()


def test_analysts_see_internal_figures_and_each_view_is_audited(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    built = client.get("/dashboard/", {"year": "2024", "category": "women"}).context["dashboard"]
    assert built.threshold == 5 and built.category == "women" and built.filters.year == 2024
    assert "cycle 2024" in built.panels[1].table.title
    event = AuditEvent.objects.get(action=AuditEvent.INTERNAL_VIEW)
    assert event.actor == "the-analyst" and event.detail["filters"]["year"] == 2024
    assert event.snapshots["applications"] == built.snapshots["applications"]
    fragment = client.get("/dashboard/", {"category": "women"}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="panels"')
    assert AuditEvent.objects.filter(action=AuditEvent.INTERNAL_VIEW).count() == 2


def test_filters_offer_the_data_and_narrow_the_tables(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    built = client.get("/dashboard/").context["dashboard"]
    assert "2025" in built.choices["year"] and "MD" in built.choices["program"] and built.choices["department"]
    department = built.choices["department"][0]
    narrowed = client.get("/dashboard/", {"department": department, "program": "MD"}).context["dashboard"]
    departments = next(p for p in narrowed.panels if p.key == "departments").table
    assert [label[0] for label in departments.row_labels] == [department]
    assert "program MD" in narrowed.panels[1].table.title


def test_the_api_returns_the_same_dashboard(client_as: Any, data_dir: Path) -> None:
    body = client_as("viewer").get("/api/dashboard", {"category": "women"}).json()
    assert [p["key"] for p in body["panels"]] == PANELS
    assert body["panels"][0]["table"]["policy"]["threshold"] == 11
    assert all(cell == "suppressed" or cell == 0 or cell >= 11
               for panel in body["panels"] for row in panel["table"]["cells"] for cell in row)


def test_a_new_category_version_changes_the_dashboard(client_as: Any, data_dir: Path) -> None:
    from ristra.categories_store import CategoryStore
    from ristra.web.category_editing import editable_text

    client = client_as("analyst")
    before = client.get("/dashboard/", {"category": "women"}).context["dashboard"]
    text = editable_text(CategoryStore(data_dir).current()).replace("rule: sex == 'female'", "rule: sex == 'male'", 1)
    client.post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "save", "reason": "test"})
    after = client.get("/dashboard/", {"category": "women"}).context["dashboard"]
    assert after.category_version == 2 and after.panels[0].table.cells != before.panels[0].table.cells


def test_category_preview_counts(client_as: Any, data_dir: Path) -> None:
    from ristra.categories_store import CategoryStore
    from ristra.web.category_editing import editable_text

    text = editable_text(CategoryStore(data_dir).current()).replace("rule: sex == 'female'", "rule: sex == 'male'", 1)
    page = client_as("analyst").post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "preview"})
    html = page.content.decode()
    assert "Members of each category under the proposed definitions" in html and "Internal release" in html
