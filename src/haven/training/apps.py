from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "haven.training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from . import kept, version

        # The paths first: a figure cached under the version is computed from them.
        kept.register()
        version.register()
