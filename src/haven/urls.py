from django.urls import include, path
from django.views.i18n import set_language

from haven.api.main import api
from haven.reporting import views as reporting_views

urlpatterns = [
    path("", include("haven.shell.urls")),
    path("account/", include("haven.accounts.urls")),
    path("organizations/api-keys/", include("haven.api.urls")),
    path("organizations/", include("haven.organizations.urls")),
    path("programs/", include("haven.programs.urls")),
    path("training/", include("haven.training.urls")),
    path("care/", include("haven.care.urls")),
    path("reporting/", include("haven.reporting.urls")),
    path("grants/", include("haven.grants.urls")),
    path("evaluation/", include("haven.evaluation.urls")),
    path("learning/", include("haven.learning.urls")),
    path("scim/v2/", include("haven.learning.scim_urls")),
    path("safeguarding/", include("haven.safeguarding.urls")),
    path("awareness/", include("haven.awareness.urls")),
    path("impact/", reporting_views.impact, name="impact"),
    path("impact/fr/", reporting_views.impact, {"language": "fr"}, name="impact_fr"),
    path("audit/", include("haven.audit.urls")),
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("organizations/webhooks/", include("haven.api.urls_webhooks")),
]
