from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "haven.grants"
    verbose_name = _("Grants")

    def ready(self) -> None:
        from . import version

        version.register()
