"""Starting and recording publications from the web application.

After an import, a rollback or a category edit — and when the server starts — the publications
of both audiences of the new snapshots are built in the background
(:func:`ristra.services.publication.current`); each one made, and each one that failed, is
written to the audit log (who: ``ristra``; what was published, to whom, from which snapshots,
and what protection cost — never a suppressed value).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from ristra.core.disclosure import INTERNAL, PUBLIC
from ristra.services import publication
from ristra.services.workspace import Workspace

AUDIENCES = (PUBLIC, INTERNAL)
_PENDING: list[dict[str, Any]] = []
_LOCK = threading.Lock()


def audit_entry(event: dict[str, Any]) -> None:
    """Write one publication event of :func:`ristra.services.publication.build` to the audit log
    (from the thread that built it; if the database cannot take it now, the next page request
    writes it: :func:`flush`)."""
    from django.db import connection

    try:
        _write(event)
    except Exception:
        with _LOCK:
            _PENDING.append(event)
    finally:
        connection.close()


def flush() -> None:
    """Write the publication events the building thread could not (called by page requests)."""
    with _LOCK:
        waiting = list(_PENDING)
        _PENDING.clear()
    for number, event in enumerate(waiting):
        try:
            _write(event)
        except Exception as error:  # the audit database is unreachable: keep the rest for later
            with _LOCK:
                _PENDING.extend(waiting[number:])
            print(f"ristra: could not write a publication to the audit log ({type(error).__name__})",
                  file=sys.stderr)
            return


def _write(event: dict[str, Any]) -> None:
    from ristra.web import audit
    from ristra.web.models import AuditEvent

    made = event.get("event") == "publication"
    detail = {k: v for k, v in event.items() if k in ("fingerprint", "information_loss", "error", "threshold")}
    if made:
        summary = event.get("suppression", {})
        detail["suppressed"] = {k: summary.get(k) for k in ("cells", "primary", "secondary") if k in summary}
    audit.record(None, AuditEvent.PUBLICATION if made else AuditEvent.PUBLICATION_FAILED,
                 f"publication to {event.get('audience')} (threshold {event.get('threshold')})", actor="ristra",
                 role="system", via="background", snapshots=event.get("snapshots"),
                 category_version=event.get("category_version"), detail=detail)


def start(workspace: Workspace) -> None:
    """Begin building the publications of the snapshots in force (returns at once), unless the
    setting ``RISTRA_PUBLISH_ON_CHANGE`` is false (then a page builds its own audience's
    publication when it is first asked for)."""
    from django.conf import settings

    if not getattr(settings, "RISTRA_PUBLISH_ON_CHANGE", True):
        return
    for policy in AUDIENCES:
        publication.current(workspace, policy, audit_log=audit_entry)
