from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import services
from .forms import ProgramForm, RetentionForm
from .selectors import access_program, deidentify_on, programs_visible_to, retention_of


@require_GET
@role_required(Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER)
def program_list(request: MemberRequest) -> HttpResponse:
    programs = programs_visible_to(request.membership).prefetch_related_targets()
    return TemplateResponse(request, "programs/list.html", {"programs": programs})


@require_GET
@role_required(Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER)
def program_detail(request: MemberRequest, program_id: int) -> HttpResponse:
    program = access_program(membership=request.membership, program_id=program_id)
    return TemplateResponse(request, "programs/detail.html", {"program": program})


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def program_edit(request: MemberRequest, program_id: int | None = None) -> HttpResponse:
    membership = request.membership
    program = access_program(membership=membership, program_id=program_id) if program_id else None
    form = ProgramForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_save(
                actor=request.user,
                organization=membership.organization,
                program=program,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                funders=list(form.cleaned_data["funders"]),
                targets=form.targets(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("programs:detail", program_id=program.pk)
    return TemplateResponse(request, "programs/edit.html", {"form": form, "program": program})


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def program_retention(request: MemberRequest, program_id: int) -> HttpResponse:
    """The program's retention policy: how long its children's records stay linkable to a CAC's case."""
    program = access_program(membership=request.membership, program_id=program_id)
    policy = retention_of(program)
    initial = {"deidentify_after_years": policy.deidentify_after_years} if policy else {}
    form = RetentionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.retention_policy_save(
            actor=request.user, program=program, deidentify_after_years=form.cleaned_data["deidentify_after_years"]
        )
        return redirect("programs:retention", program_id=program.pk)
    context = {
        "form": form,
        "program": program,
        "policy": policy,
        "deidentify_on": deidentify_on(program, policy.deidentify_after_years) if policy else None,
    }
    return TemplateResponse(request, "programs/retention.html", context)
