"""On PostgreSQL, audit rows cannot be updated or deleted, whatever the role's privileges: a trigger
refuses it. The one exception is deleting events in a transaction that set
``itinera.audit_purge`` to ``on`` (``SET LOCAL``), which only the purge service does, and it keeps a
signed record of each link it removes."""

from django.db import migrations

TABLES = ("monitoring_auditevent", "monitoring_auditcheckpoint", "monitoring_auditpurgedevent")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION monitoring_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND TG_TABLE_NAME = 'monitoring_auditevent'
       AND current_setting('itinera.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION monitoring_audit_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS monitoring_audit_append_only();")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
