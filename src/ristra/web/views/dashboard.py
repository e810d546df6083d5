"""The dashboard page: parse the filters, build the dashboard for the viewer's role, render."""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ristra.services.dashboard import Dashboard, Filters
from ristra.web import audit, dashboard
from ristra.web.access import allow
from ristra.web.models import AuditEvent
from ristra.web.people import role_of
from ristra.web.roles import INTERNAL_ROLES, READERS, role_policy
from ristra.web.runtime import workspace


def dashboard_for(request: HttpRequest) -> Dashboard:
    """The dashboard for the request's role and filters; a view of internal-threshold figures is
    written to the audit log (who, when, which filters, which snapshots)."""
    role = role_of(request.user)
    filters = Filters.from_query(request.GET)
    built = dashboard.build(workspace(), role_policy(role), filters)
    if role in INTERNAL_ROLES and built.panels:
        audit.record(request, AuditEvent.INTERNAL_VIEW, "dashboard", snapshots=built.snapshots,
                     category_version=built.category_version,
                     detail={"filters": filters.to_dict(), "threshold": built.threshold})
    return built


_RENDERED: OrderedDict[int, tuple[Dashboard, str, str]] = OrderedDict()
_LOCK = threading.Lock()


def _rendered(built: Dashboard) -> tuple[str, str]:
    """The filter form and the panels, rendered once per built dashboard (which is itself cached
    per snapshots, category version, policy and filters): a warm dashboard does not re-render its
    tables or its choices."""
    with _LOCK:
        known = _RENDERED.get(id(built))
        if known is not None and known[0] is built:
            return known[1], known[2]
    form = render_to_string("ristra/dashboard_filters.html", {"dashboard": built})
    panels = render_to_string("ristra/dashboard_panels.html", {"dashboard": built})
    with _LOCK:
        _RENDERED[id(built)] = (built, form, panels)
        while len(_RENDERED) > 64:
            _RENDERED.popitem(last=False)
    return form, panels


@allow(READERS)
def dashboard_page(request: HttpRequest) -> HttpResponse:
    built = dashboard_for(request)
    form, panels = _rendered(built)
    if getattr(request, "htmx", False):
        return HttpResponse(panels)
    return render(request, "ristra/dashboard.html",
                  {"dashboard": built, "filters_form": mark_safe(form), "panels": mark_safe(panels)})
