"""The navigation bar: the pages each role may open, and the template context that shows them.

Kept apart from the route table (``urls``) so that access rules, views and the bar do not import
each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ristra.web.people import programs_of, role_of
from ristra.web.roles import ADMINS, ANALYSTS, PROGRAM_STAFF, READERS, Role


@dataclass(frozen=True)
class NavItem:
    """A page in the bar: its route name, its label and the roles that may open it."""

    name: str
    label: str
    read: frozenset[Role]


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("dashboard", "Dashboard", READERS),
    NavItem("programs", "Programs", PROGRAM_STAFF),
    NavItem("review_queue", "Review", PROGRAM_STAFF),
    NavItem("reports", "Reports", READERS),
    NavItem("plans", "Plan", READERS),
    NavItem("imports", "Import", ANALYSTS),
    NavItem("snapshots", "Snapshots", ANALYSTS),
    NavItem("categories", "Categories", READERS),
    NavItem("users", "Users", ADMINS),
    NavItem("audit", "Audit log", ADMINS),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the signed-in person's role and the pages their role may open."""
    role = role_of(getattr(request, "user", None))
    return {
        "ristra_role": role,
        "ristra_nav": [item for item in NAVIGATION if role in item.read],
        "ristra_programs": programs_of(getattr(request, "user", None)),
        "ristra_demo": getattr(settings, "RISTRA_DEMO", False),
        "ristra_sso": getattr(settings, "RISTRA_SSO", False),
    }
