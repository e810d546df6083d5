"""Web tests: Django configured for tests, run against SQLite and PostgreSQL.

Every test in ``tests/web`` (except the browser tests, which run the real server) is run once
per database: ``sqlite`` always and ``postgres`` when ``RISTRA_TEST_POSTGRES_URL`` names a
reachable server (``.ci/run`` sets it). Both databases are configured as Django aliases; a
router sends every query of the application to the database of the running test.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ristra.web.config import WebConfig
from ristra.web.django_settings import database as database_entry
from ristra.web.django_settings import django_settings

POSTGRES_URL = os.environ.get("RISTRA_TEST_POSTGRES_URL", "")
SESSION_DATA = Path(tempfile.mkdtemp(prefix="ristra-web-tests-"))


def _postgres_reachable(url: str) -> bool:
    if not url:
        return False
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


POSTGRES = _postgres_reachable(POSTGRES_URL)
if POSTGRES_URL and not POSTGRES:  # named but down: fail loudly rather than quietly test SQLite only
    raise RuntimeError(f"RISTRA_TEST_POSTGRES_URL is set but no PostgreSQL server answers at {POSTGRES_URL}")
DATABASES = ("sqlite", "postgres") if POSTGRES else ("sqlite",)
ALIASES = {"sqlite": "default", "postgres": "postgres"}


class ActiveDatabase:
    """Routes every query to the database of the test that is running."""

    alias = "default"

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return self.alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self.alias

    def allow_relation(self, a: Any, b: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return True


ROUTER = ActiveDatabase()


def settings_for_tests() -> dict[str, Any]:
    config = WebConfig(data_dir=SESSION_DATA, database_url="sqlite:///:memory:",
                       secret_key=secrets.token_urlsafe(60), https=False, allowed_hosts=("testserver", "localhost"))
    values = django_settings(config)
    # a file, not memory: a worker thread (background imports) then has a real database to share
    sqlite_file = SESSION_DATA / "web-test.sqlite3"
    values["DATABASES"] = {"default": {**database_entry(f"sqlite:///{sqlite_file}"), "CONN_MAX_AGE": 0,
                                       "TEST": {"NAME": str(sqlite_file)}}}
    if POSTGRES:
        values["DATABASES"]["postgres"] = {**database_entry(POSTGRES_URL), "CONN_MAX_AGE": 0,
                                           "TEST": {"NAME": "test_ristra_web"}}
    values["DATABASE_ROUTERS"] = [ROUTER]
    values["RISTRA_PUBLICATION_WAIT"] = 600.0  # pages wait for the publication (the real server does not)
    values["RISTRA_PUBLISH_ON_CHANGE"] = False  # a page builds the publication it needs (tests change data often)
    values["PASSWORD_HASHERS"] = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    return values


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    if not settings.configured:
        settings.configure(**settings_for_tests())
        import django

        django.setup()
        _let_the_test_flush_empty_the_audit_log()


def _let_the_test_flush_empty_the_audit_log() -> None:
    """A transactional test ends with Django's flush, which empties every table; the audit log's
    triggers refuse that (as they must in production). For the tests only, the flush lifts them
    for its own statements, in its own transaction, and puts them back before it commits."""
    import importlib

    from django.db.backends.base.operations import BaseDatabaseOperations

    triggers = importlib.import_module("ristra.web.migrations.0004_audit_append_only_everywhere")
    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: list[str]) -> None:
        vendor = self.connection.vendor
        if vendor == "postgresql":
            table = "ALTER TABLE ristra_web_auditevent {} TRIGGER USER"
            sql_list = [table.format("DISABLE"), *sql_list, table.format("ENABLE")]
        elif vendor == "sqlite":
            sql_list = [*triggers.SQLITE_DROP, *sql_list, *triggers.SQLITE_CREATE]
        original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        only_postgres = metafunc.definition.get_closest_marker("postgres") is not None
        chosen = tuple(d for d in DATABASES if d == "postgres") if only_postgres else DATABASES
        metafunc.parametrize("database", chosen, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "database" in getattr(item, "fixturenames", ()):
            declared = item.get_closest_marker("transactional")
            item.add_marker(pytest.mark.django_db(databases=[ALIASES[d] for d in DATABASES],
                                                  transaction=declared is not None))


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """The database this test runs against (``sqlite`` or ``postgres``)."""
    ROUTER.alias = ALIASES[request.param]
    try:
        yield request.param
    finally:
        ROUTER.alias = "default"


@pytest.fixture(scope="session")
def school_data() -> Path:
    """A small synthetic school imported into a data directory (shared, read-only)."""
    from ristra.cli.data_commands import IMPORT_ORDER
    from ristra.services import imports
    from ristra.services.workspace import Settings, Workspace
    from ristra.synth import extract_starts, generate

    root = SESSION_DATA / "school"
    sources = generate(SESSION_DATA / "school-source", applications_per_cycle=600, cycles=3)
    ws = Workspace(Settings(data_dir=root, user="setup"))
    starts = extract_starts()  # the extracts declare where they start, as a real import should
    for name in IMPORT_ORDER:
        assert imports.import_file(ws, name, sources[name], extract_start=starts.get(name)).imported
    from ristra.core.disclosure import INTERNAL, PUBLIC
    from ristra.services import publication

    for policy in (PUBLIC, INTERNAL):  # once: every copy of the school is then served the same publications
        assert publication.current(ws, policy, wait=True).state == "ready"
    return root


@pytest.fixture(scope="session")
def school_sources(school_data: Path) -> Path:
    """The CSV files the shared school was imported from."""
    return SESSION_DATA / "school-source"


@pytest.fixture
def data_dir(school_data: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the school for one test, served by the application."""
    from django.test import override_settings

    root = tmp_path / "data"
    shutil.copytree(school_data, root)
    with override_settings(RISTRA_DATA_DIR=root):
        yield root


@pytest.fixture
def shared_data_dir(school_data: Path) -> Iterator[Path]:
    """The shared school itself, for tests that change no data (reports: the report service then
    reuses its release across tests)."""
    from django.test import override_settings

    with override_settings(RISTRA_DATA_DIR=school_data):
        yield school_data


@pytest.fixture
def people(database: str) -> dict[str, Any]:
    """One signed-up person per role (no passwords: tests sign them in directly)."""
    from ristra.web.people import create_person
    from ristra.web.roles import ASSIGNABLE, Role

    made = {role.value: create_person(f"the-{role.value}", role, None,
                                      ["PP01"] if role is Role.COORDINATOR else ()) for role in ASSIGNABLE}
    return made


@pytest.fixture
def client_as(client: Any, people: dict[str, Any]) -> Any:
    """``client_as("analyst")``: the test client signed in with that role (``anonymous``: signed out)."""

    def sign_in(role: str) -> Any:
        client.logout()
        if role != "anonymous":
            client.force_login(people[role])
        return client

    return sign_in
