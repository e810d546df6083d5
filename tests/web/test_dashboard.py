"""The dashboard: slices of the audience's publication per role, charts with their tables,
filters limited to what the publication protects, panels that do not apply, audit of internal
views and of publications, a new publication per snapshot and category version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ristra.core.disclosure import ReleasedTable
from ristra.web.models import AuditEvent

PANELS = ["path", "funnel", "trend", "retention", "departments"]


def test_every_panel_is_a_released_table_with_its_chart(client_as: Any, data_dir: Path) -> None:
    page = client_as("viewer").get("/dashboard/")
    assert page.status_code == 200
    built = page.context["dashboard"]
    assert [p.key for p in built.panels] == PANELS
    for panel in built.panels:
        assert isinstance(panel.table, ReleasedTable)
        assert panel.table.policy.threshold == 11
        assert built.publication
        assert panel.table.suppression_summary.passed
        for row in panel.table.cells:
            assert all(v is None or v == 0 or v >= 11 for v in row)
    # the category choice shows labels; the path starts from the state population
    assert dict(built.category_labels)["urm_nm"] == "Underrepresented in medicine (New Mexico)"
    assert built.panels[0].table.row_labels[0][0].startswith("State population")
    assert "Underrepresented in medicine (New Mexico)</option>" in page.content.decode()
    html = page.content.decode()
    drawn = [panel.chart for panel in built.panels if panel.chart is not None]
    assert drawn
    assert html.count('<img src="data:image/svg+xml;base64,') == len(drawn)
    for chart in drawn:
        assert f'aria-describedby="{chart.table_id}"' in html
        assert f'id="{chart.table_id}"' in html
    assert not AuditEvent.objects.filter(action=AuditEvent.INTERNAL_VIEW).exists()


def test_analysts_see_internal_figures_and_each_view_is_audited(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    built = client.get("/dashboard/", {"year": "2024", "category": "women"}).context["dashboard"]
    assert built.threshold == 5
    assert built.category == "women"
    assert built.filters.year == 2024
    assert "cycle 2024" in built.panels[1].table.title
    assert built.panels[1].table.col_labels == ("Applied", "Completed", "Interviewed", "Offered", "Matriculated")
    event = AuditEvent.objects.get(action=AuditEvent.INTERNAL_VIEW)
    assert event.actor == "the-analyst"
    assert event.detail["filters"]["year"] == 2024
    assert event.snapshots["applications"] == built.snapshots["applications"]
    fragment = client.get("/dashboard/", {"category": "women"}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="panels"')
    assert AuditEvent.objects.filter(action=AuditEvent.INTERNAL_VIEW).count() == 2


def test_filters_offer_the_data_and_narrow_the_tables(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    built = client.get("/dashboard/").context["dashboard"]
    assert "2025" in built.choices["year"]
    assert "MD" in built.choices["program"]
    assert built.choices["department"]
    department = built.choices["department"][0]
    narrowed = client.get("/dashboard/", {"department": department, "program": "MD", "year": "2024"}).context["dashboard"]
    departments = next(p for p in narrowed.panels if p.key == "departments").table
    assert [label[0] for label in departments.row_labels] == [department, "All departments"]
    # a program is shown over all cycles: the publication does not protect a program within a cycle
    assert "program MD" in narrowed.panels[1].table.title
    assert narrowed.filters.year is None


def test_the_api_returns_the_same_dashboard(client_as: Any, data_dir: Path) -> None:
    body = client_as("viewer").get("/api/dashboard", {"category": "women"}).json()
    assert [p["key"] for p in body["panels"]] == PANELS
    assert body["panels"][0]["table"]["policy"]["threshold"] == 11
    assert all(cell == "suppressed" or cell == 0 or cell >= 11
               for panel in body["panels"] for row in panel["table"]["cells"] for cell in row)


def test_a_new_category_version_changes_the_dashboard(client_as: Any, data_dir: Path) -> None:
    from ristra.services.category_editing import editable_text
    from ristra.stores.categories import CategoryStore

    client = client_as("analyst")
    before = client.get("/dashboard/", {"category": "women"}).context["dashboard"]
    text = editable_text(CategoryStore(data_dir).current()).replace("rule: sex == 'female'", "rule: sex == 'male'", 1)
    client.post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "save", "reason": "test"})
    after = client.get("/dashboard/", {"category": "women"}).context["dashboard"]
    assert after.category_version == 2
    assert after.panels[0].table.cells != before.panels[0].table.cells


def test_category_preview_counts(client_as: Any, data_dir: Path) -> None:
    from ristra.services.category_editing import editable_text
    from ristra.stores.categories import CategoryStore

    text = editable_text(CategoryStore(data_dir).current()).replace("rule: sex == 'female'", "rule: sex == 'male'", 1)
    page = client_as("analyst").post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "preview"})
    html = page.content.decode()
    assert "Members of each category under the proposed definitions" in html
    assert "Internal release" in html


def test_a_category_that_applies_to_some_datasets_shows_the_panels_it_applies_to(client_as: Any,
                                                                                 data_dir: Path) -> None:
    page = client_as("viewer").get("/dashboard/", {"category": "first_generation"})
    assert page.status_code == 200
    built = page.context["dashboard"]
    assert built.category == "first_generation"
    assert [p.key for p in built.panels] == ["path", "funnel", "trend"]
    assert "does not apply to the data of: Faculty retention, Faculty and staff by department" in built.notice
    assert built.notice in page.content.decode()


def test_derived_values_come_from_the_published_counts_of_their_own_table(client_as: Any, data_dir: Path) -> None:
    built = client_as("analyst").get("/dashboard/", {"category": "women", "year": "2024"}).context["dashboard"]
    for panel in built.panels:
        t = panel.table
        for d in t.derived:
            if d.kind == "rate" and d.value is not None:
                stage = t.col_labels.index(d.column.split(":")[0])
                assert d.value == t.cells[d.row][stage] / t.cells[d.row][stage - 1]
            if d.kind == "ratio" and panel.key == "funnel" and d.value is not None:
                k = t.col_labels.index(d.column.split(":")[0])
                rates = [t.cells[r][k] / t.cells[r][k - 1] for r in (0, 1)]
                assert d.value == rates[0] / rates[1]
            if d.suppressed:
                assert d.value is None


def test_each_publication_is_in_the_audit_log(client_as: Any, data_dir: Path) -> None:
    client_as("viewer").get("/dashboard/")
    made = AuditEvent.objects.filter(action=AuditEvent.PUBLICATION)
    assert made.exists()
    event = made.first()
    assert event is not None
    assert event.actor == "ristra"
    assert event.snapshots
    assert event.detail["information_loss"]["cells"] > 0


def test_a_publication_that_cannot_be_protected_is_not_served(client_as: Any, data_dir: Path,
                                                              monkeypatch: Any) -> None:
    from ristra.core.disclosure import DisclosureError
    from ristra.services import publication

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise DisclosureError("audit failed: 1 sensitive cell(s) can be narrowed too far")

    client = client_as("viewer")
    served = client.get("/dashboard/").context["dashboard"]
    assert served.panels
    from ristra.services.publication import building

    monkeypatch.setattr(building, "release_jointly", refuse)
    publication.clear_cache()
    page = client.get("/dashboard/")
    built = page.context["dashboard"]
    assert built.state == "failed"
    assert built.panels == ()
    assert "could not be published" in page.content.decode()
    assert "Nothing is shown" in page.content.decode()
    assert "narrowed too far" not in page.content.decode()  # which cells failed is for the audit log only
    event = AuditEvent.objects.get(action=AuditEvent.PUBLICATION_FAILED)
    assert "could not be protected" in event.detail["error"]
    assert event.actor == "ristra"
    assert "narrowed too far" in event.detail["error"]
    # the failed run is in the history; the publication served before stays the last one served
    from ristra.services.workspace import Settings, Workspace

    records = publication.History(Workspace(Settings(data_dir=data_dir)), served.panels[0].table.policy).records()
    assert records[-1]["state"] == "failed"
    assert any(r["state"] == "served" for r in records)


def test_slimmed_charts_draw_the_same_pixels_as_the_renderers_svg() -> None:
    import io

    import vl_convert
    from PIL import Image

    from ristra.services.charts import slim

    spec = {"data": {"values": [{"row": f"group {i % 3}", "column": str(2015 + i // 3), "value": i * 7 % 23}
                                for i in range(30)]},
            "mark": {"type": "line", "point": True}, "width": 420, "height": 240,
            "encoding": {"x": {"field": "column", "type": "ordinal"}, "y": {"field": "value", "type": "quantitative"},
                         "color": {"field": "row", "type": "nominal"}}, "config": {"font": "sans-serif"}}
    original = vl_convert.vegalite_to_svg(spec)
    slimmed = slim(original)
    assert len(slimmed) < 0.7 * len(original)
    assert "aria-" not in slimmed
    assert "class=" not in slimmed
    assert slimmed.count("<text") == original.count("<text")

    def pixels(svg: str) -> bytes:
        return Image.open(io.BytesIO(vl_convert.svg_to_png(svg))).convert("RGBA").tobytes()

    assert pixels(slimmed) == pixels(original)
