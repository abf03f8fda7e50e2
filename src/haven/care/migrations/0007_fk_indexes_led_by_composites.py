"""The foreign keys' own indexes that a composite index leading with the same column already serves are dropped:
every session, measure and episode was written through both. The index is dropped by name (the name Django gave it
on either engine), so SQLite does not copy the whole table again as its ``AlterField`` would."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field, the index Django made for the field, its table and column)
COVERED = (
    ("assessment", "episode", "care_assessment_episode_id_f33b820a", "care_assessment", "episode_id", "assessments"),
    ("episode", "clinician", "care_episode_clinician_id_16e87346", "care_episode", "clinician_id", "+"),
    ("session", "clinician", "care_session_clinician_id_4468ba52", "care_session", "clinician_id", "+"),
    ("session", "episode", "care_session_episode_id_8dc03f5a", "care_session", "episode_id", "sessions"),
)


def _target(field: str) -> str:
    return "care.episode" if field == "episode" else settings.AUTH_USER_MODEL


def _on_delete(field: str):  # noqa: ANN202 - a migration's helper
    return django.db.models.deletion.CASCADE if field == "episode" else django.db.models.deletion.PROTECT


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0006_keys_case_key_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name=field,
                    field=models.ForeignKey(
                        db_index=False, on_delete=_on_delete(field), related_name=related, to=_target(field)
                    ),
                )
                for model, field, _index, _table, _column, related in COVERED
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for _model, _field, index, table, column, _related in COVERED
            ],
        ),
    ]
