"""The roles (docs/roles.md), what kind of organization holds each, and which need MFA."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    NATIONAL_OFFICE = "national_office", _("National office")
    STATE_CHAPTER = "state_chapter", _("State chapter")
    CAC = "cac", _("Children's Advocacy Center")
    FUNDER = "funder", _("Funder")
    CORPORATE_PARTNER = "corporate_partner", _("Corporate partner")
    TRAINING_PROVIDER = "training_provider", _("Training provider")


class Role(models.TextChoices):
    PROGRAM_ADMIN = "program_admin", _("Program admin")
    ORG_ADMIN = "org_admin", _("Organization admin")
    CLINICIAN = "clinician", _("Clinician")
    TRAINER = "trainer", _("Trainer")
    FUNDER_VIEWER = "funder_viewer", _("Funder viewer")
    LEARNER = "learner", _("Learner")
    SAFEGUARDING_REVIEWER = "safeguarding_reviewer", _("Safeguarding reviewer")
    BRAND_REVIEWER = "brand_reviewer", _("Legal or brand reviewer")
    CREATIVE = "creative", _("Creative team")


# Which kinds of organization may hold a role. An org admin can run any organization.
ROLE_ORGANIZATION_KINDS: dict[str, frozenset[str]] = {
    Role.PROGRAM_ADMIN: frozenset({OrganizationKind.NATIONAL_OFFICE}),
    Role.ORG_ADMIN: frozenset(OrganizationKind.values),
    Role.CLINICIAN: frozenset({OrganizationKind.CAC}),
    Role.TRAINER: frozenset({OrganizationKind.TRAINING_PROVIDER, OrganizationKind.NATIONAL_OFFICE}),
    Role.FUNDER_VIEWER: frozenset({OrganizationKind.FUNDER}),
    Role.LEARNER: frozenset({OrganizationKind.CORPORATE_PARTNER}),
    Role.SAFEGUARDING_REVIEWER: frozenset({OrganizationKind.CORPORATE_PARTNER}),
    Role.BRAND_REVIEWER: frozenset({OrganizationKind.CORPORATE_PARTNER}),
    Role.CREATIVE: frozenset({OrganizationKind.CORPORATE_PARTNER}),
}

# From the least to the most privileged, by what a member can see and change: a learner their own learning; a funder
# viewer one program's protected figures; a creative team member the submissions and awareness campaigns of their
# company; a trainer their cohorts' rosters and attendance, by name; a legal or brand reviewer and a safeguarding
# reviewer every creative review of their company, its assets and the words read in them; a clinician the children
# of their own caseload; an org admin the people of an organization and, at a CAC, every child's records; a program
# admin the whole program. An invitation offers the roles in this order and starts on the first its organization can
# hold, so a slip gives too little, never too much (decision 0019).
ROLES_BY_PRIVILEGE: tuple[str, ...] = (
    Role.LEARNER,
    Role.FUNDER_VIEWER,
    Role.CREATIVE,
    Role.TRAINER,
    Role.BRAND_REVIEWER,
    Role.SAFEGUARDING_REVIEWER,
    Role.CLINICIAN,
    Role.ORG_ADMIN,
    Role.PROGRAM_ADMIN,
)

# Admins, and every role that can see child-level records, must sign in with a second factor.
ROLES_REQUIRING_MFA = frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN, Role.CLINICIAN})

# Roles that manage an organization's people: each organization keeps one active (``check_an_admin_remains``).
ROLES_MANAGING_PEOPLE = frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN})

# Roles that see child-level records, in a CAC: its admin (the clinical supervisor) and its clinicians.
ROLES_SEEING_CHILDREN = frozenset({Role.ORG_ADMIN, Role.CLINICIAN})


def role_allowed_in(role: str, kind: str) -> bool:
    return kind in ROLE_ORGANIZATION_KINDS.get(role, frozenset())


def sees_child_records(role: str, kind: str) -> bool:
    """Whether a membership in this role, at this kind of organization, reaches child-level records."""
    return role in ROLES_SEEING_CHILDREN and kind == OrganizationKind.CAC


def needs_second_person(role: str, kind: str) -> bool:
    """Whether a second person must approve this role before it works (decision 0011): every role that sees child
    records, and the program admin, who approves them when a CAC has no admin of its own (were it given at once,
    one person could make a second account a program admin and approve their own grants with it)."""
    return sees_child_records(role, kind) or (role, kind) == (Role.PROGRAM_ADMIN, OrganizationKind.NATIONAL_OFFICE)
