"""The audit log append-only in the database on every engine: on PostgreSQL a statement trigger
refuses TRUNCATE too (0002 refuses UPDATE and DELETE); on SQLite triggers refuse UPDATE and
DELETE (SQLite has no TRUNCATE: ``DELETE FROM`` without a condition fires the DELETE trigger).
Also the new ``token_revoked`` action.

A later migration that alters ``ristra_web_auditevent`` on SQLite rebuilds the table and loses
these triggers: it must create them again (``SQLITE_CREATE``)."""

from __future__ import annotations

from collections.abc import Callable

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

Step = Callable[[Apps, BaseDatabaseSchemaEditor], None]

MESSAGE = "the audit log is append-only: changing or deleting an event is refused"

POSTGRES_CREATE = """
CREATE TRIGGER ristra_audit_no_truncate
    BEFORE TRUNCATE ON ristra_web_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION ristra_audit_append_only();
"""
POSTGRES_DROP = "DROP TRIGGER IF EXISTS ristra_audit_no_truncate ON ristra_web_auditevent;"

SQLITE_CREATE = (
    f"CREATE TRIGGER IF NOT EXISTS ristra_audit_no_update BEFORE UPDATE ON ristra_web_auditevent "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS ristra_audit_no_delete BEFORE DELETE ON ristra_web_auditevent "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS ristra_audit_no_update;", "DROP TRIGGER IF EXISTS ristra_audit_no_delete;")


def _run(postgres: tuple[str, ...], sqlite: tuple[str, ...]) -> Step:
    def step(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        vendor = schema_editor.connection.vendor
        for statement in postgres if vendor == "postgresql" else sqlite if vendor == "sqlite" else ():
            schema_editor.execute(statement)

    return step


ACTIONS = ["login", "login_failed", "logout", "upload", "import", "import_refused", "rollback", "category_change",
           "report_generated", "export", "internal_view", "user_change", "token_issued", "token_revoked"]


class Migration(migrations.Migration):
    dependencies = [("ristra_web", "0003_import_progress")]
    operations = [
        migrations.AlterField(
            model_name="auditevent", name="action",
            field=models.CharField(choices=[(a, a) for a in ACTIONS], db_index=True, max_length=30),
        ),
        # after any change of the table: SQLite rebuilds a table to alter it, and its triggers go with it
        migrations.RunPython(_run((POSTGRES_CREATE,), SQLITE_CREATE), _run((POSTGRES_DROP,), SQLITE_DROP)),
    ]
