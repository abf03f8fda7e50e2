"""The staff-education pillar's reads, the only way other apps read it (core/tests/test_layers.py)."""

from haven.organizations.models import Membership

from .models import StaffMember


def staff_of(membership: Membership) -> StaffMember | None:
    """The signed-in learner's own staff record, or None (a member of another organization)."""
    return (
        StaffMember.objects.in_org(membership.organization_id)
        .filter(user_id=membership.user_id, is_active=True)
        .first()
    )
