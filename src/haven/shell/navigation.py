"""Navigation by role: what each role's menu links to. A new page adds its entry here."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from haven.organizations.roles import OrganizationKind, Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    # Only for memberships in these kinds of organization (None: any).
    organization_kinds: frozenset[str] | None = None


CAC_ONLY = frozenset({OrganizationKind.CAC})

NAVIGATION = (
    NavItem(_("Home"), "shell:home", frozenset(Role.values)),
    NavItem(_("Programs"), "programs:list", frozenset({Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER})),
    NavItem(_("Dashboard"), "reporting:dashboard", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Program figures"), "reporting:funder", frozenset({Role.FUNDER_VIEWER})),
    NavItem(_("Forecast"), "reporting:forecast", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Funder reports"), "reporting:reports", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Workforce"), "training:workforce", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Cohorts"), "training:cohorts", frozenset({Role.PROGRAM_ADMIN, Role.TRAINER})),
    NavItem(_("My staff"), "training:staff", frozenset({Role.ORG_ADMIN})),
    NavItem(_("Our state"), "reporting:state", frozenset({Role.ORG_ADMIN})),
    NavItem(_("My path"), "training:my_path", frozenset({Role.CLINICIAN})),
    NavItem(_("Caseload"), "care:caseload", frozenset({Role.CLINICIAN, Role.ORG_ADMIN}), CAC_ONLY),
    NavItem(_("Critical answers"), "care:alerts", frozenset({Role.CLINICIAN, Role.ORG_ADMIN}), CAC_ONLY),
    NavItem(
        _("Children and outcomes"),
        "reporting:outcomes",
        frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN}),
        frozenset({OrganizationKind.NATIONAL_OFFICE, OrganizationKind.CAC}),
    ),
    NavItem(_("Payments"), "grants:payments", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Organizations"), "organizations:list", frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN})),
    NavItem(_("Audit log"), "audit:list", frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN})),
    NavItem(_("Grants"), "grants:home", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Exchange rates"), "grants:rates", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(
        _("Our grants"),
        "grants:mine",
        frozenset({Role.ORG_ADMIN}),
        frozenset({OrganizationKind.STATE_CHAPTER, OrganizationKind.CAC}),
    ),
    NavItem(_("Grant reports"), "grants:reports", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Money"), "reporting:money", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Money of your funds"), "reporting:funder_money", frozenset({Role.FUNDER_VIEWER})),
    NavItem(
        _("Dashboard"),
        "learning:dashboard",
        frozenset({Role.ORG_ADMIN}),
        frozenset({OrganizationKind.CORPORATE_PARTNER}),
    ),
)


def items_for(role: str | None, organization_kind: str | None = None) -> list[NavItem]:
    if role is None:
        return []
    return [
        item
        for item in NAVIGATION
        if role in item.roles and (item.organization_kinds is None or organization_kind in item.organization_kinds)
    ]
