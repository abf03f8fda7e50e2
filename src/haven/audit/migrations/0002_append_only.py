"""The database itself refuses UPDATE and DELETE on the audit log, on SQLite and on PostgreSQL."""

from django.db import migrations

from haven.audit import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection, [triggers.APPEND_ONLY])


def remove(apps, schema_editor):
    triggers.dangerously_remove(schema_editor.connection, [triggers.APPEND_ONLY_REMOVE])


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
