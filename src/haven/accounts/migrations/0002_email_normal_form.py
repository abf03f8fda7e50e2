"""Every stored e-mail in its one normal form (NFKC, case-folded), refusing to merge two accounts silently."""

from collections import defaultdict

from django.db import migrations

import haven.accounts.models
from haven.accounts.emails import normalize_email


def normalize_stored_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    by_form = defaultdict(list)
    for pk, email in User.objects.values_list("pk", "email").order_by("pk"):
        by_form[normalize_email(email)].append((pk, email))
    clashes = {form: rows for form, rows in by_form.items() if len(rows) > 1}
    if clashes:
        ids = "; ".join(", ".join(str(pk) for pk, _email in rows) for rows in clashes.values())
        raise RuntimeError(
            "Some accounts have e-mails that differ only by case or by Unicode compatibility form, so they would "
            f"become one address. Give each group's accounts distinct e-mails (or close all but one), then migrate "
            f"again. User ids, by group: {ids}"
        )
    for form, [(pk, email)] in by_form.items():
        if email != form:
            User.objects.filter(pk=pk).update(email=form)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(normalize_stored_emails, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=haven.accounts.models.NormalizedEmailField(max_length=254, unique=True, verbose_name="e-mail"),
        ),
    ]
