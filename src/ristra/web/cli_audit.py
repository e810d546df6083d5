"""What a command-line run changed, written to the web application's audit log.

The command line changes the same data directory as the web application (imports, rollbacks,
and any command that makes a category version), so its changes belong in the same audit log.
:func:`published` notes what is published before a command runs; :func:`record_changes`
compares it with what is published afterwards and appends one event per change — an import (a
new snapshot made), a rollback (an earlier snapshot made current again) or a category change
(a new version) — with the acting user (``--user`` or ``$USER``), role ``cli`` and channel
``cli``. The comparison covers every command, so none can change the published state unseen.

The app database is the one the web application of this data directory uses: the
``RISTRA_DATABASE_URL`` in the environment, else the default SQLite file ``web.sqlite3`` in the
data directory *when it exists* (a data directory never served has no audit log, and the
command line does not make one).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ristra.core.datasets import DATASETS
from ristra.services.workspace import Workspace
from ristra.web.config import DATABASE_URL_ENV, WebConfig, check_database_url

_VERSION_FILE = re.compile(r"v(\d+)\.json")


@dataclass(frozen=True)
class Published:
    """What a data directory publishes at one moment: each dataset's current snapshot and the
    newest category version (``None`` when there is none yet)."""

    snapshots: Mapping[str, str | None]
    category_version: int | None
    at: dt.datetime


def _category_version(root: Path) -> int | None:
    directory = root / "categories"
    if not directory.is_dir():
        return None
    numbers = [int(m.group(1)) for p in directory.iterdir() if (m := _VERSION_FILE.fullmatch(p.name))]
    return max(numbers) if numbers else None


def published(workspace: Workspace) -> Published:
    """What ``workspace`` publishes now (reads pointers only; changes nothing)."""
    snapshots: dict[str, str | None] = {}
    for name in DATASETS:
        manifest = workspace.snapshots.current(name)
        snapshots[name] = manifest.snapshot_id if manifest is not None else None
    return Published(snapshots, _category_version(workspace.root), dt.datetime.now(dt.UTC))


def app_database(data_dir: Path, environ: Mapping[str, str]) -> str | None:
    """The URL of the app database that keeps this data directory's audit log, or ``None``."""
    url = environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        check_database_url(url)
        return url
    default = data_dir / "web.sqlite3"
    return f"sqlite:///{default.resolve()}" if default.is_file() else None


@dataclass(frozen=True)
class Change:
    """One change to record: the audit action, its target and details."""

    action: str
    target: str
    snapshots: Mapping[str, str]
    category_version: int | None
    detail: Mapping[str, Any]


def changes(before: Published, workspace: Workspace) -> list[Change]:
    """What changed in ``workspace`` since ``before``."""

    found: list[Change] = []
    for name in DATASETS:
        manifest = workspace.snapshots.current(name)
        if manifest is None or manifest.snapshot_id == before.snapshots.get(name):
            continue
        made = dt.datetime.fromisoformat(manifest.imported_at.replace("Z", "+00:00"))
        previous = before.snapshots.get(name)
        if made >= before.at - dt.timedelta(seconds=1):
            found.append(Change("import", f"{name}: {manifest.source_name or 'snapshot'}",
                                {name: manifest.snapshot_id}, None,
                                {"rows": manifest.row_count, "previous": previous,
                                 "source_sha256": manifest.source_sha256}))
        else:
            found.append(Change("rollback", name, {name: manifest.snapshot_id}, None, {"previous": previous}))
    version = _category_version(workspace.root)
    seeded = before.category_version is None and version == 1  # the defaults, written on first use
    if version is not None and version != before.category_version and not seeded:
        current = workspace.categories.get(version)
        found.append(Change("category_change", f"categories version {version}", {}, version,
                            {"from_version": before.category_version, "reason": current.reason,
                             "author": current.author}))
    return found


def record_changes(before: Published, workspace: Workspace, environ: Mapping[str, str]) -> list[Change]:
    """Append an audit event for each change since ``before`` to the app database, when there is
    one (see the module docstring); returns the changes recorded."""
    found = changes(before, workspace)
    url = app_database(workspace.root, environ)
    if not found or url is None:
        return []
    from ristra.web.runtime import configure, prepare_database

    # only the database is used: the key signs nothing here, and is never kept
    configure(WebConfig(data_dir=workspace.root, database_url=url, secret_key=secrets.token_urlsafe(50),
                        https=False))
    prepare_database()
    from django.db import router, transaction

    from ristra.web import audit
    from ristra.web.models import AuditEvent

    actor = workspace.settings.user
    with transaction.atomic(using=router.db_for_write(AuditEvent)):
        for change in found:
            audit.record(None, change.action, change.target, actor=actor, role="cli", via="cli",
                         snapshots=change.snapshots, category_version=change.category_version,
                         detail=change.detail)
    return found
