"""The days a due measure may wait before it is overdue (care.due): 14 for TF-CBT (two weekly sessions), 7 for
CFTSI (a brief model measured every 30 days)."""

from django.db import migrations, models

GRACE_DAYS = {"tf-cbt": 14, "cftsi": 7}


def set_grace(apps, schema_editor):
    TreatmentModel = apps.get_model("care", "TreatmentModel")
    for code, days in GRACE_DAYS.items():
        TreatmentModel.objects.filter(code=code).update(measure_grace_days=days)


class Migration(migrations.Migration):
    dependencies = [("care", "0002_treatment_models")]

    operations = [
        migrations.AddField(
            model_name="treatmentmodel",
            name="measure_grace_days",
            field=models.PositiveSmallIntegerField(default=14, verbose_name="days a due measure may wait"),
        ),
        migrations.RunPython(set_grace, migrations.RunPython.noop),
    ]
