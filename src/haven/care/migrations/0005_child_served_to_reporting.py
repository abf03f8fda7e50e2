"""Children served are a figure of both pillars, kept by reporting: the model leaves care's state (its table and rows
stay; reporting's migration 0006 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_import_date_order"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ChildServed")]),
    ]
