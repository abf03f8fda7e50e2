"""Pages of tranches and payments, for the program admins of the program (404 for anyone else): a grant's section
(``grants/_tranches_payments.html``, on the grant page and on its own page), and the queue of payments awaiting
approval or payment across a program, where four eyes are shown. Views read through selectors and write through
services; a refusal re-renders the page with its reason (400)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm
from haven.core.money import Money, format_money
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.reporting.selectors import program_shown

from . import selectors, services
from .forms_payments import PayForm, PaymentForm, TrancheForm
from .models import Grant, Payment

QUEUE = "queue"  # the ``back`` of a button on the payments queue: return there
PAYMENTS_PER_PAGE = 25  # the queue shows its payments a page at a time, oldest first


def section_context(
    request: MemberRequest,
    grant: Grant,
    *,
    tranche_form: TrancheForm | None = None,
    payment_form: PaymentForm | None = None,
    error: str = "",
) -> dict[str, Any]:
    """The context of ``grants/_tranches_payments.html`` for a grant: the grant page includes it too."""
    return {
        "grant": grant,
        "section": selectors.tranches_payments(grant, request.user),
        "tranche_form": tranche_form or TrancheForm(prefix="tranche"),
        "payment_form": payment_form or PaymentForm(prefix="payment"),
        "today": timezone.now().date(),
        "action_error": error,
    }


def _grant_page(request: MemberRequest, grant: Grant, *, status: int = 200, **forms: Any) -> TemplateResponse:
    return TemplateResponse(
        request, "grants/grant_payments.html", section_context(request, grant, **forms), status=status
    )


def _back(request: MemberRequest, grant: Grant) -> HttpResponse:
    if request.POST.get("back") == QUEUE:
        return redirect(f"{reverse('grants:payments')}?program={grant.fund.program_id}")
    return redirect("grants:grant", grant_id=grant.pk)


def _refused(request: MemberRequest, grant: Grant, error: ValidationError) -> HttpResponse:
    reason = " ".join(error.messages)
    if request.POST.get("back") == QUEUE:
        return _queue_page(request, str(grant.fund.program_id), error=reason, status=400)
    return _grant_page(request, grant, status=400, error=reason)


def _money(grant: Grant, amount: Any) -> Money:
    return Money.of(amount, grant.currency)


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def grant_payments(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.grant_for_payments(membership=request.membership, grant_id=grant_id)
    return _grant_page(request, grant)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def tranche_add(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.grant_for_payments(membership=request.membership, grant_id=grant_id)
    form = TrancheForm(request.POST, prefix="tranche")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.tranche_save(
                actor=request.user,
                grant=grant,
                tranche=None,
                amount=_money(grant, data["amount"]),
                due_on=data["due_on"],
                metric=data["metric"],
                threshold=data["threshold"] if data["metric"] else None,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Tranche added."))
            return redirect("grants:grant", grant_id=grant.pk)
    return _grant_page(request, grant, status=400, tranche_form=form)


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def tranche_delete(request: MemberRequest, tranche_id: int) -> HttpResponse:
    tranche = selectors.tranche_for_payments(membership=request.membership, tranche_id=tranche_id)
    grant = tranche.grant
    if not confirm.confirmed(request):
        facts = {
            "number": tranche.number,
            "amount": format_money(Money(tranche.amount_minor, grant.currency), language=request.LANGUAGE_CODE),
            "grant": grant.purpose,
        }
        return confirm.ask(
            request,
            title=_("Remove tranche %(number)s?") % facts,
            consequence=_(
                "Tranche %(number)s (%(amount)s) will be removed from the grant “%(grant)s”, and the tranches after "
                "it renumbered. Adding it again brings it back."
            )
            % facts,
            button=_("Remove the tranche"),
            back=reverse("grants:grant_payments", args=[grant.pk]),
        )
    try:
        services.tranche_delete(actor=request.user, tranche=tranche)
    except ValidationError as error:
        return _refused(request, grant, error)
    messages.success(request, _("Tranche removed."))
    return redirect("grants:grant", grant_id=grant.pk)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def tranches_evaluate(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.grant_for_payments(membership=request.membership, grant_id=grant_id)
    met = services.tranches_evaluate(program=grant.fund.program, on=timezone.now().date(), actor=request.user)
    messages.success(request, _("Tranches evaluated: %(count)s condition(s) met.") % {"count": len(met)})
    return redirect("grants:grant", grant_id=grant.pk)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def tranche_release(request: MemberRequest, tranche_id: int) -> HttpResponse:
    tranche = selectors.tranche_for_payments(membership=request.membership, tranche_id=tranche_id)
    try:
        services.tranche_release(actor=request.user, tranche=tranche)
    except ValidationError as error:
        return _refused(request, tranche.grant, error)
    messages.success(request, _("Tranche released: its payment awaits approval."))
    return redirect("grants:grant_payments", grant_id=tranche.grant_id)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def payment_create(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.grant_for_payments(membership=request.membership, grant_id=grant_id)
    form = PaymentForm(request.POST, prefix="payment")
    if form.is_valid():
        try:
            services.payment_create(actor=request.user, grant=grant, amount=_money(grant, form.cleaned_data["amount"]))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Payment proposed: it awaits approval."))
            return redirect("grants:grant", grant_id=grant.pk)
    return _grant_page(request, grant, status=400, payment_form=form)


def _payment(request: MemberRequest, payment_id: int) -> Payment:
    return selectors.payment_for_payments(membership=request.membership, payment_id=payment_id)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def payment_approve(request: MemberRequest, payment_id: int) -> HttpResponse:
    payment = _payment(request, payment_id)
    try:
        services.payment_approve(actor=request.user, payment=payment)
    except ValidationError as error:
        return _refused(request, payment.grant, error)
    messages.success(request, _("Payment approved."))
    return _back(request, payment.grant)


@require_POST
@role_required(Role.PROGRAM_ADMIN)
def payment_pay(request: MemberRequest, payment_id: int) -> HttpResponse:
    payment = _payment(request, payment_id)
    form = PayForm(request.POST)
    if not form.is_valid():
        return _refused(request, payment.grant, ValidationError(_("Give the day the payment was made.")))
    try:
        services.payment_pay(actor=request.user, payment=payment, on=form.cleaned_data["paid_on"])
    except ValidationError as error:
        return _refused(request, payment.grant, error)
    messages.success(request, _("Payment recorded as paid."))
    return _back(request, payment.grant)


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def payment_cancel(request: MemberRequest, payment_id: int) -> HttpResponse:
    payment = _payment(request, payment_id)
    grant = payment.grant
    if not confirm.confirmed(request):
        facts = {
            "amount": format_money(Money(payment.amount_minor, grant.currency), language=request.LANGUAGE_CODE),
            "grant": grant.purpose,
        }
        return confirm.ask(
            request,
            title=_("Cancel the payment of %(amount)s?") % facts,
            consequence=_(
                "The payment of %(amount)s on the grant “%(grant)s” will be cancelled and will not be paid. A "
                "tranche's payment can be released again."
            )
            % facts,
            button=_("Cancel the payment"),
            back=reverse("grants:grant_payments", args=[grant.pk]),
        )
    try:
        services.payment_cancel(actor=request.user, payment=payment)
    except ValidationError as error:
        return _refused(request, grant, error)
    messages.success(request, _("Payment cancelled."))
    return redirect("grants:grant", grant_id=grant.pk)


def _queue_page(request: MemberRequest, wanted: str, *, error: str = "", status: int = 200) -> TemplateResponse:
    program = program_shown(request.membership, wanted)
    page, lines = selectors.payments_waiting(
        program, request.user, page=request.GET.get("page"), per_page=PAYMENTS_PER_PAGE
    )
    context = {
        "program": program,
        "lines": lines,
        "page": page,
        "today": timezone.now().date(),
        "action_error": error,
        "queue": QUEUE,
    }
    return TemplateResponse(request, "grants/payments.html", context, status=status)


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def payments(request: MemberRequest) -> HttpResponse:
    return _queue_page(request, request.GET.get("program", ""))
