"""Every write of the care pillar: one transaction and one audit event each.

Audit details carry ids and counts only: never a case number, an answer or a score.
"""

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Min, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.changes import AlertsRaised, CareChanged, CareDays, announce
from haven.measures import instruments, scoring
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from . import identity
from .models import (
    CAREGIVER_KINDS,
    Assessment,
    Child,
    CriticalAlert,
    Episode,
    EpisodeStatus,
    FollowUp,
    Handover,
    PastScore,
    Practice,
    Session,
    Timepoint,
    TreatmentModel,
)


class DuplicateChild(ValidationError):
    """The case number is already registered at this CAC: the existing child is ``child``."""

    def __init__(self, child: Child) -> None:
        super().__init__(_("This case number is already registered at your CAC as %(code)s.") % {"code": child})
        self.child = child


def is_clinician_of(cac_id: int, user_id: int) -> bool:
    return Membership.objects.in_org(cac_id).filter(user_id=user_id, role=Role.CLINICIAN, is_active=True).exists()


@transaction.atomic
def child_register(
    *,
    actor: User,
    cac: Organization,
    program: Program,
    case_number: str,
    clinician: User,
    treatment_model: TreatmentModel,
    age_at_referral: int,
    gender: str,
    race_ethnicity: str,
    trauma_types: Iterable[str],
    referred_on: date,
) -> Episode:
    """Intake: register a child by the CAC's case number (kept only as a keyed HMAC) and open their episode."""
    if not identity.normalize(case_number):
        raise ValidationError({"case_number": _("Enter the CAC's case number.")})
    # Matched under every pseudonym key while children are re-keyed after a rotation (identity, decision 0048).
    forms = identity.case_keys(cac.pk, case_number)
    key = forms[0]
    existing = Child.objects.in_org(cac).filter(case_key__in=forms).first()
    if existing is not None:
        raise DuplicateChild(existing)
    _check_referral(referred_on)
    child = Child(
        organization=cac,
        case_key=key,
        age_at_referral=age_at_referral,
        gender=gender,
        race_ethnicity=race_ethnicity,
        trauma_types=sorted(set(trauma_types)),
        referred_on=referred_on,
        registered_by=actor,
    )
    for _attempt in range(5):
        child.display_code = identity.new_display_code()
        if not Child.objects.in_org(cac).filter(display_code=child.display_code).exists():
            break
    child.full_clean(exclude=["case_key", "display_code"])
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError as error:  # a concurrent intake of the same case number
        raise ValidationError(_("This case number was registered a moment ago: search for it again.")) from error
    audit.record(actor=actor, action="child.register", organization=cac, target=child)
    return episode_open(
        actor=actor,
        child=child,
        program=program,
        clinician=clinician,
        treatment_model=treatment_model,
        referred_on=referred_on,
    )


def _check_referral(referred_on: date) -> None:
    if referred_on > timezone.now().date():
        raise ValidationError({"referred_on": _("The referral date cannot be in the future.")})


@transaction.atomic
def episode_open(
    *,
    actor: User,
    child: Child,
    program: Program,
    clinician: User,
    treatment_model: TreatmentModel,
    referred_on: date,
) -> Episode:
    if not is_clinician_of(child.organization_id, clinician.pk):
        raise ValidationError({"clinician": _("Choose a clinician of this CAC.")})
    if not treatment_model.is_active:
        raise ValidationError({"treatment_model": _("This treatment model is no longer offered.")})
    _check_referral(referred_on)
    open_episode = Episode.objects.in_org(child.organization_id).filter(
        child=child, treatment_model=treatment_model, status=EpisodeStatus.OPEN
    )
    if open_episode.exists():
        raise ValidationError(_("This child already has an open episode of this treatment model."))
    episode = Episode.objects.create(
        organization_id=child.organization_id,
        child=child,
        program=program,
        clinician=clinician,
        treatment_model=treatment_model,
        referred_on=referred_on,
    )
    days = CareDays(referrals=frozenset({referred_on}))
    announce(CareChanged(program_id=program.pk, organization_id=child.organization_id, days=days))
    audit.record(
        actor=actor,
        action="episode.open",
        organization=child.organization_id,
        target=episode,
        detail={"child": child.pk, "clinician": clinician.pk, "model": treatment_model.code},
    )
    return episode


def _check_date(episode: Episode, day: date, *, field: str, closed_ok: bool = False) -> None:
    if day > timezone.now().date():
        raise ValidationError({field: _("The date cannot be in the future.")})
    if day < episode.referred_on:
        raise ValidationError({field: _("The date cannot be before the referral.")})
    if not closed_ok and episode.closed_on is not None and day > episode.closed_on:
        raise ValidationError({field: _("The episode was closed before this date.")})


@transaction.atomic
def session_record(
    *,
    actor: User,
    episode: Episode,
    held_on: date,
    minutes: int,
    kind: str,
    components: Iterable[str],
    caregiver_present: bool,
    modality: str,
) -> Session:
    _check_date(episode, held_on, field="held_on")
    components = [code for code in Practice.values if code in set(components)]
    if components and not episode.treatment_model.uses_practice:
        raise ValidationError({"components": _("This treatment model does not record PRACTICE components.")})
    session = Session(
        organization_id=episode.organization_id,
        episode=episode,
        clinician_id=episode.clinician_id,
        held_on=held_on,
        minutes=minutes,
        kind=kind,
        components=components,
        caregiver_present=caregiver_present,
        modality=modality,
        recorded_by=actor,
    )
    session.full_clean()
    session.save()
    _refresh(episode, moved_sessions=[(held_on, 1)])
    audit.record(
        actor=actor,
        action="session.record",
        organization=episode.organization_id,
        target=session,
        detail={"episode": episode.pk},
    )
    return session


@transaction.atomic
def session_delete(*, actor: User, session: Session) -> None:
    episode = session.episode
    session_id, held_on = session.pk, session.held_on
    session.delete()
    _refresh(episode, moved_sessions=[(held_on, -1)])
    audit.record(
        actor=actor,
        action="session.delete",
        organization=episode.organization_id,
        target_type="care.session",
        target_id=session_id,
        detail={"episode": episode.pk},
    )


def alerts_create(cac_id: int, scored: Iterable[tuple[Assessment, scoring.Score]]) -> list[CriticalAlert]:
    """The critical alerts of assessments written in bulk (each with its score: its ``critical`` item keys), made
    at once and announced per program (``alerts_raised``): what an import or a pushed batch raises."""
    alerts = CriticalAlert.objects.bulk_create(
        [
            CriticalAlert(
                organization_id=cac_id,
                assessment=assessment,
                episode=assessment.episode,
                item=key,
                answer=int(assessment.responses.get(key) or 0),
            )
            for assessment, score in scored
            for key in score.critical
        ]
    )
    for program_id in {alert.episode.program_id for alert in alerts}:
        alerts_raised(program_id, cac_id, [a for a in alerts if a.episode.program_id == program_id])
    return alerts


def alerts_raised(program_id: int, cac_id: int, alerts: list[CriticalAlert]) -> None:
    """Say that critical alerts were raised (``core.changes``: the API tells the CAC's subscribers), if any."""
    if alerts:
        announce(AlertsRaised(program_id=program_id, organization_id=cac_id, alert_ids=frozenset(a.pk for a in alerts)))


@transaction.atomic
def assessment_record(
    *,
    actor: User,
    episode: Episode,
    instrument_code: str,
    timepoint: str,
    administered_on: date,
    responses: Mapping[str, int | None],
) -> Assessment:
    """Score an administration on the server, store it with its scoring version, and raise critical alerts."""
    instrument = instruments.load(instrument_code)
    if timepoint not in Timepoint.values:
        raise ValidationError({"timepoint": _("Choose a timepoint.")})
    _check_date(episode, administered_on, field="administered_on", closed_ok=timepoint == Timepoint.FOLLOW_UP)
    try:
        result = scoring.score(instrument, responses)
    except scoring.InvalidResponses as error:
        raise ValidationError(str(error)) from error
    assessment = Assessment.objects.create(
        organization_id=episode.organization_id,
        episode=episode,
        instrument=instrument.code,
        instrument_version=instrument.version,
        informant=instrument.informant,
        timepoint=timepoint,
        administered_on=administered_on,
        responses={key: value for key, value in responses.items() if value is not None},
        scoring_version=result.scoring_version,
        total=result.total,
        above_cutoff=result.above_cutoff,
        score=result.as_dict(),
        recorded_by=actor,
    )
    alerts = [
        CriticalAlert.objects.create(
            organization_id=episode.organization_id,
            assessment=assessment,
            episode=episode,
            item=item_key,
            answer=int(responses[item_key] or 0),
        )
        for item_key in result.critical
    ]
    _refresh(episode, moved_sessions=())
    alerts_raised(episode.program_id, episode.organization_id, alerts)
    audit.record(
        actor=actor,
        action="assessment.record",
        organization=episode.organization_id,
        target=assessment,
        detail={"episode": episode.pk, "instrument": instrument.code, "alerts": len(result.critical)},
    )
    return assessment


@transaction.atomic
def assessment_delete(*, actor: User, assessment: Assessment) -> None:
    episode = assessment.episode
    if (
        CriticalAlert.objects.in_org(episode.organization_id)
        .filter(assessment=assessment, acknowledged_at__isnull=True)
        .exists()
    ):
        raise ValidationError(_("Acknowledge the critical answer on this measure before deleting it."))
    assessment_id = assessment.pk
    assessment.delete()
    _refresh(episode, moved_sessions=())
    audit.record(
        actor=actor,
        action="assessment.delete",
        organization=episode.organization_id,
        target_type="care.assessment",
        target_id=assessment_id,
        detail={"episode": episode.pk},
    )


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: CriticalAlert, follow_up: Iterable[str]) -> CriticalAlert:
    follow_up = [code for code in FollowUp.values if code in set(follow_up)]
    if not follow_up:
        raise ValidationError({"follow_up": _("Record the follow-up before acknowledging.")})
    if alert.acknowledged_at is not None:
        raise ValidationError(_("This alert was already acknowledged."))
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.follow_up = follow_up
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "follow_up"])
    audit.record(
        actor=actor,
        action="alert.acknowledge",
        organization=alert.organization_id,
        target=alert,
        detail={"episode": alert.episode_id, "follow_up": follow_up},
    )
    return alert


@transaction.atomic
def episode_close(*, actor: User, episode: Episode, status: str, closed_on: date, reason: str = "") -> Episode:
    committed = _committed(episode)
    if committed.status != EpisodeStatus.OPEN:
        raise ValidationError(_("This episode is already closed."))
    if status not in (EpisodeStatus.COMPLETED, EpisodeStatus.ENDED):
        raise ValidationError({"status": _("Choose how the episode closes.")})
    if status == EpisodeStatus.ENDED and not reason:
        raise ValidationError({"end_reason": _("Say why the episode ended early.")})
    _check_date(episode, closed_on, field="closed_on")
    if committed.last_session_on and closed_on < committed.last_session_on:
        raise ValidationError({"closed_on": _("The episode has sessions after this date.")})
    episode.status = status
    episode.closed_on = closed_on
    episode.end_reason = reason if status == EpisodeStatus.ENDED else ""
    episode.full_clean()
    episode.save(update_fields=["status", "closed_on", "end_reason"])
    announce(
        CareChanged(
            program_id=episode.program_id,
            organization_id=episode.organization_id,
            cases_changed=status == EpisodeStatus.COMPLETED and committed.has_baseline and committed.has_post,
            days=CareDays(closes=frozenset({closed_on})),
        )
    )
    audit.record(
        actor=actor,
        action="episode.close",
        organization=episode.organization_id,
        target=episode,
        detail={"status": status, "reason": episode.end_reason},
    )
    return episode


@transaction.atomic
def episode_reopen(*, actor: User, episode: Episode) -> Episode:
    """Undo a close made in error: the episode is open again."""
    committed = _committed(episode)
    if committed.status == EpisodeStatus.OPEN:
        raise ValidationError(_("This episode is open."))
    episode.status, episode.closed_on, episode.end_reason = EpisodeStatus.OPEN, None, ""
    episode.save(update_fields=["status", "closed_on", "end_reason"])
    days = CareDays(closes=frozenset({committed.closed_on}) if committed.closed_on else frozenset())
    announce(
        CareChanged(
            program_id=episode.program_id,
            organization_id=episode.organization_id,
            cases_changed=committed.counts_as_case,
            days=days,
        )
    )
    audit.record(actor=actor, action="episode.reopen", organization=episode.organization_id, target=episode)
    return episode


def _committed(episode: Episode) -> Episode:
    """The episode as committed, read under its row lock: the page's copy may be older than another user's session,
    close or reopening, and what a close checks, or a reopening undoes, is what was committed."""
    return Episode.objects.in_org(episode.organization_id).select_for_update().get(pk=episode.pk)


@transaction.atomic
def episode_handover(*, actor: User, episode: Episode, to_clinician: User) -> Episode:
    """Hand an open episode to another clinician of the same CAC; earlier sessions stay theirs who gave them."""
    if episode.status != EpisodeStatus.OPEN:
        raise ValidationError(_("Only an open episode can be handed over."))
    if to_clinician.pk == episode.clinician_id or not is_clinician_of(episode.organization_id, to_clinician.pk):
        raise ValidationError({"clinician": _("Choose another clinician of this CAC.")})
    Handover.objects.create(
        organization_id=episode.organization_id,
        episode=episode,
        from_clinician_id=episode.clinician_id,
        to_clinician=to_clinician,
        handed_by=actor,
    )
    from_id = episode.clinician_id
    episode.clinician = to_clinician
    episode.save(update_fields=["clinician"])
    audit.record(
        actor=actor,
        action="episode.handover",
        organization=episode.organization_id,
        target=episode,
        detail={"from": from_id, "to": to_clinician.pk},
    )
    return episode


def _refresh(episode: Episode, *, moved_sessions: Iterable[tuple[date, int]]) -> None:
    refresh_episodes(episode.organization_id, [episode], moved_sessions=moved_sessions)


COUNTERS = (
    "sessions_count",
    "caregiver_sessions",
    "first_session_on",
    "last_session_on",
    "practice",
    "has_baseline",
    "has_post",
    "last_assessed_on",
)


def refresh_episodes(
    organization_id: int, episodes: Iterable[Episode], *, moved_sessions: Iterable[tuple[date, int]] | None = None
) -> None:
    """Recount episodes' sessions and measures from their rows (a fixed number of queries however many), and say
    what changed, program by program (children served, the care cells and the workforce figures follow).

    ``moved_sessions``: the sessions one episode's write added (day, 1) or removed (day, -1); none for a measure. With
    them the change names the days it moved (``CareDays``), and the care cells count only those months' figures
    again; without them (a batch, a rescoring) every figure of the CAC is counted again."""
    episodes = list(episodes)
    if not episodes:
        return
    ids = [e.pk for e in episodes]
    was_case = {e.pk: e.counts_as_case for e in episodes}
    # The episodes' first session and close as they stand: read under the episodes' row locks, so that a write to
    # the same episode committed meanwhile is seen (the caller's objects may be older than it).
    before: dict[int, tuple[date | None, date | None]] = {}
    if moved_sessions is not None:
        if len(episodes) > 1:
            raise ValueError("The sessions added or removed are one episode's.")
        before = {
            pk: (first, closed)
            for pk, first, closed in Episode.objects.in_org(organization_id)
            .filter(pk__in=ids)
            .select_for_update()
            .values_list("pk", "first_session_on", "closed_on")
        }
    # The sessions summed in the database by episode and set of components (a few sets an episode), each set's
    # JSON read once: reading every session's row cost most of the refresh of a batch of thousands.
    sessions: dict[int, list[tuple[int, int, date, date, list[str]]]] = {pk: [] for pk in ids}
    involved = Q(caregiver_present=True) | Q(kind__in=CAREGIVER_KINDS)
    decode = functools.cache(json.loads)
    for episode_id, covered, count, caregiver, first, last in (
        Session.objects.in_org(organization_id)
        .filter(episode_id__in=ids)
        .annotate(covered=Cast("components", TextField()))
        .order_by()
        .values("episode_id", "covered")
        .annotate(n=Count("id"), caregiver=Count("id", filter=involved), first=Min("held_on"), last=Max("held_on"))
        .values_list("episode_id", "covered", "n", "caregiver", "first", "last")
    ):
        sessions[episode_id].append((count, caregiver, first, last, decode(covered)))
    measures: dict[int, list[tuple[str, date]]] = {pk: [] for pk in ids}
    for episode_id, timepoint, day in (
        Assessment.objects.in_org(organization_id)
        .filter(episode_id__in=ids, total__isnull=False)
        .values_list("episode_id", "timepoint", "administered_on")
    ):
        measures[episode_id].append((timepoint, day))
    for episode in episodes:
        groups = sessions[episode.pk]
        covered = {code for *_rest, components in groups for code in components}
        episode.sessions_count = sum(count for count, *_rest in groups)
        episode.caregiver_sessions = sum(caregiver for _n, caregiver, *_rest in groups)
        episode.first_session_on = min((first for _n, _c, first, _l, _p in groups), default=None)
        episode.last_session_on = max((last for _n, _c, _f, last, _p in groups), default=None)
        episode.practice = [code for code in Practice.values if code in covered]
        taken = measures[episode.pk]
        episode.has_baseline = any(t == Timepoint.BASELINE for t, _d in taken)
        episode.has_post = any(t == Timepoint.POST for t, _d in taken)
        episode.last_assessed_on = max((d for _t, d in taken), default=None)
    _write_counters(organization_id, episodes)
    for program_id in dict.fromkeys(e.program_id for e in episodes):
        of_program = [e for e in episodes if e.program_id == program_id]
        days = None
        if moved_sessions is not None:
            firsts = {(before[e.pk][0], e.first_session_on) for e in of_program}
            days = CareDays(
                sessions=tuple(moved_sessions),
                first_sessions=frozenset(d for pair in firsts if pair[0] != pair[1] for d in pair if d is not None),
                closes=frozenset(closed for e in of_program if (closed := before[e.pk][1]) is not None),
            )
        announce(
            CareChanged(
                program_id=program_id,
                organization_id=organization_id,
                child_ids=frozenset(e.child_id for e in of_program),
                cases_changed=any(
                    e.status == EpisodeStatus.COMPLETED or was_case[e.pk] != e.counts_as_case for e in of_program
                ),
                days=days,
            )
        )


def _write_counters(organization_id: int, episodes: list[Episode]) -> None:
    """Save the episodes' counters: one UPDATE statement run once per episode (``executemany``), within the CAC.
    Django's ``bulk_update`` builds one CASE per field with a branch per episode, which costs seconds for a few
    hundred episodes; this costs milliseconds."""
    fields = [f for f in Episode._meta.concrete_fields if f.name in COUNTERS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {quote(Episode._meta.db_table)} SET {assignments} WHERE id = %s AND organization_id = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(e, f.attname), connection) for f in fields] + [e.pk, organization_id]
        for e in episodes
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rescore(instrument_code: str) -> tuple[int, int]:
    """Score every assessment of an instrument again under its current definition, keeping superseded scores.

    Returns (assessments checked, assessments rescored). Runs CAC by CAC, one transaction each; each CAC's episodes
    and kept figures are refreshed once, and a critical answer under the new definition gets its alert if it has
    none yet.
    """
    instrument = instruments.load(instrument_code)
    checked = rescored = 0
    cac_ids = (
        Assessment.objects.dangerously_unscoped()
        .filter(instrument=instrument.code)
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for cac_id in list(cac_ids):
        rescored_here = raised = 0
        touched: dict[int, Episode] = {}
        new_alerts_all: list[CriticalAlert] = []
        with transaction.atomic():
            stale = Assessment.objects.in_org(cac_id).filter(instrument=instrument.code)
            alerted = set(
                CriticalAlert.objects.in_org(cac_id)
                .filter(assessment__instrument=instrument.code)
                .values_list("assessment_id", "item")
            )
            for assessment in stale.select_related("episode", "episode__program").select_for_update(of=("self",)):
                checked += 1
                if assessment.scoring_version == instrument.scoring_version:
                    continue
                result = scoring.score(instrument, assessment.responses)
                PastScore.objects.create(
                    organization_id=cac_id,
                    assessment=assessment,
                    scoring_version=assessment.scoring_version,
                    total=assessment.total,
                    score=assessment.score,
                )
                assessment.scoring_version = result.scoring_version
                assessment.total = result.total
                assessment.above_cutoff = result.above_cutoff
                assessment.score = result.as_dict()
                assessment.save(update_fields=["scoring_version", "total", "above_cutoff", "score"])
                new_alerts = CriticalAlert.objects.bulk_create(
                    CriticalAlert(
                        organization_id=cac_id,
                        assessment=assessment,
                        episode=assessment.episode,
                        item=key,
                        answer=int(assessment.responses.get(key) or 0),
                    )
                    for key in result.critical
                    if (assessment.pk, key) not in alerted
                )
                raised += len(new_alerts)
                new_alerts_all.extend(new_alerts)
                touched[assessment.episode_id] = assessment.episode
                rescored_here += 1
            refresh_episodes(cac_id, touched.values())
            for program_id in {episode.program_id for episode in touched.values()}:
                alerts_raised(program_id, cac_id, [a for a in new_alerts_all if a.episode.program_id == program_id])
            if rescored_here:
                audit.record(
                    actor=None,
                    action="assessment.rescore",
                    organization=cac_id,
                    detail={
                        "instrument": instrument.code,
                        "version": instrument.scoring_version,
                        "count": rescored_here,
                        "alerts": raised,
                    },
                )
        rescored += rescored_here
    return checked, rescored


# --- The pseudonym key's rotation (decision 0048) ---------------------------------------------------------------


@dataclass
class Rekeying:
    """What one run of :func:`pseudonyms_rekey` did: counts, and the display codes of children found twice."""

    rekeyed: int = 0
    remaining: int = 0
    unknown_key: int = 0
    twice: list[tuple[str, str]] = field(default_factory=list)


def pseudonyms_rekey(*, batch: int = 500, limit: int | None = None) -> Rekeying:
    """Wrap every child's case key not yet under the current pseudonym key in the layers added since its own, a
    batch at a time, each in a short transaction (safe while Haven runs, resumable: a child re-keyed is skipped
    next time). Each child changes only if its key is still the one read (compare and set). A child whose current
    form is already another child's (registered twice, by a process that did not know the new key yet) is left as
    it is and named: the unique (organization, case_key) constraint refuses the duplicate key."""
    current = identity.current_key_id()
    result, after, done = Rekeying(), 0, 0
    # A child the retention policy unlinked keeps its random key: no case number leads to it, none must again.
    stale = (
        Child.objects.dangerously_unscoped()
        .exclude(case_key_id=current)
        .exclude(case_key__startswith=identity.UNLINKED_PREFIX)
    )
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        rows = list(
            stale.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "organization_id", "case_key", "case_key_id")[:size]
        )
        if not rows:
            break
        with transaction.atomic():
            for pk, organization_id, stored, stored_id in rows:
                wrapped = identity.rekeyed(stored, stored_id)
                if wrapped is None:
                    result.unknown_key += 1
                    continue
                try:
                    with transaction.atomic():
                        result.rekeyed += (
                            Child.objects.dangerously_unscoped()
                            .filter(pk=pk, case_key=stored, case_key_id=stored_id)
                            .update(case_key=wrapped, case_key_id=current)
                        )
                except IntegrityError:
                    codes = Child.objects.dangerously_unscoped().filter(
                        Q(pk=pk) | Q(organization_id=organization_id, case_key=wrapped)
                    )
                    first, second = sorted(codes.values_list("display_code", flat=True))
                    result.twice.append((first, second))
        after, done = rows[-1][0], done + len(rows)
    result.remaining = stale.count()
    audit.record(
        actor=None,
        action="care.pseudonyms_rekey",
        detail={
            "rekeyed": result.rekeyed,
            "remaining": result.remaining,
            "registered_twice": len(result.twice),
            "unknown_key": result.unknown_key,
        },
    )
    return result
