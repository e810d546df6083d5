"""Django settings built from a :class:`~ristra.web.config.WebConfig` value.

:func:`django_settings` returns the settings as a dict; :func:`ristra.web.runtime.configure`
passes it to ``django.conf.settings.configure`` and ``ristra.web.settings`` exposes it as a
settings module for tools that want ``DJANGO_SETTINGS_MODULE``. Nothing here reads the
environment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from ristra.web.config import WebConfig

SESSION_HOURS = 8


def database(url: str) -> dict[str, Any]:
    """One ``DATABASES`` entry from a URL (SQLite or PostgreSQL)."""
    if url.startswith("sqlite"):
        # persistent connections (a minute): opening SQLite and running its PRAGMAs on every request
        # was most of a warm dashboard's time
        entry: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        entry["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE",
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                            "PRAGMA mmap_size=268435456;"}
        return entry
    entry = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    return entry


def content_security_policy(config: WebConfig) -> dict[str, Any]:
    """Scripts, styles and images from this site only (charts are inline SVG images); nothing
    may frame the pages; forms post only here (or to the single sign-on provider)."""
    form_action = [SELF]
    if config.oidc is not None:
        form_action.append(config.oidc.authorization_endpoint)
    return {"DIRECTIVES": {
        "default-src": [SELF], "script-src": [SELF], "style-src": [SELF], "img-src": [SELF, "data:"],
        "font-src": [SELF], "connect-src": [SELF], "object-src": [NONE], "base-uri": [NONE],
        "frame-ancestors": [NONE], "form-action": form_action,
    }}


def django_settings(config: WebConfig) -> dict[str, Any]:
    """The Django settings for ``config`` (see the module docstring)."""
    apps = [
        "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "django.contrib.messages", "django.contrib.staticfiles", "django_htmx", "csp", "axes", "ninja",
        "ristra.web.apps.RistraWebConfig",
    ]
    backends = ["axes.backends.AxesStandaloneBackend", "ristra.web.authentication.ProfileBackend"]
    extra: dict[str, Any] = {}
    if config.oidc is not None:
        apps.append("mozilla_django_oidc")
        backends.append("ristra.web.sso.RoleAssigningBackend")
        oidc = config.oidc
        extra = {
            "OIDC_RP_CLIENT_ID": oidc.client_id, "OIDC_RP_CLIENT_SECRET": oidc.client_secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": oidc.authorization_endpoint,
            "OIDC_OP_TOKEN_ENDPOINT": oidc.token_endpoint, "OIDC_OP_USER_ENDPOINT": oidc.user_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": oidc.jwks_endpoint, "OIDC_RP_SIGN_ALGO": oidc.sign_algo,
            "OIDC_RP_SCOPES": "openid email profile", "OIDC_USE_PKCE": True,
            "RISTRA_OIDC_DEFAULT_ROLE": oidc.default_role, "RISTRA_OIDC_ROLE_CLAIM": oidc.role_claim,
        }
    https = config.https
    settings: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": config.secret_key,
        "ALLOWED_HOSTS": list(config.allowed_hosts),
        "INSTALLED_APPS": apps,
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "ristra.web.access.NoStoreMiddleware",
            "ristra.web.access.TokenAuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "csp.middleware.CSPMiddleware",
            "django_htmx.middleware.HtmxMiddleware",
            "axes.middleware.AxesMiddleware",
            "ristra.web.access.AccessMiddleware",
        ],
        "ROOT_URLCONF": "ristra.web.urls",
        "TEMPLATES": [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ristra.web.navigation.navigation",
            ]},
        }],
        "WSGI_APPLICATION": None,
        "DATABASES": {"default": database(config.database_url)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "AUTHENTICATION_BACKENDS": backends,
        "PASSWORD_HASHERS": [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "LOGIN_URL": "login",
        "LOGIN_REDIRECT_URL": "home",
        "LOGOUT_REDIRECT_URL": "login",
        # sessions and cookies
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": SESSION_HOURS * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_COOKIE_NAME": "ristra_session" if not https else "__Host-ristra_session",
        "CSRF_COOKIE_SECURE": https,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Strict",
        "CSRF_FAILURE_VIEW": "ristra.web.views.errors.csrf_failure",
        # security headers
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_HSTS_SECONDS": 31536000 if https else 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": https,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if config.behind_proxy else None,
        "SECURE_SSL_REDIRECT": https and config.behind_proxy,
        "X_FRAME_OPTIONS": "DENY",
        "CONTENT_SECURITY_POLICY": content_security_policy(config),
        # uploads: larger files stream to disk; the import view enforces the size limit
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 5 * 1024 * 1024,
        "FILE_UPLOAD_MAX_MEMORY_SIZE": 2 * 1024 * 1024,
        "FILE_UPLOAD_TEMP_DIR": None,
        # login throttling: 5 failures lock the user name, and separately the address, 15 minutes
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": timedelta(minutes=15),
        "AXES_LOCKOUT_PARAMETERS": ["username", "ip_address"],
        # the address is REMOTE_ADDR: the peer, or the client the trusted proxy names (waitress
        # rewrites it from X-Forwarded-For only for a request from RISTRA_TRUSTED_PROXY)
        "AXES_CLIENT_IP_CALLABLE": "ristra.web.access.client_address",
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_LOCKOUT_CALLABLE": "ristra.web.views.accounts.locked_out",
        "AXES_ENABLE_ADMIN": False,
        "AXES_VERBOSE": False,
        # static files served by WhiteNoise straight from the packages (no collectstatic step)
        "STATIC_URL": "/static/",
        "STATIC_ROOT": None,
        "WHITENOISE_USE_FINDERS": True,
        "WHITENOISE_AUTOREFRESH": False,
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "LANGUAGE_CODE": "en-us",
        "USE_I18N": False,
        "NINJA_PAGINATION_PER_PAGE": 100,
        "LOGGING": {
            "version": 1, "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "root": {"handlers": ["console"], "level": "WARNING"},
        },
        # ristra's own
        "RISTRA_DATA_DIR": config.data_dir,
        "RISTRA_MAX_UPLOAD_BYTES": config.max_upload_bytes,
        "RISTRA_BACKGROUND_IMPORT_BYTES": config.background_import_bytes,
        "RISTRA_DEMO": config.demo,
        "RISTRA_TRUSTED_PROXY": config.trusted_proxy,
        "RISTRA_SSO": config.oidc is not None,
    }
    settings.update(extra)
    return settings
