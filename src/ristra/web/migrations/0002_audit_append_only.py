"""On PostgreSQL, refuse UPDATE and DELETE of audit events in the database itself (the model
refuses them on every database)."""

from __future__ import annotations

from collections.abc import Callable

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

Step = Callable[[Apps, BaseDatabaseSchemaEditor], None]

CREATE = """
CREATE OR REPLACE FUNCTION ristra_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: changing or deleting an event is refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ristra_audit_append_only
    BEFORE UPDATE OR DELETE ON ristra_web_auditevent
    FOR EACH ROW EXECUTE FUNCTION ristra_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS ristra_audit_append_only ON ristra_web_auditevent;
DROP FUNCTION IF EXISTS ristra_audit_append_only();
"""


def _run(sql: str) -> Step:
    def step(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return step


class Migration(migrations.Migration):
    dependencies = [("ristra_web", "0001_initial")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
