"""Every write of the staff-education pillar. Each is audited with ids and counts, never a learner's name."""

import dataclasses
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.emails import normalize_email
from haven.accounts.models import User
from haven.audit import services as audit
from haven.core import tokens
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.services import membership_provision, memberships_provision_bulk

from . import version
from .models import LearningSettings, ScimToken, StaffGroup, StaffMember


@dataclasses.dataclass(frozen=True, kw_only=True)
class StaffFields:
    """What the company's directory says about one member of staff (SCIM, the staff table or the admin)."""

    user_name: str
    email: str
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    external_id: str = ""
    employee_number: str = ""
    department: str = ""
    team: str = ""
    country: str = ""
    language: str = "en"
    hired_on: date | None = None
    is_active: bool = True

    @property
    def full_name(self) -> str:
        return self.display_name or " ".join(part for part in (self.given_name, self.family_name) if part)


def check_company(organization: Organization) -> None:
    if organization.kind != OrganizationKind.CORPORATE_PARTNER:
        raise ValidationError(_("Only a corporate partner has staff learning."))


def learning_settings(organization: Organization) -> LearningSettings:
    """The company's settings row, made with the defaults on first use."""
    check_company(organization)
    found = LearningSettings.objects.in_org(organization).first()
    return found or LearningSettings.objects.create(organization=organization)


@transaction.atomic
def staff_save(
    *, actor: User | None, organization: Organization, fields: StaffFields, staff: StaffMember | None = None
) -> StaffMember:
    """Create or update one member of staff, the person they sign in as and their learner role.

    A new member gets a user with no usable password (they sign in through the company, or with a password the
    demo sets) and an active learner membership. ``fields.is_active`` False deactivates them (see
    :func:`staff_deactivate`); True gives a deactivated member their access back."""
    check_company(organization)
    user_name = fields.user_name.strip()
    if not user_name:
        raise ValidationError(_("A member of staff needs a user name."))
    email = normalize_email(fields.email or user_name)
    clash = StaffMember.objects.in_org(organization).filter(user_name__iexact=user_name)
    if staff is not None:
        clash = clash.exclude(pk=staff.pk)
    if clash.exists():
        raise ValidationError(_("Another member of staff has this user name."), code="uniqueness")
    if staff is None:
        if User.objects.filter(email=email).exists():
            raise ValidationError(_("Someone with this e-mail address already has an account."), code="uniqueness")
        user = User.objects.create_user(email=email, password=None, full_name=fields.full_name or user_name)
        staff = StaffMember(organization=organization, user=user)
        created = True
    else:
        user = staff.user
        if user.email != email and User.objects.filter(email=email).exclude(pk=user.pk).exists():
            raise ValidationError(_("Someone with this e-mail address already has an account."), code="uniqueness")
        user.email, user.full_name = email, fields.full_name or user.full_name
        user.save(update_fields=["email", "full_name"])
        created = False
    for name in (
        "external_id",
        "employee_number",
        "given_name",
        "family_name",
        "department",
        "team",
        "country",
        "language",
        "hired_on",
    ):
        setattr(staff, name, getattr(fields, name))
    staff.user_name = user_name
    staff.country = staff.country.upper()
    staff.save()
    version.bump(organization)
    audit.record(
        actor=actor,
        action="staff.create" if created else "staff.update",
        organization=organization,
        target=staff,
    )
    if fields.is_active and (created or not staff.is_active):
        staff_reactivate(actor=actor, staff=staff)
    elif not fields.is_active and staff.is_active:
        staff_deactivate(actor=actor, staff=staff)
    return staff


@transaction.atomic
def staff_deactivate(*, actor: User | None, staff: StaffMember) -> StaffMember:
    """The person loses access at once (their learner role ends); their learning history stays."""
    staff.is_active, staff.deactivated_at = False, timezone.now()
    staff.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    version.bump(staff.organization_id)
    _given, ended = memberships_provision_bulk(
        actor=actor, organization=staff.organization, role=Role.LEARNER, give=[], end=[staff.user_id]
    )
    audit.record(
        actor=actor,
        action="staff.deactivate",
        organization=staff.organization_id,
        target=staff,
        detail={"roles": ended},
    )
    return staff


@transaction.atomic
def staff_reactivate(*, actor: User | None, staff: StaffMember) -> StaffMember:
    if not staff.is_active:
        staff.is_active, staff.deactivated_at = True, None
        staff.save(update_fields=["is_active", "deactivated_at", "updated_at"])
        version.bump(staff.organization_id)
        audit.record(actor=actor, action="staff.reactivate", organization=staff.organization_id, target=staff)
    membership_provision(actor=actor, organization=staff.organization, user=staff.user, role=Role.LEARNER)
    return staff


# -- staff provisioning: SCIM tokens, groups, managers -----------------------------------------------------------

SCIM_TOKEN_PREFIX = "scim_"  # noqa: S105 - marks a token for secret scanners; not a secret


@transaction.atomic
def scim_token_create(*, actor: User, organization: Organization, label: str) -> tuple[ScimToken, str]:
    """A new token for the company's identity provider: the token itself is returned once, to be shown once."""
    check_company(organization)
    label = label.strip()
    if not label:
        raise ValidationError(_("Give the token a label (the identity provider it is for)."))
    made = tokens.new_secret(SCIM_TOKEN_PREFIX)
    token = ScimToken.objects.create(
        organization=organization,
        label=label,
        digest=made.digest,
        prefix=made.shown,
        created_by=actor,
    )
    audit.record(actor=actor, action="learning.scim_token_create", organization=organization, target=token)
    return token, made.secret


@transaction.atomic
def scim_token_revoke(*, actor: User, token: ScimToken) -> ScimToken:
    """The token stops working at once; its row stays (who made it, when it was last used)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="learning.scim_token_revoke", organization=token.organization_id, target=token)
    return token


def scim_token_use(secret: str) -> ScimToken | None:
    """The live token presented (looked up by digest in any company), its last use noted; None if unknown or
    revoked. The last use is bookkeeping, not audited: what the token does is."""
    token = (
        ScimToken.objects.dangerously_unscoped()
        .select_related("organization")
        .filter(digest=tokens.digest_of(secret), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        token.last_used_at = timezone.now()
        ScimToken.objects.in_org(token.organization_id).filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token


@transaction.atomic
def staff_manager_set(*, actor: User | None, staff: StaffMember, manager: StaffMember | None) -> StaffMember:
    """Who ``staff`` reports to (a member of staff of the same company, never themselves), or nobody."""
    if manager is not None and (manager.organization_id != staff.organization_id or manager.pk == staff.pk):
        raise ValidationError(_("A manager must be another member of staff of the same company."))
    if staff.manager_id != (manager.pk if manager else None):
        staff.manager = manager
        staff.save(update_fields=["manager", "updated_at"])
        audit.record(
            actor=actor,
            action="staff.manager_set",
            organization=staff.organization_id,
            target=staff,
            detail={"manager": manager.pk if manager else None},
        )
    return staff


@transaction.atomic
def staff_group_save(
    *,
    actor: User | None,
    organization: Organization,
    display_name: str,
    external_id: str = "",
    member_ids: Iterable[int] | None = None,
    group: StaffGroup | None = None,
) -> StaffGroup:
    """Create or update a directory group; ``member_ids`` (staff ids of the company) replace its members when
    given. An id that is not the company's member of staff is refused."""
    check_company(organization)
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError(_("A group needs a name."))
    clash = StaffGroup.objects.in_org(organization).filter(display_name__iexact=display_name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError(_("Another group has this name."), code="uniqueness")
    created = group is None
    if group is None:
        group = StaffGroup(organization=organization)
    group.display_name, group.external_id = display_name, external_id
    group.save()
    detail: dict[str, int] = {}
    if member_ids is not None:
        wanted = set(member_ids)
        found = set(StaffMember.objects.in_org(organization).filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            raise ValidationError(_("A member of this group is not a member of staff here."), code="invalidValue")
        through = StaffGroup.members.through  # the plain link table: the tenant manager stays out of the way
        links = through.objects.filter(staffgroup_id=group.pk)
        links.exclude(staffmember_id__in=found).delete()
        have = set(links.values_list("staffmember_id", flat=True))
        through.objects.bulk_create([through(staffgroup_id=group.pk, staffmember_id=pk) for pk in found - have])
        detail["members"] = len(found)
    audit.record(
        actor=actor,
        action="staff.group_create" if created else "staff.group_update",
        organization=organization,
        target=group,
        detail=detail,
    )
    return group


@transaction.atomic
def staff_group_delete(*, actor: User | None, group: StaffGroup) -> None:
    """The group goes, and the assignment rules that target it with it (models: CASCADE); its members stay."""
    organization, pk = group.organization_id, group.pk
    group.delete()
    audit.record(
        actor=actor,
        action="staff.group_delete",
        organization=organization,
        target_type="learning.staffgroup",
        target_id=pk,
    )


@transaction.atomic
def staff_provision(
    *,
    actor: User | None,
    organization: Organization,
    fields: StaffFields,
    manager_id: int | None,
    staff: StaffMember | None = None,
) -> StaffMember:
    """What the identity provider sends about one member of staff, applied at once: their fields, then who they
    report to (an id that is not another member of staff of the company reads as nobody)."""
    staff = staff_save(actor=actor, organization=organization, fields=fields, staff=staff)
    manager = (
        StaffMember.objects.in_org(organization).exclude(pk=staff.pk).filter(pk=manager_id).first()
        if manager_id is not None
        else None
    )
    staff = staff_manager_set(actor=actor, staff=staff, manager=manager)
    from . import rules  # the engine reads the services' company check: imported here, not at the top

    rules.assign(organization, timezone.localdate(), staff_ids={staff.pk})  # the courses the rules give them
    return staff
