"""The learner's writes: a module read, a quiz attempt started and submitted, the course completed.

Modules are read in order; the quiz opens once every module is read. An attempt draws its questions and their
choices' order once (``QuizAttempt.question_order``), so a reload shows the same quiz; submitting scores it with
``quiz``'s rules. Passing completes the assignment and issues its certificate. Each attempt, result and completion
is also an xAPI statement, written in the same transaction; each write is audited with ids and counts only.
"""

import random
import secrets
from collections.abc import Collection, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit

from . import certificates, quiz, xapi
from . import version as learning_version
from .models import Assignment, Choice, Module, ModuleCompletion, Question, QuizAttempt
from .selectors import attempt_open, attempts_used, keys_of, modules_read


def _check_open(assignment: Assignment) -> None:
    if not assignment.is_open:
        raise ValidationError(_("This course is no longer open: it is completed or was replaced."))


def _modules(assignment: Assignment) -> list[Module]:
    return list(Module.objects.in_org(assignment.organization_id).filter(version=assignment.version_id))


@transaction.atomic
def module_complete(*, actor: User, assignment: Assignment, module: Module) -> ModuleCompletion:
    """Record "I have read this module". Modules open in order: every module before it must be read."""
    _check_open(assignment)
    if module.version_id != assignment.version_id:
        raise ValidationError(_("This module is not part of your course."))
    read = modules_read(assignment)
    earlier = [m for m in _modules(assignment) if m.position < module.position and m.pk not in read]
    if earlier:
        raise ValidationError(_("Read the modules before this one first."))
    completion, created = ModuleCompletion.objects.in_org(assignment.organization_id).get_or_create(
        assignment=assignment, module=module, defaults={"organization_id": assignment.organization_id}
    )
    if created:
        audit.record(
            actor=actor,
            action="learning.module_complete",
            organization=assignment.organization_id,
            target=completion,
            detail={"assignment": assignment.pk, "module": module.pk},
        )
    return completion


def _activity_key(assignment: Assignment) -> str:
    return f"{assignment.course.slug}/v{assignment.version.number}"


@transaction.atomic
def attempt_start(*, actor: User, assignment: Assignment, rng: random.Random | None = None) -> QuizAttempt:
    """Start an attempt, or give back the one started and not submitted. Refused before every module is read and
    once the attempts allowed are used."""
    assignment = Assignment.objects.in_org(assignment.organization_id).select_for_update().get(pk=assignment.pk)
    _check_open(assignment)
    current = attempt_open(assignment)
    if current is not None:
        return current
    version = assignment.version
    if {m.pk for m in _modules(assignment)} - modules_read(assignment):
        raise ValidationError(_("Read every module before the quiz."))
    used = attempts_used(assignment)
    if used >= version.attempts_allowed:
        raise ValidationError(_("You have used every attempt at this quiz. Ask your learning admin for another."))
    questions = Question.objects.in_org(assignment.organization_id).filter(version=version)
    choices: dict[int, list[int]] = {question.pk: [] for question in questions}
    for question_id, choice_id in (
        Choice.objects.in_org(assignment.organization_id)
        .filter(question__version=version)
        .values_list("question_id", "pk")
    ):
        choices[question_id].append(choice_id)
    if not choices:
        raise ValidationError(_("This course has no quiz questions yet."))
    drawn = quiz.draw(sorted(choices.items()), version.questions_per_attempt, rng or secrets.SystemRandom())
    attempt = QuizAttempt.objects.create(
        organization_id=assignment.organization_id,
        assignment=assignment,
        number=used + 1,
        question_order=[[question_id, shown] for question_id, shown in drawn],
    )
    xapi.record(
        staff=assignment.staff,
        verb="attempted",
        kind="assessment",
        key=_activity_key(assignment),
        name=assignment.course.title_en,
        timestamp=attempt.started_at,
    )
    audit.record(
        actor=actor,
        action="learning.attempt_start",
        organization=assignment.organization_id,
        target=attempt,
        detail={"assignment": assignment.pk, "number": attempt.number, "count": len(drawn)},
    )
    return attempt


@transaction.atomic
def attempt_submit(*, actor: User, attempt: QuizAttempt, answers: Mapping[int, Collection[int]]) -> QuizAttempt:
    """Score the attempt. Passing completes the assignment and issues its certificate. Only the choices the attempt
    showed count; a question left unanswered scores nothing."""
    assignment = Assignment.objects.in_org(attempt.organization_id).select_for_update().get(pk=attempt.assignment_id)
    attempt = QuizAttempt.objects.in_org(attempt.organization_id).get(pk=attempt.pk)
    if attempt.submitted_at is not None:
        raise ValidationError(_("This attempt was already submitted."))
    _check_open(assignment)
    shown = {question_id: set(choices) for question_id, choices in attempt.question_order}
    given = {
        question_id: sorted(set(answers.get(question_id, ())) & shown[question_id])
        for question_id in shown
        if set(answers.get(question_id, ())) & shown[question_id]
    }
    raw, maximum = quiz.score(keys_of(attempt), list(shown), given)
    now = timezone.now()
    attempt.answers = {str(question_id): picked for question_id, picked in given.items()}
    attempt.score_raw, attempt.score_max, attempt.submitted_at = raw, maximum, now
    attempt.passed = quiz.passed(raw, maximum, assignment.version.pass_mark)
    attempt.save(update_fields=["answers", "score_raw", "score_max", "submitted_at", "passed"])
    learning_version.bump(assignment.organization_id)  # passing completes the assignment (below)
    key, name = _activity_key(assignment), assignment.course.title_en
    xapi.record(
        staff=assignment.staff,
        verb="passed" if attempt.passed else "failed",
        kind="assessment",
        key=key,
        name=name,
        timestamp=now,
        result={"score": xapi.score(raw, maximum), "success": attempt.passed, "completion": True},
    )
    audit.record(
        actor=actor,
        action="learning.attempt_submit",
        organization=assignment.organization_id,
        target=attempt,
        detail={"assignment": assignment.pk, "number": attempt.number, "score": raw, "max": maximum},
    )
    if attempt.passed:
        assignment.completed_at = now
        assignment.save(update_fields=["completed_at"])
        certificate = certificates.certificate_issue(assignment=assignment)
        xapi.record(
            staff=assignment.staff,
            verb="completed",
            kind="course",
            key=key,
            name=name,
            timestamp=now,
            result={"score": xapi.score(raw, maximum), "success": True, "completion": True},
        )
        audit.record(
            actor=actor,
            action="learning.course_complete",
            organization=assignment.organization_id,
            target=assignment,
            detail={"attempt": attempt.pk, "certificate": certificate.pk},
        )
    return attempt
