"""The course authoring pages, for the company's learning admin (the corporate partner's org admin; 404 for anyone
else): the courses, a course's versions, a draft's settings, modules and question bank, and publishing. Views read
through ``authoring``'s reads and write through its services; a refusal re-renders the page with its reason."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import authoring
from .forms_courses import CourseForm, ModuleForm, QuestionForm, VersionSettingsForm
from .markdown import render
from .models import CourseVersion, VersionStatus

LEARNING_ADMIN = Role.ORG_ADMIN


def _company(request: MemberRequest) -> Organization:
    organization = request.membership.organization
    if organization.kind != OrganizationKind.CORPORATE_PARTNER:
        raise Http404
    return organization


def _status(form: Any) -> int:
    return 400 if form.errors else 200


@require_GET
@role_required(LEARNING_ADMIN)
def courses(request: MemberRequest) -> HttpResponse:
    rows = authoring.courses_listing(_company(request))
    return TemplateResponse(request, "learning/course_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@role_required(LEARNING_ADMIN)
def course_edit(request: MemberRequest, course_id: int | None = None) -> HttpResponse:
    company = _company(request)
    course = authoring.access_course(organization=company, course_id=course_id) if course_id else None
    form = CourseForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            course = authoring.course_save(
                actor=request.user, organization=company, fields=form.fields_of(), course=course
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("learning:courses_course", course_id=course.pk)
    return TemplateResponse(
        request, "learning/course_form.html", {"form": form, "course": course}, status=_status(form)
    )


@require_GET
@role_required(LEARNING_ADMIN)
def course_detail(request: MemberRequest, course_id: int) -> HttpResponse:
    course = authoring.access_course(organization=_company(request), course_id=course_id)
    versions = list(authoring.course_versions(course))
    context = {
        "course": course,
        "versions": versions,
        "has_draft": any(v.status == VersionStatus.DRAFT for v in versions),
    }
    return TemplateResponse(request, "learning/course_detail.html", context)


@require_POST
@role_required(LEARNING_ADMIN)
def version_new(request: MemberRequest, course_id: int) -> HttpResponse:
    course = authoring.access_course(organization=_company(request), course_id=course_id)
    try:
        draft = authoring.version_new(actor=request.user, course=course)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("learning:courses_course", course_id=course.pk)
    messages.success(request, _("Version %(number)d drafted: change it, then publish it.") % {"number": draft.number})
    return redirect("learning:courses_version", version_id=draft.pk)


def _version_page(
    request: MemberRequest,
    version: CourseVersion,
    *,
    form: VersionSettingsForm | None = None,
    refused: list[str] | None = None,
    status: int = 200,
) -> TemplateResponse:
    is_draft = version.status == VersionStatus.DRAFT
    context = {
        "course": version.course,
        "version": version,
        "is_draft": is_draft,
        "form": (form or VersionSettingsForm(version=version)) if is_draft else None,
        "modules": authoring.version_modules(version),
        "questions": authoring.version_questions(version),
        "problems": authoring.version_problems(version) if is_draft else [],
        "refused": refused or [],
    }
    return TemplateResponse(request, "learning/course_version.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(LEARNING_ADMIN)
def version_detail(request: MemberRequest, version_id: int) -> HttpResponse:
    """A version's settings, modules and questions; a draft's settings are saved here."""
    version = authoring.access_version(organization=_company(request), version_id=version_id)
    if request.method == "GET":
        return _version_page(request, version)
    if version.status != VersionStatus.DRAFT:
        raise Http404  # only a draft has a settings form
    form = VersionSettingsForm(request.POST, version=version)
    if form.is_valid():
        try:
            authoring.version_settings_save(actor=request.user, version=version, settings=form.settings_of())
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("learning:courses_version", version_id=version.pk)
    return _version_page(request, version, form=form, status=400)


@require_POST
@role_required(LEARNING_ADMIN)
def version_publish(request: MemberRequest, version_id: int) -> HttpResponse:
    version = authoring.access_version(organization=_company(request), version_id=version_id)
    try:
        published = authoring.version_publish(actor=request.user, version=version)
    except ValidationError as error:
        return _version_page(request, version, refused=error.messages, status=400)
    messages.success(
        request,
        _(
            "Version %(number)d published: %(moved)d open assignments moved to it, %(reassigned)d members of staff "
            "take it again."
        )
        % {"number": version.number, "moved": published.moved, "reassigned": published.reassigned},
    )
    return redirect("learning:courses_course", course_id=version.course_id)


def _module_page(request: MemberRequest, form: ModuleForm, context: dict[str, Any], status: int) -> HttpResponse:
    preview = None
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    if data.get("body_en") or data.get("body_fr"):
        preview = {
            "en": (data.get("title_en", ""), render(data.get("body_en", ""))),
            "fr": (data.get("title_fr", ""), render(data.get("body_fr", ""))),
        }
    return TemplateResponse(
        request, "learning/module_form.html", {**context, "form": form, "preview": preview}, status=status
    )


@require_http_methods(["GET", "POST"])
@role_required(LEARNING_ADMIN)
def module_edit(request: MemberRequest, version_id: int | None = None, module_id: int | None = None) -> HttpResponse:
    """Add a module to a draft or change one. "Preview" shows the text as learners will read it, without saving."""
    company = _company(request)
    if module_id is not None:
        module = authoring.access_module(organization=company, module_id=module_id)
        version = module.version
    else:
        module = None
        version = authoring.access_version(organization=company, version_id=version_id or 0)
    if version.status != VersionStatus.DRAFT:
        raise Http404
    form = ModuleForm(request.POST or None, module=module)
    context = {"version": version, "course": version.course, "module": module}
    if request.method == "POST" and form.is_valid() and request.POST.get("action") != "preview":
        try:
            authoring.module_save(actor=request.user, version=version, fields=form.fields_of(), module=module)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Module saved."))
            return redirect("learning:courses_version", version_id=version.pk)
    return _module_page(request, form, context, _status(form))


@require_POST
@role_required(LEARNING_ADMIN)
def module_move(request: MemberRequest, module_id: int) -> HttpResponse:
    module = authoring.access_module(organization=_company(request), module_id=module_id)
    try:
        authoring.module_move(actor=request.user, module=module, up=request.POST.get("direction") == "up")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('learning:courses_version', args=[module.version_id])}#modules")


@require_http_methods(["GET", "POST"])
@role_required(LEARNING_ADMIN)
def module_delete(request: MemberRequest, module_id: int) -> HttpResponse:
    module = authoring.access_module(organization=_company(request), module_id=module_id)
    back = reverse("learning:courses_version", args=[module.version_id])
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Remove module %(position)d?") % {"position": module.position},
            consequence=_(
                "The module “%(title)s” will be removed from this draft, and the modules after it move up one place."
            )
            % {"title": module.title_en},
            button=_("Remove the module"),
            back=back,
        )
    try:
        authoring.module_delete(actor=request.user, module=module)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Module removed."))
    return redirect(back)


@require_http_methods(["GET", "POST"])
@role_required(LEARNING_ADMIN)
def question_edit(
    request: MemberRequest, version_id: int | None = None, question_id: int | None = None
) -> HttpResponse:
    company = _company(request)
    if question_id is not None:
        question = authoring.access_question(organization=company, question_id=question_id)
        version = question.version
    else:
        question = None
        version = authoring.access_version(organization=company, version_id=version_id or 0)
    if version.status != VersionStatus.DRAFT:
        raise Http404
    form = QuestionForm(request.POST or None, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            authoring.question_save(actor=request.user, version=version, fields=form.fields_of(), question=question)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect(f"{reverse('learning:courses_version', args=[version.pk])}#questions")
    context = {"version": version, "course": version.course, "question": question, "form": form}
    return TemplateResponse(request, "learning/question_form.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@role_required(LEARNING_ADMIN)
def question_delete(request: MemberRequest, question_id: int) -> HttpResponse:
    question = authoring.access_question(organization=_company(request), question_id=question_id)
    back = f"{reverse('learning:courses_version', args=[question.version_id])}#questions"
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Remove question %(position)d?") % {"position": question.position},
            consequence=_("The question “%(text)s” and its answers will be removed from this draft's bank.")
            % {"text": question.text_en[:80]},
            button=_("Remove the question"),
            back=back,
        )
    try:
        authoring.question_delete(actor=request.user, question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Question removed."))
    return redirect(back)
