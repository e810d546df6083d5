"""Users and roles (administrators), and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ristra.web import audit
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import PersonError, change_person, create_person, describe, parse_role
from ristra.web.roles import ADMINS, ASSIGNABLE


def _programs(text: str) -> list[str]:
    return [p for p in (part.strip() for part in text.replace(";", ",").split(",")) if p]


@allow(ADMINS, change=ADMINS)
def users_page(request: HttpRequest) -> HttpResponse:
    """Everyone who may sign in, with their role; make a new local account."""
    status = 200
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        try:
            role = parse_role(request.POST.get("role", ""))
            password = request.POST.get("password") or None
            create_person(name, role, password, _programs(request.POST.get("programs", "")))
        except PersonError as error:
            messages.error(request, str(error))
            status = 400
        else:
            audit.record(request, AuditEvent.USER_CHANGE, f"user {name}", detail={"created": True, "role": role.value})
            messages.success(request, f"User {name} created as {role.label}.")
            return redirect("users")
    people = [describe(u) for u in get_user_model().objects.select_related("ristra_profile").order_by("username")]
    return render(request, "ristra/users.html", {"people": people, "roles": ASSIGNABLE}, status=status)


@allow(ADMINS, change=ADMINS)
def user_detail(request: HttpRequest, name: str) -> HttpResponse:
    """Change one person's role, programs, and whether they may sign in."""
    person = get_object_or_404(get_user_model(), username=name)
    status = 200
    if request.method == "POST":
        try:
            role = parse_role(request.POST.get("role", ""))
            active = request.POST.get("active") == "on"
            if person == request.user and (role.value != "admin" or not active):
                raise PersonError("you cannot remove your own administrator role or sign-in")
            change_person(person, role, _programs(request.POST.get("programs", "")), active)
        except PersonError as error:
            messages.error(request, str(error))
            status = 400
        else:
            audit.record(request, AuditEvent.USER_CHANGE, f"user {name}",
                         detail={"role": role.value, "active": active})
            messages.success(request, f"User {name} updated.")
            return redirect("users")
    return render(request, "ristra/user_detail.html", {"person": describe(person), "roles": ASSIGNABLE},
                  status=status)


@allow(ADMINS)
def audit_page(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered by who, what, target and dates."""
    where = audit.AuditFilter.from_query(request.GET)
    events = audit.search(where)
    template = "ristra/audit_rows.html" if getattr(request, "htmx", False) else "ristra/audit.html"
    return render(request, template, {"events": events, "where": where, "actions": AuditEvent.ACTIONS})
