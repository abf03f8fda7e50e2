from django.db import migrations, models


def fill(apps, schema_editor):
    """Keep the paths of the programs already there. Deriving a path reads milestones, attendance and care's
    completed cases through the live code (``training.kept``), as ``manage.py training_verify --repair`` does;
    a database with no program has nothing to fill."""
    if not apps.get_model("programs", "Program").objects.exists():
        return
    from haven.programs.models import Program
    from haven.training import kept

    for program in Program.objects.dangerously_unscoped().order_by("pk"):  # a migration spans every tenant
        kept.rebuild(program)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0003_alter_invitation_role_alter_membership_role"),
        ("programs", "0002_retention_policy"),
        ("training", "0005_kept_paths"),
    ]

    operations = [
        migrations.AddField(
            model_name="figuresversion",
            name="epoch",
            field=models.CharField(default="", max_length=32),
        ),
        migrations.AddField(
            model_name="figuresversion",
            name="stamp",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="keptpath",
            name="stamp",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="keptpath",
            index=models.Index(fields=["program", "stamp"], name="keptpath_program_stamp"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
