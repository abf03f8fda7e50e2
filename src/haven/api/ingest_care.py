"""A CAC's case system pushes its care records in one batch: children, episodes, sessions and measures.

The batch is the pages' and the CSV import's write, in bulk:

- A child arrives by the CAC's case number, turned at once into the keyed pseudonym (``care.identity``) and never
  kept, logged or answered; an episode names its child by the same case number. A new child is registered with
  an episode in the same batch, as intake registers a child and opens their episode.
- Sessions and measures name their episode by the sender's own episode id; a session names its clinician by
  e-mail, an active clinician of the CAC enrolled in the program.
- Every sender id is remembered (``SenderRecord``, per organization and kind): a record already pushed is left
  unchanged and answered with the same Haven id, so sending a batch again changes nothing. A new child is
  recognized by its case number (the same pseudonym), so it too is never registered twice.
- The rules are the services' own (dates against the referral and the episode, PRACTICE only where the model
  uses it, one open episode of a model per child, measures scored on the server with their critical answers);
  each broken rule is reported per record and the record left out. Every good record is written: a record that
  depends on a refused one (a session of a refused episode) is refused in turn, and the sender fixes and sends
  the batch again, which is safe.
- Everything is written in one transaction, in bulk (a fixed number of queries whatever the batch's size), with
  one audit event (``care.batch``: counts and ids only) and the write-time refresh of the touched episodes
  (``services.refresh_episodes``: the caseload, the dashboard figures and children served follow).
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.care import identity, services
from haven.care.models import (
    SESSION_ROW_FIELDS,
    Assessment,
    Child,
    Episode,
    EpisodeStatus,
    Practice,
    Session,
    Timepoint,
    TreatmentModel,
)
from haven.core.db import collector_paused, insert_rows, reserve_ids
from haven.measures import instruments, scoring
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.models import Enrollment, Placement

from .models import SenderRecord

CHILD, EPISODE, SESSION, ASSESSMENT = "child", "episode", "session", "assessment"
KINDS = (CHILD, EPISODE, SESSION, ASSESSMENT)
PRACTICE = tuple(Practice.values)  # in order; read once (``values`` is computed on every access)
KNOWN_SLICE = 5000  # sender ids looked up in one statement (within every database's limit of parameters)
SESSION_COLUMNS = ["id", *SESSION_ROW_FIELDS]


@dataclass(frozen=True)
class ChildIn:
    sender_id: str
    case_number: str
    age_at_referral: int
    gender: str
    race_ethnicity: str
    trauma_types: list[str]
    referred_on: date


@dataclass(frozen=True)
class EpisodeIn:
    sender_id: str
    case_number: str
    treatment_model: str
    clinician: str
    referred_on: date


@dataclass(frozen=True)
class SessionIn:
    sender_id: str
    episode: str
    clinician: str
    held_on: date
    minutes: int
    kind: str
    components: list[str]
    caregiver_present: bool
    modality: str


@dataclass(frozen=True)
class AssessmentIn:
    sender_id: str
    episode: str
    instrument: str
    timepoint: str
    administered_on: date
    responses: dict[str, int | None]


@dataclass(frozen=True)
class Batch:
    children: list[ChildIn] = field(default_factory=list)
    episodes: list[EpisodeIn] = field(default_factory=list)
    sessions: list[SessionIn] = field(default_factory=list)
    assessments: list[AssessmentIn] = field(default_factory=list)


@dataclass(frozen=True)
class RecordError:
    kind: str
    sender_id: str
    errors: dict[str, list[str]]


@dataclass
class Outcome:
    """What the batch did: per kind, the records created and left unchanged, the Haven id of each sender id
    accepted (created or already there), and the refused records with their errors by field."""

    created: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    ids: dict[str, dict[str, int]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    errors: list[RecordError] = field(default_factory=list)


class NoProgram(Exception):
    """The CAC's national office runs no program: there is nothing to record care in."""


class Refused(Exception):
    def __init__(self, **errors: str) -> None:
        super().__init__(errors)
        self.errors = {name: [message] for name, message in errors.items()}


GENERAL = "__all__"


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
    return {GENERAL: [str(m) for m in error.messages]}


def _once[Record: (ChildIn, EpisodeIn, SessionIn, AssessmentIn)](
    records: Iterable[Record], kind: str, outcome: Outcome
) -> list[Record]:
    """The records whose sender id appears once in the batch; a repeated id is refused (which one is meant?)."""
    records = list(records)
    seen = Counter(r.sender_id for r in records)
    for sender_id in sorted(s for s, n in seen.items() if n > 1):
        outcome.errors.append(RecordError(kind, sender_id, {"id": [_("This id appears more than once in the batch.")]}))
    return [r for r in records if seen[r.sender_id] == 1]


def current_program(cac: Organization) -> Program | None:
    """The program the CAC works in: its national office's newest, as on the pages (``training.program_for``)."""
    org = cac
    while org.parent_id is not None:
        org = org.parent  # type: ignore[assignment]
    if org.kind != "national_office":
        return None
    return Program.objects.in_org(org.pk).order_by("-starts_on").first()


def _clinicians(cac_id: int, program: Program, emails: Iterable[str]) -> dict[str, User]:
    """Active clinicians of the CAC enrolled in the program, by their e-mail (in lower case)."""
    wanted = {e.strip().lower() for e in emails}
    if not wanted:
        return {}
    members = Membership.objects.in_org(cac_id).filter(role=Role.CLINICIAN, is_active=True).values("user_id")
    enrolled = (
        Enrollment.objects.in_org(cac_id)
        .filter(program=program)
        .exclude(placement=Placement.WITHDRAWN)
        .values("clinician_id")
    )
    users = (
        User.objects.annotate(address=Lower("email"))
        .filter(address__in=wanted, is_active=True, pk__in=members)
        .filter(pk__in=enrolled)
    )
    return {user.address: user for user in users}


def _known(org: int, kind: str, sender_ids: Iterable[str]) -> dict[str, int]:
    """The Haven ids of the sender ids pushed before: one plain query a slice of ``KNOWN_SLICE`` ids (Django's
    ``__in`` prepares each value through the field, a tenth of a batch of thousands sent again)."""
    wanted = list(dict.fromkeys(sender_ids))
    table = connection.ops.quote_name(SenderRecord._meta.db_table)
    known: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), KNOWN_SLICE):
            part = wanted[start : start + KNOWN_SLICE]
            # The table's own name; the organization, the kind and every id go as parameters.
            cursor.execute(
                f"SELECT sender_id, object_id FROM {table} "  # noqa: S608
                f"WHERE organization_id = %s AND kind = %s AND sender_id IN ({', '.join(['%s'] * len(part))})",
                [org, kind, *part],
            )
            known.update(cursor.fetchall())
    return known


@collector_paused()
@transaction.atomic
def ingest(*, cac: Organization, batch: Batch) -> Outcome:
    """Write ``batch`` for ``cac`` (see the module): the good records, with one audit event and the refresh."""
    program = current_program(cac)
    if program is None:
        raise NoProgram
    org = cac.pk
    outcome = Outcome()
    clinicians = _clinicians(
        org, program, [e.clinician for e in batch.episodes] + [s.clinician for s in batch.sessions]
    )
    new_children = _children(org, batch, clinicians, outcome)
    new_episodes = _episodes(org, program, batch, clinicians, new_children, outcome)
    # Sessions and measures name episodes of this batch or of an earlier one (by the sender's id).
    named = {r.episode for r in batch.sessions} | {r.episode for r in batch.assessments}
    pushed_before = _known(org, EPISODE, named - outcome.ids[EPISODE].keys())
    episode_ids = outcome.ids[EPISODE] | pushed_before
    episodes = {
        e.pk: e
        for e in Episode.objects.in_org(org).filter(pk__in=episode_ids.values()).select_related("treatment_model")
    }
    by_sender = {sender_id: episodes[pk] for sender_id, pk in episode_ids.items()}
    sessions = _sessions(org, batch, by_sender, clinicians, outcome)
    assessments = _assessments(org, batch, by_sender, outcome)
    # Sessions, the bulk of a batch, go as plain rows with ids reserved first (``core.db``): model instances and
    # bulk_create's SQL cost most of a batch of thousands (see bench/RESULTS.md).
    session_ids = reserve_ids(Session, len(sessions))
    recorded_at = timezone.now()
    insert_rows(
        Session,
        SESSION_COLUMNS,
        ((pk, org, *values, recorded_at) for pk, (_id, values) in zip(session_ids, sessions, strict=True)),
    )
    Assessment.objects.bulk_create([a for _id, a, _s in assessments], batch_size=2000)
    alerts = services.alerts_create(org, [(assessment, score) for _id, assessment, score in assessments])
    made = [(SESSION, sender_id, pk) for pk, (sender_id, _values) in zip(session_ids, sessions, strict=True)]
    made += [(ASSESSMENT, sender_id, a.pk) for sender_id, a, _s in assessments]
    for kind, sender_id, pk in made:
        outcome.ids[kind][sender_id] = pk
        outcome.created[kind] += 1
    _remember(org, made)
    touched = {e.pk for e in new_episodes} | {values[0] for _id, values in sessions}
    touched |= {a.episode_id for _id, a, _s in assessments}
    services.refresh_episodes(org, [episodes[pk] for pk in sorted(touched)])
    if sum(outcome.created.values()):
        audit.record(
            actor=None,
            action="care.batch",
            organization=org,
            detail={
                "children": sorted(c.pk for c in new_children.values()),
                "episodes": sorted(touched),
                "create": sum(outcome.created.values()),
                "unchanged": sum(outcome.unchanged.values()),
                "alerts": len(alerts),
            },
        )
    return outcome


def _remember(org: int, made: list[tuple[str, str, int]]) -> None:
    """Keep the sender ids of the records made, as plain rows (hundreds to a statement: no ids are needed back)."""
    now = timezone.now()
    insert_rows(
        SenderRecord,
        ["organization", "kind", "sender_id", "object_id", "created_at"],
        ((org, kind, sender_id, pk, now) for kind, sender_id, pk in made),
    )


def _children(org: int, batch: Batch, clinicians: Mapping[str, User], outcome: Outcome) -> dict[str, Child]:
    """Register the batch's new children (by pseudonym), as registered by the clinician of their first episode in
    the batch; answer the new ones by their case key."""
    records = _once(batch.children, CHILD, outcome)
    keyed = [(r, identity.case_key(org, r.case_number)) for r in records if identity.normalize(r.case_number)]
    for r in records:
        if not identity.normalize(r.case_number):
            outcome.errors.append(RecordError(CHILD, r.sender_id, {"case_number": [_("Enter the CAC's case number.")]}))
    twice = Counter(key for _r, key in keyed)
    # A child not yet re-keyed after a rotation is found by an older form of its key (identity, decision 0048).
    forms = identity.current_forms((org, r.case_number) for r, _key in keyed)
    existing = {
        forms[stored]: pk
        for stored, pk in Child.objects.in_org(org).filter(case_key__in=forms).values_list("case_key", "pk")
    }
    registrar: dict[str, User] = {}
    for e in batch.episodes:
        clinician = clinicians.get(e.clinician.strip().lower())
        if clinician is not None:
            registrar.setdefault(identity.case_key(org, e.case_number), clinician)
    new: dict[str, Child] = {}
    for record, key in keyed:
        try:
            if twice[key] > 1:
                raise Refused(case_number=_("This case number is sent for more than one child in the batch."))
            if key in existing:
                outcome.ids[CHILD][record.sender_id] = existing[key]
                outcome.unchanged[CHILD] += 1
                continue
            if key not in registrar:
                raise Refused(
                    case_number=_(
                        "Send the child's first episode, with a clinician of your CAC, in the same batch: intake "
                        "opens one."
                    )
                )
            child = Child(
                organization_id=org,
                case_key=key,
                age_at_referral=record.age_at_referral,
                gender=record.gender,
                race_ethnicity=record.race_ethnicity,
                trauma_types=sorted(set(record.trauma_types)),
                referred_on=record.referred_on,
                registered_by=registrar[key],
            )
            try:
                services._check_referral(record.referred_on)
                child.full_clean(exclude=["case_key", "display_code", "registered_by", "organization"])
            except ValidationError as error:
                outcome.errors.append(RecordError(CHILD, record.sender_id, _messages(error)))
                continue
        except Refused as refused:
            outcome.errors.append(RecordError(CHILD, record.sender_id, refused.errors))
            continue
        new[key] = child
        outcome.ids[CHILD][record.sender_id] = -1  # set once saved
    _give_codes(org, list(new.values()))
    Child.objects.bulk_create(new.values())
    by_key = {child.case_key: child for child in new.values()}
    for record, key in keyed:
        if key in by_key and outcome.ids[CHILD].get(record.sender_id) == -1:
            outcome.ids[CHILD][record.sender_id] = by_key[key].pk
            outcome.created[CHILD] += 1
    return by_key


def _give_codes(org: int, children: list[Child]) -> None:
    """Random display codes, unique at the CAC (drawn again where one is taken)."""
    pending = children
    for _attempt in range(10):
        for child in pending:
            child.display_code = identity.new_display_code()
        codes = [c.display_code for c in pending]
        taken = set(Child.objects.in_org(org).filter(display_code__in=codes).values_list("display_code", flat=True))
        repeated = {code for code, n in Counter(codes).items() if n > 1}
        pending = [c for c in pending if c.display_code in taken | repeated]
        if not pending:
            return
    raise RuntimeError("no free display code")  # pragma: no cover - 31**6 codes


def _episodes(
    org: int,
    program: Program,
    batch: Batch,
    clinicians: Mapping[str, User],
    new_children: Mapping[str, Child],
    outcome: Outcome,
) -> list[Episode]:
    records = _once(batch.episodes, EPISODE, outcome)
    known = _known(org, EPISODE, [r.sender_id for r in records])
    fresh = [r for r in records if r.sender_id not in known]
    for r in records:
        if r.sender_id in known:
            outcome.ids[EPISODE][r.sender_id] = known[r.sender_id]
            outcome.unchanged[EPISODE] += 1
    keys = {r.sender_id: identity.case_key(org, r.case_number) for r in fresh}
    forms = identity.current_forms((org, r.case_number) for r in fresh)
    children = {
        forms[c.case_key]: c for c in Child.objects.in_org(org).filter(case_key__in=forms).only("pk", "case_key")
    }
    models = {m.code: m for m in TreatmentModel.objects.filter(code__in={r.treatment_model for r in fresh})}
    open_now = set(
        Episode.objects.in_org(org)
        .filter(child_id__in=[c.pk for c in children.values()], status=EpisodeStatus.OPEN)
        .values_list("child_id", "treatment_model_id")
    )
    made: list[tuple[str, Episode]] = []
    for record in fresh:
        try:
            child = children.get(keys[record.sender_id])
            if child is None:
                raise Refused(case_number=_("No child with this case number at your CAC: send the child first."))
            model = models.get(record.treatment_model)
            if model is None or not model.is_active:
                raise Refused(treatment_model=_("This treatment model is not offered."))
            clinician = clinicians.get(record.clinician.strip().lower())
            if clinician is None:
                raise Refused(clinician=_("No active clinician of your CAC enrolled in the program has this e-mail."))
            if (child.pk, model.pk) in open_now:
                raise Refused(treatment_model=_("This child already has an open episode of this treatment model."))
            try:
                services._check_referral(record.referred_on)
            except ValidationError as error:
                raise Refused(referred_on=_messages(error)["referred_on"][0]) from None
        except Refused as refused:
            outcome.errors.append(RecordError(EPISODE, record.sender_id, refused.errors))
            continue
        open_now.add((child.pk, model.pk))
        made.append(
            (
                record.sender_id,
                Episode(
                    organization_id=org,
                    child=child,
                    program=program,
                    clinician=clinician,
                    treatment_model=model,
                    referred_on=record.referred_on,
                ),
            )
        )
    Episode.objects.bulk_create([e for _id, e in made])
    _remember(org, [(EPISODE, sender_id, episode.pk) for sender_id, episode in made])
    for sender_id, episode in made:
        outcome.ids[EPISODE][sender_id] = episode.pk
        outcome.created[EPISODE] += 1
    return [e for _id, e in made]


def _fresh[Record: (ChildIn, EpisodeIn, SessionIn, AssessmentIn)](
    org: int, kind: str, records: list[Record], outcome: Outcome
) -> list[Record]:
    """The records not pushed before; the others are answered with their Haven id, unchanged."""
    known = _known(org, kind, [r.sender_id for r in records])
    for sender_id, pk in known.items():
        outcome.ids[kind][sender_id] = pk
        outcome.unchanged[kind] += 1
    return [r for r in records if r.sender_id not in known]


def _episode_of(by_sender: Mapping[str, Episode], sender_id: str) -> Episode:
    episode = by_sender.get(sender_id)
    if episode is None:
        raise Refused(episode=_("No episode with this id: send it first, or in the same batch."))
    return episode


def _sessions(
    org: int, batch: Batch, by_sender: Mapping[str, Episode], clinicians: Mapping[str, User], outcome: Outcome
) -> list[tuple[str, tuple[Any, ...]]]:
    """The good new sessions: each sender id with its row's values, from the episode to the modality (the columns of
    ``SESSION_COLUMNS`` between the organization and the time recorded)."""
    made: list[tuple[str, tuple[Any, ...]]] = []
    for record in _fresh(org, SESSION, _once(batch.sessions, SESSION, outcome), outcome):
        try:
            episode = _episode_of(by_sender, record.episode)
            clinician = clinicians.get(record.clinician.strip().lower())
            if clinician is None:
                raise Refused(clinician=_("No active clinician of your CAC enrolled in the program has this e-mail."))
            components = [code for code in PRACTICE if code in record.components]
            if components and not episode.treatment_model.uses_practice:
                raise Refused(components=_("This treatment model does not record PRACTICE components."))
            services._check_date(episode, record.held_on, field="held_on")
        except Refused as refused:
            outcome.errors.append(RecordError(SESSION, record.sender_id, refused.errors))
            continue
        except ValidationError as error:
            outcome.errors.append(RecordError(SESSION, record.sender_id, _messages(error)))
            continue
        values = (
            episode.pk,
            clinician.pk,
            record.held_on,
            record.minutes,
            str(record.kind),
            components,
            record.caregiver_present,
            str(record.modality),
            clinician.pk,
        )
        made.append((record.sender_id, values))
    return made


def _assessments(
    org: int, batch: Batch, by_sender: Mapping[str, Episode], outcome: Outcome
) -> list[tuple[str, Assessment, scoring.Score]]:
    made = []
    for record in _fresh(org, ASSESSMENT, _once(batch.assessments, ASSESSMENT, outcome), outcome):
        try:
            episode = _episode_of(by_sender, record.episode)
            try:
                instrument = instruments.load(record.instrument)
            except instruments.UnknownInstrument:
                raise Refused(instrument=_("No measure Haven scores has this code.")) from None
            closed_ok = record.timepoint == Timepoint.FOLLOW_UP
            services._check_date(episode, record.administered_on, field="administered_on", closed_ok=closed_ok)
            try:
                score = scoring.score(instrument, record.responses)
            except scoring.InvalidResponses as error:
                raise Refused(responses=str(error)) from None
        except Refused as refused:
            outcome.errors.append(RecordError(ASSESSMENT, record.sender_id, refused.errors))
            continue
        except ValidationError as error:
            outcome.errors.append(RecordError(ASSESSMENT, record.sender_id, _messages(error)))
            continue
        assessment = Assessment(
            organization_id=org,
            episode=episode,
            instrument=instrument.code,
            instrument_version=instrument.version,
            informant=instrument.informant,
            timepoint=record.timepoint,
            administered_on=record.administered_on,
            responses={k: v for k, v in record.responses.items() if v is not None},
            scoring_version=score.scoring_version,
            total=score.total,
            above_cutoff=score.above_cutoff,
            score=score.as_dict(),
            recorded_by_id=episode.clinician_id,
        )
        made.append((record.sender_id, assessment, score))
    return made
