from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from haven.care import selectors as care_selectors
from haven.grants import selectors as grants_selectors
from haven.learning import selectors as learning_selectors
from haven.organizations.models import Invitation, Membership
from haven.organizations.roles import Role
from haven.organizations.selectors import grants_waiting_for, organizations_visible_to
from haven.programs.selectors import programs_visible_to
from haven.training import selectors as training_selectors


def home_summary(*, membership: Membership) -> dict[str, Any]:
    """What the home page shows a membership: its to-do list (``home_todo``), its programs and, for admins, the
    people they look after."""
    summary: dict[str, Any] = {
        "todo": home_todo(membership),
        "programs": list(programs_visible_to(membership).prefetch_related_targets()),
    }
    if membership.role == Role.LEARNER:
        summary["learning"] = learning_selectors.learner_home(membership)
    if membership.role in (Role.PROGRAM_ADMIN, Role.ORG_ADMIN):
        summary["grants_waiting"] = list(grants_waiting_for(membership))
        summary["money"] = grants_selectors.money_todo(membership, timezone.localdate())
    if membership.role == Role.PROGRAM_ADMIN:
        visible = organizations_visible_to(membership).filter(is_active=True)
        summary["organizations_by_kind"] = list(visible.values("kind").annotate(n=Count("id")).order_by("kind"))
        summary["members_by_role"] = list(
            Membership.objects.in_orgs(visible.values("pk"))
            .filter(is_active=True)
            .values("role")
            .annotate(n=Count("id"))
            .order_by("role")
        )
    elif membership.role == Role.ORG_ADMIN:
        members = Membership.objects.in_org(membership.organization_id)
        summary["members_by_role"] = list(
            members.filter(is_active=True).values("role").annotate(n=Count("id")).order_by("role")
        )
        summary["open_invitations"] = (
            Invitation.objects.in_org(membership.organization_id)
            .filter(Q(accepted_at__isnull=True) & Q(revoked_at__isnull=True))
            .count()
        )
    return summary


@dataclass(frozen=True)
class HomeToDo:
    """What waits for someone on their home page, read from the pillars' selectors."""

    care: care_selectors.CareToDo | None  # critical answers and (a clinician's) measures due; None: sees no child
    path: training_selectors.PathToDo | None  # a clinician's next step and call; None: in no program
    clinician: bool


def home_todo(membership: Membership) -> HomeToDo | None:
    """A clinician's to-do list (critical answers, measures due, the next call, the next step of their path), or
    the critical answers waiting in a CAC for its admin; None for every other membership. Its queries do not grow
    with the caseload, and the children it shows are one audited list (``care.selectors.todo``)."""
    sees_children = care_selectors.sees_children(membership)
    if membership.role == Role.CLINICIAN:
        return HomeToDo(
            care=care_selectors.todo(membership) if sees_children else None,
            path=training_selectors.path_todo(membership),
            clinician=True,
        )
    if membership.role == Role.ORG_ADMIN and sees_children:
        return HomeToDo(care=care_selectors.todo(membership, measures=False), path=None, clinician=False)
    return None
