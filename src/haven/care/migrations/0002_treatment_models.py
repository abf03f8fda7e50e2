"""The treatment models Haven ships: TF-CBT (counts for certification, PRACTICE) and CFTSI."""

from django.db import migrations

SHIPPED = [
    {
        "code": "tf-cbt",
        "name": "TF-CBT",
        "counts_for_certification": True,
        "uses_practice": True,
        "remeasure_days": 90,
    },
    # Child and Family Traumatic Stress Intervention: a brief (4-6 session) model used soon after a disclosure.
    {
        "code": "cftsi",
        "name": "CFTSI",
        "counts_for_certification": False,
        "uses_practice": False,
        "remeasure_days": 30,
    },
]


def ship(apps, schema_editor):
    TreatmentModel = apps.get_model("care", "TreatmentModel")
    for row in SHIPPED:
        TreatmentModel.objects.update_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
