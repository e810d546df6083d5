"""Running the application: the production server (waitress, a pure-Python WSGI server) and
the demo's administrator."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

from ristra.web.config import WebConfig
from ristra.web.runtime import configure, prepare_database, wsgi_application

DEMO_ADMIN = "demo-admin"


def start(config: WebConfig) -> None:
    """Configure Django for ``config``, bring the database schema up to date, and settle the
    import jobs a server that died left running (failed, with a message; see
    :func:`ristra.web.import_flow.recover_interrupted`)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite database lives there
    configure(config)
    prepare_database()
    from ristra.web.import_flow import recover_interrupted

    recover_interrupted()


def serve(host: str, port: int, threads: int = 8, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the configured application until interrupted (call :func:`start` first)."""
    import waitress

    from ristra.services.charts import warm_up

    threading.Thread(target=warm_up, name="ristra-chart-warm-up", daemon=True).start()
    from ristra.web import publishing
    from ristra.web.runtime import workspace

    publishing.start(workspace())  # protect the publications of the data in force before anyone asks
    if on_ready is not None:
        on_ready(f"http://{host}:{port}/")
    waitress.serve(wsgi_application(), host=host, port=port, threads=threads, **waitress_options())


def waitress_options() -> dict[str, Any]:
    """waitress's settings for the configured application: a body larger than the upload limit
    (plus room for the form) is cut off by the server itself; ``X-Forwarded-Proto`` and
    ``X-Forwarded-For`` are believed only from ``RISTRA_TRUSTED_PROXY`` (waitress then sets the
    request's scheme and ``REMOTE_ADDR`` from them) and dropped from anyone else."""
    from django.conf import settings

    options: dict[str, Any] = {
        "ident": "ristra", "max_request_body_size": int(settings.RISTRA_MAX_UPLOAD_BYTES) + 10 * 1024 * 1024,
        "clear_untrusted_proxy_headers": True,
    }
    proxy = getattr(settings, "RISTRA_TRUSTED_PROXY", None)
    if proxy:
        options.update(trusted_proxy=proxy, trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for"})
    return options


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
