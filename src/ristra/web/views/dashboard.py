"""The dashboard page: parse the filters, build the dashboard for the viewer's role, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ristra.web import audit, dashboard
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import role_of
from ristra.web.roles import INTERNAL_ROLES, READERS, policy_for
from ristra.web.runtime import workspace


def dashboard_for(request: HttpRequest) -> dashboard.Dashboard:
    """The dashboard for the request's role and filters; a view of internal-threshold figures is
    written to the audit log (who, when, which filters, which snapshots)."""
    role = role_of(request.user)
    filters = dashboard.Filters.from_query(request.GET)
    built = dashboard.build(workspace(), policy_for(role), filters)
    if role in INTERNAL_ROLES and built.panels:
        audit.record(request, AuditEvent.INTERNAL_VIEW, "dashboard", snapshots=built.snapshots,
                     category_version=built.category_version,
                     detail={"filters": filters.to_dict(), "threshold": built.threshold})
    return built


@allow(READERS)
def dashboard_page(request: HttpRequest) -> HttpResponse:
    built = dashboard_for(request)
    template = "ristra/dashboard_panels.html" if getattr(request, "htmx", False) else "ristra/dashboard.html"
    return render(request, template, {"dashboard": built})
