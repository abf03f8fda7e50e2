from typing import cast

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.programs.selectors import programs_visible_to

from . import dictionary, selectors, services
from .forms import TABLE_LABELS, DeclineForm, ExportRequestForm
from .models import ExportRequest, ExportStatus


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def export_list(request: MemberRequest) -> HttpResponse:
    """The export requests of the admin's programs: those waiting for them to decide first."""
    exports = list(selectors.exports_for(request.membership))
    waiting = selectors.waiting_for(request.membership, exports)
    return TemplateResponse(request, "evaluation/list.html", {"exports": exports, "waiting": waiting})


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def export_new(request: MemberRequest) -> HttpResponse:
    form = ExportRequestForm(
        request.POST or None, programs=programs_visible_to(request.membership), today=timezone.localdate()
    )
    if request.method == "POST" and form.is_valid():
        export = services.export_request(
            actor=request.user, program=form.cleaned_data["program"], fields=form.fields_out()
        )
        messages.success(request, _("Export requested. Another program admin must approve it before it is built."))
        return redirect("evaluation:detail", export_id=export.pk)
    return TemplateResponse(request, "evaluation/new.html", {"form": form})


# The risk report's headline numbers in words; a number the package adds later shows under its own key.
REPORT_LABELS = {
    "k": gettext_lazy("Smallest group allowed (k)"),
    "records_checked": gettext_lazy("Children checked"),
    "records_released": gettext_lazy("Children released"),
    "records_withheld": gettext_lazy("Children withheld"),
    "classes": gettext_lazy("Groups of children alike"),
    "smallest_class": gettext_lazy("Smallest group left"),
}
WITHHELD_LABELS = {
    "children": gettext_lazy("Children"),
    "episodes": gettext_lazy("Episodes"),
    "sessions": gettext_lazy("Sessions"),
    "measures": gettext_lazy("Measures"),
}


def _report_figures(export: ExportRequest) -> list[tuple[str, object]]:
    """The risk report's headline numbers, in the order of ``REPORT_LABELS`` (the package's report: kanon)."""
    report = export.report or {}
    return [
        (str(label), "—" if report.get(key) is None else report[key])
        for key, label in REPORT_LABELS.items()
        if key in report
    ]


def _report_steps(export: ExportRequest) -> list[tuple[str, int]]:
    """Each generalization the risk check took, in its words, with the children it coarsened."""
    steps = (export.report or {}).get("steps", [])
    return [(str(dictionary.STEP_LABELS.get(s["step"], s["step"])), s["records_generalized"]) for s in steps]


def _report_withheld(export: ExportRequest) -> list[tuple[str, int]]:
    withheld = (export.report or {}).get("rows_withheld", {})
    return [(str(label), withheld[key]) for key, label in WITHHELD_LABELS.items() if key in withheld]


def _detail(request: MemberRequest, export: ExportRequest, **extra: object) -> TemplateResponse:
    return TemplateResponse(
        request,
        "evaluation/detail.html",
        {
            "export": export,
            "statuses": ExportStatus,
            "tables": [TABLE_LABELS.get(table, table) for table in export.tables],
            "is_requester": export.requested_by_id == request.user.pk,
            "may_decide": services.may_decide(export, request.user),
            "available": export.is_available(),
            "decline_form": DeclineForm(),
            "report_figures": _report_figures(export),
            "report_steps": _report_steps(export),
            "report_withheld": _report_withheld(export),
            **extra,
        },
    )


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def export_detail(request: MemberRequest, export_id: int) -> HttpResponse:
    export = selectors.access_export(membership=request.membership, export_id=export_id)
    return _detail(request, export)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def export_approve(request: MemberRequest, export_id: int) -> HttpResponse:
    export = selectors.access_export(membership=request.membership, export_id=export_id)
    try:
        services.export_approve(actor=request.user, export=export)
    except services.ExportRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Export approved: the package is being built."))
    return redirect("evaluation:detail", export_id=export.pk)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def export_decline(request: MemberRequest, export_id: int) -> HttpResponse:
    export = selectors.access_export(membership=request.membership, export_id=export_id)
    form = DeclineForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.export_decline(actor=request.user, export=export, note=note)
    except services.ExportRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Export declined."))
    return redirect("evaluation:detail", export_id=export.pk)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def export_passphrase(request: MemberRequest, export_id: int) -> HttpResponse:
    """The package's passphrase, shown once on this answer (never on a page that can be reloaded to see it again)."""
    export = selectors.access_export(membership=request.membership, export_id=export_id)
    try:
        passphrase = services.passphrase_reveal(actor=request.user, export=export)
    except services.ExportRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("evaluation:detail", export_id=export.pk)
    return _detail(request, export, passphrase=passphrase)


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def export_download(request: MemberRequest, export_id: int) -> HttpResponse:
    export = selectors.access_export(membership=request.membership, export_id=export_id)
    try:
        file = services.export_download(actor=request.user, export=export)
    except services.ExportRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("evaluation:detail", export_id=export.pk)
    response = FileResponse(
        file,
        as_attachment=True,
        filename=f"haven-evaluation-{export.pk}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A streamed response, typed as the HttpResponse the view guards pass through unchanged.
    return cast(HttpResponse, response)
