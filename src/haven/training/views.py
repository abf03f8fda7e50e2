from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm, staging, tabular, tabular_dates
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Membership
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.selectors import organizations_visible_to
from haven.programs.models import Program

from . import dashboard, imports, selectors, services
from .forms import (
    ClosedDayForm,
    CohortForm,
    ImportForm,
    MilestoneForm,
    NominationForm,
    PlacementForm,
    WithdrawalForm,
)
from .models import CohortEvent, CohortTrainer, Enrollment, Placement, Transfer

PROGRAM_ADMIN = Role.PROGRAM_ADMIN
COHORT_ROLES = (Role.PROGRAM_ADMIN, Role.TRAINER)
COHORTS_PER_PAGE = 50
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
    cohorts = (
        selectors.cohort_fill(selectors.cohorts_visible_to(membership))
        .prefetch_related(
            Prefetch("trainer_links", queryset=CohortTrainer.objects.under_scoped_parent().select_related("trainer"))
        )
        .order_by("starts_on", "name", "pk")
    )
    # A national program runs a thousand cohorts: a page at a time, in the order they start.
    page = Paginator(cohorts, COHORTS_PER_PAGE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    at_risk = (
        {row.cohort.pk: row for row in dashboard.cohorts_at_risk(membership)}
        if membership.role == PROGRAM_ADMIN
        else {}
    )
    return TemplateResponse(request, "training/cohort_list.html", {"page": page, "at_risk": at_risk})


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def closed_days(request: MemberRequest) -> HttpResponse:
    """The program's closed days: the federal holidays and the days its admins closed; close another, or open one.
    Cohorts' calendars and calls move off a newly closed day unless they already took attendance."""
    program = _program(request)
    form = ClosedDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moved, kept = services.closed_day_set(
                actor=request.user,
                program=program,
                day=form.cleaned_data["day"],
                closed=form.cleaned_data["closed"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("The calendar changed: %(moved)d cohorts moved to open days, %(kept)d kept their dates.")
                % {"moved": moved, "kept": kept},
            )
            return redirect("training:closed_days")
    closed, opened = selectors.closed_days_listing(program)
    context = {"program": program, "form": form, "closed": closed, "opened": opened}
    return TemplateResponse(request, "training/closed_days.html", context)


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
    """A CAC admin's staff on the path, and the nomination form; a state chapter admin's, the clinicians of the
    chapter's CACs, CAC by CAC (a chapter nominates nobody: its CACs do)."""
    membership = request.membership
    program = _program(request)
    return TemplateResponse(request, "training/staff.html", _staff_context(membership, program))


def _staff_context(membership: Membership, program: Program, form: NominationForm | None = None) -> dict[str, Any]:
    enrollments = selectors.enrollments_visible_to(membership).filter(program=program)
    paths = selectors.paths_for(
        enrollments.order_by("organization__name", "clinician__full_name"), selectors.path_rules(program)
    )
    chapter = membership.organization.kind == OrganizationKind.STATE_CHAPTER
    if form is None and not chapter:
        form = NominationForm(clinicians=selectors.nominable_clinicians(membership, program))
    return {"paths": paths, "form": form, "program": program, "chapter": chapter}


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
    return TemplateResponse(request, "training/staff.html", _staff_context(membership, program, form), status=400)


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


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN, Role.ORG_ADMIN)
def enrollment_withdraw(request: MemberRequest, enrollment_id: int) -> HttpResponse:
    """Withdrawal is final, so it is asked first, with the reason typed on the way kept on the question."""
    enrollment = selectors.access_enrollment(membership=request.membership, enrollment_id=enrollment_id)
    form = WithdrawalForm(request.POST or None)
    if confirm.confirmed(request) and form.is_valid():
        try:
            services.enrollment_withdraw(actor=request.user, enrollment=enrollment, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The withdrawal was recorded."))
            return redirect("training:enrollment", enrollment_id=enrollment.pk)
    names = {"name": enrollment.clinician.full_name, "program": enrollment.program.name}
    return confirm.ask(
        request,
        title=_("Withdraw %(name)s from the program?") % names,
        consequence=_(
            "%(name)s will leave %(program)s for good: their seat in a cohort, if they have one, goes to the first "
            "on its waiting list, and nothing more can be recorded on their path."
        )
        % names,
        button=_("Withdraw"),
        back=reverse("training:enrollment", args=[enrollment.pk]),
        form=form,
        status=400 if form.errors else 200,
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
    enrollment = selectors.current_enrollment(membership)
    if enrollment is None:
        return TemplateResponse(request, "training/my_path.html", {"path": None})
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
    """Upload, then a dry run: every row's outcome, nothing written. The file is read in memory only. "Check again"
    plans the same rows again (carried signed, as the confirmation carries them) with the order of dates chosen."""
    program = _program(request)
    if request.method == "POST" and "payload" in request.POST:
        data = _import_payload(request, program)
        if data is None:
            return redirect("training:import")
        date_order = request.POST.get("date_order", "")
        return _import_review(request, program, data["kind"], data["name"], data["rows"], date_order)
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
            return _import_review(request, program, kind, upload.name, rows, None)
    return TemplateResponse(request, "training/import_upload.html", {"form": form})


def _import_review(
    request: MemberRequest, program: Program, kind: str, name: str, rows: list[dict[str, Any]], date_order: str | None
) -> HttpResponse:
    plan = imports.plan(
        membership=request.membership,
        program=program,
        kind=kind,
        rows=rows,
        actor=request.user,
        date_order=date_order,
    )
    payload = staging.stage(
        purpose="training",
        user_id=request.user.pk,
        scope=program.pk,
        kind=kind,
        name=name,
        rows=rows,
        date_order=plan.date_order,
    )
    context = {
        "plan": plan,
        "payload": payload,
        "file_name": name,
        "rows": len(rows),
        "date_orders": tabular_dates.ORDER_LABELS.items(),
    }
    return TemplateResponse(request, "training/import_review.html", context)


def _import_payload(request: MemberRequest, program: Program) -> dict[str, Any] | None:
    """The rows a review page carried (``core.staging``), for this user and program; None (and a message) once
    expired or altered."""
    try:
        return staging.unstage(
            request.POST.get("payload", ""), purpose="training", user_id=request.user.pk, scope=program.pk
        )
    except staging.Expired:
        messages.error(request, _("This import expired or was altered. Upload the file again."))
        return None


@require_POST
@role_required(PROGRAM_ADMIN)
def import_confirm(request: MemberRequest) -> HttpResponse:
    """Apply what the dry run showed, all of it in one transaction, or nothing if any row fails now."""
    membership = request.membership
    program = _program(request)
    data = _import_payload(request, program)
    if data is None:
        return redirect("training:import")
    plan = imports.apply(
        actor=request.user,
        membership=membership,
        program=program,
        kind=data["kind"],
        rows=data["rows"],
        file_name=data["name"],
        date_order=data.get("date_order"),
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
