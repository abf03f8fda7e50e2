"""The schema as the database has it after every migration: each foreign key can be followed from its parent."""

import pytest
from django.apps import apps
from django.db import connection, models

pytestmark = pytest.mark.django_db


def test_every_foreign_key_leads_an_index():
    """A parent's rows are found by index (a tenant's sessions, an episode's measures, the rows a deletion must
    check): each foreign key column is the first column of some index, its own or a composite one leading with it
    (care's sessions and measures keep no single-column index beside ``session_episode_date`` and the like)."""
    unindexed = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            meta = model._meta
            if not model.__module__.startswith("haven.") or meta.proxy or not meta.managed:
                continue
            constraints = connection.introspection.get_constraints(cursor, meta.db_table).values()
            leading = {
                found["columns"][0]
                for found in constraints
                if found["columns"] and (found["index"] or found["unique"] or found["primary_key"])
            }
            unindexed += [
                f"{meta.label}.{field.name}"
                for field in meta.concrete_fields
                if isinstance(field, models.ForeignKey) and field.column not in leading
            ]
    assert unindexed == []
