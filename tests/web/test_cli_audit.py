"""Imports, rollbacks and category changes made on the command line are in the web
application's audit log (when the data directory has an app database)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ristra.cli.main import main
from ristra.services.workspace import Settings, Workspace
from ristra.web import cli_audit
from ristra.web.models import AuditEvent

GOOD_KEY = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"


def _current(data_dir: Path, dataset: str) -> str:
    manifest = Workspace(Settings(data_dir=data_dir)).snapshots.current(dataset)
    assert manifest is not None
    return manifest.snapshot_id


@pytest.mark.transactional
def test_cli_imports_and_rollbacks_are_audited(database: str, data_dir: Path, school_sources: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # this process's Django settings are the test's, so the URL only says "an app database is configured"
    monkeypatch.setenv("RISTRA_DATABASE_URL", "sqlite:///configured-by-the-tests")
    first = _current(data_dir, "programs")
    assert main(["--data-dir", str(data_dir), "--user", "dana", "import", "programs",
                 str(school_sources / "programs.csv")]) == 0
    imported = _current(data_dir, "programs")
    event = AuditEvent.objects.get(action=AuditEvent.IMPORT)
    assert (event.actor, event.role, event.via) == ("dana", "cli", "cli")
    assert event.target == "programs: programs.csv"
    assert event.snapshots == {"programs": imported}
    assert event.detail["previous"] == first
    assert event.detail["rows"] > 0
    assert main(["--data-dir", str(data_dir), "--user", "dana", "rollback", "programs", first]) == 0
    rollback = AuditEvent.objects.get(action=AuditEvent.ROLLBACK)
    assert rollback.snapshots == {"programs": first}
    assert rollback.detail == {"previous": imported}
    bad = school_sources.parent / "bad-programs.csv"
    bad.write_text("program_id\n", encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "--user", "dana", "import", "programs", str(bad)]) != 0
    assert main(["--data-dir", str(data_dir), "snapshots"]) == 0
    # a refused import and a listing change nothing (publications that other tests' pages left building in
    # the background may land meanwhile: they are the system's, via "background", not this command's)
    assert AuditEvent.objects.exclude(via="background").count() == 2


@pytest.mark.transactional
def test_a_category_change_by_any_command_is_audited(database: str, data_dir: Path) -> None:
    from ristra.stores.categories import CategoryStore

    store = CategoryStore(data_dir)
    current = store.current()
    workspace = Workspace(Settings(data_dir=data_dir, user="dana"))
    before = cli_audit.published(workspace)
    definitions = {"categories": [d.to_dict() for d in current.definitions][:-1]}
    saved = store.save(definitions, "dana", "drop the last category", current.version)
    recorded = cli_audit.record_changes(before, workspace, {"RISTRA_DATABASE_URL": "sqlite:///configured"})
    assert [c.action for c in recorded] == [AuditEvent.CATEGORY_CHANGE]
    event = AuditEvent.objects.get()
    assert event.category_version == saved.version
    assert event.via == "cli"
    assert event.actor == "dana"
    assert event.detail == {"from_version": current.version, "reason": "drop the last category", "author": "dana"}


def test_without_an_app_database_nothing_is_recorded(school_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(school_data, root)
    assert cli_audit.app_database(root, {}) is None
    (root / "web.sqlite3").touch()
    assert cli_audit.app_database(root, {}) == f"sqlite:///{(root / 'web.sqlite3').resolve()}"
    assert cli_audit.app_database(root, {"RISTRA_DATABASE_URL": "postgresql://db/ristra"}) == "postgresql://db/ristra"


def test_a_cli_import_reaches_the_app_database_of_its_data_directory(school_data: Path, school_sources: Path,
                                                                     tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(school_data, root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISTRA_")}
    env.update(RISTRA_DATA_DIR=str(root), RISTRA_SECRET_KEY=GOOD_KEY, USER="erin")

    def ristra(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ristra.cli.main", *args], env=env, input=stdin, text=True,
                              capture_output=True, timeout=120)

    assert ristra("createuser", "erin", "--role", "analyst", "--password-stdin",
                  stdin="a long enough password 42\n").returncode == 0  # makes web.sqlite3
    del env["RISTRA_SECRET_KEY"]  # the command line needs no secret key to write the audit log
    done = ristra("import", "programs", str(school_sources / "programs.csv"))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(root / "web.sqlite3") as db:
        rows = db.execute("SELECT action, actor, role, via, target FROM ristra_web_auditevent "
                          "WHERE action = 'import'").fetchall()
    assert rows == [("import", "erin", "cli", "cli", "programs: programs.csv")]
