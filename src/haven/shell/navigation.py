"""Navigation by role: what each role's menu links to. A new page adds its entry here."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    # Only for the memberships this says yes to (None: all), e.g. a learner who manages someone.
    shown_if: Callable[[Any], bool] | None = None


CAC_ONLY = frozenset({OrganizationKind.CAC})
COMPANY_ONLY = frozenset({OrganizationKind.CORPORATE_PARTNER})


def _manages_someone(membership: Any) -> bool:
    from haven.learning import selectors as learning_selectors

    return learning_selectors.is_manager(membership)


CHAPTER_OR_CAC = frozenset({OrganizationKind.STATE_CHAPTER, OrganizationKind.CAC})

NAVIGATION = (
    NavItem(_("Home"), "shell:home", frozenset(Role.values)),
    NavItem(_("Programs"), "programs:list", frozenset({Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER})),
    NavItem(_("Dashboard"), "reporting:dashboard", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Program figures"), "reporting:funder", frozenset({Role.FUNDER_VIEWER})),
    NavItem(_("Forecast"), "reporting:forecast", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Funder reports"), "reporting:reports", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Evaluation exports"), "evaluation:list", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Workforce"), "training:workforce", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(_("Cohorts"), "training:cohorts", frozenset({Role.PROGRAM_ADMIN, Role.TRAINER})),
    # The workforce's pages of a chapter's or a CAC's admin: never a company's (its staff see no workforce page).
    NavItem(_("My staff"), "training:staff", frozenset({Role.ORG_ADMIN}), CHAPTER_OR_CAC),
    NavItem(_("Our state"), "reporting:state", frozenset({Role.ORG_ADMIN}), CHAPTER_OR_CAC),
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
        _("Courses"), "learning:courses", frozenset({Role.ORG_ADMIN}), frozenset({OrganizationKind.CORPORATE_PARTNER})
    ),
    NavItem(
        _("Learning settings"),
        "learning:settings",
        frozenset({Role.ORG_ADMIN}),
        frozenset({OrganizationKind.CORPORATE_PARTNER}),
    ),
    NavItem(_("My learning"), "learning:home", frozenset({Role.LEARNER})),
    NavItem(
        _("Staff"), "learning:staff_list", frozenset({Role.ORG_ADMIN}), frozenset({OrganizationKind.CORPORATE_PARTNER})
    ),
    NavItem(_("Assignment rules"), "learning:rules", frozenset({Role.ORG_ADMIN}), COMPANY_ONLY),
    NavItem(_("Policies"), "learning:policies", frozenset({Role.ORG_ADMIN}), COMPANY_ONLY),
    NavItem(_("My team"), "learning:team", frozenset({Role.LEARNER}), COMPANY_ONLY, _manages_someone),
    NavItem(
        _("Dashboard"),
        "learning:dashboard",
        frozenset({Role.ORG_ADMIN}),
        frozenset({OrganizationKind.CORPORATE_PARTNER}),
    ),
    NavItem(_("Awareness campaigns"), "awareness:campaigns", frozenset({Role.CREATIVE, Role.ORG_ADMIN}), COMPANY_ONLY),
    NavItem(_("Awareness calendar"), "awareness:events", frozenset({Role.CREATIVE, Role.PROGRAM_ADMIN})),
    NavItem(_("Awareness campaigns"), "awareness:program", frozenset({Role.PROGRAM_ADMIN})),
    NavItem(
        _("Review queue"),
        "safeguarding:queue",
        frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER, Role.ORG_ADMIN}),
        COMPANY_ONLY,
    ),
    NavItem(_("Review settings"), "safeguarding:settings", frozenset({Role.ORG_ADMIN}), COMPANY_ONLY),
    # Issue 15, part A: the company's creative submissions.
    NavItem(_("Creative review"), "safeguarding:submissions", frozenset({Role.CREATIVE, Role.ORG_ADMIN}), COMPANY_ONLY),
    NavItem(_("Publish gate tokens"), "safeguarding:tokens", frozenset({Role.ORG_ADMIN}), COMPANY_ONLY),
    # Issue 16, part A: the organization's API keys, where its kind may hold a scope (api.keys.SCOPES_BY_KIND).
    NavItem(
        _("API keys"),
        "api_keys:list",
        frozenset({Role.ORG_ADMIN, Role.PROGRAM_ADMIN}),
        frozenset(
            {
                OrganizationKind.CAC,
                OrganizationKind.TRAINING_PROVIDER,
                OrganizationKind.NATIONAL_OFFICE,
                OrganizationKind.FUNDER,
                OrganizationKind.CORPORATE_PARTNER,
            }
        ),
    ),
    NavItem(_("Webhooks"), "webhooks:list", frozenset({Role.ORG_ADMIN, Role.PROGRAM_ADMIN})),
)


def items_for(role: str | None, organization_kind: str | None = None, membership: Any = None) -> list[NavItem]:
    """The role's menu; an item with ``shown_if`` appears only when a ``membership`` is given and it says yes."""
    if role is None:
        return []
    return [
        item
        for item in NAVIGATION
        if role in item.roles
        and (item.organization_kinds is None or organization_kind in item.organization_kinds)
        and (item.shown_if is None or (membership is not None and item.shown_if(membership)))
    ]
