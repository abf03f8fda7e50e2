"""Entries are authenticated with the audit key (decision 0012), and SQLite refuses REPLACE on the log.

The entries already there are unkeyed: they get key id "sha256" and keep verifying by the SHA-256 they were
written with. One keyed entry ("audit.seal") is appended at once: its MAC covers their last hash, so from now on
none of them can be rewritten unnoticed, and an unkeyed entry after it reads as forged.

On SQLite, adding the column rebuilds the table, and the triggers of 0002 go with the old one: they are
installed again with the new one. Reversing leaves the seal entry in place (the log is append-only).
"""

from django.db import migrations, models
from django.utils import timezone

from haven.audit import services, triggers


def seal(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    unkeyed = AuditEntry._base_manager.count()
    if unkeyed:
        services.entry_append(
            model=AuditEntry,
            at=timezone.now(),
            actor_id=None,
            organization_id=None,
            action="audit.seal",
            target_type="",
            target_id="",
            detail={"unkeyed": unkeyed},
            request_id="",
            ip=None,
        )


def install(apps, schema_editor):
    triggers.install(schema_editor.connection, [triggers.APPEND_ONLY, triggers.NO_REPLACE])


def remove(apps, schema_editor):
    triggers.dangerously_remove(schema_editor.connection, [triggers.NO_REPLACE_REMOVE])


def restore_0002(apps, schema_editor):
    """Reversing: dropping the column rebuilds the table on SQLite, and 0002's triggers must come back."""
    triggers.install(schema_editor.connection, [triggers.APPEND_ONLY])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_0002),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(default="sha256", max_length=16),
            preserve_default=False,
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
