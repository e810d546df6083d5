"""The web application's configuration, read once from the environment at the edge.

:meth:`WebConfig.from_environ` is the only place that reads ``RISTRA_*`` variables for the web
layer; everything else receives the resulting value. Unsafe settings are refused outside demo
mode with a message that says what to set:

==============================  ==================================================================
``RISTRA_DATA_DIR``             data directory (snapshots, categories, uploads, reports);
                                default ``./ristra-data``
``RISTRA_DATABASE_URL``         app state (users, roles, audit log, report history):
                                ``sqlite:///path`` or ``postgresql://user@host:port/db``;
                                default a SQLite file ``web.sqlite3`` in the data directory
``RISTRA_SECRET_KEY``           signs sessions and CSRF tokens; required outside demo mode, at
                                least 50 characters, not a placeholder
``RISTRA_ALLOWED_HOSTS``        comma-separated host names served (default ``127.0.0.1,localhost``)
``RISTRA_HTTPS``                ``true`` (default outside demo): secure cookies, HSTS
``RISTRA_BEHIND_PROXY``         ``true``: TLS ends at a reverse proxy; plain HTTP is redirected to HTTPS
``RISTRA_TRUSTED_PROXY``        the proxy's address (default ``127.0.0.1`` behind a proxy): only from
                                it are ``X-Forwarded-Proto`` and ``X-Forwarded-For`` believed
``RISTRA_MAX_UPLOAD_MB``        largest accepted upload (default 200)
``RISTRA_OIDC_*``               single sign-on; see :class:`OidcConfig`
==============================  ==================================================================
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ristra.services.workspace import resolve_data_dir
from ristra.web.roles import ASSIGNABLE

SECRET_KEY_ENV = "RISTRA_SECRET_KEY"
DATABASE_URL_ENV = "RISTRA_DATABASE_URL"
MIN_SECRET_LENGTH = 50
_PLACEHOLDER_SECRETS = ("changeme", "change-me", "secret", "django-insecure", "dev", "test", "xxx")


class UnsafeConfiguration(ValueError):
    """A setting is missing, malformed or unsafe; the message says which and what to do."""


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise UnsafeConfiguration(f"{name} must be true or false, not {raw!r}")


@dataclass(frozen=True)
class OidcConfig:
    """OpenID Connect single sign-on (``mozilla-django-oidc``), enabled when
    ``RISTRA_OIDC_CLIENT_ID`` is set; then every endpoint below is required and must be HTTPS.

    ``RISTRA_OIDC_CLIENT_ID``, ``RISTRA_OIDC_CLIENT_SECRET``, ``RISTRA_OIDC_AUTHORIZATION_ENDPOINT``,
    ``RISTRA_OIDC_TOKEN_ENDPOINT``, ``RISTRA_OIDC_USER_ENDPOINT``, ``RISTRA_OIDC_JWKS_ENDPOINT``;
    optional ``RISTRA_OIDC_SIGN_ALGO`` (default RS256), ``RISTRA_OIDC_DEFAULT_ROLE`` (the role of a
    person who signs in for the first time; default viewer) and ``RISTRA_OIDC_ROLE_CLAIM`` (a claim
    whose value, when it is a role name, sets the role at each sign-in).
    """

    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    user_endpoint: str
    jwks_endpoint: str
    sign_algo: str = "RS256"
    default_role: str = "viewer"
    role_claim: str | None = None

    ENDPOINTS = ("authorization_endpoint", "token_endpoint", "user_endpoint", "jwks_endpoint")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> OidcConfig | None:
        if not environ.get("RISTRA_OIDC_CLIENT_ID"):
            stray = sorted(k for k in environ if k.startswith("RISTRA_OIDC_") and environ[k])
            if stray:
                raise UnsafeConfiguration(f"{', '.join(stray)} set but RISTRA_OIDC_CLIENT_ID is not: "
                                          "set it too, or unset the others")
            return None
        required = ("client_id", "client_secret", *cls.ENDPOINTS)
        values = {name: environ.get(f"RISTRA_OIDC_{name.upper()}", "").strip() for name in required}
        missing = [f"RISTRA_OIDC_{name.upper()}" for name, value in values.items() if not value]
        if missing:
            raise UnsafeConfiguration(f"single sign-on is half configured: set {', '.join(missing)}")
        for name in cls.ENDPOINTS:
            if urlparse(values[name]).scheme != "https":
                raise UnsafeConfiguration(f"RISTRA_OIDC_{name.upper()} must be an https:// address")
        default_role = environ.get("RISTRA_OIDC_DEFAULT_ROLE", "viewer").strip()
        if default_role not in {role.value for role in ASSIGNABLE}:
            raise UnsafeConfiguration("RISTRA_OIDC_DEFAULT_ROLE must be one of "
                                      + ", ".join(role.value for role in ASSIGNABLE))
        return cls(**values, sign_algo=environ.get("RISTRA_OIDC_SIGN_ALGO", "RS256").strip() or "RS256",
                   default_role=default_role, role_claim=environ.get("RISTRA_OIDC_ROLE_CLAIM", "").strip() or None)


DEFAULT_TRUSTED_PROXY = "127.0.0.1"


def trusted_proxy(environ: Mapping[str, str], behind_proxy: bool) -> str | None:
    """The one address whose ``X-Forwarded-Proto`` and ``X-Forwarded-For`` headers are believed
    (``RISTRA_TRUSTED_PROXY``; ``127.0.0.1`` by default behind a proxy; nobody otherwise)."""
    raw = environ.get("RISTRA_TRUSTED_PROXY", "").strip()
    if not behind_proxy:
        if raw:
            raise UnsafeConfiguration("RISTRA_TRUSTED_PROXY is set but RISTRA_BEHIND_PROXY is not: "
                                      "set RISTRA_BEHIND_PROXY=true too, or unset RISTRA_TRUSTED_PROXY")
        return None
    if not raw:
        return DEFAULT_TRUSTED_PROXY
    if raw == "localhost":  # waitress's name for a proxy on a Unix socket
        return raw
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise UnsafeConfiguration(f"RISTRA_TRUSTED_PROXY must be the proxy's IP address (such as 127.0.0.1), "
                                  f"not {raw!r}") from None


def check_secret_key(key: str) -> None:
    """Refuse a missing, short, repetitive or placeholder secret key."""
    if not key:
        raise UnsafeConfiguration(
            f"{SECRET_KEY_ENV} is required outside demo mode; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`")
    lowered = key.lower()
    if (len(key) < MIN_SECRET_LENGTH or len(set(key)) < 10
            or any(lowered.startswith(p) for p in _PLACEHOLDER_SECRETS)):
        raise UnsafeConfiguration(
            f"{SECRET_KEY_ENV} is unsafe: use at least {MIN_SECRET_LENGTH} random characters "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), not a placeholder")


def check_database_url(url: str) -> None:
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise UnsafeConfiguration(f"{DATABASE_URL_ENV} must be sqlite:///PATH or postgresql://…, not {scheme or url!r}")


def demo_secret_key(data_dir: Path) -> str:
    """The demo's secret key, made once and kept (owner-only) in the data directory so that
    sessions survive a restart of the demo."""
    path = data_dir / ".web-demo-secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class WebConfig:
    """Everything the web layer needs, validated. Build it with :meth:`from_environ`."""

    data_dir: Path
    database_url: str
    secret_key: str = field(repr=False)
    demo: bool = False
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    https: bool = True
    behind_proxy: bool = False
    trusted_proxy: str | None = None
    max_upload_bytes: int = 200 * 1024 * 1024
    background_import_bytes: int = 5 * 1024 * 1024
    oidc: OidcConfig | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, demo: bool = False,
                     data_dir: Path | None = None) -> WebConfig:
        """Read and check the ``RISTRA_*`` variables (see the module docstring). ``demo`` (or
        ``RISTRA_DEMO=true``) allows a generated secret key and plain HTTP on loopback."""
        demo = demo or _flag(environ, "RISTRA_DEMO", False)
        root = Path(data_dir) if data_dir is not None else resolve_data_dir(None, dict(environ))
        database_url = environ.get(DATABASE_URL_ENV, "").strip() or f"sqlite:///{(root / 'web.sqlite3').resolve()}"
        check_database_url(database_url)
        secret_key = environ.get(SECRET_KEY_ENV, "").strip()
        if demo and not secret_key:
            secret_key = demo_secret_key(root)
        check_secret_key(secret_key)
        hosts = tuple(h.strip() for h in environ.get("RISTRA_ALLOWED_HOSTS", "").split(",") if h.strip())
        if "*" in hosts and not demo:
            raise UnsafeConfiguration("RISTRA_ALLOWED_HOSTS must name the hosts served, not '*'")
        try:
            max_upload_mb = int(environ.get("RISTRA_MAX_UPLOAD_MB", "200"))
        except ValueError:
            raise UnsafeConfiguration("RISTRA_MAX_UPLOAD_MB must be a whole number of megabytes") from None
        if max_upload_mb < 1:
            raise UnsafeConfiguration("RISTRA_MAX_UPLOAD_MB must be at least 1")
        behind_proxy = _flag(environ, "RISTRA_BEHIND_PROXY", False)
        return cls(
            data_dir=root, database_url=database_url, secret_key=secret_key, demo=demo,
            allowed_hosts=hosts or ("127.0.0.1", "localhost"),
            https=_flag(environ, "RISTRA_HTTPS", not demo),
            behind_proxy=behind_proxy,
            trusted_proxy=trusted_proxy(environ, behind_proxy),
            max_upload_bytes=max_upload_mb * 1024 * 1024,
            oidc=OidcConfig.from_environ(environ),
        )
