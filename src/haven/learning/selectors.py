"""The staff-education pillar's reads, the only way other apps read it (core/tests/test_layers.py)."""

import dataclasses
from datetime import date

from haven.organizations.models import Membership

from .models import Policy, PolicyVersion, StaffMember


def staff_of(membership: Membership) -> StaffMember | None:
    """The signed-in learner's own staff record, or None (a member of another organization)."""
    return (
        StaffMember.objects.in_org(membership.organization_id)
        .filter(user_id=membership.user_id, is_active=True)
        .first()
    )


# --- Rules, policies and the manager's team (helper F) --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ToAttest:
    version: PolicyVersion
    due_on: date

    @property
    def policy(self) -> Policy:
        return self.version.policy


def policies_to_attest(staff: StaffMember) -> list[ToAttest]:
    """The published policy versions (the latest of each policy) this learner has still to attest, with the day
    each is due, soonest first. Deactivated staff have nothing to attest."""
    from . import policies
    from .models import Attestation

    if not staff.is_active:
        return []
    versions = policies.current_versions(staff.organization_id)
    done = set(
        Attestation.objects.in_org(staff.organization_id)
        .filter(staff=staff, version__in=versions)
        .values_list("version_id", flat=True)
    )
    waiting = [
        ToAttest(version, policies.attest_by(version) or date.max) for version in versions if version.pk not in done
    ]
    return sorted(waiting, key=lambda row: (row.due_on, row.policy.title_en))


def team_of(manager: StaffMember, today: date) -> list[dict[str, object]]:
    """The manager's active direct reports, each with their assignments (done, due or overdue) and the current
    policy versions they have or have not attested. Only their own reports: nobody else's."""
    from . import policies
    from .models import Assignment, Attestation

    reports = list(StaffMember.objects.in_org(manager.organization_id).filter(manager=manager, is_active=True))
    assignments: dict[int, list[Assignment]] = {report.pk: [] for report in reports}
    for assignment in (
        Assignment.objects.in_org(manager.organization_id)
        .filter(staff__in=reports, superseded_at__isnull=True)
        .select_related("course")
        .order_by("due_on", "pk")
    ):
        assignments[assignment.staff_id].append(assignment)
    versions = policies.current_versions(manager.organization_id)
    attested = set(
        Attestation.objects.in_org(manager.organization_id)
        .filter(staff__in=reports, version__in=versions)
        .values_list("staff_id", "version_id")
    )
    return [
        {
            "staff": report,
            "rows": [
                {
                    "assignment": a,
                    "state": "done" if a.completed_at else ("overdue" if a.due_on < today else "due"),
                }
                for a in assignments[report.pk]
            ],
            "policies": [{"version": v, "attested": (report.pk, v.pk) in attested} for v in versions],
        }
        for report in reports
    ]


def has_reports(staff: StaffMember) -> bool:
    """Whether this member of staff manages someone still active (a manager sees the team page)."""
    return StaffMember.objects.in_org(staff.organization_id).filter(manager=staff, is_active=True).exists()


def is_manager(membership: Membership) -> bool:
    """Whether the signed-in learner manages someone (their menu shows "My team")."""
    staff = staff_of(membership)
    return staff is not None and has_reports(staff)
