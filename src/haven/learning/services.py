"""Every write of the staff-education pillar. Each is audited with ids and counts, never a learner's name."""

import dataclasses
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.emails import normalize_email
from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.services import membership_provision

from .models import LearningSettings, StaffMember


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
    ended = (
        Membership.objects.in_org(staff.organization_id)
        .filter(user_id=staff.user_id, role=Role.LEARNER, is_active=True)
        .update(is_active=False, deactivated_at=timezone.now())
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
        audit.record(actor=actor, action="staff.reactivate", organization=staff.organization_id, target=staff)
    membership_provision(actor=actor, organization=staff.organization, user=staff.user, role=Role.LEARNER)
    return staff
