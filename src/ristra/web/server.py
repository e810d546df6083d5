"""Running the application: the production server (waitress, a pure-Python WSGI server) and
the demo's administrator."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

from ristra.web.config import WebConfig
from ristra.web.runtime import configure, prepare_database, wsgi_application

DEMO_ADMIN = "demo-admin"


def start(config: WebConfig) -> None:
    """Configure Django for ``config`` and bring the database schema up to date."""
    configure(config)
    prepare_database()


def serve(host: str, port: int, threads: int = 8, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the configured application until interrupted (call :func:`start` first)."""
    import waitress

    from ristra.web.charts import warm_up

    threading.Thread(target=warm_up, name="ristra-chart-warm-up", daemon=True).start()
    if on_ready is not None:
        on_ready(f"http://{host}:{port}/")
    from django.conf import settings

    # a body larger than the upload limit (plus room for the form) is cut off by the server itself
    limit = int(settings.RISTRA_MAX_UPLOAD_BYTES) + 10 * 1024 * 1024
    waitress.serve(wsgi_application(), host=host, port=port, threads=threads, ident="ristra",
                   max_request_body_size=limit, clear_untrusted_proxy_headers=True)


def demo_administrator() -> tuple[str, str]:
    """Make (or reset) the demo administrator and return its user name and a fresh password."""
    from django.contrib.auth import get_user_model

    from ristra.web.people import change_person, create_person
    from ristra.web.roles import Role

    password = secrets.token_urlsafe(12)
    existing = get_user_model().objects.filter(username=DEMO_ADMIN).first()
    if existing is None:
        create_person(DEMO_ADMIN, Role.ADMIN, password)
    else:
        existing.set_password(password)
        existing.save(update_fields=["password"])
        change_person(existing, Role.ADMIN, (), True)
    return DEMO_ADMIN, password
