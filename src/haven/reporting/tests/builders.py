"""Care records for the reporting tests, made through the real services as a clinician would make them."""

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from haven.care import services
from haven.care.models import Episode, EpisodeStatus, TreatmentModel
from haven.organizations.models import Organization
from haven.programs.models import Program

CATS = "cats_7_17_self"


def cats_answers(total: int) -> dict[str, int | None]:
    """CATS 7-17 answers with a trauma event endorsed and the symptom items summing to ``total`` (0-60)."""
    answers: dict[str, int | None] = {f"t{n}": 0 for n in range(1, 16)}
    answers["t1"] = 1
    left = total
    for n in range(1, 21):
        answers[str(n)] = min(3, left)
        left -= answers[str(n)] or 0
    answers.update({f"i{n}": 0 for n in range(1, 6)})
    return answers


def treat(
    *,
    cac: Organization,
    program: Program,
    clinician: Any,
    case_number: str,
    referred_on: date,
    sessions: Sequence[date] = (),
    caregiver_last: bool = False,
    close: str = "",  # "" (stays open), "completed" or "ended"
    closed_on: date | None = None,
    measures: tuple[int, int] | None = None,  # CATS totals at baseline (first session) and post (last session)
    age: int = 10,
    gender: str = "girl",
    model: str = "tf-cbt",
) -> Episode:
    """A child referred on ``referred_on``, seen on each day of ``sessions`` (the last one with a caregiver when
    ``caregiver_last``), measured, and closed as asked."""
    treatment_model = TreatmentModel.objects.get(code=model)
    episode = services.child_register(
        actor=clinician,
        cac=cac,
        program=program,
        case_number=case_number,
        clinician=clinician,
        treatment_model=treatment_model,
        age_at_referral=age,
        gender=gender,
        race_ethnicity="not_recorded",
        trauma_types=["sexual_abuse"],
        referred_on=referred_on,
    )
    for n, day in enumerate(sessions):
        services.session_record(
            actor=clinician,
            episode=episode,
            held_on=day,
            minutes=60,
            kind="conjoint" if caregiver_last and n == len(sessions) - 1 else "child",
            components=["p"] if treatment_model.uses_practice else [],
            caregiver_present=False,
            modality="in_person",
        )
    if measures is not None:
        for timepoint, total, day in (("baseline", measures[0], sessions[0]), ("post", measures[1], sessions[-1])):
            services.assessment_record(
                actor=clinician,
                episode=episode,
                instrument_code=CATS,
                timepoint=timepoint,
                administered_on=day,
                responses=cats_answers(total),
            )
    episode.refresh_from_db()
    if close:
        episode = services.episode_close(
            actor=clinician,
            episode=episode,
            status=EpisodeStatus.COMPLETED if close == "completed" else EpisodeStatus.ENDED,
            closed_on=closed_on or sessions[-1],
            reason="" if close == "completed" else "stopped_attending",
        )
    return episode


def weekly(start: date, count: int, every: int = 7) -> list[date]:
    return [start + timedelta(days=every * n) for n in range(count)]


def layout_texts(document: Any) -> list[str]:
    """Every run of text WeasyPrint laid out, page by page (the PDF itself stores glyph ids, compressed)."""
    from weasyprint.formatting_structure import boxes

    def walk(box: Any) -> Iterator[str]:
        if isinstance(box, boxes.TextBox):
            yield box.text
        if isinstance(box, boxes.ParentBox):
            for child in box.children:
                yield from walk(child)

    return [text for page in document.pages for text in walk(page._page_box)]


def keep_documents(monkeypatch: Any) -> list[Any]:
    """The laid-out documents ``pdf.render_pdf`` writes from now on (it still renders and writes them itself)."""
    from haven.core import pdf

    documents: list[Any] = []
    real = pdf.render_document

    def keep(html: str, **kwargs: Any) -> Any:
        documents.append(real(html, **kwargs))
        return documents[-1]

    monkeypatch.setattr(pdf, "render_document", keep)
    return documents


def train_and_certify(
    *, cohort: Any, actor: Any, courses: Sequence[tuple[Sequence[Any], date]], certified_on: date | None = None
) -> None:
    """Take the clinicians placed in ``cohort`` along the certification path through the real services: every
    consultation call attended by all of them, and for each group of ``courses`` the online course on its day (a
    clinician is trained once both are done); with ``certified_on``, the first group passes the knowledge test and
    is certified that day (on a path that asks for no completed cases)."""
    from haven.training import services as training
    from haven.training.models import MilestoneKind
    from haven.training.tests.factories import calls_of, record_calls

    everyone = [enrollment for enrollments, _day in courses for enrollment in enrollments]
    record_calls(cohort=cohort, actor=actor, present={call.number: everyone for call in calls_of(cohort)})
    for index, (enrollments, course_on) in enumerate(courses):
        for enrollment in enrollments:
            training.milestone_record(
                actor=actor, enrollment=enrollment, kind=MilestoneKind.ONLINE_COURSE, achieved_on=course_on
            )
            if certified_on is not None and index == 0:
                for kind in (MilestoneKind.KNOWLEDGE_TEST, MilestoneKind.CERTIFICATION):
                    training.milestone_record(actor=actor, enrollment=enrollment, kind=kind, achieved_on=certified_on)
