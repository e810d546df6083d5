"""Access control: every route declares which roles may read it and which may change things
through it; anything undeclared is refused (deny by default).

* Pages declare their rule with :func:`allow` (an attribute on the view function);
  :class:`AccessMiddleware` enforces it before the view runs. A page without a rule answers 403
  and the route-by-role test fails.
* API operations declare theirs with :class:`RoleGate`, ninja's authentication hook: a signed-in
  session (with its CSRF token for changes) or an API token (``Authorization: Bearer …``, set
  on the request by :class:`TokenAuthenticationMiddleware`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from ninja.errors import HttpError
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from ristra.web.people import role_of
from ristra.web.roles import NOBODY, Role

if TYPE_CHECKING:  # the auth models load only once Django is set up
    from django.contrib.auth.models import AnonymousUser, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """Who may read a route (GET/HEAD/OPTIONS) and who may change through it (other methods)."""

    read: frozenset[Role]
    change: frozenset[Role] = NOBODY

    def allows(self, role: Role, method: str) -> bool:
        return role in (self.read if method.upper() in SAFE_METHODS else self.change)

    def to_dict(self) -> dict[str, list[str]]:
        return {"read": sorted(r.value for r in self.read), "change": sorted(r.value for r in self.change)}


def allow(read: Iterable[Role], change: Iterable[Role] = NOBODY) -> Callable[[View], View]:
    """Declare a page's rule: ``@allow(READERS)``, ``@allow(ANALYSTS, change=ANALYSTS)``."""
    rule = Access(frozenset(read), frozenset(change))

    def declare(view: View) -> View:
        view.ristra_access = rule  # type: ignore[attr-defined]
        return view

    return declare


def rule_of(view: Callable[..., Any]) -> Access | None:
    return getattr(view, "ristra_access", None)


def _refuse(request: HttpRequest, role: Role, reason: str) -> HttpResponse:
    if role is Role.ANONYMOUS and request.method in SAFE_METHODS:
        target = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
    status = 401 if role is Role.ANONYMOUS else 403
    return render(request, "ristra/denied.html", {"reason": reason}, status=status)


class AccessMiddleware:
    """Enforces each page's declared rule; refuses pages that declare none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> HttpResponse | None:
        role = role_of(request.user)
        request.ristra_role = role  # type: ignore[attr-defined]
        rule = rule_of(view)
        if rule is None:
            match = request.resolver_match
            if match is not None and match.namespace == "api":
                return None  # every API operation carries its own RoleGate
            return render(request, "ristra/denied.html",
                          {"reason": "This address declares no access rule, so nobody may use it."}, status=403)
        if rule.allows(role, request.method or "GET"):
            return None
        return _refuse(request, role, "Your role does not give access to this page or action.")


def client_address(request: HttpRequest) -> str | None:
    """The client's address for sign-in throttling: ``REMOTE_ADDR``, which ``ristra serve``
    (waitress) sets from ``X-Forwarded-For`` only when the request comes from the configured
    ``RISTRA_TRUSTED_PROXY``; a forwarded header from anyone else is dropped, never believed."""
    return request.META.get("REMOTE_ADDR") or None


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with Django's other never-cache headers) on every response to a
    signed-in person or an API token — pages, API answers, report downloads — so that neither a
    shared cache nor the browser's history keeps figures or personal pages. Anonymous answers
    (the sign-in page, "about", the health check, static files) are left cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        before = _authenticated(request)
        response = self.get_response(request)
        if before or _authenticated(request):
            add_never_cache_headers(response)
        return response


def _authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False)) or getattr(request, "ristra_token", None) is not None


class TokenAuthenticationMiddleware:
    """For ``/api/`` requests with ``Authorization: Bearer <token>``: the token's owner is the
    user of the request (no session, no CSRF cookie). An unknown or revoked token makes the
    request anonymous and marks it, so the API answers 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if request.path.startswith("/api/") and header[:7].lower() == "bearer ":
            self._authenticate(request, header[7:].strip())
        return self.get_response(request)

    @staticmethod
    def _authenticate(request: HttpRequest, secret: str) -> None:
        from django.contrib.auth.models import AnonymousUser

        from ristra.web.models import ApiToken

        token = (ApiToken.objects.select_related("user", "user__ristra_profile")
                 .filter(digest=ApiToken.digest_of(secret), revoked=False).first())
        if token is None or not token.user.is_active:
            request.user = AnonymousUser()
            request.ristra_bad_token = True  # type: ignore[attr-defined]
            return
        request.user = token.user
        request.ristra_token = token  # type: ignore[attr-defined]
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)


class RoleGate(AuthBase):
    """ninja authentication for one operation's rule (see the module docstring)."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_description = "An API token (`ristra createtoken NAME`), or a signed-in browser session with its CSRF token."

    def __init__(self, read: Iterable[Role], change: Iterable[Role] = NOBODY) -> None:
        self.access = Access(frozenset(read), frozenset(change))
        super().__init__()

    def __call__(self, request: HttpRequest) -> User | AnonymousUser | str | None:
        if getattr(request, "ristra_bad_token", False):
            return None
        role = role_of(request.user)
        method = request.method or "GET"
        if not self.access.allows(role, method):
            if role is Role.ANONYMOUS:
                return None  # 401: sign in or send a token
            raise HttpError(403, "your role does not allow this")
        if getattr(request, "ristra_token", None) is None and method not in SAFE_METHODS and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header or use an API token")
        request.ristra_role = role  # type: ignore[attr-defined]
        return request.user if role is not Role.ANONYMOUS else "anonymous"
