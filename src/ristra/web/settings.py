"""A settings module for tools that want ``DJANGO_SETTINGS_MODULE=ristra.web.settings``
(``django-admin``, an external WSGI server through :mod:`ristra.web.wsgi`): the settings of
:func:`ristra.web.django_settings.django_settings` for the configuration in the environment.
ristra's own commands do not use it; they call :func:`ristra.web.runtime.configure`."""

from __future__ import annotations

import os

from ristra.web.config import WebConfig
from ristra.web.django_settings import django_settings

globals().update(django_settings(WebConfig.from_environ(os.environ)))
