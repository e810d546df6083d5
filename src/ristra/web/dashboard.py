"""The dashboard on the web: :func:`ristra.services.dashboard.build` with the application's
wait for a publication being built (``RISTRA_PUBLICATION_WAIT``) and its audit log."""

from __future__ import annotations

from ristra.core.disclosure import Policy
from ristra.services import dashboard
from ristra.services.dashboard import Dashboard, Filters
from ristra.services.workspace import Workspace


def build(workspace: Workspace, policy: Policy, filters: Filters, *, wait: float | None = None) -> Dashboard:
    """The dashboard for ``policy`` and ``filters`` (see :mod:`ristra.services.dashboard`); a
    publication released while building it is written to the audit log."""
    from django.conf import settings

    from ristra.web.publishing import audit_entry, flush

    waited = wait if wait is not None else float(getattr(settings, "RISTRA_PUBLICATION_WAIT", dashboard.WAIT_SECONDS))
    built = dashboard.build(workspace, policy, filters, wait=waited, audit_log=audit_entry)
    flush()
    return built
