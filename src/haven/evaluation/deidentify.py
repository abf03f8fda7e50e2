"""The child-level rows of an evaluation export, read from a program's records and de-identified.

What leaves (decision 0049, privacy.md's Safe Harbor benchmark): no name of a child, a CAC or a clinician, no free
text, no internal id, no date. A child is known by a pseudonym drawn for this export alone; every date is a
number of days (or whole months) since the child's referral, and for a clinician since their live training; the
only calendar element is the child's referral month, a quasi-identifier that the risk check (``kanon``) coarsens
where it singles children out; geography is the CAC's state.

Reading is background work over a whole program: rows are read in bulk (``values_list``, a handful of queries
whatever the number of children) through the program's named scopes, never one ORM object per row. The rows come
out keyed by internal ids, which only :mod:`haven.evaluation.package` holds, to drop withheld children and draw
the pseudonyms; no id is written.

An episode is in the export when it was open at some time in the period (referred by its end, not closed before
its start), with its sessions and measures up to the period's end; its status is its status at the period's end.
"""

import functools
import json
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import IntegerField, Q, TextField
from django.db.models.functions import Cast

from haven.care.models import CAREGIVER_KINDS, Assessment, Child, Episode, EpisodeStatus, Session
from haven.evaluation import kanon
from haven.measures import instruments
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training.models import Attendance, Enrollment, Milestone, MilestoneKind

DAYS, MONTHS = "days", "months"
DATE_UNITS = (DAYS, MONTHS)


def elapsed(since: date, on: date | None, unit: str) -> int | None:
    """Whole days (or calendar months) from ``since`` to ``on``; negative when ``on`` is earlier."""
    if on is None:
        return None
    if unit == DAYS:
        return (on - since).days
    months = (on.year - since.year) * 12 + on.month - since.month
    if months > 0 and on.day < since.day:
        months -= 1
    elif months < 0 and on.day > since.day:
        months += 1
    return months


@dataclass
class ChildRow:
    referred_on: date
    quasi: tuple[str, ...]  # kanon.QUASI_IDENTIFIERS, exact


@dataclass
class Extract:
    """The de-identified rows, still keyed by internal ids (never written)."""

    children: dict[int, ChildRow] = field(default_factory=dict)
    # (episode id, child id, clinician id, rest of the row...)
    episodes: list[tuple[Any, ...]] = field(default_factory=list)
    # (child id, episode id, clinician id, rest...)
    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    # (assessment id, child id, episode id, instrument, rest...), and the item responses by assessment id
    measures: list[tuple[Any, ...]] = field(default_factory=list)
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (clinician id, cohort id, rest...)
    training: list[tuple[Any, ...]] = field(default_factory=list)


def _states(organization_ids: Iterable[int]) -> dict[int, str]:
    # Organizations are not tenant-owned rows (the tree itself): a plain query.
    return dict(Organization.objects.filter(pk__in=list(organization_ids)).values_list("pk", "state"))


def read(program: Program, start: date, end: date, tables: Iterable[str], *, unit: str = DAYS) -> Extract:
    """The program's child-level rows of the period, de-identified but for the ids."""
    if unit not in DATE_UNITS:
        raise ValueError(f"unit is one of {DATE_UNITS}")
    wanted = set(tables)
    result = Extract()
    in_period = Episode.objects.of_program(program).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=start), referred_on__lte=end
    )
    episode_rows = list(
        in_period.order_by().values_list(
            "pk",
            "child_id",
            "organization_id",
            "clinician_id",
            "treatment_model__code",
            "status",
            "referred_on",
            "closed_on",
            "end_reason",
        )
    )
    cacs = {row[2] for row in episode_rows}
    child_ids = {row[1] for row in episode_rows}
    episode_child = {row[0]: row[1] for row in episode_rows}
    states = _states(cacs)

    for pk, cac, age, gender, race, trauma, referred in (
        Child.objects.in_orgs(cacs)
        .order_by()
        .annotate(trauma_text=Cast("trauma_types", TextField()))
        .values_list(
            "pk", "organization_id", "age_at_referral", "gender", "race_ethnicity", "trauma_text", "referred_on"
        )
        .iterator(chunk_size=5000)
    ):
        if pk not in child_ids:
            continue
        quasi = (str(age), gender, race, states.get(cac, ""), _trauma(trauma), f"{referred:%Y-%m}")
        result.children[pk] = ChildRow(referred, quasi)
    referral = {pk: row.referred_on for pk, row in result.children.items()}

    # Sessions up to the period's end: the episodes' counts as of then, and the sessions table when asked for.
    counts: dict[int, list[Any]] = {}
    # JSON and dates read as text and decoded once per distinct value: a program holds a few thousand days and a
    # few hundred sets of components, and Django's converters on every one of half a million rows took seconds.
    decode = functools.cache(json.loads)
    day_of = functools.cache(_date)
    # Ordered by episode and day, so that an episode's first and last sessions are its first and last rows (the
    # index on (episode, held_on) serves it); booleans read as integers, so that no row needs Django's converters.
    last_episode = None
    seen: list[Any] = []
    keep_sessions = "sessions" in wanted
    for episode_id, clinician, held_on, minutes, kind, components, caregiver, modality in (
        Session.objects.in_orgs(cacs)
        .filter(episode__program=program, held_on__lte=end)
        .order_by("episode_id", "held_on")
        .annotate(
            components_text=Cast("components", TextField()),
            held_text=Cast("held_on", TextField()),
            caregiver=Cast("caregiver_present", IntegerField()),
        )
        .values_list(
            "episode_id", "clinician_id", "held_text", "minutes", "kind", "components_text", "caregiver", "modality"
        )
        .iterator(chunk_size=10000)
    ):
        child = episode_child.get(episode_id)
        if child is None:
            continue
        held_on = day_of(held_on)
        covered = decode(components)
        involves = 1 if caregiver or kind in CAREGIVER_KINDS else 0
        if episode_id != last_episode:
            last_episode = episode_id
            seen = counts[episode_id] = [1, involves, held_on, held_on, set(covered)]
        else:
            seen[0] += 1
            seen[1] += involves
            seen[3] = held_on
            seen[4].update(covered)
        if keep_sessions:
            result.sessions.append(
                (
                    child,
                    episode_id,
                    clinician,
                    elapsed(referral[child], held_on, unit),
                    minutes,
                    kind,
                    ";".join(covered),
                    caregiver,
                    modality,
                )
            )

    measured: dict[int, set[str]] = defaultdict(set)
    keep_items = "measures" in wanted
    for pk, episode_id, code, version, informant, timepoint, day, scoring_version, total, above, responses in (
        Assessment.objects.of_program(program)
        .filter(administered_on__lte=end)
        .order_by()
        .annotate(
            responses_text=Cast("responses", TextField()),
            day_text=Cast("administered_on", TextField()),
            above=Cast("above_cutoff", IntegerField()),
        )
        .values_list(
            "pk",
            "episode_id",
            "instrument",
            "instrument_version",
            "informant",
            "timepoint",
            "day_text",
            "scoring_version",
            "total",
            "above",
            "responses_text",
        )
        .iterator(chunk_size=5000)
    ):
        child = episode_child.get(episode_id)
        if child is None:
            continue
        day = day_of(day)
        if total is not None:
            measured[episode_id].add(timepoint)
        if keep_items:
            result.measures.append(
                (
                    pk,
                    child,
                    episode_id,
                    code,
                    version,
                    informant,
                    timepoint,
                    elapsed(referral[child], day, unit),
                    scoring_version,
                    total,
                    _band(code, total),
                    above,
                )
            )
            result.responses[pk] = json.loads(responses)

    for pk, child, _cac, clinician, model, status, referred, closed, reason in episode_rows:
        if closed is not None and closed > end:
            status, closed, reason = EpisodeStatus.OPEN, None, ""
        n, with_caregiver, first, last, covered = counts.get(pk, (0, 0, None, None, set()))
        since = referral[child]
        result.episodes.append(
            (
                pk,
                child,
                clinician,
                model,
                status,
                elapsed(since, referred, unit),
                elapsed(since, first, unit),
                elapsed(since, last, unit),
                elapsed(since, closed, unit),
                reason,
                n,
                with_caregiver,
                ";".join(sorted(covered)),
                int("baseline" in measured[pk]),
                int("post" in measured[pk]),
            )
        )

    if "training" in wanted:
        # A completed case of the certification path (Episode.counts_as_case), as of the period's end.
        cases: dict[int, tuple[int, int]] = {}
        for _pk, _child, clinician, _model, status, *_days, _n, with_caregiver, _p, baseline, post in result.episodes:
            if status == EpisodeStatus.COMPLETED and baseline and post:
                done, caregiver = cases.get(clinician, (0, 0))
                cases[clinician] = (done + 1, caregiver + (with_caregiver > 0))
        result.training = _training(program, end, cases, unit)
    return result


def _date(text: Any) -> date:
    return text if isinstance(text, date) else date.fromisoformat(str(text)[:10])


def _trauma(text: str) -> str:
    codes = json.loads(text) if text else []
    return kanon.TRAUMA_SEPARATOR.join(sorted(set(codes))) if codes else "none"


@functools.cache
def _bands(code: str) -> tuple[instruments.Band, ...]:
    try:
        return instruments.load(code).bands
    except instruments.UnknownInstrument:
        return ()


def _band(code: str, total: int | None) -> str:
    if total is None:
        return ""
    return next((band.code for band in _bands(code) if band.minimum <= total <= band.maximum), "")


def _training(program: Program, end: date, cases: dict[int, tuple[int, int]], unit: str) -> list[tuple[Any, ...]]:
    """Each clinician's path in the program, as of the period's end: the days from their live training."""
    enrollments = list(
        Enrollment.objects.of_program(program)
        # Nominated by the period's end; a clinician whose live training began by then was (generated and imported
        # enrollments carry the day they were written as their nomination, whatever their cohort's dates).
        .filter(Q(nominated_at__date__lte=end) | Q(live_training_on__lte=end))
        .order_by()
        .values_list(
            "pk",
            "clinician_id",
            "organization_id",
            "cohort_id",
            "cohort__modality",
            "placement",
            "degree",
            "license_status",
            "live_training_on",
            "live_training_days",
        )
    )
    states = _states({row[2] for row in enrollments})
    milestones: dict[int, dict[str, list[tuple[date, bool]]]] = defaultdict(lambda: defaultdict(list))
    for enrollment_id, kind, achieved, passed in (
        Milestone.objects.in_orgs(list(states))
        .filter(enrollment__program=program, achieved_on__lte=end)
        .order_by("achieved_on")
        .values_list("enrollment_id", "kind", "achieved_on", "passed")
    ):
        milestones[enrollment_id][kind].append((achieved, passed))
    calls: dict[int, int] = defaultdict(int)
    for enrollment_id, attended in (
        Attendance.objects.of_program(program).filter(call__held_on__lte=end).values_list("enrollment_id", "attended")
    ):
        calls[enrollment_id] += attended
    rows = []
    for pk, clinician, cac, cohort, modality, placement, degree, licence, live, live_days in enrollments:
        done = milestones.get(pk, {})

        def first_passed(kind: str, done: dict[str, list[tuple[date, bool]]] = done) -> date | None:
            return next((day for day, passed in done.get(kind, []) if passed), None)

        since = live
        tests = done.get(MilestoneKind.KNOWLEDGE_TEST, [])
        rows.append(
            (
                clinician,
                cohort,
                states.get(cac, ""),
                degree,
                licence,
                placement,
                modality or "",
                live_days,
                calls.get(pk, 0),
                elapsed(since, first_passed(MilestoneKind.ONLINE_COURSE), unit) if since else None,
                len(tests),
                elapsed(since, first_passed(MilestoneKind.KNOWLEDGE_TEST), unit) if since else None,
                elapsed(since, first_passed(MilestoneKind.CERTIFICATION), unit) if since else None,
                *cases.get(clinician, (0, 0)),
            )
        )
    return rows


def new_pseudonyms(ids: Iterable[int], prefix: str) -> dict[int, str]:
    """A code for each id, in an order drawn at random for this export and then forgotten: the codes say nothing of
    the ids or of the order rows were made in, and two exports cannot be joined on them."""
    keys = list(ids)
    secrets.SystemRandom().shuffle(keys)
    width = max(4, len(str(len(keys))))
    return {key: f"{prefix}{n:0{width}d}" for n, key in enumerate(keys, start=1)}
