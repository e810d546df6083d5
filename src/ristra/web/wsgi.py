"""WSGI entry point for an external server (``gunicorn ristra.web.wsgi``, mod_wsgi): the
configuration comes from the environment, as for ``ristra serve``. Run ``ristra serve`` once, or
``python -m django migrate --settings=ristra.web.settings``, to apply migrations first."""

from __future__ import annotations

import os

from ristra.web.config import WebConfig
from ristra.web.runtime import configure, wsgi_application

configure(WebConfig.from_environ(os.environ))
application = wsgi_application()
