from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "haven.reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from . import keepers

        keepers.register()
