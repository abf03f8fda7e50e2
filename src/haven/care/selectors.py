"""Reads of the care pillar.

Only the treating clinician and their CAC's admin (the clinical supervisor) ever reach a child-level record:
``episodes_for`` is the one place that scope is built, and every ``access_*`` helper starts from it. Each read of
one record is an audit event; each list is one audit event naming the ids it showed.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from haven.audit import services as audit
from haven.measures import instruments
from haven.organizations.models import Membership
from haven.organizations.roles import ROLES_SEEING_CHILDREN, Role, sees_child_records
from haven.programs.models import Program

from .models import (
    Assessment,
    Child,
    CriticalAlert,
    Episode,
    EpisodeStatus,
    Handover,
    Session,
    TreatmentModel,
)

CARE_ROLES = tuple(sorted(ROLES_SEEING_CHILDREN))


def sees_children(membership: Membership | None) -> bool:
    """The treating clinicians and the clinical supervisor of a CAC; nobody else, ever."""
    return membership is not None and sees_child_records(membership.role, membership.organization.kind)


def episodes_for(membership: Membership) -> QuerySet[Episode]:
    """Every episode this membership may see: a clinician's own caseload, or all of their CAC's for its admin."""
    if not sees_children(membership):
        return Episode.objects.none()
    episodes = Episode.objects.in_org(membership.organization_id)
    if membership.role == Role.CLINICIAN:
        episodes = episodes.filter(clinician_id=membership.user_id)
    return episodes


def _viewed(membership: Membership, target: Any, **detail: Any) -> None:
    audit.record(
        actor=membership.user,
        action="child.view",
        organization=membership.organization_id,
        target=target,
        detail=detail,
    )


def audit_list(membership: Membership, *, episodes: Sequence[int], children: Sequence[int]) -> None:
    """One audit event for a list of child-level records, naming every id it showed."""
    audit.record(
        actor=membership.user,
        action="child.list",
        organization=membership.organization_id,
        detail={"episodes": sorted(set(episodes)), "children": sorted(set(children))},
    )


def access_episode(*, membership: Membership, episode_id: int, audit_read: bool = True) -> Episode:
    episode = (
        episodes_for(membership)
        .select_related("child", "treatment_model", "clinician", "program")
        .filter(pk=episode_id)
    ).first()
    if episode is None:
        raise Http404
    if audit_read:
        _viewed(membership, episode, child=episode.child_id)
    return episode


def access_child(*, membership: Membership, child_id: int) -> Child:
    """A child is visible to whoever sees one of their episodes."""
    episode = episodes_for(membership).filter(child_id=child_id).select_related("child").first()
    if episode is None:
        raise Http404
    _viewed(membership, episode.child)
    return episode.child


def access_assessment(*, membership: Membership, assessment_id: int) -> Assessment:
    assessment = (
        Assessment.objects.in_org(membership.organization_id)
        .filter(pk=assessment_id, episode__in=episodes_for(membership))
        .select_related("episode__child", "episode__treatment_model")
        .first()
    )
    if assessment is None:
        raise Http404
    _viewed(membership, assessment, episode=assessment.episode_id, child=assessment.episode.child_id)
    return assessment


def access_session(*, episode: Episode, session_id: int) -> Session:
    session = Session.objects.in_org(episode.organization_id).filter(episode=episode, pk=session_id).first()
    if session is None:
        raise Http404
    return session


def access_alert(*, membership: Membership, alert_id: int) -> CriticalAlert:
    alert = (
        CriticalAlert.objects.in_org(membership.organization_id)
        .filter(pk=alert_id, episode__in=episodes_for(membership))
        .select_related("episode__child", "assessment")
        .first()
    )
    if alert is None:
        raise Http404
    _viewed(membership, alert, episode=alert.episode_id, child=alert.episode.child_id)
    return alert


@dataclass(frozen=True)
class MeasureDue:
    """What the next measure of an episode is and when it is due."""

    kind: str  # "baseline", "periodic", "post_missing" or "none"
    due_on: date | None
    overdue: bool


def next_measure(episode: Episode, today: date) -> MeasureDue:
    """Baseline at the start; then every ``remeasure_days`` of the treatment model; a post measure at the end."""
    if episode.status != EpisodeStatus.OPEN:
        if episode.status == EpisodeStatus.COMPLETED and not episode.has_post:
            return MeasureDue("post_missing", episode.closed_on, True)
        return MeasureDue("none", None, False)
    if not episode.has_baseline:
        due = episode.first_session_on or episode.referred_on
        return MeasureDue("baseline", due, due <= today)
    due = (episode.last_assessed_on or episode.referred_on) + timedelta(days=episode.treatment_model.remeasure_days)
    return MeasureDue("periodic", due, due <= today)


@dataclass(frozen=True)
class CaseloadRow:
    episode: Episode
    measure: MeasureDue
    open_alerts: int

    @property
    def practice(self) -> list[tuple[str, bool]]:
        return self.episode.practice_progress


def caseload(
    membership: Membership, *, status: str = EpisodeStatus.OPEN, clinician_id: int | None = None
) -> list[CaseloadRow]:
    """The episodes of a caseload with the next measure due and PRACTICE progress: three queries in all
    (episodes, open alerts, the audit event naming them), whatever the size of the caseload."""
    episodes = episodes_for(membership).filter(status=status)
    if clinician_id is not None:
        episodes = episodes.filter(clinician_id=clinician_id)
    rows = list(episodes.select_related("child", "treatment_model", "clinician").order_by("referred_on", "pk"))
    ids = [e.pk for e in rows]
    alerts = (
        dict(
            CriticalAlert.objects.in_org(membership.organization_id)
            .filter(episode_id__in=ids, acknowledged_at__isnull=True)
            .values("episode_id")
            .annotate(n=Count("id"))
            .values_list("episode_id", "n")
        )
        if ids
        else {}
    )
    audit_list(membership, episodes=ids, children=[e.child_id for e in rows])
    today = timezone.now().date()
    return [CaseloadRow(e, next_measure(e, today), alerts.get(e.pk, 0)) for e in rows]


@dataclass(frozen=True)
class EpisodePage:
    sessions: list[Session]
    assessments: list[Assessment]
    alerts: list[CriticalAlert]
    handovers: list[Handover]


def episode_page(episode: Episode) -> EpisodePage:
    org = episode.organization_id
    return EpisodePage(
        sessions=list(Session.objects.in_org(org).filter(episode=episode).order_by("-held_on", "-pk")),
        assessments=list(Assessment.objects.in_org(org).filter(episode=episode).order_by("-administered_on", "-pk")),
        alerts=list(
            CriticalAlert.objects.in_org(org)
            .filter(episode=episode, acknowledged_at__isnull=True)
            .select_related("assessment")
        ),
        handovers=list(
            Handover.objects.in_org(org).filter(episode=episode).select_related("from_clinician", "to_clinician")
        ),
    )


@dataclass(frozen=True)
class Trajectory:
    """One measure's scores over time for a child, against its cut-off line."""

    instrument: instruments.Instrument
    points: list[tuple[date, int]]

    @property
    def maximum(self) -> int:
        return self.instrument.total_maximum


def child_page(membership: Membership, child: Child) -> tuple[list[Episode], list[Trajectory]]:
    episodes = list(
        episodes_for(membership)
        .filter(child=child)
        .select_related("treatment_model", "clinician")
        .order_by("referred_on")
    )
    by_instrument: dict[str, list[tuple[date, int]]] = {}
    for code, day, total in (
        Assessment.objects.in_org(child.organization_id)
        .filter(episode__in=[e.pk for e in episodes], total__isnull=False)
        .order_by("administered_on", "pk")
        .values_list("instrument", "administered_on", "total")
    ):
        if total is not None:
            by_instrument.setdefault(code, []).append((day, total))
    known = {i.code: i for i in instruments.all_instruments()}
    trajectories = [Trajectory(known[code], points) for code, points in by_instrument.items() if code in known]
    return episodes, trajectories


def open_alerts(membership: Membership) -> QuerySet[CriticalAlert]:
    return (
        CriticalAlert.objects.in_org(membership.organization_id)
        .filter(acknowledged_at__isnull=True, episode__in=episodes_for(membership))
        .select_related("episode__child", "assessment")
    )


def open_alert_count(membership: Membership | None) -> int:
    if membership is None or not sees_children(membership):
        return 0
    return open_alerts(membership).count()


def clinicians_of(cac_id: int) -> QuerySet[Any]:
    from haven.accounts.models import User

    members = Membership.objects.in_org(cac_id).filter(role=Role.CLINICIAN, is_active=True)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by("full_name")


def treatment_models() -> QuerySet[TreatmentModel]:
    return TreatmentModel.objects.filter(is_active=True)


def instruments_for(child: Child) -> Sequence[instruments.Instrument]:
    return instruments.for_age(child.age_at_referral)


# -- For the other pillars ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseCount:
    completed: int = 0
    with_caregiver: int = 0


def completed_cases(*, organization_ids: Iterable[int], clinician_ids: Iterable[int]) -> dict[int, CaseCount]:
    """Completed cases of these clinicians at their CACs (``organization_ids``), in one query: what the TF-CBT
    certification path counts, read from the care records and never typed by hand.

    A case counts once its episode is completed, of a treatment model that counts for certification (TF-CBT), with
    a scored baseline and a scored post-treatment measure; it is "with a caregiver" when at least one session
    involved the caregiver. Care's writes announce ``CareChanged(cases_changed=True)`` whenever a case starts or
    stops counting.
    """
    clinician_ids = list(clinician_ids)
    counts = {clinician_id: CaseCount() for clinician_id in clinician_ids}
    rows = (
        Episode.objects.in_orgs(set(organization_ids))
        .filter(
            clinician_id__in=clinician_ids,
            status=EpisodeStatus.COMPLETED,
            has_baseline=True,
            has_post=True,
            treatment_model__counts_for_certification=True,
        )
        .values("clinician_id")
        .annotate(n=Count("id"), caregiver_cases=Count("id", filter=Q(caregiver_sessions__gt=0)))
        .values_list("clinician_id", "n", "caregiver_cases")
    )
    for clinician_id, n, with_caregiver in rows:
        counts[clinician_id] = CaseCount(n, with_caregiver)
    return counts


def completed_cases_by_clinician(program: Program) -> dict[int, list[tuple[date, bool]]]:
    """Every clinician's completed cases in a program (as :func:`completed_cases` counts them): (closed on, with a
    caregiver). A whole-program read, for the generator's certifications."""
    cases: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for clinician_id, closed_on, caregiver_sessions in (
        Episode.objects.of_program(program)
        .filter(
            status=EpisodeStatus.COMPLETED,
            has_baseline=True,
            has_post=True,
            treatment_model__counts_for_certification=True,
        )
        .values_list("clinician_id", "closed_on", "caregiver_sessions")
    ):
        cases[clinician_id].append((closed_on, caregiver_sessions > 0))
    return dict(cases)
