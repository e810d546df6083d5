"""Writing and reading the append-only audit log.

:func:`record` appends one :class:`~ristra.web.models.AuditEvent`; sign-ins, failed sign-ins
and sign-outs are recorded from Django's signals. :func:`search` filters the log for the
audit-log page and the API. Passwords, uploaded values and tokens never enter the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet
from django.http import HttpRequest

from ristra.web.models import AuditEvent
from ristra.web.people import role_of

if TYPE_CHECKING:  # the auth models load only once Django is set up
    from django.contrib.auth.models import User


def _via(request: HttpRequest | None) -> str:
    if request is None:
        return "cli"
    if getattr(request, "ristra_token", None) is not None or request.path.startswith("/api/"):
        return "api"
    return "web"


def record(request: HttpRequest | None, action: str, target: str = "", *, actor: str | None = None,
           role: str | None = None, via: str | None = None, snapshots: Mapping[str, str] | None = None, category_version: int | None = None,
           detail: Mapping[str, Any] | None = None) -> AuditEvent:
    """Append one event. The actor, role and channel come from the request unless given (a failed
    sign-in names the user name tried; a background import and the CLI pass their own)."""
    user = getattr(request, "user", None) if request is not None else None
    signed_in = user is not None and user.is_authenticated
    name = actor if actor is not None else (user.get_username() if signed_in and user is not None else "")
    if role is None:
        role = role_of(user).value if signed_in else ("cli" if request is None else "anonymous")
    return AuditEvent.objects.create(
        actor=name[:150], role=role, action=action, target=target[:300], snapshots=dict(snapshots or {}),
        category_version=category_version, detail=dict(detail or {}), via=via or _via(request),
    )


def _on_login(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    method = "single sign-on" if request is not None and request.path.startswith("/oidc/") else "password"
    AuditEvent.objects.create(actor=user.get_username(), role=role_of(user).value, action=AuditEvent.LOGIN,
                              target="sign-in", detail={"method": method}, via=_via(request))


def _on_login_failed(sender: object, credentials: Mapping[str, Any], request: HttpRequest | None = None,
                     **kwargs: Any) -> None:
    tried = str(credentials.get("username", ""))[:150]
    AuditEvent.objects.create(actor=tried, role="anonymous", action=AuditEvent.LOGIN_FAILED, target="sign-in",
                              via=_via(request))


def _on_logout(sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    AuditEvent.objects.create(actor=user.get_username(), role=role_of(user).value, action=AuditEvent.LOGOUT,
                              target="sign-out", via=_via(request))


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="ristra-audit-login")
    user_login_failed.connect(_on_login_failed, dispatch_uid="ristra-audit-login-failed")
    user_logged_out.connect(_on_logout, dispatch_uid="ristra-audit-logout")


@dataclass(frozen=True)
class AuditFilter:
    """What the audit-log page filters by (every field optional)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> AuditFilter:
        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(query.get(name, "").strip()) if query.get(name) else None
            except ValueError:
                return None

        action = query.get("action", "").strip()
        return cls(actor=query.get("actor", "").strip()[:150],
                   action=action if action in AuditEvent.ACTIONS else "",
                   target=query.get("target", "").strip()[:300], since=day("since"), until=day("until"))

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "action": self.action, "target": self.target,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


def search(where: AuditFilter, limit: int = 200) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if where.actor:
        events = events.filter(actor__iexact=where.actor)
    if where.action:
        events = events.filter(action=where.action)
    if where.target:
        events = events.filter(target__icontains=where.target)
    if where.since:
        events = events.filter(at__date__gte=where.since)
    if where.until:
        events = events.filter(at__date__lte=where.until)
    return events[:limit]
