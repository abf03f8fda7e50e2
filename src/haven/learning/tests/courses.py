"""A small course made straight in the database, for the learner's tests (authoring has its own services and
tests): modules in English and French, a question bank of single- and multiple-choice questions."""

from datetime import date, timedelta

from django.utils import timezone

from haven.learning.models import (
    Assignment,
    Choice,
    Course,
    CourseVersion,
    Module,
    Question,
    QuestionKind,
    StaffMember,
    VersionStatus,
)
from haven.organizations.models import Organization


def build_course(
    company: Organization,
    *,
    slug: str = "child-protection",
    modules: int = 2,
    questions: int = 4,
    per_attempt: int | None = None,
    attempts: int = 3,
    pass_mark: int = 80,
) -> CourseVersion:
    """Version 1, published. Odd questions are single choice (the first choice right), even ones multiple choice
    (the first two right)."""
    org = company
    course = Course.objects.create(
        organization=org,
        slug=slug,
        title_en="Child protection for all staff",
        title_fr="La protection de l'enfance pour tout le personnel",
        summary_en="Recognise, respond, report.",
        summary_fr="Reconnaître, réagir, signaler.",
    )
    version = CourseVersion.objects.create(
        organization=org,
        course=course,
        number=1,
        status=VersionStatus.PUBLISHED,
        pass_mark=pass_mark,
        attempts_allowed=attempts,
        questions_per_attempt=per_attempt,
        published_at=timezone.now(),
    )
    for position in range(1, modules + 1):
        Module.objects.create(
            organization=org,
            version=version,
            position=position,
            title_en=f"Module {position} in English",
            title_fr=f"Module {position} en français",
            body_en=f"## Part {position}\n\nRead **this** carefully.",
            body_fr=f"## Partie {position}\n\nLisez **ceci** attentivement.",
        )
    for position in range(1, questions + 1):
        multiple = position % 2 == 0
        question = Question.objects.create(
            organization=org,
            version=version,
            position=position,
            kind=QuestionKind.MULTIPLE if multiple else QuestionKind.SINGLE,
            text_en=f"Question {position}?",
            text_fr=f"Question {position} ?",
            feedback_en=f"Because of rule {position}.",
            feedback_fr=f"À cause de la règle {position}.",
        )
        for choice in range(1, 4):
            Choice.objects.create(
                organization=org,
                question=question,
                position=choice,
                text_en=f"Answer {position}.{choice}",
                text_fr=f"Réponse {position}.{choice}",
                is_correct=choice == 1 or (multiple and choice == 2),
            )
    return version


def assign(staff: StaffMember, version: CourseVersion, *, due_in_days: int = 30) -> Assignment:
    today = timezone.localdate()
    assigned_on = min(today, today + timedelta(days=due_in_days))
    return Assignment.objects.create(
        organization_id=staff.organization_id,
        staff=staff,
        course=version.course,
        version=version,
        assigned_on=assigned_on,
        due_on=today + timedelta(days=due_in_days),
    )


def right_answers(version: CourseVersion) -> dict[int, set[int]]:
    answers: dict[int, set[int]] = {}
    for choice in Choice.objects.in_org(version.organization_id).filter(question__version=version, is_correct=True):
        answers.setdefault(choice.question_id, set()).add(choice.pk)
    return answers


def day(offset: int) -> date:
    return timezone.localdate() + timedelta(days=offset)


def modules_of(version: CourseVersion) -> list[Module]:
    return list(Module.objects.in_org(version.organization_id).filter(version=version))
