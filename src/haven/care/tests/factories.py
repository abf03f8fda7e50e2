"""Care records made through the services, as a clinician would make them."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from haven.care import services
from haven.care.models import Episode, EpisodeStatus, TreatmentModel
from haven.organizations.models import Organization
from haven.programs.models import Program

# CATS 7-17 self-report: a trauma event endorsed and every symptom item at one answer.
CATS = "cats_7_17_self"


def cats_answers(symptom: int, *, impairment: int = 0) -> dict[str, int | None]:
    answers: dict[str, int | None] = {f"t{n}": 0 for n in range(1, 16)}
    answers["t1"] = 1
    answers.update({str(n): symptom for n in range(1, 21)})
    answers.update({f"i{n}": impairment for n in range(1, 6)})
    return answers


def cats_total(total: int) -> dict[str, int | None]:
    """CATS 7-17 answers whose symptom items sum to ``total`` (0-60): the first items at 3, one at the rest."""
    answers = cats_answers(0)
    for n in range(1, 21):
        answers[str(n)] = min(3, max(0, total - 3 * (n - 1)))
    return answers


def tf_cbt() -> TreatmentModel:
    """TF-CBT as Haven ships it (there after every migrate and flush: ``care.apps.ship_treatment_models``)."""
    return TreatmentModel.objects.get(code="tf-cbt")


def register(
    *,
    cac: Organization,
    program: Program,
    clinician: Any,
    actor: Any = None,
    case_number: str = "2025-0001",
    age: int = 10,
    referred_on: date | None = None,
    model: TreatmentModel | None = None,
) -> Episode:
    return services.child_register(
        actor=actor or clinician,
        cac=cac,
        program=program,
        case_number=case_number,
        clinician=clinician,
        treatment_model=model or tf_cbt(),
        age_at_referral=age,
        gender="girl",
        race_ethnicity="not_recorded",
        trauma_types=["sexual_abuse"],
        referred_on=referred_on or timezone.now().date() - timedelta(days=200),
    )


def sessions(episode: Episode, actor: Any, count: int, *, start: date | None = None, caregiver: bool = True) -> None:
    day = start or episode.referred_on + timedelta(days=7)
    for n in range(count):
        services.session_record(
            actor=actor,
            episode=episode,
            held_on=day + timedelta(days=7 * n),
            minutes=60,
            kind="conjoint" if caregiver and n == count - 1 else "child",
            components=["p", "r"] if n == 0 and episode.treatment_model.uses_practice else [],
            caregiver_present=False,
            modality="in_person",
        )


def measure(
    episode: Episode, actor: Any, *, timepoint: str, on: date, symptom: int = 0, total: int | None = None
) -> Any:
    """A CATS 7-17 self-report: every symptom item at ``symptom``, or items summing to ``total``."""
    return services.assessment_record(
        actor=actor,
        episode=episode,
        instrument_code=CATS,
        timepoint=timepoint,
        administered_on=on,
        responses=cats_answers(symptom) if total is None else cats_total(total),
    )


def completed_case(
    *,
    cac: Organization,
    program: Program,
    clinician: Any,
    case_number: str,
    caregiver: bool = True,
    post: bool = True,
    model: TreatmentModel | None = None,
) -> Episode:
    """An episode (TF-CBT unless ``model``) completed with a baseline and (unless ``post`` is False) a post measure."""
    episode = register(cac=cac, program=program, clinician=clinician, case_number=case_number, model=model)
    sessions(episode, clinician, 4, caregiver=caregiver)
    measure(episode, clinician, timepoint="baseline", on=episode.referred_on + timedelta(days=7), symptom=2)
    episode.refresh_from_db()
    if post:
        measure(episode, clinician, timepoint="post", on=episode.last_session_on, symptom=0)
        episode.refresh_from_db()
    return services.episode_close(
        actor=clinician, episode=episode, status=EpisodeStatus.COMPLETED, closed_on=episode.last_session_on
    )
