from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafeguardingConfig(AppConfig):
    name = "haven.safeguarding"
    verbose_name = _("Creative safeguarding review")
