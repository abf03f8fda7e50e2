"""Generator step: children treated by the program's clinicians after their live training, with sessions,
measures at baseline, mid-treatment and post, and realistic trajectories (most improve, some drop out, a few
deteriorate). The certifications the completed cases make possible are training's next step
(``training.generate.certify``); children served and the care cells are reporting's (``reporting.generate``).

Everything is written in bulk. Scores are computed by the measures engine, as the services do.
"""

import bisect
import functools
import gc
import itertools
import json
import multiprocessing
import os
import pickle
import queue
import random
import threading
import traceback
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from haven.core.db import (
    JsonText,
    analyze,
    collector_paused,
    indexes_deferred,
    insert_rows,
    next_id,
    reset_sequences,
)
from haven.core.generation import GenerationContext
from haven.measures import instruments, scoring
from haven.programs.models import Program
from haven.training import selectors as training_selectors

from . import identity
from .models import (
    CAREGIVER_KINDS,
    SESSION_ROW_FIELDS,
    SHIPPED_TREATMENT_MODELS,
    Assessment,
    Child,
    CriticalAlert,
    EndReason,
    Episode,
    EpisodeStatus,
    FollowUp,
    Gender,
    Practice,
    RaceEthnicity,
    Session,
    SessionKind,
    SessionModality,
    Timepoint,
    TraumaType,
    TreatmentModel,
)

BATCH = 5000
CAREGIVER = set(CAREGIVER_KINDS)
PRACTICE = Practice.values
TRAUMA_TYPES = TraumaType.values[:-1]  # not "other"
END_REASONS = EndReason.values
GENDERS = ([Gender.GIRL, Gender.BOY, Gender.ANOTHER, Gender.NOT_RECORDED], [56, 41, 1, 2])
RACES = (
    [
        RaceEthnicity.WHITE,
        RaceEthnicity.BLACK,
        RaceEthnicity.HISPANIC,
        RaceEthnicity.MULTIPLE,
        RaceEthnicity.ASIAN,
        RaceEthnicity.AMERICAN_INDIAN,
        RaceEthnicity.PACIFIC_ISLANDER,
        RaceEthnicity.NOT_RECORDED,
    ],
    [42, 20, 22, 6, 2, 2, 1, 5],
)
# About a quarter of CAC children are younger than 6 (reference/tfcbt.md).
AGES = (list(range(3, 18)), [6, 7, 8, 6, 6, 6, 6, 6, 7, 7, 8, 8, 7, 6, 5])


# The planner's draws, made millions of times at national scale. Each gives the value CPython's ``random.Random``
# gives for the same call from the same state (``choices`` with weights: a bisection of the cumulative weights by
# ``random() * total``; ``choice`` and ``randint``: ``_randbelow``, k bits drawn again while out of range), without
# the weights summed again at every draw or the two calls around ``getrandbits``: the same seed makes the same rows.
def _below(getrandbits: Any, n: int) -> int:
    """``rng._randbelow(n)``."""
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def _randint(getrandbits: Any, low: int, high: int) -> int:
    """``rng.randint(low, high)``."""
    return low + _below(getrandbits, high - low + 1)


def _choice[T](values: tuple[T, ...]) -> Any:
    """A draw of ``rng.choice(values)``, from the generator's ``getrandbits``."""
    n = len(values)
    k = n.bit_length()

    def draw(getrandbits: Any) -> T:
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return values[r]

    return draw


def _weighted[T](values: list[T], weights: list[int]) -> Any:
    """A draw of ``rng.choices(values, weights)[0]``, from the generator's ``random``."""
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1] + 0.0
    last = len(values) - 1
    bisect_right = bisect.bisect_right

    def draw(random: Any) -> T:
        return values[bisect_right(cumulative, random() * total, 0, last)]

    return draw


DRAW_AGE = _weighted(*AGES)
DRAW_GENDER = _weighted(*GENDERS)
DRAW_RACE = _weighted(*RACES)
DRAW_KIND = _weighted([SessionKind.CHILD, SessionKind.CAREGIVER, SessionKind.CONJOINT], [50, 25, 25])
DRAW_TRAUMA_COUNT = _choice((1, 1, 1, 2, 2, 3))
DRAW_GAP = _choice(tuple(timedelta(days=days) for days in (7, 7, 7, 7, 14, 10, 8)))
DRAW_MINUTES = _choice((45, 50, 60, 60, 60, 75, 90))
DRAW_LETTER = _choice(tuple(identity.CODE_ALPHABET))
DRAW_ITEM_9 = _choice((1, 1, 2, 3))
DRAW_END_REASON = _weighted(END_REASONS, [45, 15, 15, 10, 10, 5])


ASSESSMENT_FIELDS = [
    "id",
    "organization",
    "episode",
    "instrument",
    "instrument_version",
    "informant",
    "timepoint",
    "administered_on",
    "responses",
    "scoring_version",
    "total",
    "above_cutoff",
    "score",
    "recorded_by",
    "recorded_at",
]
CHILD_FIELDS = [
    "id",
    "organization",
    "case_key",
    "display_code",
    "age_at_referral",
    "gender",
    "race_ethnicity",
    "trauma_types",
    "referred_on",
    "registered_by",
    "registered_at",
]
EPISODE_FIELDS = [
    "id",
    "organization",
    "child",
    "program",
    "clinician",
    "treatment_model",
    "status",
    "referred_on",
    "opened_at",
    "closed_on",
    "end_reason",
    "first_session_on",
    "last_session_on",
    "sessions_count",
    "caregiver_sessions",
    "practice",
    "last_assessed_on",
    "has_baseline",
    "has_post",
]


@dataclass(slots=True)
class ChildRow:
    """A generated child's columns (plain: a model instance per child would cost seconds at program scale)."""

    organization_id: int
    case_key: str
    display_code: str
    age_at_referral: int
    gender: str
    race_ethnicity: str
    trauma_types: list[str]
    referred_on: date
    registered_by_id: int
    pk: int = 0  # given by _write


@dataclass(slots=True)
class EpisodeRow:
    """A generated episode's columns, with the model's defaults."""

    organization_id: int
    program_id: int
    clinician_id: int
    treatment_model: TreatmentModel
    referred_on: date
    pk: int = 0  # given by _write
    child_id: int = 0
    status: str = EpisodeStatus.OPEN
    closed_on: date | None = None
    end_reason: str = ""
    first_session_on: date | None = None
    last_session_on: date | None = None
    sessions_count: int = 0
    caregiver_sessions: int = 0
    practice: list[str] = field(default_factory=list)
    last_assessed_on: date | None = None
    has_baseline: bool = False
    has_post: bool = False

    counts_as_case = property(Episode.counts_as_case.fget)  # type: ignore[attr-defined]  # the model's own rule

    @property
    def treatment_model_id(self) -> int:
        return self.treatment_model.pk


# (instrument, timepoint, day, answers, score, the answers' JSON, the score's JSON)
Measure = tuple[instruments.Instrument, str, date, dict[str, int], scoring.Score, JsonText, JsonText]


@dataclass
class Plan:
    """One generated episode, before it has ids. Sessions and measures are plain tuples: there are many."""

    child: ChildRow
    episode: EpisodeRow
    # (held_on, minutes, kind, components, caregiver_present, modality)
    sessions: list[tuple[date, int, str, list[str], bool, str]] = field(default_factory=list)
    assessments: list[Measure] = field(default_factory=list)
    # (index of the assessment, item, answer, followed up)
    alerts: list[tuple[int, str, int, bool]] = field(default_factory=list)


def ahead(ctx: GenerationContext) -> None:
    """Before the creative reviews: at the bench's scales, start planning care in a forked process, which plans
    every chunk while the reviews' step keeps this process busy (on one core: the second is otherwise idle then);
    ``run`` writes them. The chunks wait in this process's memory meanwhile (``_Spool``)."""
    if ctx.scale.name not in AHEAD_SCALES:
        return
    planner = _planner(ctx)
    if planner is not None:
        spool = _Spool(planner)
        ctx.pools.append(spool)
        ctx.ahead[AHEAD] = spool


AHEAD = "care.plans"


def run(ctx: GenerationContext) -> None:
    # Millions of plain tuples and no cycles: the cyclic collector would walk the growing heap again and again.
    _SCORED.clear()
    try:
        with collector_paused():
            _run(ctx)
    finally:
        _SCORED.clear()


def _planner(ctx: GenerationContext) -> "_Planner | None":
    """The planner of the program's care, from the clinicians who treat (None when nobody treats yet)."""
    today = timezone.now().date()
    program = Program.objects.in_org(ctx.shared["national_id"]).get(pk=ctx.shared["program_id"])
    for shipped in SHIPPED_TREATMENT_MODELS:
        TreatmentModel.objects.get_or_create(code=shipped["code"], defaults=shipped)
    models = {m.code: m for m in TreatmentModel.objects.all()}
    # The clinicians who treat: placed in a cohort, from a couple of weeks after their live training.
    placed = training_selectors.treating_clinicians(program)
    starts: list[tuple[int, int, date]] = [
        (user_id, cac_id, live + timedelta(days=14))
        for user_id, cac_id, live in placed
        if live is not None and live + timedelta(days=14) < today - timedelta(days=30)
    ]
    if not starts:
        return None
    return _Planner(
        ctx=ctx,
        program=program,
        today=today,
        now=timezone.now(),
        tf_cbt=models["tf-cbt"],
        cftsi=models["cftsi"],
        starts=starts,
        first_ids=(next_id(Child), next_id(Episode), next_id(Assessment)),
    )


def _run(ctx: GenerationContext) -> None:
    spool: _Spool | None = ctx.ahead.pop(AHEAD, None)
    planner = spool.planner if spool is not None else _planner(ctx)
    if planner is None:
        return
    if spool is not None and spool.planner.first_ids != (next_id(Child), next_id(Episode), next_id(Assessment)):
        raise RuntimeError("care's rows were written since its plans were made: their ids are taken")
    chunks = spool.chunks() if spool is not None else planner.chunks()
    # A chunk of plans made, then written: half a million children's plans at national scale are never all held.
    # Nothing reads these tables until the step ends: their indexes are made once, after the rows.
    with indexes_deferred(Child, Episode, Session, Assessment, CriticalAlert):
        for chunk in chunks:
            _insert(chunk)
            ctx.count("children", len(chunk.children))
            ctx.count("sessions", len(chunk.sessions))
            ctx.count("assessments", len(chunk.assessments))
    reset_sequences(Child, Episode, Assessment)
    analyze()


CHUNK = 5_000  # children planned, then written, at a time
AHEAD_SCALES = frozenset({"program", "national"})  # the scales whose plans are made in a process of their own
NICER = 15  # the planning process's priority: below the creative files' (which the reviews' step waits for)


class _Spool:
    """The planner's chunks, made in a forked process while this one does other steps' work, and kept here as they
    come (a thread reads the pipe, so the planner never waits for the reader): planning is pure Python, and the
    steps before care's writing leave the second core idle. The same chunks as the planner makes here, and the
    seeded generator left as the planning left it (the child sends its state back), so the steps after care draw
    what they would have drawn. The child never uses the database connection it inherits and leaves by
    ``os._exit`` (multiprocessing's fork), which does not close it under this process. It runs at a lower
    priority than the creative files' process, whose files the step before care's writing waits for."""

    def __init__(self, planner: "_Planner") -> None:
        self.planner = planner
        forking = multiprocessing.get_context("fork")
        receiving, sending = forking.Pipe(duplex=False)
        self._child = forking.Process(target=_plan_ahead, args=(planner, sending), daemon=True)
        self._child.start()
        sending.close()  # the child's end: this process only reads
        self._received: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, args=(receiving,), daemon=True)
        self._reader.start()

    def _read(self, receiving: Any) -> None:
        try:
            while True:
                self._received.put(receiving.recv_bytes())
        except (EOFError, OSError):  # the child closed its end (done, failed or killed)
            self._received.put(None)
        finally:
            receiving.close()

    def chunks(self) -> Iterator["_Rows"]:
        try:
            while (message := self._received.get()) is not None:
                kind, value = pickle.loads(message)  # noqa: S301 - our own child's rows
                if kind == "rows":
                    yield value
                elif kind == "done":
                    self.planner.ctx.rng.setstate(value)
                    return
                else:
                    raise RuntimeError(f"planning care in a process of its own failed:\n{value}")
            raise RuntimeError("planning care in a process of its own stopped before its end")
        finally:
            self.shutdown()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the child if it still runs (a failed generation), as ``generate`` shuts its pools down."""
        self._child.join(timeout=5 if wait and not cancel_futures else 0)
        if self._child.is_alive():
            self._child.kill()
            self._child.join()


def _plan_ahead(planner: "_Planner", sending: Any) -> None:
    os.nice(NICER)
    gc.disable()  # as ``run`` pauses it: millions of plain tuples and no cycles

    def send(message: tuple[str, Any]) -> None:
        # Pickle's newest protocol: the parent read a chunk in half the time of the pipe's default.
        sending.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    try:
        _SCORED.clear()
        for chunk in planner.chunks():
            send(("rows", chunk))
        send(("done", planner.ctx.rng.getstate()))
    except BaseException:  # noqa: BLE001 - whatever stopped the planning is told to the parent, which raises it
        send(("failed", traceback.format_exc()))
    finally:
        sending.close()


@dataclass
class _Rows:
    """One chunk's rows, ready for ``insert_rows`` (and the critical alerts' columns)."""

    children: list[tuple[Any, ...]]
    episodes: list[tuple[Any, ...]]
    sessions: list[tuple[Any, ...]]
    assessments: list[tuple[Any, ...]]
    # (organization, assessment, episode, item, answer, clinician if followed up)
    alerts: list[tuple[int, int, int, str, int, int | None]]


@dataclass
class _Planner:
    """Makes the plans from the seeded generator, CHUNK children at a time, and turns them into rows (no
    database access)."""

    ctx: GenerationContext
    program: Program
    today: date
    now: Any
    tf_cbt: TreatmentModel
    cftsi: TreatmentModel
    starts: list[tuple[int, int, date]]
    first_ids: tuple[int, int, int]

    def chunks(self) -> Iterator[_Rows]:
        ctx, rng, today, starts = self.ctx, self.ctx.rng, self.today, self.starts
        demo_clinician = ctx.shared["demo_user_ids"].get("clinician@haven.example")
        # Children go to clinicians in proportion to the days each has been treating.
        weights = list(itertools.accumulate((today - start).days for _u, _c, start in starts))
        codes: dict[int, set[str]] = defaultdict(set)
        practice = _Practice(ctx.seed)
        ids = list(self.first_ids)
        encoded: dict[tuple[str, ...], JsonText] = {}
        days: dict[date, date] = {}
        plans: list[Plan] = []
        for n in range(ctx.scale.children):
            user_id, cac_id, start = starts[bisect.bisect_right(weights, rng.random() * weights[-1])]
            if n < 12 and demo_clinician and any(u == demo_clinician for u, _c, _s in starts):
                user_id, cac_id, start = next(s for s in starts if s[0] == demo_clinician)
            referred = start + timedelta(days=_randint(rng.getrandbits, 0, (today - start).days - 1))
            plans.append(_episode(rng, self.program, user_id, cac_id, referred, today, self.tf_cbt, self.cftsi, codes))
            if len(plans) == CHUNK or n == ctx.scale.children - 1:
                practice.vary(plans)
                yield _rows(plans, ids, self.now, encoded, days)
                plans = []


# How often a clinician leaves out a PRACTICE component of a treatment, at most: some keep to the model, others
# drift, most often from the components clinicians find hardest (in vivo exposure, the trauma narrative, enhancing
# safety).
DRIFT = dict.fromkeys(PRACTICE, 0.15) | {Practice.IN_VIVO: 0.6, Practice.NARRATIVE: 0.35, Practice.SAFETY: 0.3}


class _Practice:
    """Each clinician's fidelity to PRACTICE: a component left out of an episode's sessions with the clinician's
    own probability, so that coverage differs from one clinician to the next. Drawn from a generator of its own
    (seeded from the seed), after the plans are made, so the main stream, and every other row, stays as it was;
    the plans go through it in order, a chunk at a time."""

    def __init__(self, seed: int) -> None:
        self.local = random.Random(f"practice-{seed}")  # noqa: S311 - demo data, not a secret
        self.drift: dict[int, float] = {}  # the clinician's, in the order they first appear: no database id involved

    def vary(self, plans: list[Plan]) -> None:
        local, drift = self.local, self.drift
        for plan in plans:
            if not plan.episode.treatment_model.uses_practice or not plan.sessions:
                continue
            clinician = plan.episode.clinician_id
            if clinician not in drift:
                drift[clinician] = local.choice((0.0, 0.1, 0.3, 0.5, 0.8, 1.0))
            left_out = {code for code, at_most in DRIFT.items() if local.random() < at_most * drift[clinician]}
            if left_out:
                plan.sessions = [
                    (day, minutes, kind, [c for c in components if c not in left_out], present, modality)
                    for day, minutes, kind, components, present, modality in plan.sessions
                ]
                _counters(plan)


def _rows(
    plans: list[Plan], ids: list[int], now: Any, encoded: dict[tuple[str, ...], JsonText], days: dict[date, date]
) -> _Rows:
    """The rows of ``plans``, given the ids from ``ids`` (the next child, episode and assessment ids, moved on).
    ``encoded``: lists of codes already encoded as JSON (half a million sessions, a few dozen different lists).
    ``days``: each day once, as one object, so the sessions and measures of a day share it: a chunk of rows sent
    through a pipe (``_planned``) pickles each object once, and a date pickled a million times over took most of
    the time of sending them."""

    def listed(codes: list[str]) -> JsonText:
        key = tuple(codes)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = JsonText(json.dumps(codes))
        return text

    child_id, episode_id, assessment_id = ids
    for n, p in enumerate(plans):
        p.child.pk = p.episode.child_id = child_id + n
        p.episode.pk = episode_id + n
    ids[0], ids[1] = child_id + len(plans), episode_id + len(plans)
    children = [
        (
            c.pk,
            c.organization_id,
            c.case_key,
            c.display_code,
            c.age_at_referral,
            c.gender,
            c.race_ethnicity,
            listed(c.trauma_types),
            c.referred_on,
            c.registered_by_id,
            now,
        )
        for c in (p.child for p in plans)
    ]
    episodes = [
        (
            e.pk,
            e.organization_id,
            e.child_id,
            e.program_id,
            e.clinician_id,
            e.treatment_model_id,
            e.status,
            e.referred_on,
            now,
            e.closed_on,
            e.end_reason,
            e.first_session_on,
            e.last_session_on,
            e.sessions_count,
            e.caregiver_sessions,
            listed(e.practice),
            e.last_assessed_on,
            e.has_baseline,
            e.has_post,
        )
        for e in (p.episode for p in plans)
    ]
    sessions = [
        (
            p.episode.organization_id,
            p.episode.pk,
            p.episode.clinician_id,
            days.setdefault(day, day),
            minutes,
            kind,
            listed(components),
            present,
            modality,
            p.episode.clinician_id,
            now,
        )
        for p in plans
        for day, minutes, kind, components, present, modality in p.sessions
    ]
    assessments = []
    alerts: list[tuple[int, int, int, str, int, int | None]] = []
    for p in plans:
        e = p.episode
        first = assessment_id
        for instrument, timepoint, day, _answers, score, responses, score_json in p.assessments:
            assessments.append(
                (
                    assessment_id,
                    e.organization_id,
                    e.pk,
                    instrument.code,
                    instrument.version,
                    instrument.informant,
                    timepoint,
                    days.setdefault(day, day),
                    responses,
                    score.scoring_version,
                    score.total,
                    score.above_cutoff,
                    score_json,
                    e.clinician_id,
                    now,
                )
            )
            assessment_id += 1
        for index, item, answer, done in p.alerts:
            alerts.append((e.organization_id, first + index, e.pk, item, answer, e.clinician_id if done else None))
    ids[2] = assessment_id
    return _Rows(children, episodes, sessions, assessments, alerts)


def _insert(rows: _Rows) -> None:
    insert_rows(Child, CHILD_FIELDS, rows.children)
    insert_rows(Episode, EPISODE_FIELDS, rows.episodes)
    insert_rows(Session, SESSION_ROW_FIELDS, rows.sessions)
    insert_rows(Assessment, ASSESSMENT_FIELDS, rows.assessments)
    now = timezone.now()
    CriticalAlert.objects.bulk_create(
        [
            CriticalAlert(
                organization_id=organization_id,
                assessment_id=assessment_id,
                episode_id=episode_id,
                item=item,
                answer=answer,
                acknowledged_at=now if by is not None else None,
                acknowledged_by_id=by,
                follow_up=[FollowUp.RISK_ASSESSED, FollowUp.SAFETY_PLAN] if by is not None else [],
            )
            for organization_id, assessment_id, episode_id, item, answer, by in rows.alerts
        ],
        batch_size=BATCH,
    )


def _episode(
    rng: Any,
    program: Program,
    clinician_id: int,
    cac_id: int,
    referred: date,
    today: date,
    tf_cbt: TreatmentModel,
    cftsi: TreatmentModel,
    codes: dict[int, set[str]],
) -> Plan:
    random, getrandbits = rng.random, rng.getrandbits
    age = DRAW_AGE(random)
    code = _display_code(rng)
    while code in codes[cac_id]:
        code = _display_code(rng)
    codes[cac_id].add(code)
    child = ChildRow(
        organization_id=cac_id,
        # Generated children have no real case number: a key no typed number can produce.
        case_key=f"generated-{rng.getrandbits(128):032x}",
        display_code=code,
        age_at_referral=age,
        gender=DRAW_GENDER(random),
        race_ethnicity=DRAW_RACE(random),
        trauma_types=sorted(set(rng.sample(TRAUMA_TYPES, DRAW_TRAUMA_COUNT(getrandbits)))),
        referred_on=referred,
        registered_by_id=clinician_id,
    )
    model = cftsi if random() < 0.08 else tf_cbt
    episode = EpisodeRow(
        organization_id=cac_id,
        program_id=program.pk,
        clinician_id=clinician_id,
        treatment_model=model,
        referred_on=referred,
    )
    plan = Plan(child, episode)
    # The family's course: never starts, drops out, or completes; some still in treatment today.
    fate = random()
    if fate < 0.08:
        return plan  # referred, no first session (yet)
    planned = _randint(getrandbits, 4, 6) if model == cftsi else max(8, min(25, round(rng.gauss(18, 5))))
    dropout = fate < 0.26
    held = _randint(getrandbits, 1, max(1, planned - 3)) if dropout else planned
    first = referred + timedelta(days=_randint(getrandbits, 5, 35))
    days = [first]
    for _ in range(held - 1):
        days.append(days[-1] + DRAW_GAP(getrandbits))
    days = [d for d in days if d <= today]
    if not days:
        return plan
    finished = len(days) == held and days[-1] < today - timedelta(days=7)
    caregiver_involved = random() < 0.85
    uses_practice = model.uses_practice
    sessions = plan.sessions
    for i, day in enumerate(days):
        kind = SessionKind.CHILD
        if caregiver_involved:
            kind = DRAW_KIND(random)
        components: list[str] = []
        if uses_practice:
            phase = min(7, i * 8 // planned)
            with_previous = bool(phase) and random() < 0.3
            components = _components(phase, with_previous, kind == SessionKind.CONJOINT and phase >= 5)
        sessions.append(
            (
                day,
                DRAW_MINUTES(getrandbits),
                kind,
                components,
                kind != SessionKind.CHILD or (caregiver_involved and random() < 0.3),
                SessionModality.TELEHEALTH if random() < 0.2 else SessionModality.IN_PERSON,
            )
        )
    _measures(rng, plan, age, days, planned, finished and not dropout, today)
    _close(rng, plan, days, finished, dropout, today)
    _counters(plan)
    return plan


@functools.cache
def _components(phase: int, with_previous: bool, conjoint: bool) -> list[str]:
    """A TF-CBT session's PRACTICE components in the model's order: its phase's, the one before it too sometimes,
    and conjoint sessions late in treatment. One list for each of the few combinations (never changed after)."""
    components = [PRACTICE[phase]]
    if with_previous:
        components.insert(0, PRACTICE[phase - 1])
    if conjoint:
        components.append(Practice.CONJOINT)
    return sorted(set(components), key=PRACTICE.index)


def _display_code(rng: Any) -> str:
    """Like ``identity.new_display_code``, from the seeded generator so that a seed makes the same data."""
    getrandbits = rng.getrandbits
    letters = [DRAW_LETTER(getrandbits) for _ in range(2 * identity.CODE_HALF)]
    return "".join(letters[: identity.CODE_HALF]) + "-" + "".join(letters[identity.CODE_HALF :])


def _measures(rng: Any, plan: Plan, age: int, days: list[date], planned: int, completes: bool, today: date) -> None:
    main = instruments.load("cats_3_6_caregiver" if age < 7 else "cats_7_17_self")
    span = main.total_maximum
    baseline = max(0, min(span, round(rng.gauss(0.5 * span, 0.15 * span))))
    course = rng.random()  # most improve, some change little, a few deteriorate
    if course < 0.65:
        final = baseline * rng.uniform(0.25, 0.65)
    elif course < 0.9:
        final = baseline + rng.uniform(-0.1, 0.05) * span
    else:
        final = baseline + rng.uniform(0.08, 0.2) * span
    final = max(0, min(span, round(final)))
    points = [(Timepoint.BASELINE, days[0], baseline)]
    if len(days) >= 8:
        middle = days[len(days) // 2]
        points.append((Timepoint.PERIODIC, middle, round((baseline + final) / 2)))
    if completes and rng.random() < 0.9:
        points.append((Timepoint.POST, days[-1], final))
    if rng.random() < 0.04:
        return  # a few clinicians never enter measures
    for timepoint, day, total in points:
        plan.assessments.append(_assessment(main, timepoint, day, _cats_answers(rng, main, total)))
        if age >= 11 and rng.random() < 0.6:
            phq = instruments.load("phq_a")
            answers = _spread(rng, [str(n) for n in range(1, 10)], 3, round(total * 27 / span * 0.8))
            at_risk = rng.random() < (0.06 if timepoint == Timepoint.BASELINE else 0.02)
            answers["9"] = DRAW_ITEM_9(rng.getrandbits) if at_risk else 0
            # The supplementary questions: low mood over the year and daily life harder with more symptoms; the
            # suicide questions mostly where item 9 was endorsed, a past attempt more rarely.
            answers["s1"] = int(rng.random() < 0.2 + 0.5 * total / span)
            answers["s2"] = max(0, min(3, round(3 * total / span + rng.uniform(-0.5, 0.5))))
            answers["s3"] = int(rng.random() < (0.6 if at_risk else 0.01))
            answers["s4"] = int(rng.random() < (0.25 if at_risk else 0.01))
            plan.assessments.append(_assessment(phq, timepoint, day, answers))
            # Older alerts were followed up; the last fortnight's still wait.
            recent = day >= today - timedelta(days=14)
            for key in plan.assessments[-1][4].critical:
                plan.alerts.append((len(plan.assessments) - 1, key, answers[key], not recent))


def _cats_answers(rng: Any, instrument: instruments.Instrument, total: int) -> dict[str, int]:
    answers = {item.key: 0 for item in instrument.trauma_items}
    for item in rng.sample(instrument.trauma_items, _randint(rng.getrandbits, 1, 4)):
        answers[item.key] = 1
    answers.update(_spread(rng, [i.key for i in instrument.symptom_items], 3, total))
    cutoff = instrument.cutoff or instrument.total_maximum
    impaired = min(len(instrument.impairment_items), round(total / max(cutoff, 1) * 2))
    for n, item in enumerate(instrument.impairment_items):
        answers[item.key] = 1 if n < impaired else 0
    return answers


def _spread(rng: Any, keys: list[str], maximum: int, total: int) -> dict[str, int]:
    """Answers of 0..maximum over ``keys`` summing to ``total`` (clipped to what the items can hold)."""
    total = max(0, min(total, maximum * len(keys)))
    base, extra = divmod(total, len(keys))
    answers = dict.fromkeys(keys, base)
    for key in rng.sample(keys, extra):
        answers[key] += 1
    return answers


# Answer sets already scored in this run, with their JSON (responses, score): a program's hundred thousand
# measures repeat many sets (the same totals spread over the same items), and a score depends on nothing but the
# instrument and its answers. Emptied at the start and end of each run.
_SCORED: dict[tuple[instruments.Instrument, tuple[tuple[str, int], ...]], tuple[scoring.Score, JsonText, JsonText]] = {}


def _assessment(instrument: instruments.Instrument, timepoint: str, day: date, answers: dict[str, int]) -> Measure:
    key = (instrument, tuple(answers.items()))
    scored = _SCORED.get(key)
    if scored is None:
        # Made from the instrument's items within their ranges (test_generate checks every one validates).
        score = scoring.score_valid(instrument, answers)
        scored = _SCORED[key] = (score, JsonText(json.dumps(answers)), JsonText(json.dumps(score.as_dict())))
    return (instrument, timepoint, day, answers, *scored)


def _close(rng: Any, plan: Plan, days: list[date], finished: bool, dropout: bool, today: date) -> None:
    episode = plan.episode
    if dropout and days[-1] < today - timedelta(days=45):
        episode.status = EpisodeStatus.ENDED
        episode.closed_on = days[-1] + timedelta(days=30)
        episode.end_reason = DRAW_END_REASON(rng.random)
    elif finished and not dropout:
        episode.status = EpisodeStatus.COMPLETED
        episode.closed_on = days[-1]


def _counters(plan: Plan) -> None:
    """The episode's counters, as ``services.refresh_episodes`` keeps them."""
    episode, sessions = plan.episode, plan.sessions
    episode.sessions_count = len(sessions)
    episode.caregiver_sessions = sum(
        1 for _d, _m, kind, _c, present, _mod in sessions if present or kind in CAREGIVER_KINDS
    )
    episode.first_session_on = sessions[0][0] if sessions else None
    episode.last_session_on = sessions[-1][0] if sessions else None
    covered = {code for session in sessions for code in session[3]}
    episode.practice = [code for code in PRACTICE if code in covered]
    scored = [(measure[1], measure[2]) for measure in plan.assessments if measure[4].total is not None]
    episode.has_baseline = any(t == Timepoint.BASELINE for t, _d in scored)
    episode.has_post = any(t == Timepoint.POST for t, _d in scored)
    episode.last_assessed_on = max((d for _t, d in scored), default=None)
