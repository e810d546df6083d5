"""Deny by default: every route declares a rule, and every route answers every role as its rule
says (pages: anonymous → sign-in page, wrong role → 403; API: 401 / 403)."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path
from ninja.operation import PathView

from ristra.web.access import Access, RoleGate, rule_of
from ristra.web.roles import READERS, Role

SAMPLES = {"program_id": "PP01", "name": "the-viewer", "dataset": "applications", "version": "1",
           "job_id": "999", "report_id": "999"}
UNSAFE = ("POST",)


@dataclass(frozen=True)
class Route:
    url: str
    name: str
    api: bool
    rules: dict[str, Access | None]  # method -> rule (None: undeclared)


def _patterns(resolvers: list[URLPattern | URLResolver], prefix: str = "",
              namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            yield prefix + str(entry.pattern), namespace, entry


def _url(route: str, samples: Mapping[str, str] = SAMPLES) -> str:
    def fill(match: re.Match[str]) -> str:
        return samples.get(match.group(2), "1")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route).lstrip("^").rstrip("$")


def _path_view(callback: Any) -> PathView | None:
    for cell in getattr(callback, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def routes(samples: Mapping[str, str] = SAMPLES) -> list[Route]:
    found: dict[str, Route] = {}
    for route, namespace, pattern in _patterns(get_resolver().url_patterns):
        url = _url(route, samples)
        view = _path_view(pattern.callback) if namespace == "api" else None
        if view is None:
            rule = rule_of(pattern.callback)
            found[url] = Route(url, pattern.name or url, False, {"GET": rule, "POST": rule})
            continue
        rules: dict[str, Access | None] = {}
        for operation in view.operations:
            gates = [a for a in operation.auth_callbacks if isinstance(a, RoleGate)]
            for method in operation.methods:
                rules[method] = gates[0].access if len(gates) == 1 else None
        found[url] = Route(url, pattern.name or url, True, rules)
    return list(found.values())


def test_every_route_declares_a_rule() -> None:
    undeclared = [f"{r.url} {m}" for r in routes() for m, rule in r.rules.items() if rule is None]
    assert undeclared == [], f"routes without an access rule: {undeclared}"


def test_the_walk_covers_the_whole_application() -> None:
    names = {r.name for r in routes()}
    for expected in ("dashboard", "imports", "categories_edit", "reports", "users", "audit", "programs",
                     "login", "openapi-json", "dashboard", "upload", "plans", "plan_detail", "plan_edit",
                     "plan_scorecard", "plan_measure", "plan_scorecard_download", "plan_statuses",
                     "review_queue", "review_pair"):
        assert expected in names


def _expect(rule: Access, role: Role, method: str, response: HttpResponse, route: Route) -> str | None:
    allowed = rule.allows(role, method)
    status = response.status_code
    where = f"{method} {route.url} as {role.value}: {status}"
    login_redirect = status == 302 and response.get("Location", "").startswith("/login/")
    if allowed:
        if status in (401, 403) or login_redirect:
            return f"{where}, but the rule allows it"
        return None
    if route.api:
        wanted = {401} if role is Role.ANONYMOUS else {403}
        if method not in route.rules:
            wanted = {405}
    elif role is Role.ANONYMOUS:
        wanted = {302} if method == "GET" else {401}
    else:
        wanted = {403}
    if status not in wanted or (status == 302 and not login_redirect):
        return f"{where}, expected {sorted(wanted)} (denied)"
    return None


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_route_for_every_role(role: str, client_as: Any, data_dir: Path) -> None:
    client = client_as(role)
    problems = []
    for route in routes():
        for method, rule in route.rules.items():
            assert rule is not None
            if route.name == "logout" and method == "POST":
                continue  # would sign the client out for the rest of the walk
            if method == "GET":
                response = client.get(route.url)
            elif method == "POST":
                response = client.post(route.url, {})
            else:  # PUT (the API's new plan version)
                response = client.generic(method, route.url)
            problem = _expect(rule, Role(role), method, response, route)
            if problem:
                problems.append(problem)
    assert problems == []


def test_a_route_without_a_rule_is_refused(client_as: Any) -> None:
    def undeclared(request: Any) -> HttpResponse:
        return HttpResponse("secret")

    module = types.ModuleType("ristra_test_undeclared_urls")
    from ristra.web.urls import urlpatterns

    module.urlpatterns = [path("undeclared/", undeclared, name="undeclared"), *urlpatterns]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    with override_settings(ROOT_URLCONF=module.__name__):
        for role in ("admin", "anonymous"):
            response = client_as(role).get("/undeclared/")
            assert response.status_code == 403
            assert b"secret" not in response.content


def test_logout_needs_post_and_signs_out(client_as: Any) -> None:
    client = client_as("viewer")
    assert client.post("/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


# --- safe methods change nothing; authenticated answers are never stored by a cache -------------

SAFE = ("GET", "HEAD", "OPTIONS")
#: Audit events that record a read (a view of internal figures, a download) by design.
# reads, and the publications the system makes of the data in force when they are first asked for
READ_EVENTS = ("internal_view", "review_view", "export", "publication", "publication_failed")


@dataclass(frozen=True)
class Scene:
    """Real objects for the walk's URLs: a valid upload ready to import, a report file."""

    samples: dict[str, str]
    data_dir: Path


@pytest.fixture
def scene(people: dict[str, Any], data_dir: Path, school_sources: Path) -> Scene:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ristra.stores.categories import CategoryStore
    from ristra.web import import_flow
    from ristra.web.models import ApiToken, ImportJob, ReportRecord

    CategoryStore(data_dir).current()  # the first reader seeds version 1 (the defaults): do it first
    upload = SimpleUploadedFile("programs.csv", (school_sources / "programs.csv").read_bytes())
    job = import_flow.validate(import_flow.stage(upload, "programs", "the-analyst"))
    assert job.state == ImportJob.VALID
    for person in people.values():
        ApiToken.issue(person, "walk")
    report = data_dir / "web-reports" / "walk.csv"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("a,b\n1,2\n", encoding="utf-8")
    record = ReportRecord.objects.create(template="walk", audience="public", file_format="csv",
                                         generated_by="the-analyst", path=str(report), sha256="0" * 64, size=8)
    samples = {**SAMPLES, "job_id": str(job.pk), "report_id": str(record.pk)}
    return Scene(samples, data_dir)


def _files(root: Path) -> dict[str, str]:
    import hashlib

    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for top in ("snapshots", "categories", "web-uploads", "web-reports") if (root / top).is_dir()
            for p in sorted((root / top).rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def _state(root: Path) -> dict[str, Any]:
    """Everything a request could change: snapshots and category versions (files), import jobs,
    people and roles, API tokens, report records, and the audit log (less the reads it records)."""
    from django.contrib.auth import get_user_model

    from ristra.web.models import ApiToken, AuditEvent, ImportJob, Profile, ReportRecord

    return {
        "files": _files(root),
        "jobs": list(ImportJob.objects.order_by("pk").values_list("pk", "state", "message", "snapshot_id",
                                                                  "staged_path")),
        "users": list(get_user_model().objects.order_by("pk").values_list("pk", "username", "password",
                                                                          "is_active", "last_login")),
        "profiles": list(Profile.objects.order_by("pk").values_list("pk", "role", "programs")),
        "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "digest", "revoked", "last_used_at")),
        "reports": list(ReportRecord.objects.order_by("pk").values_list("pk", "path", "sha256")),
        "audit": list(AuditEvent.objects.exclude(action__in=READ_EVENTS).order_by("id")
                      .values_list("id", "action", "target")),
    }


def _send(client: Any, method: str, url: str) -> HttpResponse:
    return {"GET": client.get, "HEAD": client.head, "OPTIONS": client.options}[method](url)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_get_head_and_options_change_nothing_anywhere(role: str, client_as: Any, scene: Scene) -> None:
    client = client_as(role)
    before = _state(scene.data_dir)
    changed = []
    for route in routes(scene.samples):
        for method in SAFE:
            _send(client, method, route.url)
            after = _state(scene.data_dir)
            if after != before:
                changed.append(f"{method} {route.url} as {role}: "
                               f"{sorted(k for k in after if after[k] != before[k])}")
                before = after
    assert changed == []


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_authenticated_answers_are_not_stored(role: str, client_as: Any, people: dict[str, Any],
                                             scene: Scene) -> None:
    client = client_as(role)
    stored = []
    for route in routes(scene.samples):
        for method in (*SAFE, *(m for m in route.rules if m not in SAFE)):
            if route.name == "logout" and method == "POST":
                continue
            response = _send(client, method, route.url) if method in SAFE else client.post(route.url, {})
            no_store = "no-store" in response.get("Cache-Control", "")
            if role != "anonymous" and not no_store:
                stored.append(f"{method} {route.url} as {role}: {response.status_code} "
                              f"Cache-Control {response.get('Cache-Control')!r}")
    assert stored == []
    if role != "anonymous":  # a script with an API token, no session
        from django.test import Client

        from ristra.web.models import ApiToken

        _, secret = ApiToken.issue(people[role], "no-store")
        answer = Client().get("/api/me", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
        assert "no-store" in answer["Cache-Control"]
    if Role(role) in READERS:
        download = client.get(f"/reports/{scene.samples['report_id']}/download")
        assert download.status_code == 200
        assert "no-store" in download["Cache-Control"]
        api = client.get(f"/api/reports/{scene.samples['report_id']}/download")
        assert api.status_code == 200
        assert "no-store" in api["Cache-Control"]
