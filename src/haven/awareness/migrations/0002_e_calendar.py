"""The awareness calendar's first event (reference/awareness.md): April, National Child Abuse Prevention Month in
the United States, proclaimed every year since 1983."""

from datetime import date

from django.db import migrations

APRIL = {
    "name_en": "National Child Abuse Prevention Month",
    "name_fr": "Mois national de la prévention de la maltraitance des enfants",
    "country": "US",
    "starts_on": date(2027, 4, 1),
    "ends_on": date(2027, 4, 30),
    "yearly": True,
    "note_en": "Every April since 1983; Wear Blue Day, pinwheels and the Blue Ribbon campaign.",
    "note_fr": "Chaque mois d'avril depuis 1983 : journée « Wear Blue », moulinets à vent et ruban bleu.",
}


def install(apps, schema_editor):  # noqa: ANN001, ANN201
    event = apps.get_model("awareness", "AwarenessEvent")
    if not event.objects.filter(name_en=APRIL["name_en"]).exists():
        event.objects.create(**APRIL)


class Migration(migrations.Migration):
    dependencies = [("awareness", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
