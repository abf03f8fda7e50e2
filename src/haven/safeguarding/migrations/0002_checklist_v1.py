from django.db import migrations


def install(apps, schema_editor):
    from haven.safeguarding import checklist

    Version = apps.get_model("safeguarding", "ChecklistVersion")
    Item = apps.get_model("safeguarding", "ChecklistItem")
    Version.objects.filter(is_current=True).update(is_current=False)
    version = Version.objects.create(
        number=checklist.VERSION, published_on=checklist.PUBLISHED_ON, source=checklist.SOURCE, is_current=True
    )
    Item.objects.bulk_create(
        Item(
            version=version,
            code=item.code,
            section=item.section,
            position=position,
            text_en=item.text_en,
            text_fr=item.text_fr,
            minors_only=item.minors_only,
        )
        for position, item in enumerate(checklist.ITEMS, start=1)
    )


def remove(apps, schema_editor):
    apps.get_model("safeguarding", "ChecklistVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
