"""Signing in and out, the locked-out page, and a person's own account (password, API tokens)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy

from ristra.web import audit
from ristra.web.access import allow
from ristra.web.models import ApiToken, AuditEvent
from ristra.web.people import describe, signed_in
from ristra.web.roles import EVERYONE, SIGNED_IN

login = allow(EVERYONE, change=EVERYONE)(auth_views.LoginView.as_view(
    template_name="ristra/login.html", redirect_authenticated_user=True))
logout = allow(SIGNED_IN, change=SIGNED_IN)(auth_views.LogoutView.as_view())
password_change = allow(SIGNED_IN, change=SIGNED_IN)(auth_views.PasswordChangeView.as_view(
    template_name="ristra/password_change.html", success_url=reverse_lazy("account")))


def locked_out(request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any,
               **kwargs: Any) -> HttpResponse:
    """What django-axes shows once the failure limit is reached (HTTP 429)."""
    return render(request, "ristra/locked.html", status=429)


@allow(SIGNED_IN, change=SIGNED_IN)
def account(request: HttpRequest) -> HttpResponse:
    """Your account: role, programs, and API tokens for scripts (shown once when made)."""
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "issue":
            name = request.POST.get("name", "").strip()[:100] or "script"
            record, new_token = ApiToken.issue(signed_in(request.user), name)
            audit.record(request, AuditEvent.TOKEN, f"token {record.pk} ({name})")
        elif action == "revoke":
            token = get_object_or_404(ApiToken, pk=request.POST.get("token"), user=signed_in(request.user))
            with transaction.atomic():
                token.revoked = True
                token.save(update_fields=["revoked"])
                audit.record(request, AuditEvent.TOKEN_REVOKED, f"token {token.pk} ({token.name})")
            messages.success(request, f"Token {token.name} revoked.")
            return redirect("account")
    tokens = ApiToken.objects.filter(user=signed_in(request.user)).order_by("-created_at")
    return render(request, "ristra/account.html",
                  {"person": describe(signed_in(request.user)), "tokens": tokens, "new_token": new_token})
