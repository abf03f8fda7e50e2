"""Reads of the care pillar.

Only the treating clinician and their CAC's admin (the clinical supervisor) ever reach a child-level record:
``episodes_for`` is the one place that scope is built, and every ``access_*`` helper starts from it. Each read of
one record is an audit event; each list is one audit event naming the ids it showed.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django.db.models import Count, F, IntegerField, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from haven.audit import services as audit
from haven.measures import instruments
from haven.measures.change import PROGRAM_BASELINE, PUBLISHED, NotJudged, PointChange, sd_from_sums, series_change
from haven.organizations.models import Membership
from haven.organizations.roles import ROLES_SEEING_CHILDREN, Role, sees_child_records
from haven.programs.models import Program

from . import due
from .models import (
    Assessment,
    Child,
    CriticalAlert,
    Episode,
    EpisodeStatus,
    Handover,
    Session,
    Timepoint,
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


def next_measure(episode: Episode, today: date) -> due.MeasureDue:
    """The episode's next measure under its treatment model's schedule (the one rule: ``care.due``)."""
    model = episode.treatment_model
    return due.measure_due(
        due.MeasureFacts(
            status=episode.status,
            referred_on=episode.referred_on,
            first_session_on=episode.first_session_on,
            closed_on=episode.closed_on,
            has_baseline=episode.has_baseline,
            has_post=episode.has_post,
            last_assessed_on=episode.last_assessed_on,
        ),
        due.Schedule(remeasure_days=model.remeasure_days, grace_days=model.measure_grace_days),
        today=today,
    )


@dataclass(frozen=True)
class CaseloadRow:
    episode: Episode
    measure: due.MeasureDue
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
class DueMeasure:
    episode: Episode
    measure: due.MeasureDue


@dataclass(frozen=True)
class CareToDo:
    """The care part of a clinician's to-do list (alerts only for their CAC's admin)."""

    alerts: list[CriticalAlert]
    measures: list[DueMeasure] | None  # overdue first, then due; None when not asked for


def todo(membership: Membership, *, measures: bool = True) -> CareToDo:
    """The open critical alerts this membership sees and, with ``measures``, the measures due and overdue of its
    episodes (``care.due``), in four queries whatever the caseload; one ``child.list`` audit event names the
    children shown (none when nothing is)."""
    alerts = list(open_alerts(membership).order_by("raised_at", "pk"))
    listed: list[DueMeasure] | None = None
    if measures:
        today = timezone.now().date()
        # A missing post measure leaves the list a model's grace days after the close: no need to read older ones.
        longest = TreatmentModel.objects.aggregate(days=Max("measure_grace_days"))["days"] or 0
        episodes = (
            episodes_for(membership)
            .filter(
                Q(status=EpisodeStatus.OPEN)
                | Q(status=EpisodeStatus.COMPLETED, has_post=False, closed_on__gt=today - timedelta(days=longest))
            )
            .select_related("child", "treatment_model")
        )
        rows = [DueMeasure(e, next_measure(e, today)) for e in episodes]
        listed = sorted(
            (row for row in rows if row.measure.listed),
            key=lambda row: (
                not row.measure.overdue,
                row.measure.overdue_on if row.measure.overdue else row.measure.due_on,
                row.episode.child.display_code,
            ),
        )
    shown = [(a.episode_id, a.episode.child_id) for a in alerts]
    shown += [(row.episode.pk, row.episode.child_id) for row in listed or []]
    if shown:
        audit_list(membership, episodes=[e for e, _c in shown], children=[c for _e, c in shown])
    return CareToDo(alerts, listed)


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
class Spread:
    """The SD reliable change uses for one program's children on one instrument: the published SD, or else the
    SD of the program's baseline scores (None below ``measures.change.MIN_SCORES_FOR_SD`` of them)."""

    program: Program
    source: str  # PUBLISHED | PROGRAM_BASELINE
    sd: float | None
    scores: int  # the program's baseline scores of the instrument


@dataclass(frozen=True)
class ScoreRow:
    """One administration on the child's chart; ``change`` compares it with its episode's baseline."""

    episode_id: int
    administered_on: date
    timepoint: str
    total: int
    band: str | None
    is_baseline: bool
    may_recover: bool | None  # of its series: at or above the threshold at baseline (None: no threshold)
    judged: bool  # its series' change is judged (a reliability and an SD)
    change: PointChange | None  # None for a baseline
    not_judged: NotJudged | None


@dataclass(frozen=True)
class Trajectory:
    """One instrument's scores of a child over time, every episode's series compared with its own baseline."""

    instrument: instruments.Instrument
    rows: list[ScoreRow]
    spreads: list[Spread]  # of the programs of the episodes shown (usually one)
    episodes: int

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def chart_id(self) -> str:
        """The id of the JSON the chart is drawn from."""
        return f"trajectory-{self.code}"

    @cached_property
    def episode_numbers(self) -> dict[int, int]:
        """Each episode's number on this chart (1, 2, ...), in the order their scores begin."""
        numbers: dict[int, int] = {}
        for row in self.rows:
            numbers.setdefault(row.episode_id, len(numbers) + 1)
        return numbers


def baseline_spreads(program: Program, codes: Collection[str]) -> dict[str, Spread]:
    """Per instrument, the SD one child's change is judged with, in one query: the published SD, or the SD of
    every scored baseline of the program (all its CACs: counts and sums only leave the query)."""
    sums = {
        code: (n, total or 0, squares or 0)
        for code, n, total, squares in Assessment.objects.of_program(program)
        .filter(instrument__in=codes, timepoint=Timepoint.BASELINE, total__isnull=False)
        .order_by()
        .values("instrument")
        .annotate(n=Count("id"), sum=Sum("total"), squares=Sum(F("total") * F("total"), output_field=IntegerField()))
        .values_list("instrument", "n", "sum", "squares")
    }
    spreads = {}
    for code in codes:
        n, total, squares = sums.get(code, (0, 0, 0))
        published = instruments.load(code).norms.sd_pre
        if published is not None:
            spreads[code] = Spread(program, PUBLISHED, published, n)
        else:
            spreads[code] = Spread(program, PROGRAM_BASELINE, sd_from_sums(n, total, squares), n)
    return spreads


def _series_rows(
    instrument: instruments.Instrument,
    episode_id: int,
    scores: list[tuple[date, str, int, str | None]],
    spread: Spread,
) -> list[ScoreRow]:
    """An episode's scores of one instrument, each after the first baseline compared with it."""
    start = next((i for i, (_d, timepoint, *_rest) in enumerate(scores) if timepoint == Timepoint.BASELINE), None)
    reliability, threshold = instrument.norms.reliability, instrument.threshold
    series = (
        series_change(
            [total for _d, _t, total, _b in scores[start:]],
            sd_pre=spread.sd,
            reliability=reliability,
            threshold=threshold,
        )
        if start is not None
        else None
    )
    rows = []
    for i, (day, timepoint, total, band) in enumerate(scores):
        point, reason = None, None
        if start is None or i < start:
            reason = NotJudged.NO_BASELINE
        elif i > start and series is not None:
            point, reason = series.points[i - start - 1], series.not_judged
        rows.append(
            ScoreRow(
                episode_id=episode_id,
                administered_on=day,
                timepoint=timepoint,
                total=total,
                band=band,
                is_baseline=i == start,
                may_recover=series.may_recover if series is not None else None,
                judged=series is not None and series.not_judged is None,
                change=point,
                not_judged=reason,
            )
        )
    return rows


def child_page(membership: Membership, child: Child) -> tuple[list[Episode], list[Trajectory]]:
    """The child's episodes this membership sees, and per instrument their scores over time with the change of
    each against its episode's baseline: four queries whatever the number of measures."""
    episodes = list(
        episodes_for(membership)
        .filter(child=child)
        .select_related("treatment_model", "clinician", "program")
        .order_by("referred_on")
    )
    series: dict[str, dict[int, list[tuple[date, str, int, str | None]]]] = {}
    for episode_id, code, day, timepoint, total, score in (
        Assessment.objects.in_org(child.organization_id)
        .filter(episode__in=[e.pk for e in episodes], total__isnull=False)
        .order_by("administered_on", "pk")
        .values_list("episode_id", "instrument", "administered_on", "timepoint", "total", "score")
    ):
        if total is not None:
            series.setdefault(code, {}).setdefault(episode_id, []).append((day, timepoint, total, score.get("band")))
    known = {i.code: i for i in instruments.all_instruments()}
    codes = [code for code in known if code in series]  # in the instruments' display order
    programs = {e.program_id: e.program for e in episodes if any(e.pk in series[code] for code in codes)}
    spreads = {program_id: baseline_spreads(program, codes) for program_id, program in programs.items()}
    program_of = {e.pk: e.program_id for e in episodes}
    trajectories = []
    for code in codes:
        rows: list[ScoreRow] = []
        for episode_id, scores in series[code].items():
            rows.extend(_series_rows(known[code], episode_id, scores, spreads[program_of[episode_id]][code]))
        rows.sort(key=lambda row: row.administered_on)  # stable: an episode's own order is kept within a day
        shown = {program_of[episode_id] for episode_id in series[code]}
        trajectories.append(
            Trajectory(
                known[code], rows, [spreads[program_id][code] for program_id in sorted(shown)], len(series[code])
            )
        )
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
