from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.services import user_deactivate
from haven.core import confirm
from haven.core.permissions import role_required

from . import selectors, services
from .forms import InvitationForm, OrganizationForm
from .models import Membership, MembershipGrant, Organization
from .requests import MemberRequest
from .roles import Role

ADMINS = (Role.PROGRAM_ADMIN, Role.ORG_ADMIN)


@require_GET
@role_required(*ADMINS)
def organization_list(request: MemberRequest) -> HttpResponse:
    tree = selectors.organization_tree(request.membership)
    return TemplateResponse(request, "organizations/list.html", {"tree": tree})


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def organization_create(request: MemberRequest) -> HttpResponse:
    parents = selectors.organizations_visible_to(request.membership)
    form = OrganizationForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                parent=form.cleaned_data["parent"],
                state=form.cleaned_data["state"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": organization.name})
            return redirect("organizations:detail", organization_id=organization.pk)
    return TemplateResponse(request, "organizations/create.html", {"form": form})


def _add_errors(form: OrganizationForm | InvitationForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _detail_context(request: MemberRequest, organization: Organization, form: InvitationForm) -> dict[str, object]:
    return {
        "organization": organization,
        "members": selectors.members_of(organization),
        "grants_to_decide": selectors.grants_waiting_for(request.membership, organization),
        "invitations": selectors.open_invitations_of(organization),
        "form": form,
    }


@require_GET
@role_required(*ADMINS)
def organization_detail(request: MemberRequest, organization_id: int) -> HttpResponse:
    membership = request.membership
    organization = selectors.access_organization(membership=membership, organization_id=organization_id)
    form = InvitationForm(organization=organization, inviter_role=membership.role)
    return TemplateResponse(request, "organizations/detail.html", _detail_context(request, organization, form))


@require_POST
@role_required(*ADMINS)
def invitation_create(request: MemberRequest, organization_id: int) -> HttpResponse:
    membership = request.membership
    organization = selectors.access_organization(membership=membership, organization_id=organization_id)
    form = InvitationForm(request.POST, organization=organization, inviter_role=membership.role)
    if form.is_valid():
        try:
            invitation, token = services.invitation_create(
                actor=request.user,
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            link = request.build_absolute_uri(reverse("accounts:invitation_accept", args=[token]))
            services.invitation_send(invitation=invitation, link=link)
            if settings.HAVEN_DEMO:
                # The demo sends no real mail, so the admin sees the link; a deployment never shows the token.
                messages.success(
                    request,
                    _("Invitation sent to %(email)s. The link, valid 14 days: %(link)s")
                    % {"email": invitation.email, "link": link},
                )
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("organizations:detail", organization_id=organization.pk)
    context = _detail_context(request, organization, form)
    return TemplateResponse(request, "organizations/detail.html", context, status=400)


@require_http_methods(["GET", "POST"])
@role_required(*ADMINS)
def invitation_revoke(request: MemberRequest, organization_id: int, invitation_id: int) -> HttpResponse:
    organization = selectors.access_organization(membership=request.membership, organization_id=organization_id)
    invitation = selectors.access_invitation(organization=organization, invitation_id=invitation_id)
    back = reverse("organizations:detail", args=[organization.pk])
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Withdraw the invitation to %(email)s?") % {"email": invitation.email},
            consequence=_("The link sent to %(email)s will no longer work; invite them again to undo this.")
            % {"email": invitation.email},
            button=_("Withdraw the invitation"),
            back=back,
        )
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The invitation was withdrawn."))
    return redirect(back)


@dataclass(frozen=True)
class _Question:
    """What a member action asks before it acts, with ``%(name)s`` and ``%(role)s`` for the member."""

    title: str
    consequence: str
    button: str


def _member_action(
    request: MemberRequest,
    organization_id: int,
    membership_id: int,
    act: Callable[[Membership], object],
    done: str,
    question: _Question | None = None,
    own_question: _Question | None = None,
) -> HttpResponse:
    """Apply one service to a member of an organization the admin manages, once confirmed when it takes something
    away (``question``, or ``own_question`` for one's own role), then go back to its page, or home when one has
    removed the role one was acting in."""
    membership = request.membership
    organization = selectors.access_organization(membership=membership, organization_id=organization_id)
    target = selectors.access_membership(organization=organization, membership_id=membership_id)
    if target.role == Role.PROGRAM_ADMIN and membership.role != Role.PROGRAM_ADMIN:
        raise Http404  # only a program admin manages program admins
    back = reverse("organizations:detail", args=[organization.pk])
    names = {"name": target.user.full_name, "role": target.get_role_display(), "org": organization.name}
    if target.user_id == request.user.pk and own_question is not None:
        question = own_question
    if question is not None and not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=question.title % names,
            consequence=question.consequence % names,
            button=question.button % names,
            back=back,
        )
    try:
        act(target)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(back)
    messages.success(request, done % names)
    if target.pk == membership.pk:
        return redirect("/")  # the role this page was opened in is gone
    return redirect(back)


@require_http_methods(["GET", "POST"])
@role_required(*ADMINS)
def membership_deactivate(request: MemberRequest, organization_id: int, membership_id: int) -> HttpResponse:
    return _member_action(
        request,
        organization_id,
        membership_id,
        lambda target: services.membership_deactivate(actor=request.user, membership=target),
        _("%(name)s no longer has this role here."),
        question=_Question(
            _("Remove the role of %(role)s from %(name)s?"),
            _("%(name)s will no longer have the role of %(role)s at %(org)s. You can give it back later."),
            _("Remove the role"),
        ),
        own_question=_Question(
            _("Remove your own role of %(role)s at %(org)s?"),
            _("You will no longer have the role of %(role)s at %(org)s. Another admin can give it back."),
            _("Remove my role"),
        ),
    )


@require_POST
@role_required(*ADMINS)
def membership_reactivate(request: MemberRequest, organization_id: int, membership_id: int) -> HttpResponse:
    return _member_action(
        request,
        organization_id,
        membership_id,
        lambda target: services.membership_reactivate(actor=request.user, membership=target),
        _("%(name)s has this role again."),
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def account_deactivate(request: MemberRequest, organization_id: int, membership_id: int) -> HttpResponse:
    """A program admin closes a person's account everywhere: they can no longer sign in."""
    return _member_action(
        request,
        organization_id,
        membership_id,
        lambda target: user_deactivate(actor=request.user, user=target.user),
        _("%(name)s can no longer sign in."),
        question=_Question(
            _("Close the account of %(name)s?"),
            _("%(name)s will no longer be able to sign in, in any organization, and their open sessions end."),
            _("Close the account"),
        ),
    )


def _grant_decision(
    request: MemberRequest,
    organization_id: int,
    grant_id: int,
    decide: Callable[[MembershipGrant], object],
    done: str,
) -> HttpResponse:
    """Approve or decline a pending grant; 404 for anyone the rule does not let decide it (decision 0011)."""
    membership = request.membership
    organization = selectors.access_organization(membership=membership, organization_id=organization_id)
    grant = selectors.access_grant_to_decide(membership=membership, organization=organization, grant_id=grant_id)
    try:
        decide(grant)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done % {"name": grant.user.full_name, "role": grant.membership.get_role_display()})
    return redirect("organizations:detail", organization_id=organization.pk)


@require_POST
@role_required(*ADMINS)
def grant_approve(request: MemberRequest, organization_id: int, grant_id: int) -> HttpResponse:
    return _grant_decision(
        request,
        organization_id,
        grant_id,
        lambda grant: services.membership_grant_approve(actor=request.user, grant=grant),
        _("%(name)s now has the role %(role)s here."),
    )


@require_POST
@role_required(*ADMINS)
def grant_decline(request: MemberRequest, organization_id: int, grant_id: int) -> HttpResponse:
    return _grant_decision(
        request,
        organization_id,
        grant_id,
        lambda grant: services.membership_grant_decline(actor=request.user, grant=grant),
        _("%(name)s was not given the role %(role)s here."),
    )
