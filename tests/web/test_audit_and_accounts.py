"""The audit log is append-only and filterable; sign-in uses Argon2, is throttled and logged;
security headers; users and roles; a coordinator sees only their programs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connections, transaction
from django.test import Client

from ristra.web import audit
from ristra.web.models import AuditEvent
from ristra.web.people import create_person, role_of
from ristra.web.roles import Role

PASSWORD = "correct horse battery staple 7"


def test_audit_events_cannot_be_changed_or_deleted(database: str) -> None:
    event = audit.record(None, AuditEvent.EXPORT, "report 1", actor="someone")
    event.target = "something else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(target="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).target == "report 1"


@pytest.mark.postgres
def test_postgresql_refuses_changes_in_the_database_itself(database: str) -> None:
    assert database == "postgres"
    event = audit.record(None, AuditEvent.EXPORT, "report 1", actor="someone")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using="postgres"):
        with connections["postgres"].cursor() as cursor:
            cursor.execute("UPDATE ristra_web_auditevent SET target = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using="postgres"):
        with connections["postgres"].cursor() as cursor:
            cursor.execute("DELETE FROM ristra_web_auditevent")


def test_the_database_itself_refuses_changes_on_every_engine(database: str) -> None:
    alias = {"sqlite": "default", "postgres": "postgres"}[database]
    event = audit.record(None, AuditEvent.EXPORT, "report 1", actor="someone")
    statements = [f"UPDATE ristra_web_auditevent SET target = 'x' WHERE id = {event.pk}",
                  f"DELETE FROM ristra_web_auditevent WHERE id = {event.pk}", "DELETE FROM ristra_web_auditevent"]
    if database == "postgres":
        statements.append("TRUNCATE ristra_web_auditevent")
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=alias):
            with connections[alias].cursor() as cursor:
                cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).target == "report 1"


def test_revoking_a_token_is_recorded(client_as: Any, data_dir: Path) -> None:
    from ristra.web.models import ApiToken

    client = client_as("analyst")
    assert client.post("/account/", {"action": "issue", "name": "nightly"}).status_code == 200
    token = ApiToken.objects.get(name="nightly")
    assert client.post("/account/", {"action": "revoke", "token": token.pk}).status_code == 302
    token.refresh_from_db()
    assert token.revoked
    event = AuditEvent.objects.get(action=AuditEvent.TOKEN_REVOKED)
    assert event.actor == "the-analyst"
    assert event.target == f"token {token.pk} (nightly)"
    assert event.via == "web"


def test_sign_in_with_argon2_is_logged_and_throttled(database: str, data_dir: Path) -> None:
    user = create_person("erin", Role.ANALYST, PASSWORD)
    assert user.password.startswith("argon2")
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'autocomplete="current-password"' in page.content
    response = client.post("/login/", {"username": "erin", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.LOGIN, actor="erin").count() == 1
    client.post("/logout/")
    for _ in range(5):
        assert client.post("/login/", {"username": "erin", "password": "wrong"}).status_code in (200, 429)
    locked = client.post("/login/", {"username": "erin", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    assert AuditEvent.objects.filter(action=AuditEvent.LOGIN_FAILED, actor="erin").count() >= 4


def test_security_headers_and_cookies(client_as: Any, data_dir: Path) -> None:
    response = client_as("viewer").get("/dashboard/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    login = Client().get("/login/")
    assert login.cookies["csrftoken"]["httponly"]
    assert login.cookies["csrftoken"]["samesite"] == "Strict"


def test_forms_need_their_csrf_token(database: str, data_dir: Path) -> None:
    create_person("fay", Role.ADMIN, PASSWORD)
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "fay", "password": PASSWORD}).status_code == 403
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    assert client.post("/login/", {"username": "fay", "password": PASSWORD, "csrfmiddlewaretoken": token}).status_code == 302
    assert client.post("/users/", {"name": "x", "role": "viewer"}).status_code == 403


def test_audit_log_filters(client_as: Any, data_dir: Path) -> None:
    audit.record(None, AuditEvent.EXPORT, "report 7", actor="gil")
    audit.record(None, AuditEvent.ROLLBACK, "programs", actor="hal")
    client = client_as("admin")
    page = client.get("/audit/", {"actor": "gil"}).content.decode()
    assert "report 7" in page
    assert "hal" not in page
    rows = client.get("/audit/", {"action": "rollback"}, headers={"HX-Request": "true"}).content.decode()
    assert rows.lstrip().startswith('<div id="audit-rows"')
    assert "programs" in rows
    assert "report 7" not in rows


def test_administrators_manage_people(client_as: Any, data_dir: Path) -> None:
    client = client_as("admin")
    response = client.post("/users/", {"name": "ivy", "role": "coordinator", "programs": "PP02, PP03",
                                       "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "ivy" in response.content.decode()
    refused = client.post("/users/", {"name": "jo", "role": "coordinator", "password": PASSWORD})
    assert refused.status_code == 400
    assert b"needs at least one program" in refused.content
    weak = client.post("/users/", {"name": "kim", "role": "viewer", "password": "password"})
    assert weak.status_code == 400
    assert b"not accepted" in weak.content
    client.post("/users/ivy/", {"role": "viewer", "programs": "", "active": "on"})
    from django.contrib.auth import get_user_model

    assert role_of(get_user_model().objects.get(username="ivy")) is Role.VIEWER
    assert AuditEvent.objects.filter(action=AuditEvent.USER_CHANGE).count() == 2
    mine = client.post("/users/the-admin/", {"role": "viewer", "active": "on"})
    assert mine.status_code == 400


def test_a_coordinator_sees_only_their_programs(client_as: Any, data_dir: Path) -> None:
    client = client_as("coordinator")
    page = client.get("/programs/").content.decode()
    assert "PP01" in page
    assert "PP02" not in page
    assert client.get("/programs/PP02/").status_code == 404
    detail = client.get("/programs/PP01/")
    assert detail.status_code == 200
    assert b"participants by year and completion" in detail.content
    event = AuditEvent.objects.get(action=AuditEvent.INTERNAL_VIEW)
    assert event.actor == "the-coordinator"
    assert "participants" in event.snapshots
    assert len(client.get("/api/programs").json()) == 1
    assert client.get("/api/programs/PP02").status_code == 404
    analyst = client_as("analyst").get("/programs/").content.decode()
    assert "PP02" in analyst
