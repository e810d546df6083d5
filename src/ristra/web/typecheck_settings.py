"""The settings module of django-stubs' mypy plugin (``[tool.django-stubs]`` in pyproject.toml).

It is the app's own settings, :func:`ristra.web.django_settings.django_settings`, for a fixed
configuration built here rather than read: :mod:`ristra.web.settings` reads the ``RISTRA_*``
variables and refuses to load without a secret key (and demo mode writes one into the data
directory), which a type checker must neither need nor do. Single sign-on is on, so that its
app is installed as it is in production. Never used to serve pages.
"""

from __future__ import annotations

from pathlib import Path

from ristra.web.config import OidcConfig, WebConfig
from ristra.web.django_settings import django_settings

_ENDPOINT = "https://sso.invalid/"

CONFIG = WebConfig(
    data_dir=Path("ristra-typecheck-data"), database_url="sqlite:///:memory:",
    secret_key="type-checking only, never serves a page", demo=True,
    oidc=OidcConfig(client_id="typecheck", client_secret="typecheck",
                    authorization_endpoint=_ENDPOINT, token_endpoint=_ENDPOINT,
                    user_endpoint=_ENDPOINT, jwks_endpoint=_ENDPOINT),
)

globals().update(django_settings(CONFIG))

# the settings of ristra's own that the code reads as attributes, named here so that the plugin
# (which reads this module's names, not the dict above) knows their types
RISTRA_DATA_DIR: Path = CONFIG.data_dir
RISTRA_MAX_UPLOAD_BYTES: int = CONFIG.max_upload_bytes
RISTRA_BACKGROUND_IMPORT_BYTES: int = CONFIG.background_import_bytes
RISTRA_DEMO: bool = CONFIG.demo
RISTRA_TRUSTED_PROXY: str | None = CONFIG.trusted_proxy
RISTRA_SSO: bool = CONFIG.oidc is not None
RISTRA_OIDC_DEFAULT_ROLE: str = "viewer"
RISTRA_OIDC_ROLE_CLAIM: str | None = None
