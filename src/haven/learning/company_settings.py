"""The company's learning settings page's write: single sign-on, learning record store, reminders, program.

The two secrets are sealed (``learning.secrets``) before they are stored and never read back to a page: a secret
left empty on the form keeps the one stored, and only an explicit "remove" clears it."""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.programs.models import Program

from . import secrets as stored_secrets
from .models import LearningSettings
from .services import learning_settings
from .sso import check_url

KEEP = None  # a secret argument that leaves the stored one as it is


def program_choices() -> list[Program]:
    """The programs a company's learning can count toward: those of the national offices."""
    nationals = Organization.objects.filter(kind=OrganizationKind.NATIONAL_OFFICE)
    return list(Program.objects.in_orgs(nationals).order_by("name"))


@dataclasses.dataclass(frozen=True, kw_only=True)
class SettingsFields:
    program: Program | None
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str | None  # None: keep; "": remove
    lrs_endpoint: str
    lrs_username: str
    lrs_password: str | None
    remind_days_before: int
    remind_days_after: int


@transaction.atomic
def settings_save(*, actor: User, company: Organization, fields: SettingsFields) -> LearningSettings:
    found = learning_settings(company)
    errors: dict[str, str] = {}
    for name in ("oidc_issuer", "lrs_endpoint"):
        url = getattr(fields, name).strip()
        if url and not check_url(url):
            errors[name] = _("Use an https:// address.")
    if fields.oidc_issuer.strip() and not fields.oidc_client_id.strip():
        errors["oidc_client_id"] = _("Single sign-on needs the client id the provider gave.")
    if fields.program is not None and fields.program.pk not in {p.pk for p in program_choices()}:
        errors["program"] = _("Pick a program of the national office.")
    if errors:
        raise ValidationError(errors)
    changed: list[str] = []
    plain = {
        "program_id": fields.program.pk if fields.program else None,
        "oidc_issuer": fields.oidc_issuer.strip().rstrip("/"),
        "oidc_client_id": fields.oidc_client_id.strip(),
        "lrs_endpoint": fields.lrs_endpoint.strip().rstrip("/"),
        "lrs_username": fields.lrs_username.strip(),
        "remind_days_before": fields.remind_days_before,
        "remind_days_after": fields.remind_days_after,
    }
    for name, value in plain.items():
        if getattr(found, name) != value:
            setattr(found, name, value)
            changed.append(name.removesuffix("_id"))
    for name, secret in (("oidc_client_secret", fields.oidc_client_secret), ("lrs_password", fields.lrs_password)):
        if secret is not KEEP:
            setattr(found, name, stored_secrets.seal(secret))
            changed.append(name)
    found.save()
    # Which settings changed, by name: never a value (a secret, or an address that says who the provider is).
    audit.record(
        actor=actor, action="learning.settings_update", organization=company, target=found, detail={"changed": changed}
    )
    return found
