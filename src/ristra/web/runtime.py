"""Starting the web layer at the edge, and the data directory the running application serves.

:func:`configure` turns a :class:`~ristra.web.config.WebConfig` into Django settings once per
process; :func:`prepare_database` applies the migrations; :func:`wsgi_application` is what a
WSGI server runs. :func:`workspace` opens the data directory named in the settings (once per
process and directory: opening it recovers leftovers of killed imports) and
:func:`workspace_for` gives a view of it that records the signed-in person as the one acting.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ristra.services.workspace import Settings, Workspace
from ristra.web.config import WebConfig

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler

_LOCK = threading.Lock()
_WORKSPACES: dict[str, Workspace] = {}


def configure(config: WebConfig) -> None:
    """Configure Django for ``config`` (the first call in a process wins) and set it up."""
    import django
    from django.conf import settings

    from ristra.web.django_settings import django_settings

    if not settings.configured:
        settings.configure(**django_settings(config))
    django.setup()


def prepare_database(verbosity: int = 0) -> None:
    """Apply the committed migrations to the configured database."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def wsgi_application() -> WSGIHandler:
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def workspace() -> Workspace:
    """The data directory the settings name, opened once per process."""
    from django.conf import settings

    named = str(settings.RISTRA_DATA_DIR)
    with _LOCK:
        opened = _WORKSPACES.get(named)
        if opened is None:
            opened = Workspace(Settings(data_dir=Path(named).resolve(), user="ristra-web"))
            _WORKSPACES[named] = opened
        return opened


def workspace_for(user_name: str) -> Workspace:
    """The workspace as seen by ``user_name``: imports and rollbacks record them as the actor.
    (A shallow copy: it shares the opened snapshot store and changes only the acting user.)"""
    shared = workspace()
    acting = copy.copy(shared)
    acting.settings = dataclasses.replace(shared.settings, user=user_name or "anonymous")
    return acting
