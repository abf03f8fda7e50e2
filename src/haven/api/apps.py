from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "haven.api"
    verbose_name = _("JSON API")

    def ready(self) -> None:
        from . import webhooks

        webhooks.keep_events()  # the pillars' events, delivered to the organizations' webhooks
