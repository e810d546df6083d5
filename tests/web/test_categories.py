"""Categories: versions with rationale; preview before saving; a stale edit is refused."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ristra.services.category_editing import editable_text
from ristra.stores.categories import CategoryStore
from ristra.web.models import AuditEvent


def _edited(data_dir: Path) -> str:
    text = editable_text(CategoryStore(data_dir).current())
    return text.replace("label: Women", "label: Women and girls", 1)


def test_versions_and_rationale_are_shown(client_as: Any, data_dir: Path) -> None:
    page = client_as("viewer").get("/categories/").content.decode()
    assert "Rationale" in page
    assert "Underrepresented in medicine" in page
    assert client_as("viewer").get("/categories/1/").status_code == 200
    assert client_as("viewer").get("/categories/99/").status_code == 404


def test_preview_then_save_makes_a_version(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    form = client.get("/categories/edit/").content.decode()
    assert 'name="based_on" value="1"' in form
    text = _edited(data_dir)
    preview = client.post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "preview"})
    assert preview.status_code == 200
    assert "changed women: label" in preview.content.decode()
    assert CategoryStore(data_dir).current().version == 1
    saved = client.post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "save",
                                              "reason": "Name the group as the plan does"})
    assert saved.status_code == 200
    assert "Saved as version 2" in saved.content.decode()
    current = CategoryStore(data_dir).current()
    assert current.version == 2
    assert current.author == "the-analyst"
    event = AuditEvent.objects.get(action=AuditEvent.CATEGORY_CHANGE)
    assert event.category_version == 2
    assert event.detail["changes"] == ["changed women: label"]
    assert "applications" in event.snapshots


def test_a_stale_form_is_refused_not_overwritten(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    CategoryStore(data_dir).save(
        {"categories": [d.to_dict() for d in CategoryStore(data_dir).current().definitions][:3]},
        "someone-else", "fewer categories", 1)
    response = client.post("/categories/edit/", {"definitions": _edited(data_dir), "based_on": "1",
                                                 "action": "save", "reason": "mine"})
    assert response.status_code == 409
    page = html.unescape(response.content.decode())
    assert "the current version is 2" in page
    assert "Women and girls" in page
    assert CategoryStore(data_dir).current().author == "someone-else"
    preview = client.post("/categories/edit/", {"definitions": _edited(data_dir), "based_on": "1", "action": "preview"})
    assert "saving will be refused" in preview.content.decode()


def test_malformed_definitions_list_every_problem(client_as: Any, data_dir: Path) -> None:
    client = client_as("analyst")
    text = _edited(data_dir).replace("rule: sex == 'female'", "rule: sex == 'female' and shoe_size > 3", 1)
    response = client.post("/categories/edit/", {"definitions": text, "based_on": "1", "action": "save",
                                                 "reason": "x"})
    assert response.status_code == 400
    assert "shoe_size" in html.unescape(response.content.decode())
    response = client.post("/categories/edit/", {"definitions": "categories: [", "based_on": "1", "action": "preview"})
    assert response.status_code == 400
    assert "not valid YAML" in response.content.decode()
    assert CategoryStore(data_dir).current().version == 1


def test_viewers_cannot_edit(client_as: Any, data_dir: Path) -> None:
    assert client_as("viewer").post("/categories/edit/", {"action": "save"}).status_code == 403
