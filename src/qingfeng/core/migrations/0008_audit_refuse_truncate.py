"""PostgreSQL refuses TRUNCATE of the audit trail too (a statement trigger: TRUNCATE fires no
row triggers). SQLite has no TRUNCATE; its DELETE triggers are in 0003.

Triggers bind every role, the table's owner included; only the owner may drop or disable them.
The owner may also truncate deliberately after `SET qingfeng.audit_truncate = 'allow'` — what
the test suite's flush between tests needs (settings.py sets it for test databases); any other
role is refused by the missing privilege whatever it sets.
Run migrations as a migration role that owns the tables and let the application connect as a
role without UPDATE, DELETE or TRUNCATE on this table (docs/postgresql-roles.md)."""

from django.db import migrations

POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_auditevent_refuse_truncate() RETURNS trigger AS $$
       BEGIN
         IF current_setting('qingfeng.audit_truncate', true) = 'allow' AND pg_has_role(
              current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
           RETURN NULL;
         END IF;
         RAISE EXCEPTION 'audit events are append-only: TRUNCATE refused';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_refuse_truncate()""",
    # Whoever holds the table's rights by default (PUBLIC) never holds these.
    "REVOKE UPDATE, DELETE, TRUNCATE ON core_auditevent FROM PUBLIC",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent",
    "DROP FUNCTION IF EXISTS core_auditevent_refuse_truncate()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0007_add_escalation")]
    operations = [migrations.RunPython(forwards, backwards)]
