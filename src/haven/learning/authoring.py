"""Writing courses: the company's learning admin makes a course, edits a draft version (settings, modules, question
bank) and publishes it. Every write here is audited (``learning.*``, ids and counts only); the reads the authoring
pages need are at the end (``access_*`` give 404 outside the company).

A course has at most one published version (a database constraint) and at most one draft. Only a draft is edited;
"new version" copies the published one into a draft. Publishing checks the draft is complete (:func:`version_problems`),
retires the published version and moves every open assignment of the course to the new one; a version that
everyone takes again (``reassign``) is also assigned anew to each active member of staff who completed an older
version within the current cycle of the rule that assigned them (decision 0031)."""

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Organization

from . import version as learning_version
from .markdown import images_without_alt
from .models import (
    Assignment,
    Choice,
    Course,
    CourseVersion,
    Module,
    Question,
    QuestionKind,
    VersionStatus,
)
from .services import check_company

DEFAULT_DUE_DAYS = 30


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseFields:
    slug: str
    title_en: str
    title_fr: str = ""
    summary_en: str = ""
    summary_fr: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class VersionSettings:
    pass_mark: int = 80
    attempts_allowed: int = 3
    questions_per_attempt: int | None = None
    minutes: int = 30
    change_note: str = ""
    reassign: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModuleFields:
    title_en: str
    body_en: str
    title_fr: str = ""
    body_fr: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChoiceFields:
    text_en: str
    text_fr: str = ""
    is_correct: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionFields:
    kind: str
    text_en: str
    text_fr: str = ""
    feedback_en: str = ""
    feedback_fr: str = ""
    choices: tuple[ChoiceFields, ...] = ()


@dataclasses.dataclass(frozen=True)
class Published:
    """What publishing a version did: open assignments moved to it, and new assignments for those who take it
    again."""

    version: CourseVersion
    moved: int
    reassigned: int


# Courses.


@transaction.atomic
def course_save(
    *, actor: User, organization: Organization, fields: CourseFields, course: Course | None = None
) -> Course:
    """Create a course (with an empty draft, version 1) or change its code, titles and summaries."""
    check_company(organization)
    slug = fields.slug.strip().lower()
    clash = Course.objects.in_org(organization).filter(slug=slug)
    if course is not None:
        clash = clash.exclude(pk=course.pk)
    if clash.exists():
        raise ValidationError({"slug": _("Another course has this code.")}, code="uniqueness")
    created = course is None
    course = course or Course(organization=organization)
    course.slug = slug
    for name in ("title_en", "title_fr", "summary_en", "summary_fr"):
        setattr(course, name, getattr(fields, name).strip())
    course.save()
    if created:
        CourseVersion.objects.create(organization=organization, course=course, number=1)
    audit.record(
        actor=actor,
        action="learning.course_create" if created else "learning.course_update",
        organization=organization,
        target=course,
    )
    return course


# Versions.


def _draft(version: CourseVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft version can be changed: make a new version first."), code="not_draft")


@transaction.atomic
def version_new(*, actor: User, course: Course) -> CourseVersion:
    """A draft copied from the published version (its settings, modules, questions and choices); an empty draft
    when nothing is published. A course has one draft at a time."""
    versions = CourseVersion.objects.in_org(course.organization_id).filter(course=course)
    if versions.filter(status=VersionStatus.DRAFT).exists():
        raise ValidationError(_("This course already has a draft version."), code="draft_exists")
    number = (versions.aggregate(last=Max("number"))["last"] or 0) + 1
    source = versions.filter(status=VersionStatus.PUBLISHED).first()
    draft = CourseVersion(organization_id=course.organization_id, course=course, number=number)
    if source is not None:
        for name in ("pass_mark", "attempts_allowed", "questions_per_attempt", "minutes"):
            setattr(draft, name, getattr(source, name))
    draft.save()
    if source is not None:
        _copy_content(source, draft)
    audit.record(
        actor=actor,
        action="learning.version_create",
        organization=course.organization_id,
        target=draft,
        detail={"course": course.pk, "number": number, "copied_from": source.pk if source else None},
    )
    return draft


def _copy_content(source: CourseVersion, draft: CourseVersion) -> None:
    org = source.organization_id
    Module.objects.bulk_create(
        Module(
            organization_id=org,
            version=draft,
            position=module.position,
            title_en=module.title_en,
            title_fr=module.title_fr,
            body_en=module.body_en,
            body_fr=module.body_fr,
        )
        for module in Module.objects.in_org(org).filter(version=source)
    )
    questions = (
        Question.objects.in_org(org)
        .filter(version=source)
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.in_org(org)))
    )
    for question in questions:
        copy = Question.objects.create(
            organization_id=org,
            version=draft,
            position=question.position,
            kind=question.kind,
            text_en=question.text_en,
            text_fr=question.text_fr,
            feedback_en=question.feedback_en,
            feedback_fr=question.feedback_fr,
        )
        Choice.objects.bulk_create(
            Choice(
                organization_id=org,
                question=copy,
                position=choice.position,
                text_en=choice.text_en,
                text_fr=choice.text_fr,
                is_correct=choice.is_correct,
            )
            for choice in question.choices.all()
        )


@transaction.atomic
def version_settings_save(*, actor: User, version: CourseVersion, settings: VersionSettings) -> CourseVersion:
    _draft(version)
    if settings.pass_mark > 100:
        raise ValidationError({"pass_mark": _("A pass mark is a percentage, at most 100.")})
    if settings.attempts_allowed < 1:
        raise ValidationError({"attempts_allowed": _("Allow at least one attempt.")})
    if settings.questions_per_attempt is not None and settings.questions_per_attempt < 1:
        raise ValidationError({"questions_per_attempt": _("Ask at least one question, or leave it empty.")})
    for name, value in dataclasses.asdict(settings).items():
        setattr(version, name, value.strip() if isinstance(value, str) else value)
    version.save()
    audit.record(actor=actor, action="learning.version_update", organization=version.organization_id, target=version)
    return version


def version_problems(version: CourseVersion) -> list[str]:
    """Why the version cannot be published yet; empty when it can."""
    org = version.organization_id
    problems = []
    course = version.course
    if not (course.title_en and course.title_fr):
        problems.append(_("The course needs its title in English and in French."))
    modules = list(Module.objects.in_org(org).filter(version=version))
    if not modules:
        problems.append(_("The version has no module."))
    for module in modules:
        if not all((module.title_en, module.title_fr, module.body_en.strip(), module.body_fr.strip())):
            problems.append(
                _("Module %(position)d needs its title and text in English and in French.")
                % {"position": module.position}
            )
        if images_without_alt(module.body_en) or images_without_alt(module.body_fr):
            problems.append(
                _("Module %(position)d has an image without alternative text.") % {"position": module.position}
            )
    questions = list(
        Question.objects.in_org(org)
        .filter(version=version)
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.in_org(org)))
    )
    if not questions:
        problems.append(_("The version has no question."))
    elif version.questions_per_attempt and len(questions) < version.questions_per_attempt:
        problems.append(
            _("An attempt asks %(asked)d questions but the bank has only %(bank)d.")
            % {"asked": version.questions_per_attempt, "bank": len(questions)}
        )
    for question in questions:
        choices = list(question.choices.all())
        right = sum(choice.is_correct for choice in choices)
        if right == 0:
            problems.append(_("Question %(position)d has no right answer.") % {"position": question.position})
        elif question.kind == QuestionKind.SINGLE and right != 1:
            problems.append(
                _("Question %(position)d takes one answer but has several right ones.")
                % {"position": question.position}
            )
        if len(choices) < 2:
            problems.append(_("Question %(position)d needs at least two answers.") % {"position": question.position})
        if not question.text_fr or not all(choice.text_fr for choice in choices):
            problems.append(
                _("Question %(position)d needs its text and answers in French.") % {"position": question.position}
            )
    return problems


@transaction.atomic
def version_publish(*, actor: User, version: CourseVersion, today: date | None = None) -> Published:
    """Publish a complete draft: the published version retires, open assignments move to the new version with
    their due dates, and, when everyone takes it again, each active member of staff who completed an older version
    within the current cycle is assigned it, due the rule's ``due_days`` (30 without a rule) after today. Old
    assignments stay as history (superseded or completed)."""
    _draft(version)
    problems = version_problems(version)
    if problems:
        raise ValidationError(problems, code="incomplete")
    today = today or timezone.localdate()
    now = timezone.now()
    org = version.organization_id
    course = version.course
    CourseVersion.objects.in_org(org).filter(course=course, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED
    )
    version.status, version.published_at = VersionStatus.PUBLISHED, now
    version.save(update_fields=["status", "published_at"])
    learning_version.bump(org)  # open assignments move to it, completions may be asked again

    assignments = Assignment.objects.in_org(org).filter(course=course)
    open_ones = list(assignments.filter(completed_at__isnull=True, superseded_at__isnull=True).exclude(version=version))
    for old in open_ones:
        old.superseded_at = now
        old.save(update_fields=["superseded_at"])
        Assignment.objects.create(
            organization_id=org,
            staff_id=old.staff_id,
            course=course,
            version=version,
            rule_id=old.rule_id,
            assigned_on=old.assigned_on,
            due_on=old.due_on,
        )
    reassigned = 0
    if version.reassign:
        still_open = set(
            assignments.filter(completed_at__isnull=True, superseded_at__isnull=True).values_list("staff_id", flat=True)
        )
        latest: dict[int, Assignment] = {}
        completed = (
            assignments.filter(completed_at__isnull=False, staff__is_active=True)
            .exclude(staff_id__in=still_open)
            .select_related("rule")
            .order_by("staff_id", "completed_at")
        )
        for done in completed:
            latest[done.staff_id] = done  # the last completion of each member of staff
        for staff_id, done in latest.items():
            if not _in_current_cycle(done, today):
                continue
            due_days = done.rule.due_days if done.rule else DEFAULT_DUE_DAYS
            Assignment.objects.create(
                organization_id=org,
                staff_id=staff_id,
                course=course,
                version=version,
                rule_id=done.rule_id,
                assigned_on=today,
                due_on=today + timedelta(days=due_days),
            )
            reassigned += 1
    audit.record(
        actor=actor,
        action="learning.version_publish",
        organization=org,
        target=version,
        detail={"course": course.pk, "moved": len(open_ones), "reassigned": reassigned, "reassign": version.reassign},
    )
    return Published(version=version, moved=len(open_ones), reassigned=reassigned)


def _in_current_cycle(done: Assignment, today: date) -> bool:
    """Whether a completion still counts: within the rule's refresh period (any time for a course taken once, or
    assigned without a rule)."""
    months = done.rule.refresh_months if done.rule else 0
    if not months or done.completed_at is None:
        return True
    return timezone.localdate(done.completed_at) > _months_before(today, months)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# Modules.


def _check_alt(fields: ModuleFields) -> None:
    errors = {}
    for name in ("body_en", "body_fr"):
        missing = images_without_alt(getattr(fields, name))
        if missing:
            errors[name] = ValidationError(
                _("Every image needs alternative text saying what it shows: %(images)s")
                % {"images": ", ".join(src or "?" for src in missing)},
                code="images_without_alt",
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def module_save(*, actor: User, version: CourseVersion, fields: ModuleFields, module: Module | None = None) -> Module:
    """Add a module at the end of a draft, or change one. An image without alternative text is refused."""
    _draft(version)
    if not fields.title_en.strip() or not fields.body_en.strip():
        raise ValidationError(_("A module needs its title and text in English."), code="required")
    _check_alt(fields)
    created = module is None
    if module is None:
        last = Module.objects.in_org(version.organization_id).filter(version=version).aggregate(last=Max("position"))
        module = Module(organization_id=version.organization_id, version=version, position=(last["last"] or 0) + 1)
    for name, value in dataclasses.asdict(fields).items():
        setattr(module, name, value.strip() if name.startswith("title") else value)
    module.save()
    audit.record(
        actor=actor,
        action="learning.module_create" if created else "learning.module_update",
        organization=version.organization_id,
        target=module,
        detail={"version": version.pk},
    )
    return module


@transaction.atomic
def module_move(*, actor: User, module: Module, up: bool) -> Module:
    """Swap a module with the one before (``up``) or after it; at either end nothing moves."""
    version = module.version
    _draft(version)
    siblings = Module.objects.in_org(version.organization_id).filter(version=version)
    neighbour = (
        siblings.filter(position__lt=module.position).order_by("-position").first()
        if up
        else siblings.filter(position__gt=module.position).order_by("position").first()
    )
    if neighbour is None:
        return module
    _swap(module, neighbour)
    audit.record(
        actor=actor,
        action="learning.module_move",
        organization=version.organization_id,
        target=module,
        detail={"version": version.pk, "position": module.position},
    )
    return module


def _swap(a: Module, b: Module) -> None:
    """Swap two positions under the unique (version, position) constraint, through a free position."""
    free = (Module.objects.in_org(a.organization_id).filter(version=a.version_id).aggregate(m=Max("position"))["m"]) + 1
    pa, pb = a.position, b.position
    a.position = free
    a.save(update_fields=["position"])
    b.position = pa
    b.save(update_fields=["position"])
    a.position = pb
    a.save(update_fields=["position"])


@transaction.atomic
def module_delete(*, actor: User, module: Module) -> None:
    """Remove a module of a draft; the modules after it move up one place."""
    version = module.version
    _draft(version)
    position, module_id = module.position, module.pk
    module.delete()
    for later in Module.objects.in_org(version.organization_id).filter(version=version, position__gt=position):
        later.position -= 1
        later.save(update_fields=["position"])
    audit.record(
        actor=actor,
        action="learning.module_delete",
        organization=version.organization_id,
        target_type="learning.module",
        target_id=module_id,
        detail={"version": version.pk},
    )


# Questions.


def _check_question(fields: QuestionFields) -> None:
    if fields.kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose the kind of question.")})
    if not fields.text_en.strip():
        raise ValidationError({"text_en": _("Write the question in English.")})
    choices = [choice for choice in fields.choices if choice.text_en.strip()]
    if len(choices) < 2:
        raise ValidationError(_("A question needs at least two answers."), code="choices")
    right = sum(choice.is_correct for choice in choices)
    if fields.kind == QuestionKind.SINGLE and right != 1:
        raise ValidationError(_("A question with one answer needs exactly one right answer."), code="right")
    if fields.kind == QuestionKind.MULTIPLE and right < 1:
        raise ValidationError(_("A question with several answers needs at least one right answer."), code="right")


@transaction.atomic
def question_save(
    *, actor: User, version: CourseVersion, fields: QuestionFields, question: Question | None = None
) -> Question:
    """Add a question (with its answers) to a draft's bank, or change one: its answers are replaced by those
    given, in order (an answer left empty is dropped)."""
    _draft(version)
    _check_question(fields)
    org = version.organization_id
    created = question is None
    if question is None:
        last = Question.objects.in_org(org).filter(version=version).aggregate(last=Max("position"))
        question = Question(organization_id=org, version=version, position=(last["last"] or 0) + 1)
    for name in ("kind", "text_en", "text_fr", "feedback_en", "feedback_fr"):
        setattr(question, name, getattr(fields, name).strip())
    question.save()
    Choice.objects.in_org(org).filter(question=question).delete()
    Choice.objects.bulk_create(
        Choice(
            organization_id=org,
            question=question,
            position=position,
            text_en=choice.text_en.strip(),
            text_fr=choice.text_fr.strip(),
            is_correct=choice.is_correct,
        )
        for position, choice in enumerate((c for c in fields.choices if c.text_en.strip()), start=1)
    )
    audit.record(
        actor=actor,
        action="learning.question_create" if created else "learning.question_update",
        organization=org,
        target=question,
        detail={"version": version.pk, "choices": sum(1 for c in fields.choices if c.text_en.strip())},
    )
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    version = question.version
    _draft(version)
    position, question_id = question.position, question.pk
    question.delete()
    for later in Question.objects.in_org(version.organization_id).filter(version=version, position__gt=position):
        later.position -= 1
        later.save(update_fields=["position"])
    audit.record(
        actor=actor,
        action="learning.question_delete",
        organization=version.organization_id,
        target_type="learning.question",
        target_id=question_id,
        detail={"version": version.pk},
    )


# Reads of the authoring pages.


@dataclasses.dataclass(frozen=True)
class CourseRow:
    course: Course
    published: CourseVersion | None
    draft: CourseVersion | None
    assigned: int
    completed: int


def courses_listing(organization: Organization) -> list[CourseRow]:
    """Each course of the company with its published version, its draft, and how many members of staff have it
    to do (an open assignment) and have completed it."""
    courses = (
        Course.objects.in_org(organization)
        .annotate(
            assigned=Count(
                "assignments__staff",
                filter=Q(assignments__completed_at__isnull=True, assignments__superseded_at__isnull=True),
                distinct=True,
            ),
            completed=Count("assignments__staff", filter=Q(assignments__completed_at__isnull=False), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=CourseVersion.objects.in_org(organization).exclude(status=VersionStatus.RETIRED),
                to_attr="current_versions",
            )
        )
    )
    rows = []
    for course in courses:
        by_status = {version.status: version for version in course.current_versions}
        rows.append(
            CourseRow(
                course=course,
                published=by_status.get(VersionStatus.PUBLISHED),
                draft=by_status.get(VersionStatus.DRAFT),
                assigned=course.assigned,
                completed=course.completed,
            )
        )
    return rows


def access_course(*, organization: Organization, course_id: int) -> Course:
    course = Course.objects.in_org(organization).filter(pk=course_id).first()
    if course is None:
        raise Http404
    return course


def access_version(*, organization: Organization, version_id: int) -> CourseVersion:
    version = CourseVersion.objects.in_org(organization).filter(pk=version_id).select_related("course").first()
    if version is None:
        raise Http404
    return version


def access_module(*, organization: Organization, module_id: int) -> Module:
    module = Module.objects.in_org(organization).filter(pk=module_id).select_related("version__course").first()
    if module is None:
        raise Http404
    return module


def access_question(*, organization: Organization, question_id: int) -> Question:
    question = Question.objects.in_org(organization).filter(pk=question_id).select_related("version__course").first()
    if question is None:
        raise Http404
    return question


def course_versions(course: Course) -> QuerySet[CourseVersion]:
    return (
        CourseVersion.objects.in_org(course.organization_id)
        .filter(course=course)
        .annotate(
            module_count=Count("modules", distinct=True),
            question_count=Count("questions", distinct=True),
            assignment_count=Count("assignments", distinct=True),
        )
    )


def version_modules(version: CourseVersion) -> QuerySet[Module]:
    return Module.objects.in_org(version.organization_id).filter(version=version)


def version_questions(version: CourseVersion) -> Sequence[Question]:
    org = version.organization_id
    return list(
        Question.objects.in_org(org)
        .filter(version=version)
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.in_org(org)))
    )
