from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "haven.care"
    verbose_name = _("Care")

    def ready(self) -> None:
        post_migrate.connect(ship_treatment_models, sender=self)


def ship_treatment_models(
    sender: AppConfig, *, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    """The treatment models Haven ships are there after every migrate and every flush (a flush empties every table
    and then sends post_migrate, as for content types): none is changed if it exists. Migration 0002 made them
    first; this keeps a database emptied by `flush` (or a test's) usable."""
    from .models import SHIPPED_TREATMENT_MODELS

    model = apps.get_model("care", "TreatmentModel")
    fields = {field.name for field in model._meta.get_fields()}
    for row in SHIPPED_TREATMENT_MODELS:
        model.objects.using(using).get_or_create(
            code=row["code"], defaults={name: value for name, value in row.items() if name in fields}
        )
