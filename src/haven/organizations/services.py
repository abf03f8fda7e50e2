"""Every write to organizations, memberships and invitations, each one audited and in one transaction."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.emails import normalize_email
from haven.audit import services as audit

from .models import Invitation, Membership, Organization
from .roles import OrganizationKind, Role, role_allowed_in

INVITATION_LIFETIME = timedelta(days=14)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_role_fits(*, organization: Organization, role: str) -> None:
    if not role_allowed_in(role, organization.kind):
        raise ValidationError(
            {"role": _("A %(kind)s cannot have this role.") % {"kind": organization.get_kind_display()}}
        )


@transaction.atomic
def organization_create(
    *, actor: Any, name: str, kind: str, parent: Organization | None, state: str = ""
) -> Organization:
    """Add an organization to the tree. CACs sit under a state chapter; chapters under the national office."""
    expected_parent = {
        OrganizationKind.CAC: OrganizationKind.STATE_CHAPTER,
        OrganizationKind.STATE_CHAPTER: OrganizationKind.NATIONAL_OFFICE,
    }.get(OrganizationKind(kind))
    if expected_parent and (parent is None or parent.kind != expected_parent):
        raise ValidationError(
            {
                "parent": _("This kind of organization must sit under a %(kind)s.")
                % {"kind": OrganizationKind(expected_parent).label}
            }
        )
    if kind == OrganizationKind.CAC and parent is not None and parent.state and state and state != parent.state:
        raise ValidationError({"state": _("A CAC is in the same state as its chapter.")})
    if kind == OrganizationKind.CAC and parent is not None and not state:
        state = parent.state
    organization = Organization(name=name, kind=kind, parent=parent, state=state)
    organization.full_clean()
    organization.save()
    audit.record(actor=actor, action="organization.create", organization=organization, target=organization)
    return organization


@transaction.atomic
def invitation_create(*, actor: Any, organization: Organization, email: str, role: str) -> tuple[Invitation, str]:
    """Invite someone by e-mail. Returns the invitation and its token, which exists nowhere else afterwards."""
    check_role_fits(organization=organization, role=role)
    email = normalize_email(email)
    if email == normalize_email(actor.email):
        raise ValidationError({"email": _("You cannot invite yourself; ask another admin.")})
    if Membership.objects.in_org(organization).filter(user__email=email, role=role, is_active=True).exists():
        raise ValidationError({"email": _("This person already has this role here.")})
    # A new invitation replaces an open one for the same person and role.
    open_ones = Invitation.objects.in_org(organization).filter(
        email=email, role=role, accepted_at__isnull=True, revoked_at__isnull=True
    )
    for stale in open_ones:
        invitation_revoke(actor=actor, invitation=stale)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit.record(
        actor=actor,
        action="invitation.create",
        organization=organization,
        target=invitation,
        detail={"role": role},
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    if not invitation.is_open:
        raise ValidationError(_("This invitation is no longer open."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="invitation.revoke", organization=invitation.organization_id, target=invitation)
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    """The open, unexpired invitation a token belongs to. The token itself is the scope."""
    try:
        invitation = (
            Invitation.objects.dangerously_unscoped()
            .select_related("organization")
            .get(token_hash=invitation_token_hash(token))
        )
    except Invitation.DoesNotExist:
        return None
    if not invitation.is_open or invitation.expires_at <= timezone.now():
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: Any) -> Membership:
    """Turn an invitation into a membership of the invited user (re-activating an old one)."""
    invitation = Invitation.objects.in_org(invitation.organization_id).select_for_update().get(pk=invitation.pk)
    if not invitation.is_open or invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired or was withdrawn."))
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise ValidationError(_("This invitation was sent to another e-mail address."))
    membership, _created = Membership.objects.update_or_create(
        organization=invitation.organization,
        user=user,
        role=invitation.role,
        defaults={"is_active": True, "deactivated_at": None},
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record(
        actor=user,
        action="membership.create",
        organization=invitation.organization,
        target=membership,
        detail={"role": membership.role, "invitation": invitation.pk},
    )
    return membership


@transaction.atomic
def membership_deactivate(*, actor: Any, membership: Membership) -> Membership:
    if not membership.is_active:
        raise ValidationError(_("This membership is already inactive."))
    if membership.user_id == actor.pk and membership.role in (Role.ORG_ADMIN, Role.PROGRAM_ADMIN):
        raise ValidationError(_("You cannot remove your own admin role."))
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    audit.record(
        actor=actor,
        action="membership.deactivate",
        organization=membership.organization_id,
        target=membership,
        detail={"role": membership.role, "user": membership.user_id},
    )
    return membership


@transaction.atomic
def membership_reactivate(*, actor: Any, membership: Membership) -> Membership:
    if membership.is_active:
        raise ValidationError(_("This membership is already active."))
    check_role_fits(organization=membership.organization, role=membership.role)
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    audit.record(
        actor=actor,
        action="membership.reactivate",
        organization=membership.organization_id,
        target=membership,
        detail={"role": membership.role, "user": membership.user_id},
    )
    return membership


@transaction.atomic
def membership_grant(*, actor: Any, organization: Organization, user: Any, role: str) -> Membership:
    """Give an existing user a role directly (the generator and program admins' own set-up use this)."""
    check_role_fits(organization=organization, role=role)
    membership, _created = Membership.objects.update_or_create(
        organization=organization, user=user, role=role, defaults={"is_active": True, "deactivated_at": None}
    )
    audit.record(
        actor=actor,
        action="membership.create",
        organization=organization,
        target=membership,
        detail={"role": role, "user": user.pk},
    )
    return membership


def invitation_send(*, invitation: Invitation, link: str) -> None:
    """E-mail the invitation link. The token is in the link only; it is never stored or logged."""
    from django.core.mail import send_mail

    subject = _("You are invited to Haven")
    body = _("You are invited to join %(org)s on Haven as %(role)s.\n\nAccept within 14 days: %(link)s\n") % {
        "org": invitation.organization.name,
        "role": invitation.get_role_display(),
        "link": link,
    }
    send_mail(subject, body, None, [invitation.email])
