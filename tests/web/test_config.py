"""Configuration from the environment: unsafe settings refused outside demo mode; single
sign-on wired by settings (the configuration path, not a live identity provider)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ristra.web.config import OidcConfig, UnsafeConfiguration, WebConfig
from ristra.web.django_settings import django_settings

GOOD_KEY = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"
OIDC = {
    "RISTRA_OIDC_CLIENT_ID": "ristra", "RISTRA_OIDC_CLIENT_SECRET": "s3cret",
    "RISTRA_OIDC_AUTHORIZATION_ENDPOINT": "https://idp.example.edu/authorize",
    "RISTRA_OIDC_TOKEN_ENDPOINT": "https://idp.example.edu/token",
    "RISTRA_OIDC_USER_ENDPOINT": "https://idp.example.edu/userinfo",
    "RISTRA_OIDC_JWKS_ENDPOINT": "https://idp.example.edu/jwks",
}


def test_secret_key_is_required_outside_demo(tmp_path: Path) -> None:
    with pytest.raises(UnsafeConfiguration, match="RISTRA_SECRET_KEY is required"):
        WebConfig.from_environ({"RISTRA_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize("key", ["short", "django-insecure-" + "x" * 60, "a" * 80, "changeme" + GOOD_KEY])
def test_unsafe_secret_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(UnsafeConfiguration, match="unsafe"):
        WebConfig.from_environ({"RISTRA_DATA_DIR": str(tmp_path), "RISTRA_SECRET_KEY": key})


def test_production_defaults(tmp_path: Path) -> None:
    config = WebConfig.from_environ({"RISTRA_DATA_DIR": str(tmp_path), "RISTRA_SECRET_KEY": GOOD_KEY})
    assert config.https
    assert not config.demo
    assert config.database_url == f"sqlite:///{(tmp_path / 'web.sqlite3').resolve()}"
    values = django_settings(config)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"]
    assert values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_HSTS_SECONDS"] > 0
    assert values["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")
    assert "script-src" in values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]


def test_demo_mode_makes_and_keeps_its_key(tmp_path: Path) -> None:
    first = WebConfig.from_environ({}, demo=True, data_dir=tmp_path)
    second = WebConfig.from_environ({"RISTRA_DEMO": "true"}, data_dir=tmp_path)
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 50
    assert not first.https
    assert (tmp_path / ".web-demo-secret").stat().st_mode & 0o077 == 0


def test_database_urls(tmp_path: Path) -> None:
    env = {"RISTRA_DATA_DIR": str(tmp_path), "RISTRA_SECRET_KEY": GOOD_KEY}
    pg = WebConfig.from_environ({**env, "RISTRA_DATABASE_URL": "postgresql://ristra@db.example.edu:5432/ristra"})
    assert django_settings(pg)["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    with pytest.raises(UnsafeConfiguration, match="RISTRA_DATABASE_URL"):
        WebConfig.from_environ({**env, "RISTRA_DATABASE_URL": "mysql://x@y/z"})
    with pytest.raises(UnsafeConfiguration, match="ALLOWED_HOSTS"):
        WebConfig.from_environ({**env, "RISTRA_ALLOWED_HOSTS": "*"})


def test_single_sign_on_is_configured_by_settings(tmp_path: Path) -> None:
    env = {"RISTRA_DATA_DIR": str(tmp_path), "RISTRA_SECRET_KEY": GOOD_KEY, **OIDC,
           "RISTRA_OIDC_ROLE_CLAIM": "ristra_role"}
    config = WebConfig.from_environ(env)
    assert isinstance(config.oidc, OidcConfig)
    assert config.oidc.default_role == "viewer"
    values = django_settings(config)
    assert "mozilla_django_oidc" in values["INSTALLED_APPS"]
    assert "ristra.web.sso.RoleAssigningBackend" in values["AUTHENTICATION_BACKENDS"]
    assert values["OIDC_OP_TOKEN_ENDPOINT"] == OIDC["RISTRA_OIDC_TOKEN_ENDPOINT"]
    assert OIDC["RISTRA_OIDC_AUTHORIZATION_ENDPOINT"] in values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]


def test_half_configured_single_sign_on_is_refused(tmp_path: Path) -> None:
    env = {"RISTRA_DATA_DIR": str(tmp_path), "RISTRA_SECRET_KEY": GOOD_KEY}
    partial = {k: v for k, v in OIDC.items() if k != "RISTRA_OIDC_JWKS_ENDPOINT"}
    with pytest.raises(UnsafeConfiguration, match="RISTRA_OIDC_JWKS_ENDPOINT"):
        WebConfig.from_environ({**env, **partial})
    with pytest.raises(UnsafeConfiguration, match="https"):
        WebConfig.from_environ({**env, **OIDC, "RISTRA_OIDC_TOKEN_ENDPOINT": "http://idp/token"})
    with pytest.raises(UnsafeConfiguration, match="RISTRA_OIDC_CLIENT_ID"):
        WebConfig.from_environ({**env, "RISTRA_OIDC_CLIENT_SECRET": "x"})


@pytest.mark.parametrize("role", ["admin", "analyst", "viewer", "coordinator", "planner"])
def test_every_assignable_role_can_be_the_single_sign_on_default(role: str) -> None:
    oidc = OidcConfig.from_environ({**OIDC, "RISTRA_OIDC_DEFAULT_ROLE": role})
    assert oidc is not None
    assert oidc.default_role == role


@pytest.mark.parametrize("role", ["anonymous", "superuser", ""])
def test_a_default_role_nobody_can_hold_is_refused(role: str) -> None:
    with pytest.raises(UnsafeConfiguration, match="admin, analyst, viewer, coordinator, planner"):
        OidcConfig.from_environ({**OIDC, "RISTRA_OIDC_DEFAULT_ROLE": role})


def test_single_sign_on_makes_people_with_the_claimed_role(database: str) -> None:
    from django.test import override_settings

    from ristra.web.people import role_of
    from ristra.web.sso import RoleAssigningBackend

    config = WebConfig.from_environ({"RISTRA_SECRET_KEY": GOOD_KEY, **OIDC, "RISTRA_OIDC_ROLE_CLAIM": "ristra_role"},
                                    data_dir=Path("/nonexistent"))
    oidc_settings = {k: v for k, v in django_settings(config).items() if k.startswith(("OIDC_", "RISTRA_OIDC_"))}
    with override_settings(**oidc_settings):
        backend = RoleAssigningBackend()
        person = backend.create_user({"preferred_username": "dana", "email": "dana@example.edu"})
        assert role_of(person).value == "viewer"
        assert not person.has_usable_password()
        backend.update_user(person, {"preferred_username": "dana", "ristra_role": "analyst"})
        person.refresh_from_db()
        assert role_of(person).value == "analyst"
        assert list(backend.filter_users_by_claims({"preferred_username": "DANA"})) == [person]


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("RISTRA_")}
    env["RISTRA_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ristra.cli.main", "serve"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "RISTRA_SECRET_KEY is required" in done.stderr


def test_production_settings_pass_djangos_deployment_checks(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("RISTRA_")}
    env.update(RISTRA_DATA_DIR=str(tmp_path), RISTRA_SECRET_KEY=GOOD_KEY, RISTRA_BEHIND_PROXY="true",
               DJANGO_SETTINGS_MODULE="ristra.web.settings")
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"], env=env, capture_output=True,
                          text=True, timeout=120)
    issues = [line for line in done.stderr.splitlines() + done.stdout.splitlines() if "(security." in line]
    assert [i.split(")")[0].split("(")[1] for i in issues] == ["security.W021"]  # HSTS preload: a site's own choice
