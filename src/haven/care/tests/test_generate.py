"""The generator's care data obeys the rules the services keep: counters, children served, closing, alerts,
certification; and it is plausible (most completed treatments improve) and deterministic for a seed.

Generating the demo scale takes several seconds, so the module generates once, inside a transaction rolled
back after its last test; each test then runs in its own savepoint.
"""

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from statistics import mean
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from haven.care import generate, services
from haven.care.models import Assessment, Child, CriticalAlert, Episode, EpisodeStatus, Session, TreatmentModel
from haven.core.generation import SCALES, GenerationContext
from haven.measures import instruments, scoring
from haven.programs.models import Program
from haven.reporting import served
from haven.training import selectors as training_selectors
from haven.training.models import Milestone, MilestoneKind

SEED = "3"


def _generate() -> None:
    call_command("generate", "--scale", "demo", "--seed", SEED, stdout=StringIO())


def _fingerprint() -> str:
    """A digest of what the children and their treatment look like, by names and codes rather than ids (which a
    PostgreSQL sequence does not give back on rollback)."""
    digest = hashlib.sha256()
    episodes = Episode.objects.dangerously_unscoped().values_list(
        "organization__name",
        "child__display_code",
        "child__age_at_referral",
        "child__gender",
        "referred_on",
        "status",
        "closed_on",
        "sessions_count",
        "first_session_on",
        "last_session_on",
    )
    for episode in sorted(episodes, key=repr):
        digest.update(repr(episode).encode())
    measures = Assessment.objects.dangerously_unscoped().values_list(
        "organization__name", "episode__child__display_code", "instrument", "timepoint", "administered_on", "total"
    )
    for measure in sorted(measures, key=repr):
        digest.update(repr(measure).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def first_run(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Generate on an empty database and take its fingerprint, roll back, and generate again for the tests:
    the fingerprint of the first run is what the same seed must make again."""
    with django_db_blocker.unblock(), transaction.atomic():
        with transaction.atomic():
            _generate()
            fingerprint = _fingerprint()
            transaction.set_rollback(True)
        _generate()
        yield fingerprint
        transaction.set_rollback(True)


@pytest.fixture
def program(first_run: str, db: None) -> Program:
    return Program.objects.dangerously_unscoped().get()


def test_the_same_seed_makes_the_same_children_and_treatment(first_run: str, db: None) -> None:
    assert Child.objects.dangerously_unscoped().exists()
    assert _fingerprint() == first_run


def test_every_child_of_the_scale_has_an_episode_with_sessions_and_measures(program: Program) -> None:
    children = SCALES["demo"].children
    assert Child.objects.dangerously_unscoped().count() == children
    assert Episode.objects.of_program(program).count() == children
    assert Session.objects.dangerously_unscoped().count() > children
    assert Assessment.objects.dangerously_unscoped().count() > children
    # Every row is its CAC's: a session and a measure belong to the CAC of their episode, an episode to its child's.
    assert not Session.objects.dangerously_unscoped().exclude(organization_id=F("episode__organization_id"))
    assert not Assessment.objects.dangerously_unscoped().exclude(organization_id=F("episode__organization_id"))
    assert not Episode.objects.dangerously_unscoped().exclude(organization_id=F("child__organization_id"))


def test_episodes_close_as_the_services_allow(program: Program) -> None:
    today = timezone.now().date()
    episodes = list(Episode.objects.of_program(program))
    by_status: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes:
        by_status[episode.status].append(episode)
    assert len(by_status[EpisodeStatus.COMPLETED]) > 0
    assert len(by_status[EpisodeStatus.ENDED]) > 0
    assert len(by_status[EpisodeStatus.OPEN]) > 0
    for episode in by_status[EpisodeStatus.ENDED]:
        assert episode.end_reason, episode.pk
    for episode in by_status[EpisodeStatus.COMPLETED] + by_status[EpisodeStatus.ENDED]:
        assert episode.closed_on is not None
        assert episode.referred_on <= episode.closed_on <= today
        # episode_close refuses a date before the last session.
        assert episode.last_session_on is None or episode.last_session_on <= episode.closed_on, episode.pk
    for episode in episodes:
        assert episode.first_session_on is None or episode.referred_on <= episode.first_session_on
        assert episode.last_session_on is None or episode.last_session_on <= today


def test_most_completed_treatments_improve(program: Program) -> None:
    totals: dict[int, dict[str, int]] = defaultdict(dict)
    for episode_id, timepoint, total in (
        Assessment.objects.of_program(program)
        .filter(
            instrument="cats_7_17_self",
            timepoint__in=["baseline", "post"],
            total__isnull=False,
            episode__status=EpisodeStatus.COMPLETED,
        )
        .values_list("episode_id", "timepoint", "total")
    ):
        totals[episode_id][timepoint] = total
    pairs = [(t["baseline"], t["post"]) for t in totals.values() if len(t) == 2]
    assert len(pairs) >= 100
    assert mean(post for _pre, post in pairs) < mean(pre for pre, _post in pairs)
    improved = sum(1 for pre, post in pairs if post < pre)
    assert improved / len(pairs) > 0.5
    # ... but not every one: some change little and a few get worse.
    assert improved < len(pairs)


def test_every_critical_answer_has_its_alert(program: Program) -> None:
    """Item 9 above 0 and a yes to either supplementary suicide question: one alert each, naming the question."""
    raised = {
        (assessment_id, key, responses[key])
        for assessment_id, responses in Assessment.objects.of_program(program)
        .filter(instrument="phq_a")
        .values_list("id", "responses")
        for key in ("9", "s3", "s4")
        if responses.get(key, 0) > 0
    }
    alerts = set(CriticalAlert.objects.dangerously_unscoped().values_list("assessment_id", "item", "answer"))
    assert alerts == raised
    assert {item for _a, item, _answer in alerts} == {"9", "s3", "s4"}


def test_some_clinicians_are_certified_with_the_cases_the_path_needs(program: Program) -> None:
    certifications = list(
        Milestone.objects.dangerously_unscoped()
        .filter(enrollment__program=program, kind=MilestoneKind.CERTIFICATION)
        .values_list("enrollment__clinician_id", "achieved_on")
    )
    assert certifications
    assert len({clinician for clinician, _on in certifications}) == len(certifications)  # once each
    cases: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for episode in Episode.objects.of_program(program).filter(
        status=EpisodeStatus.COMPLETED, treatment_model__counts_for_certification=True
    ):
        if episode.counts_as_case:
            cases[episode.clinician_id].append((episode.closed_on, episode.with_caregiver))
    for clinician_id, certified_on in certifications:
        done = sorted(cases[clinician_id])
        assert len(done) >= 3, clinician_id
        assert sum(1 for _on, caregiver in done if caregiver) >= 2, clinician_id
        assert done[2][0] <= certified_on <= timezone.now().date()


def test_children_served_equal_a_recomputation(program: Program) -> None:
    kept = served.kept(program)
    assert len(kept) > SCALES["demo"].children // 2
    assert kept == served.recompute(program)
    out = StringIO()
    call_command("served_verify", stdout=out)
    assert out.getvalue() == f"Program {program.pk}: {len(kept)} children served, all equal to the raw rows.\n"


def test_episode_counters_equal_what_the_services_keep(program: Program) -> None:
    ids = sorted(Episode.objects.of_program(program).values_list("id", flat=True))
    sample = random.Random(int(SEED)).sample(ids, 50)  # noqa: S311 - a sample, not a secret
    episodes = list(Episode.objects.of_program(program).filter(pk__in=sample).select_related("program"))
    generated = {e.pk: [getattr(e, name) for name in services.COUNTERS] for e in episodes}
    assert sum(e.sessions_count for e in episodes) > 0
    assert any(e.has_baseline for e in episodes)

    by_cac: dict[int, list[Episode]] = defaultdict(list)
    for episode in episodes:
        by_cac[episode.organization_id].append(episode)
    for cac_id, of_cac in by_cac.items():
        services.refresh_episodes(cac_id, of_cac)
    refreshed = {
        e.pk: [getattr(e, name) for name in services.COUNTERS]
        for e in Episode.objects.of_program(program).filter(pk__in=sample)
    }
    assert refreshed == generated


def test_practice_coverage_varies_by_clinician(program: Program) -> None:
    """Completed TF-CBT treatments cover the eight PRACTICE components to different degrees from one clinician to
    the next, as real fidelity does, instead of all eight for everyone."""
    completed = Episode.objects.of_program(program).filter(
        status=EpisodeStatus.COMPLETED, treatment_model__code="tf-cbt"
    )
    all_eight: dict[int, list[bool]] = defaultdict(list)
    covered: dict[str, int] = defaultdict(int)
    for clinician_id, practice in completed.values_list("clinician_id", "practice"):
        all_eight[clinician_id].append(len(practice) == 8)
        for code in practice:
            covered[code] += 1
    shares = [mean(flags) for flags in all_eight.values() if len(flags) >= 3]
    assert len(shares) >= 5
    assert max(shares) - min(shares) >= 0.3
    total = sum(len(flags) for flags in all_eight.values())
    assert 0 < min(covered.values()) < max(covered.values()) <= total


def test_every_measure_is_valid_and_scored_as_the_measures_engine_scores_it(program: Program) -> None:
    # The generator scores its answers without checking them again (they are made from the items' ranges): each
    # must pass the engine's checks, and its stored score be the engine's.
    measures = Assessment.objects.of_program(program).values_list("instrument", "responses", "score")
    for code, responses, stored in measures:
        instrument = instruments.load(code)
        assert scoring.validated(instrument, responses) == responses
        assert scoring.score(instrument, responses).as_dict() == stored


def _planner(program: Program, seed: int, now: Any) -> generate._Planner:
    """A planner over the generated program's treating clinicians, from a generator of its own."""
    models = {m.code: m for m in TreatmentModel.objects.all()}
    today = timezone.now().date()
    starts = [
        (user_id, cac_id, live + timedelta(days=14))
        for user_id, cac_id, live in training_selectors.treating_clinicians(program)
        if live is not None and live + timedelta(days=14) < today - timedelta(days=30)
    ]
    ctx = GenerationContext(scale=SCALES["demo"], seed=seed, start=program.starts_on, rng=random.Random(seed))
    ctx.shared["demo_user_ids"] = {}
    return generate._Planner(
        ctx=ctx,
        program=program,
        today=today,
        now=now,
        tf_cbt=models["tf-cbt"],
        cftsi=models["cftsi"],
        starts=starts,
        first_ids=(1, 1, 1),
    )


# pytest-xdist's worker runs threads of its own; the forked child only plans (no lock of theirs).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_care_planned_in_another_process_is_what_this_one_plans(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the bench's scales care's chunks are planned in a forked process while this one does the creative
    reviews: the same chunks, and the seeded generator left in the same state for the steps after care. The child
    plans to the end though nobody reads its chunks yet (a pipe alone holds 64 KiB: it would wait)."""
    monkeypatch.setattr(generate, "CHUNK", 500)  # several chunks through the pipe
    now = timezone.now()
    here, there = _planner(program, 11, now), _planner(program, 11, now)
    planned_here = list(here.chunks())
    spool = generate._Spool(there)
    spool._child.join(timeout=120)
    assert spool._child.exitcode == 0  # every chunk sent before any was read
    planned_there = list(spool.chunks())
    assert len(planned_here) > 2 and planned_here == planned_there
    assert here.ctx.rng.getstate() == there.ctx.rng.getstate()
    assert here.ctx.rng.getstate() != random.Random(11).getstate()

    def fails(*args: Any) -> None:
        raise ValueError("a plan that cannot be made")

    monkeypatch.setattr(generate, "_episode", fails)
    with pytest.raises(RuntimeError, match="a plan that cannot be made"):
        list(generate._Spool(_planner(program, 11, now)).chunks())
