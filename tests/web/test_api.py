"""The JSON API: OpenAPI document, token authentication for scripts, the same permissions and
audit as the pages, CSRF for browser sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ristra.services.category_editing import editable_text
from ristra.stores.categories import CategoryStore
from ristra.web.models import ApiToken, AuditEvent


def _token(people: dict[str, Any], role: str) -> dict[str, str]:
    _, secret = ApiToken.issue(people[role], "test")
    return {"Authorization": f"Bearer {secret}"}


def test_openapi_document(client_as: Any, data_dir: Path) -> None:
    document = client_as("viewer").get("/api/openapi.json").json()
    assert document["info"]["title"] == "ristra"
    for route in ("/api/dashboard", "/api/imports", "/api/categories", "/api/reports", "/api/audit"):
        assert route in document["paths"]
    assert client_as("viewer").get("/api/docs").status_code == 200


def test_tokens_authenticate_scripts(people: dict[str, Any], data_dir: Path, school_sources: Path) -> None:
    script = Client()
    headers = _token(people, "analyst")
    assert script.get("/api/me", headers=headers).json()["role"] == "analyst"
    assert script.get("/api/me").status_code == 401
    assert script.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    upload = script.post("/api/imports", {"dataset": "programs", "file": SimpleUploadedFile(
        "programs.csv", (school_sources / "programs.csv").read_bytes())}, headers=headers)
    assert upload.status_code == 200
    assert upload.json()["state"] == "valid"
    done = script.post(f"/api/imports/{upload.json()['id']}/confirm", headers=headers)
    assert done.status_code == 200
    assert done.json()["state"] == "imported"
    event = AuditEvent.objects.get(action=AuditEvent.IMPORT)
    assert event.via == "api"
    assert event.actor == "the-analyst"
    assert script.get("/api/audit", headers=headers).status_code == 403
    assert script.get("/api/audit", headers=_token(people, "admin")).status_code == 200


def test_revoked_tokens_and_wrong_roles(people: dict[str, Any], data_dir: Path) -> None:
    script = Client()
    record, secret = ApiToken.issue(people["viewer"], "old")
    record.revoked = True
    record.save()
    assert script.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    viewer = _token(people, "viewer")
    assert script.post("/api/imports", {"dataset": "programs"}, headers=viewer).status_code == 403
    assert script.get("/api/dashboard", headers=viewer).status_code == 200


def test_browser_sessions_need_the_csrf_header_for_changes(people: dict[str, Any], data_dir: Path) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["analyst"])
    body = {"definitions": "categories: []", "based_on": 1}
    refused = browser.post("/api/categories/preview", body, content_type="application/json")
    assert refused.status_code == 403
    browser.get("/categories/")
    token = browser.cookies["csrftoken"].value
    allowed = browser.post("/api/categories/preview", body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert allowed.status_code == 200
    assert allowed.json()["valid"] is False


def test_category_save_through_the_api_refuses_stale_edits(people: dict[str, Any], data_dir: Path) -> None:
    script = Client()
    headers = _token(people, "analyst")
    text = editable_text(CategoryStore(data_dir).current()).replace("label: Women", "label: Women (all)", 1)
    first = script.post("/api/categories", {"definitions": text, "based_on": 1, "reason": "wording"},
                        content_type="application/json", headers=headers)
    assert first.status_code == 200
    assert first.json()["version"] == 2
    again = script.post("/api/categories", {"definitions": text.replace("(all)", "(everyone)"), "based_on": 1,
                                             "reason": "mine"}, content_type="application/json", headers=headers)
    assert again.status_code == 409
    assert "current version is 2" in again.json()["detail"]


def test_pages_as_json(people: dict[str, Any], data_dir: Path) -> None:
    script = Client()
    analyst = _token(people, "analyst")
    overview = script.get("/api/overview", headers=analyst).json()
    assert {d["dataset"] for d in overview["datasets"]} >= {"applications", "programs"}
    history = script.get("/api/snapshots", headers=analyst).json()
    assert history[0]["snapshots"][0]["current"] is True
    assert script.get("/api/categories", headers=analyst).json()["current"]["version"] == 1
    dashboard = script.get("/api/dashboard", {"year": "2024"}, headers=analyst).json()
    assert dashboard["filters"]["year"] == 2024
    assert dashboard["threshold"] == 5
    public = script.get("/api/dashboard", headers=_token(people, "viewer")).json()
    assert public["threshold"] == 11
    reports = script.get("/api/reports", headers=_token(people, "viewer")).json()
    assert reports["choices"]["audiences"] == ["public"]
