"""The learner's pages: their courses, a course's modules, the quiz and its result.

Only a learner of the company reaches them (``Role.LEARNER``), and only their own assignments: anyone else's, or
another company's, answers 404. Pages are in the learner's language (their staff record's) unless they chose
another in the header.
"""

from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import markdown, selectors, taking
from .models import Assignment, StaffMember

ATTEST_LIST = "learning/_attest_list.html"


def learner_language(request: MemberRequest, staff: StaffMember | None) -> str:
    """The language the learner chose in the header, else their staff record's, else the request's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES):
        return str(chosen)
    return staff.language if staff is not None else translation.get_language() or settings.LANGUAGE_CODE


def _page(
    request: MemberRequest, template: str, context: dict[str, Any], staff: StaffMember | None, status: int = 200
) -> TemplateResponse:
    language = learner_language(request, staff)
    with translation.override(language):
        response = TemplateResponse(request, template, context, status=status)
        response.render()
    response["Content-Language"] = language
    return response


def _has_attest_list() -> bool:
    try:
        get_template(ATTEST_LIST)
    except TemplateDoesNotExist:
        return False
    return True


def attest_context(staff: StaffMember | None) -> dict[str, Any]:
    """The policies still to attest, once the attestation part is there (its partial and selector)."""
    to_attest = getattr(selectors, "policies_to_attest", None)
    if staff is None or to_attest is None or not _has_attest_list():
        return {"attest_list": False}
    return {"attest_list": True, "policies_to_attest": to_attest(staff)}


@require_GET
@role_required(Role.LEARNER)
def home(request: MemberRequest) -> HttpResponse:
    learning = selectors.learner_home(request.membership)
    context = {"learning": learning, **attest_context(learning.staff)}
    return _page(request, "learning/home.html", context, learning.staff)


def _assignment(request: MemberRequest, assignment_id: int) -> Assignment:
    return selectors.access_assignment(membership=request.membership, assignment_id=assignment_id)


@require_GET
@role_required(Role.LEARNER)
def course(request: MemberRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment(request, assignment_id)
    outline = selectors.course_outline(assignment)
    return _page(request, "learning/course.html", {"outline": outline, "assignment": assignment}, assignment.staff)


@require_GET
@role_required(Role.LEARNER)
def module(request: MemberRequest, assignment_id: int, position: int) -> HttpResponse:
    assignment = _assignment(request, assignment_id)
    outline = selectors.course_outline(assignment)
    index = next((i for i, step in enumerate(outline.steps) if step.module.position == position), None)
    if index is None or not outline.steps[index].available:
        raise Http404
    step = outline.steps[index]
    language = learner_language(request, assignment.staff)
    with translation.override(language):
        body = markdown.render(step.module.body)
    context = {
        "assignment": assignment,
        "outline": outline,
        "step": step,
        "body": body,
        "previous": outline.steps[index - 1] if index > 0 else None,
        "next": outline.steps[index + 1] if index + 1 < len(outline.steps) else None,
        "number": index + 1,
    }
    return _page(request, "learning/module.html", context, assignment.staff)


def _refused(request: MemberRequest, error: ValidationError, to: str) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect(to)


@require_POST
@role_required(Role.LEARNER)
def module_read(request: MemberRequest, assignment_id: int, position: int) -> HttpResponse:
    assignment = _assignment(request, assignment_id)
    step = next((s for s in selectors.course_outline(assignment).steps if s.module.position == position), None)
    if step is None:
        raise Http404
    course_url = reverse("learning:course", args=[assignment.pk])
    try:
        taking.module_complete(actor=request.user, assignment=assignment, module=step.module)
    except ValidationError as error:
        return _refused(request, error, course_url)
    following = selectors.course_outline(assignment).next_step
    if following is not None:
        return redirect("learning:module", assignment.pk, following.module.position)
    return redirect("learning:quiz", assignment.pk)


@require_GET
@role_required(Role.LEARNER)
def quiz(request: MemberRequest, assignment_id: int) -> HttpResponse:
    """The quiz: its rules and a button to start, or the attempt under way (the same questions on every reload)."""
    assignment = _assignment(request, assignment_id)
    outline = selectors.course_outline(assignment)
    if not outline.quiz_available:
        raise Http404
    attempt = outline.attempt_open
    context = {
        "assignment": assignment,
        "outline": outline,
        "attempt": attempt,
        "questions": selectors.attempt_questions(attempt) if attempt else [],
    }
    return _page(request, "learning/quiz.html", context, assignment.staff)


@require_POST
@role_required(Role.LEARNER)
def quiz_start(request: MemberRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment(request, assignment_id)
    try:
        taking.attempt_start(actor=request.user, assignment=assignment)
    except ValidationError as error:
        return _refused(request, error, reverse("learning:course", args=[assignment.pk]))
    return redirect("learning:quiz", assignment.pk)


def _answers(request: MemberRequest, question_ids: Collection[int]) -> dict[int, set[int]]:
    """The choices ticked for each question (``q<id>`` fields); anything not a number is ignored."""
    answers: dict[int, set[int]] = {}
    for question_id in question_ids:
        picked = {int(value) for value in request.POST.getlist(f"q{question_id}") if value.isdigit()}
        if picked:
            answers[question_id] = picked
    return answers


@require_POST
@role_required(Role.LEARNER)
def quiz_submit(request: MemberRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment(request, assignment_id)
    attempt = selectors.attempt_open(assignment)
    if attempt is None:
        return redirect("learning:quiz", assignment.pk)
    answers = _answers(request, [question_id for question_id, _choices in attempt.question_order])
    try:
        attempt = taking.attempt_submit(actor=request.user, attempt=attempt, answers=answers)
    except ValidationError as error:
        return _refused(request, error, reverse("learning:course", args=[assignment.pk]))
    return redirect("learning:attempt", assignment.pk, attempt.number)


@require_GET
@role_required(Role.LEARNER)
def attempt(request: MemberRequest, assignment_id: int, number: int) -> HttpResponse:
    """A submitted attempt's result, with each question's feedback."""
    assignment = _assignment(request, assignment_id)
    found = selectors.access_attempt(assignment=assignment, number=number)
    if found.submitted_at is None:
        return redirect("learning:quiz", assignment.pk)
    outline = selectors.course_outline(assignment)
    context = {
        "assignment": assignment,
        "outline": outline,
        "attempt": found,
        "questions": selectors.attempt_questions(found),
        "percent": round(100 * (found.score_raw or 0) / found.score_max) if found.score_max else 0,
    }
    return _page(request, "learning/quiz_result.html", context, assignment.staff)
