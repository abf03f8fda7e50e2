from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import staging, tabular
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Membership
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.organizations.selectors import organizations_visible_to
from haven.programs.models import Program

from . import dashboard, imports, selectors, services
from .forms import CohortForm, ImportForm, MilestoneForm, NominationForm, PlacementForm, WithdrawalForm
from .models import CohortEvent, CohortTrainer, Enrollment, Placement, Transfer

PROGRAM_ADMIN = Role.PROGRAM_ADMIN
COHORT_ROLES = (Role.PROGRAM_ADMIN, Role.TRAINER)
ENROLLMENT_ROLES = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN, Role.TRAINER, Role.CLINICIAN)


def _program(request: MemberRequest) -> Program:
    program = selectors.program_for(request.membership)
    if program is None:
        raise Http404
    return program


@require_GET
@role_required(*COHORT_ROLES)
def cohort_list(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    cohorts = selectors.cohort_fill(selectors.cohorts_visible_to(membership)).prefetch_related(
        Prefetch("trainer_links", queryset=CohortTrainer.objects.under_scoped_parent().select_related("trainer"))
    )
    at_risk = (
        {row.cohort.pk: row for row in dashboard.cohorts_at_risk(membership)}
        if membership.role == PROGRAM_ADMIN
        else {}
    )
    return TemplateResponse(request, "training/cohort_list.html", {"cohorts": cohorts, "at_risk": at_risk})


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def cohort_edit(request: MemberRequest, cohort_id: int | None = None) -> HttpResponse:
    membership = request.membership
    program = _program(request)
    cohort = selectors.access_cohort(membership=membership, cohort_id=cohort_id) if cohort_id else None
    trainer_ids = (
        list(
            CohortTrainer.objects.in_org(cohort.organization_id)
            .filter(cohort=cohort)
            .values_list("trainer_id", flat=True)
        )
        if cohort
        else []
    )
    trainer_memberships = Membership.objects.in_orgs(organizations_visible_to(membership).values("pk"))
    form = CohortForm(
        request.POST or None, cohort=cohort, trainer_ids=trainer_ids, trainer_memberships=trainer_memberships
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        trainers = data.pop("trainers")
        try:
            cohort = services.cohort_save(actor=request.user, program=program, cohort=cohort, trainers=trainers, **data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("training:cohort", cohort_id=cohort.pk)
    return TemplateResponse(request, "training/cohort_edit.html", {"form": form, "cohort": cohort})


@require_GET
@role_required(*COHORT_ROLES)
def cohort_detail(request: MemberRequest, cohort_id: int) -> HttpResponse:
    cohort = selectors.access_cohort(membership=request.membership, cohort_id=cohort_id)
    roster = selectors.cohort_roster(cohort)
    calls, marks = selectors.cohort_attendance_grid(cohort)
    rows = [
        (path, [marks.get((path.enrollment.pk, call.pk)) for call in calls], dashboard.behind(path))
        for path in roster
        if path.enrollment.placement == Placement.ENROLLED
    ]
    waitlist = sorted(
        (path.enrollment for path in roster if path.enrollment.placement == Placement.WAITLISTED),
        key=lambda e: (e.placed_at or e.nominated_at, e.pk),  # the order places are offered in
    )
    context = {
        "cohort": cohort,
        "rows": rows,
        "calls": calls,
        "waitlist": waitlist,
        "events": CohortEvent.objects.in_org(cohort.organization_id).filter(cohort=cohort),
        "trainers": CohortTrainer.objects.in_org(cohort.organization_id)
        .filter(cohort=cohort)
        .select_related("trainer"),
    }
    return TemplateResponse(request, "training/cohort_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*COHORT_ROLES)
def call_attendance(request: MemberRequest, cohort_id: int, call_id: int) -> HttpResponse:
    """A whole call's attendance on one screen: tick who was there, save once."""
    cohort = selectors.access_cohort(membership=request.membership, cohort_id=cohort_id)
    call = selectors.access_call(cohort=cohort, call_id=call_id)
    roster = [p.enrollment for p in selectors.cohort_roster(cohort) if p.enrollment.placement == Placement.ENROLLED]
    if request.method == "POST":
        try:
            if "everyone" in request.POST:
                present = {e.pk for e in roster}
            else:
                present = {int(value) for value in request.POST.getlist("present")}
            services.attendance_record(actor=request.user, call=call, present_ids=present)
        except ValueError:
            messages.error(request, _("The attendance could not be saved: reload the page and try again."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Attendance saved: %(n)d of %(total)d present.") % {"n": len(present), "total": len(roster)}
            )
            return redirect("training:cohort", cohort_id=cohort.pk)
    _calls, marks = selectors.cohort_attendance_grid(cohort)
    people = [(e, marks.get((e.pk, call.pk))) for e in roster]
    return TemplateResponse(
        request, "training/call_attendance.html", {"cohort": cohort, "call": call, "people": people}
    )


@require_GET
@role_required(Role.ORG_ADMIN)
def staff(request: MemberRequest) -> HttpResponse:
    """A CAC admin's staff on the path, and the nomination form."""
    membership = request.membership
    program = _program(request)
    enrollments = selectors.enrollments_visible_to(membership).filter(program=program)
    paths = selectors.paths_for(enrollments, selectors.path_rules(program))
    form = NominationForm(clinicians=selectors.nominable_clinicians(membership, program))
    return TemplateResponse(request, "training/staff.html", {"paths": paths, "form": form, "program": program})


@require_POST
@role_required(Role.ORG_ADMIN)
def nominate(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    program = _program(request)
    form = NominationForm(request.POST, clinicians=selectors.nominable_clinicians(membership, program))
    if form.is_valid():
        try:
            services.enrollment_nominate(
                actor=request.user, cac=membership.organization, program=program, **form.cleaned_data
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("%(name)s was nominated.") % {"name": form.cleaned_data["clinician"].full_name})
            return redirect("training:staff")
    enrollments = selectors.enrollments_visible_to(membership).filter(program=program)
    paths = selectors.paths_for(enrollments, selectors.path_rules(program))
    return TemplateResponse(
        request, "training/staff.html", {"paths": paths, "form": form, "program": program}, status=400
    )


@require_GET
@role_required(*ENROLLMENT_ROLES)
def enrollment_detail(request: MemberRequest, enrollment_id: int) -> HttpResponse:
    membership = request.membership
    enrollment = selectors.access_enrollment(membership=membership, enrollment_id=enrollment_id)
    return TemplateResponse(request, "training/enrollment_detail.html", _enrollment_context(membership, enrollment))


def _enrollment_context(membership: Membership, enrollment: Enrollment, **forms: Any) -> dict[str, Any]:
    [path] = selectors.paths_for([enrollment], selectors.path_rules(enrollment.program))
    context: dict[str, Any] = {
        "path": path,
        "enrollment": enrollment,
        "transfers": Transfer.objects.in_org(enrollment.organization_id)
        .filter(enrollment=enrollment)
        .select_related("from_cohort", "to_cohort"),
    }
    if membership.role == PROGRAM_ADMIN:
        cohorts = selectors.cohorts_visible_to(membership).filter(program=enrollment.program)
        if enrollment.cohort_id:
            cohorts = cohorts.exclude(pk=enrollment.cohort_id)
        context["placement_form"] = forms.get("placement_form") or PlacementForm(cohorts=cohorts)
        context["milestone_form"] = forms.get("milestone_form") or MilestoneForm()
    if membership.role in (PROGRAM_ADMIN, Role.ORG_ADMIN):
        context["withdrawal_form"] = forms.get("withdrawal_form") or WithdrawalForm()
    return context


def _enrollment_action(
    request: MemberRequest,
    enrollment_id: int,
    form_name: str,
    make_form: Callable[[Membership, Enrollment], Any],
    act: Callable[[Enrollment, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    membership = request.membership
    enrollment = selectors.access_enrollment(membership=membership, enrollment_id=enrollment_id)
    form = make_form(membership, enrollment)
    if form.is_valid():
        try:
            act(enrollment, form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, done)
            return redirect("training:enrollment", enrollment_id=enrollment.pk)
    context = _enrollment_context(membership, enrollment, **{form_name: form})
    return TemplateResponse(request, "training/enrollment_detail.html", context, status=400)


def _placement_form(request: MemberRequest) -> Callable[[Membership, Enrollment], PlacementForm]:
    def make(membership: Membership, enrollment: Enrollment) -> PlacementForm:
        cohorts = selectors.cohorts_visible_to(membership).filter(program=enrollment.program)
        return PlacementForm(request.POST, cohorts=cohorts)

    return make


@require_POST
@role_required(PROGRAM_ADMIN)
def enrollment_place(request: MemberRequest, enrollment_id: int) -> HttpResponse:
    return _enrollment_action(
        request,
        enrollment_id,
        "placement_form",
        _placement_form(request),
        lambda e, data: services.enrollment_place(actor=request.user, enrollment=e, cohort=data["cohort"]),
        _("The placement was saved."),
    )


@require_POST
@role_required(PROGRAM_ADMIN)
def enrollment_transfer(request: MemberRequest, enrollment_id: int) -> HttpResponse:
    return _enrollment_action(
        request,
        enrollment_id,
        "placement_form",
        _placement_form(request),
        lambda e, data: services.enrollment_transfer(actor=request.user, enrollment=e, to_cohort=data["cohort"]),
        _("The clinician moved to the new cohort."),
    )


@require_POST
@role_required(PROGRAM_ADMIN, Role.ORG_ADMIN)
def enrollment_withdraw(request: MemberRequest, enrollment_id: int) -> HttpResponse:
    return _enrollment_action(
        request,
        enrollment_id,
        "withdrawal_form",
        lambda m, e: WithdrawalForm(request.POST),
        lambda e, data: services.enrollment_withdraw(actor=request.user, enrollment=e, reason=data["reason"]),
        _("The withdrawal was recorded."),
    )


@require_POST
@role_required(PROGRAM_ADMIN)
def milestone_record(request: MemberRequest, enrollment_id: int) -> HttpResponse:
    return _enrollment_action(
        request,
        enrollment_id,
        "milestone_form",
        lambda m, e: MilestoneForm(request.POST),
        lambda e, data: services.milestone_record(actor=request.user, enrollment=e, **data),
        _("The milestone was recorded."),
    )


@require_GET
@role_required(Role.CLINICIAN)
def my_path(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    enrollments = list(selectors.enrollments_visible_to(membership).select_related("program"))
    if not enrollments:
        return TemplateResponse(request, "training/my_path.html", {"path": None})
    enrollment = enrollments[-1]
    return TemplateResponse(request, "training/my_path.html", _enrollment_context(membership, enrollment))


@require_GET
@role_required(PROGRAM_ADMIN)
def workforce(request: MemberRequest) -> HttpResponse:
    """The program admin's view: the funnel against the target, by cohort and state, and who needs placing."""
    membership = request.membership
    program = _program(request)
    context = dashboard.workforce_summary(membership=membership, program=program)
    return TemplateResponse(request, "training/workforce.html", context)


@require_GET
@role_required(PROGRAM_ADMIN)
def enrollment_list(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    program = _program(request)
    placement = request.GET.get("placement", Placement.NOMINATED)
    if placement not in Placement.values:
        placement = Placement.NOMINATED
    enrollments = (
        selectors.enrollments_visible_to(membership)
        .filter(program=program, placement=placement)
        .order_by("nominated_at")[:500]
    )
    context = {"enrollments": enrollments, "placement": placement, "placements": Placement.choices}
    return TemplateResponse(request, "training/enrollment_list.html", context)


@require_GET
@role_required(PROGRAM_ADMIN)
def capacity_plan(request: MemberRequest) -> HttpResponse:
    context = dashboard.capacity_plan(membership=request.membership, program=_program(request))
    return TemplateResponse(request, "training/capacity.html", context)


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def import_upload(request: MemberRequest) -> HttpResponse:
    """Upload, then a dry run: every row's outcome, nothing written. The file is read in memory only, and a
    confirmation is offered only when no row is in error."""
    membership = request.membership
    program = _program(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = tabular.read_table(upload)
        except tabular.TableError as error:
            form.add_error("file", str(error))
        else:
            kind = form.cleaned_data["kind"]
            rows = imports.rows_of(table, kind)
            del table  # only the kind's columns are planned and carried: let the rest go before planning
            plan = imports.plan(membership=membership, program=program, kind=kind, rows=rows, actor=request.user)
            payload = None
            if not plan.has_errors:
                payload = staging.stage(
                    purpose="training",
                    user_id=request.user.pk,
                    scope=program.pk,
                    kind=kind,
                    name=upload.name,
                    rows=rows,
                )
            context = {"plan": plan, "payload": payload, "file_name": upload.name, "rows": len(rows)}
            return TemplateResponse(request, "training/import_review.html", context)
    return TemplateResponse(request, "training/import_upload.html", {"form": form})


@require_POST
@role_required(PROGRAM_ADMIN)
def import_confirm(request: MemberRequest) -> HttpResponse:
    """Apply what the dry run showed, all of it in one transaction, or nothing if any row fails now."""
    membership = request.membership
    program = _program(request)
    try:
        data = staging.unstage(
            request.POST.get("payload", ""), purpose="training", user_id=request.user.pk, scope=program.pk
        )
    except staging.Expired:
        messages.error(request, _("This import expired or was altered. Upload the file again."))
        return redirect("training:import")
    plan = imports.apply(
        actor=request.user,
        membership=membership,
        program=program,
        kind=data["kind"],
        rows=data["rows"],
        file_name=data["name"],
    )
    if plan.has_errors:
        context = {"plan": plan, "payload": None, "file_name": data["name"], "rows": len(data["rows"])}
        return TemplateResponse(request, "training/import_review.html", context, status=400)
    messages.success(
        request,
        _("Imported %(name)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
        % {
            "name": data["name"],
            "created": plan.count(imports.CREATE),
            "updated": plan.count(imports.UPDATE),
            "unchanged": plan.count(imports.UNCHANGED),
        },
    )
    return redirect("training:workforce")
