from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "haven.training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from . import kept, version

        kept.register()
        version.register()
