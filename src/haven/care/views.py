from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm, staging, tabular, tabular_dates
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.measures import change, instruments, labels
from haven.organizations.models import Membership
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.training.selectors import program_for

from . import imports, selectors, services
from .forms import (
    AcknowledgeForm,
    AssessmentForm,
    CloseForm,
    EpisodeForm,
    HandoverForm,
    ImportForm,
    IntakeForm,
    SessionForm,
)
from .models import EpisodeStatus, ImportMapping

CARE = selectors.CARE_ROLES


def _membership(request: MemberRequest) -> Membership:
    """The membership, if it sees children: a CAC's admin or clinician (a chapter's org admin gets 404)."""
    if not selectors.sees_children(request.membership):
        raise Http404
    return request.membership


def _htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _clinician_choice(membership: Membership) -> dict[str, Any]:
    fixed = membership.role == Role.CLINICIAN
    return {
        "clinicians": selectors.clinicians_of(membership.organization_id),
        "treatment_models": selectors.treatment_models(),
        "clinician_fixed": fixed,
    }


@require_GET
@role_required(*CARE)
def caseload(request: MemberRequest) -> HttpResponse:
    membership = _membership(request)
    status = request.GET.get("status", EpisodeStatus.OPEN)
    if status not in EpisodeStatus.values:
        status = EpisodeStatus.OPEN
    clinician_id = None
    clinicians = None
    if membership.role == Role.ORG_ADMIN:
        clinicians = selectors.clinicians_of(membership.organization_id)
        try:
            clinician_id = int(request.GET["clinician"]) if request.GET.get("clinician") else None
        except ValueError:
            clinician_id = None
    rows = selectors.caseload(membership, status=status, clinician_id=clinician_id)
    context = {
        "rows": rows,
        "status": status,
        "statuses": EpisodeStatus.choices,
        "clinicians": clinicians,
        "clinician_id": clinician_id,
    }
    return TemplateResponse(request, "care/caseload.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def intake(request: MemberRequest) -> HttpResponse:
    membership = _membership(request)
    program = program_for(membership)
    if program is None:
        raise Http404
    form = IntakeForm(request.POST or None, **_clinician_choice(membership))
    duplicate = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            episode = services.child_register(
                actor=request.user,
                cac=membership.organization,
                program=program,
                case_number=data["case_number"],
                clinician=data.get("clinician") or request.user,
                treatment_model=data["treatment_model"],
                age_at_referral=data["age_at_referral"],
                gender=data["gender"],
                race_ethnicity=data["race_ethnicity"],
                trauma_types=data["trauma_types"],
                referred_on=data["referred_on"],
            )
        except services.DuplicateChild as error:
            # Only someone who already sees the child gets a link to them.
            duplicate = error.child if selectors.episodes_for(membership).filter(child=error.child).exists() else None
            form.add_error(
                "case_number",
                error.messages[0]
                if duplicate
                else _("This case number is already registered at your CAC. Ask your clinical supervisor."),
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Child %(code)s registered.") % {"code": episode.child.display_code})
            return redirect("care:episode", episode_id=episode.pk)
    return TemplateResponse(request, "care/intake.html", {"form": form, "duplicate": duplicate})


@require_GET
@role_required(*CARE)
def child_detail(request: MemberRequest, child_id: int) -> HttpResponse:
    membership = _membership(request)
    child = selectors.access_child(membership=membership, child_id=child_id)
    episodes, trajectories = selectors.child_page(membership, child)
    context = {
        "child": child,
        "episodes": episodes,
        "trajectories": trajectories,
        "min_scores": change.MIN_SCORES_FOR_SD,
    }
    return TemplateResponse(request, "care/child.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def episode_create(request: MemberRequest, child_id: int) -> HttpResponse:
    membership = _membership(request)
    child = selectors.access_child(membership=membership, child_id=child_id)
    program = program_for(membership)
    if program is None:
        raise Http404
    form = EpisodeForm(request.POST or None, **_clinician_choice(membership))
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.episode_open(
                actor=request.user,
                child=child,
                program=program,
                clinician=form.cleaned_data.get("clinician") or request.user,
                treatment_model=form.cleaned_data["treatment_model"],
                referred_on=form.cleaned_data["referred_on"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("care:episode", episode_id=episode.pk)
    return TemplateResponse(request, "care/episode_create.html", {"form": form, "child": child})


def _episode_context(request: MemberRequest, episode: Any, session_form: SessionForm | None = None) -> dict[str, Any]:
    page = selectors.episode_page(episode)
    return {
        "episode": episode,
        "page": page,
        "measure": selectors.next_measure(episode, timezone.now().date()),
        "session_form": session_form or SessionForm(uses_practice=episode.treatment_model.uses_practice),
        "instruments": selectors.instruments_for(episode.child),
        "is_open": episode.status == EpisodeStatus.OPEN,
    }


@require_GET
@role_required(*CARE)
def episode_detail(request: MemberRequest, episode_id: int) -> HttpResponse:
    """The session page: the quick session form, then the episode's sessions, measures and alerts."""
    episode = selectors.access_episode(membership=_membership(request), episode_id=episode_id)
    return TemplateResponse(request, "care/episode.html", _episode_context(request, episode))


@require_POST
@role_required(*CARE)
def session_create(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = selectors.access_episode(membership=_membership(request), episode_id=episode_id)
    form = SessionForm(request.POST, uses_practice=episode.treatment_model.uses_practice)
    if form.is_valid():
        try:
            services.session_record(actor=request.user, episode=episode, **_session_fields(form.cleaned_data))
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if _htmx(request):
                episode.refresh_from_db()
                fresh = SessionForm(
                    uses_practice=episode.treatment_model.uses_practice,
                    initial={**form.cleaned_data, "components": []},
                )
                return TemplateResponse(
                    request, "care/episode.html#sessions", _episode_context(request, episode, fresh)
                )
            messages.success(request, _("Session saved."))
            return redirect("care:episode", episode_id=episode.pk)
    template = "care/episode.html#sessions" if _htmx(request) else "care/episode.html"
    return TemplateResponse(request, template, _episode_context(request, episode, form), status=422)


def _session_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "held_on": data["held_on"],
        "minutes": data["minutes"],
        "kind": data["kind"],
        "components": data.get("components", []),
        "caregiver_present": data["caregiver_present"],
        "modality": data["modality"],
    }


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def session_delete(request: MemberRequest, episode_id: int, session_id: int) -> HttpResponse:
    asking = not confirm.confirmed(request)
    # The question shows the child's code and the session: a read of the record, audited like the page.
    episode = selectors.access_episode(membership=_membership(request), episode_id=episode_id, audit_read=asking)
    session = selectors.access_session(episode=episode, session_id=session_id)
    if asking:
        facts = {
            "code": episode.child.display_code,
            "date": date_format(session.held_on, "SHORT_DATE_FORMAT"),
            "kind": session.get_kind_display(),
        }
        return confirm.ask(
            request,
            title=_("Delete the session of %(date)s?") % facts,
            consequence=_(
                "The %(kind)s session of %(date)s will be deleted from the episode of %(code)s, with what it "
                "recorded. This cannot be undone: only entering it again brings it back."
            )
            % facts,
            button=_("Delete the session"),
            back=reverse("care:episode", args=[episode.pk]),
        )
    services.session_delete(actor=request.user, session=session)
    messages.success(request, _("Session deleted."))
    return redirect("care:episode", episode_id=episode.pk)


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def assessment_create(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = selectors.access_episode(membership=_membership(request), episode_id=episode_id)
    code = request.POST.get("instrument") or request.GET.get("instrument", "")
    if not code:
        context = {"episode": episode, "instruments": selectors.instruments_for(episode.child)}
        return TemplateResponse(request, "care/assessment_choose.html", context)
    try:
        instrument = instruments.load(code)
    except instruments.UnknownInstrument:
        raise Http404 from None
    form = AssessmentForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_record(
                actor=request.user,
                episode=episode,
                instrument_code=instrument.code,
                timepoint=form.cleaned_data["timepoint"],
                administered_on=form.cleaned_data["administered_on"],
                responses=form.responses(),
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("care:assessment", assessment_id=assessment.pk)
    return TemplateResponse(
        request, "care/assessment_form.html", {"episode": episode, "instrument": instrument, "form": form}
    )


@require_GET
@role_required(*CARE)
def assessment_detail(request: MemberRequest, assessment_id: int) -> HttpResponse:
    assessment = selectors.access_assessment(membership=_membership(request), assessment_id=assessment_id)
    instrument = instruments.load(assessment.instrument)
    answers = [(item, assessment.responses.get(item.key)) for item in instrument.items]
    return TemplateResponse(
        request,
        "care/assessment.html",
        {"assessment": assessment, "instrument": instrument, "answers": answers, "score": assessment.score},
    )


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def assessment_delete(request: MemberRequest, assessment_id: int) -> HttpResponse:
    assessment = selectors.access_assessment(membership=_membership(request), assessment_id=assessment_id)
    if not confirm.confirmed(request):
        facts = {
            "code": assessment.episode.child.display_code,
            "date": date_format(assessment.administered_on, "SHORT_DATE_FORMAT"),
            "measure": labels.INSTRUMENT_LABELS.get(assessment.instrument, assessment.instrument),
        }
        return confirm.ask(
            request,
            title=_("Delete the %(measure)s of %(date)s?") % facts,
            consequence=_(
                "The %(measure)s of %(date)s will be deleted from the episode of %(code)s, with its answers and "
                "score. This cannot be undone: only entering it again brings it back."
            )
            % facts,
            button=_("Delete the measure"),
            back=reverse("care:assessment", args=[assessment.pk]),
        )
    try:
        services.assessment_delete(actor=request.user, assessment=assessment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("care:assessment", assessment_id=assessment.pk)
    messages.success(request, _("Measure deleted."))
    return redirect("care:episode", episode_id=assessment.episode_id)


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def episode_close(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = selectors.access_episode(membership=_membership(request), episode_id=episode_id)
    form = CloseForm(request.POST or None, initial={"closed_on": episode.last_session_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_close(
                actor=request.user,
                episode=episode,
                status=form.cleaned_data["status"],
                closed_on=form.cleaned_data["closed_on"],
                reason=form.cleaned_data["end_reason"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Episode closed."))
            return redirect("care:episode", episode_id=episode.pk)
    return TemplateResponse(request, "care/episode_close.html", {"episode": episode, "form": form})


@require_POST
@role_required(*CARE)
def episode_reopen(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = selectors.access_episode(membership=_membership(request), episode_id=episode_id, audit_read=False)
    try:
        services.episode_reopen(actor=request.user, episode=episode)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("care:episode", episode_id=episode.pk)


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def episode_handover(request: MemberRequest, episode_id: int) -> HttpResponse:
    membership = _membership(request)
    episode = selectors.access_episode(membership=membership, episode_id=episode_id)
    clinicians = selectors.clinicians_of(membership.organization_id).exclude(pk=episode.clinician_id)
    form = HandoverForm(request.POST or None, clinicians=clinicians)
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_handover(actor=request.user, episode=episode, to_clinician=form.cleaned_data["clinician"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Episode handed over."))
            if membership.role == Role.CLINICIAN:
                return redirect("care:caseload")
            return redirect("care:episode", episode_id=episode.pk)
    return TemplateResponse(request, "care/episode_handover.html", {"episode": episode, "form": form})


@require_GET
@role_required(*CARE)
def alert_list(request: MemberRequest) -> HttpResponse:
    membership = _membership(request)
    alerts = list(selectors.open_alerts(membership))
    selectors.audit_list(
        membership, episodes=[a.episode_id for a in alerts], children=[a.episode.child_id for a in alerts]
    )
    return TemplateResponse(request, "care/alerts.html", {"alerts": alerts})


@require_http_methods(["GET", "POST"])
@role_required(*CARE)
def alert_acknowledge(request: MemberRequest, alert_id: int) -> HttpResponse:
    alert = selectors.access_alert(membership=_membership(request), alert_id=alert_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_acknowledge(actor=request.user, alert=alert, follow_up=form.cleaned_data["follow_up"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Alert acknowledged and follow-up recorded."))
            return redirect("care:episode", episode_id=alert.episode_id)
    return TemplateResponse(request, "care/alert.html", {"alert": alert, "form": form})


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def import_upload(request: MemberRequest) -> HttpResponse:
    """Upload a CAC system's export, map its columns, and see a dry run. The file is read in memory only.

    "Check again" keeps the columns and the order of dates the admin chose: with the file chosen again, it is read
    with them; without it, the rows the review page carried (signed, case numbers already keyed) are planned again
    with the order of dates chosen, and a change of columns asks for the file, the selects keeping their choice."""
    membership = _membership(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields["file"].required = "payload" not in request.POST  # checking again may leave the file out
    context: dict[str, Any] = {"form": form, "kind_labels": imports.KIND_LABELS}
    if request.method != "POST" or not form.is_valid():
        return TemplateResponse(request, "care/import_upload.html", context)
    kind = form.cleaned_data["kind"]
    upload = form.cleaned_data["file"]
    saved = ImportMapping.objects.in_org(membership.organization_id).filter(kind=kind).first()
    date_order = request.POST.get("date_order") or (saved.date_order if saved else "")
    posted = {f.name: request.POST.get(f"map_{f.name}", "") for f in imports.FIELDS[kind]}
    chosen = {name: column for name, column in posted.items() if column}
    if upload is None:  # checking again without the file: the rows the review page carried
        earlier = _import_payload(request, membership)
        if earlier is None or earlier["kind"] != kind:
            return redirect("care:import")
        headers, name, prepared = earlier["headers"], earlier["name"], earlier["rows"]
        mapping = chosen
        context.update(_mapping_context(kind, headers, mapping, name, len(prepared)))
        if mapping != earlier["mapping"]:
            form.add_error("file", _("To read other columns, choose the file again: Haven does not keep it."))
            context["payload"] = None
            return TemplateResponse(request, "care/import_review.html", context)
    else:
        try:
            table = tabular.read_table(upload)
        except tabular.TableError as error:
            form.add_error("file", str(error))
            return TemplateResponse(request, "care/import_upload.html", context)
        headers = sorted({column for column in table.header if column})
        mapping = chosen or imports.guess_mapping(kind, headers, saved.columns if saved else None)
        name = upload.name
        context.update(_mapping_context(kind, headers, mapping, name, len(table.rows)))
        if context["mapping_errors"]:
            return TemplateResponse(request, "care/import_review.html", context)
        prepared = imports.prepare(membership.organization_id, kind, table, mapping)
        del table  # only the mapped columns are planned and carried: let the rest go before planning
    plan = imports.plan(membership=membership, kind=kind, rows=prepared, actor=request.user, date_order=date_order)
    # The dry run lists children by their code: one audit event naming them.
    selectors.audit_list(membership, episodes=plan.episode_ids, children=plan.child_ids)
    context.update({"plan": plan, "payload": None, "date_orders": tabular_dates.ORDER_LABELS.items()})
    if not plan.has_errors or plan.ambiguous_lines:  # something to confirm, or to check again with a date order
        context["payload"] = staging.stage(
            purpose="care",
            user_id=request.user.pk,
            scope=membership.organization_id,
            kind=kind,
            name=name,
            rows=prepared,
            mapping=mapping,
            headers=headers,
            date_order=plan.date_order,
        )
    return TemplateResponse(request, "care/import_review.html", context)


def _mapping_context(kind: str, headers: list[str], mapping: dict[str, str], name: str, rows: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "headers": headers,
        "fields": [(f, mapping.get(f.name, "")) for f in imports.FIELDS[kind]],
        "file_name": name,
        "rows": rows,
        "mapping_errors": imports.mapping_errors(kind, mapping, headers),
    }


def _import_payload(request: MemberRequest, membership: Membership) -> dict[str, Any] | None:
    """What a review page carried (``core.staging``), for this user and CAC; None (and a message) once expired or
    altered."""
    try:
        return staging.unstage(
            request.POST.get("payload", ""), purpose="care", user_id=request.user.pk, scope=membership.organization_id
        )
    except staging.Expired:
        messages.error(request, _("This import expired or was altered. Upload the file again."))
        return None


@require_POST
@role_required(Role.ORG_ADMIN)
def import_confirm(request: MemberRequest) -> HttpResponse:
    membership = _membership(request)
    data = _import_payload(request, membership)
    if data is None:
        return redirect("care:import")
    plan = imports.apply(
        actor=request.user,
        membership=membership,
        kind=data["kind"],
        rows=data["rows"],
        mapping=data["mapping"],
        file_name=data["name"],
        date_order=data.get("date_order"),
    )
    if plan.has_errors:
        context = {
            "plan": plan,
            "payload": None,
            "file_name": data["name"],
            "rows": len(data["rows"]),
            "kind": data["kind"],
        }
        return TemplateResponse(request, "care/import_review.html", context, status=400)
    messages.success(
        request,
        _("Imported %(name)s: %(created)d added, %(unchanged)d already in Haven.")
        % {"name": data["name"], "created": plan.count(imports.CREATE), "unchanged": plan.count(imports.UNCHANGED)},
    )
    return redirect("care:caseload")
