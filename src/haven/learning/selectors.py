"""The staff-education pillar's reads, the only way other apps read it (core/tests/test_layers.py)."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from haven.organizations.models import Membership, Organization

from .models import Assignment, Attestation, ScimToken, StaffGroup, StaffMember


def staff_of(membership: Membership) -> StaffMember | None:
    """The signed-in learner's own staff record, or None (a member of another organization)."""
    return (
        StaffMember.objects.in_org(membership.organization_id)
        .filter(user_id=membership.user_id, is_active=True)
        .first()
    )


# -- staff provisioning: the learning admin's directory and tokens -----------------------------------------------


@dataclass(frozen=True)
class StaffQuery:
    """What the staff directory is asked: words in a name, user name or e-mail; a department; a country; active
    ("yes", "no" or "" for both)."""

    text: str = ""
    department: str = ""
    country: str = ""
    active: str = ""


def staff_directory(company: Organization | int, query: StaffQuery) -> QuerySet[StaffMember]:
    found = StaffMember.objects.in_org(company).select_related("user", "manager")
    for word in query.text.split():
        found = found.filter(
            Q(user_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(employee_number__iexact=word)
        )
    if query.department:
        found = found.filter(department=query.department)
    if query.country:
        found = found.filter(country=query.country.upper())
    if query.active in ("yes", "no"):
        found = found.filter(is_active=query.active == "yes")
    return found


def staff_facets(company: Organization | int) -> dict[str, list[str]]:
    """The departments and countries the company's staff have, to filter by."""
    staff = StaffMember.objects.in_org(company)
    return {
        name: sorted(set(staff.exclude(**{name: ""}).values_list(name, flat=True).distinct()))
        for name in ("department", "country")
    }


def staff_record(company: Organization | int, staff_id: int) -> dict[str, Any]:
    """One member of staff as the learning admin reads them: their fields, assignments and attestations; 404
    outside the company."""
    staff = get_object_or_404(StaffMember.objects.in_org(company).select_related("user", "manager"), pk=staff_id)
    return {
        "staff": staff,
        "assignments": list(
            Assignment.objects.in_org(company)
            .filter(staff=staff)
            .select_related("course", "version")
            .order_by("-assigned_on")
        ),
        "attestations": list(Attestation.objects.in_org(company).filter(staff=staff).select_related("version__policy")),
        "groups": list(StaffGroup.objects.in_org(company).filter(members=staff)),
    }


def scim_tokens(company: Organization | int) -> QuerySet[ScimToken]:
    return ScimToken.objects.in_org(company).select_related("created_by")
