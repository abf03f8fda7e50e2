"""Children served move from care to reporting: the model enters reporting's state on care's table, which is then
renamed (no row is copied)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0005_child_served_to_reporting"),
        ("organizations", "0002_membership_grants"),
        ("programs", "0001_initial"),
        ("reporting", "0005_release_exact_cells"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChildServed",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("first_session_on", models.DateField()),
                        ("caregiver_first_on", models.DateField(blank=True, null=True)),
                        ("state", models.CharField(max_length=2)),
                        ("age_band", models.CharField(choices=[("0-5", "0 to 5"), ("6-11", "6 to 11"), ("12-17", "12 to 17")], max_length=8)),
                        ("gender", models.CharField(choices=[("girl", "Girl"), ("boy", "Boy"), ("another", "Another gender"), ("not_recorded", "Not recorded")], max_length=16)),
                        ("race_ethnicity", models.CharField(choices=[("american_indian", "American Indian or Alaska Native"), ("asian", "Asian"), ("black", "Black or African American"), ("hispanic", "Hispanic or Latino"), ("pacific_islander", "Native Hawaiian or Other Pacific Islander"), ("white", "White"), ("multiple", "Two or more"), ("not_recorded", "Not recorded")], max_length=20)),
                        ("child", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="care.child")),
                        ("organization", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="%(class)s_set", related_query_name="%(class)s", to="organizations.organization")),
                        ("program", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="programs.program")),
                    ],
                    options={
                        "db_table": "care_childserved",
                        "indexes": [models.Index(fields=["program", "first_session_on"], name="served_program_month")],
                        "constraints": [models.UniqueConstraint(fields=("program", "child"), name="child_served_once")],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="childserved", table=None),
    ]
