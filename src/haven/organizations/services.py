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
from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.db import insert_rows

from .models import GrantPath, GrantStatus, Invitation, Membership, MembershipGrant, Organization
from .roles import ROLES_MANAGING_PEOPLE, OrganizationKind, Role, needs_second_person, role_allowed_in
from .selectors import approvers_of, grants_to_decide

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
    *, actor: User, name: str, kind: str, parent: Organization | None, state: str = ""
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
def invitation_create(*, actor: User, organization: Organization, email: str, role: str) -> tuple[Invitation, str]:
    """Invite someone by e-mail. Returns the invitation and its token, which exists nowhere else afterwards."""
    check_role_fits(organization=organization, role=role)
    email = normalize_email(email)
    if email == normalize_email(actor.email):
        raise ValidationError({"email": _("You cannot invite yourself; ask another admin.")})
    theirs = Membership.objects.in_org(organization).filter(user__email=email, role=role)
    if theirs.filter(is_active=True).exists():
        raise ValidationError({"email": _("This person already has this role here.")})
    if theirs.filter(grants__status=GrantStatus.PENDING).exists():
        raise ValidationError({"email": _("This role is already waiting for a second person's approval.")})
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
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
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
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an invitation into a membership of the invited user (re-using an old one). A role that a second person
    must approve waits for them, with the inviter as its granter."""
    invitation = Invitation.objects.in_org(invitation.organization_id).select_for_update().get(pk=invitation.pk)
    if not invitation.is_open or invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired or was withdrawn."))
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise ValidationError(_("This invitation was sent to another e-mail address."))
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return _membership_give(
        actor=user,
        granted_by=invitation.invited_by,
        organization=invitation.organization,
        user=user,
        role=invitation.role,
        path=GrantPath.INVITATION,
        invitation=invitation,
    )


def check_an_admin_remains(*, membership: Membership) -> None:
    """Refuse to remove the last active admin of an organization, or a national office's last active program admin
    (only program admins manage program admins and approve them): whoever removes them, themselves included, and
    whether their role is removed or their account closed (decision 0019). Call it inside the removing transaction:
    the organization's row is locked, so two admins removing each other at once cannot both pass."""
    if not membership.is_active or membership.role not in ROLES_MANAGING_PEOPLE:
        return
    organization = Organization.objects.select_for_update().get(pk=membership.organization_id)
    others = (
        Membership.objects.in_org(organization)
        .active()
        .filter(user__is_active=True)
        .exclude(user_id=membership.user_id)
    )
    name = {"name": membership.user.full_name, "org": organization.name}
    if not others.filter(role__in=ROLES_MANAGING_PEOPLE).exists():
        raise ValidationError(
            _("%(name)s is the last active admin of %(org)s: make someone else its admin first.") % name
        )
    national = organization.kind == OrganizationKind.NATIONAL_OFFICE
    if national and membership.role == Role.PROGRAM_ADMIN and not others.filter(role=Role.PROGRAM_ADMIN).exists():
        raise ValidationError(
            _("%(name)s is the last active program admin of %(org)s: make someone else a program admin first.") % name
        )


@transaction.atomic
def membership_deactivate(*, actor: User, membership: Membership) -> Membership:
    """Remove a role, one's own included, unless it leaves the organization without an admin."""
    if not membership.is_active:
        raise ValidationError(_("This membership is already inactive."))
    check_an_admin_remains(membership=membership)
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
def membership_reactivate(*, actor: User, membership: Membership) -> Membership:
    """Give a removed role back: at once, or waiting for a second person's approval (decision 0011)."""
    if membership.is_active:
        raise ValidationError(_("This membership is already active."))
    return _membership_give(
        actor=actor,
        granted_by=actor,
        organization=membership.organization,
        user=membership.user,
        role=membership.role,
        path=GrantPath.REACTIVATION,
    )


@transaction.atomic
def membership_grant(*, actor: User, organization: Organization, user: User, role: str) -> Membership:
    """Give an existing user a role directly: at once, or waiting for a second person's approval (decision 0011)."""
    return _membership_give(
        actor=actor, granted_by=actor, organization=organization, user=user, role=role, path=GrantPath.DIRECT
    )


def membership_provision(*, actor: User | None, organization: Organization, user: User, role: str) -> Membership:
    """Give or give back a role the company's own directory decides (staff provisioning, learning pillar): only a
    role that sees no child record, so no second person is asked. ``actor`` is None when the identity provider
    itself provisions. Returns the active membership; one that is active already is left as it is."""
    if needs_second_person(role, organization.kind):
        raise ValidationError(_("This role needs a second person's approval and cannot be provisioned."))
    membership = Membership.objects.in_org(organization).filter(user=user, role=role, is_active=True).first()
    if membership is not None:
        return membership
    return _membership_give(
        actor=actor, granted_by=actor, organization=organization, user=user, role=role, path=GrantPath.DIRECT
    )


def _membership_give(
    *,
    actor: User | None,
    granted_by: Any,
    organization: Organization,
    user: User,
    role: str,
    path: str,
    invitation: Invitation | None = None,
) -> Membership:
    """The one way a person is given a role. A role that sees no child record works at once, as it always did; one
    that a second person must approve (``needs_second_person``) gets a pending grant and stays inactive until that
    person approves it, and everyone who may approve it is told. The row of an earlier membership in the same role
    is re-used (one row per organization, user and role), so its history stays with it."""
    check_role_fits(organization=organization, role=role)
    membership = Membership.objects.in_org(organization).select_for_update().filter(user=user, role=role).first()
    if membership is not None and membership.is_active:
        if path == GrantPath.INVITATION:
            return membership  # an invitation to a role the person has already: nothing to give
        raise ValidationError(_("This person already has this role here."))
    pending = MembershipGrant.objects.in_org(organization).filter(membership=membership, status=GrantStatus.PENDING)
    if membership is not None and pending.exists():
        raise ValidationError(_("This role is already waiting for a second person's approval."))
    detail: dict[str, Any] = {"role": role, "user": user.pk}
    if invitation is not None:
        detail["invitation"] = invitation.pk
    if not needs_second_person(role, organization.kind):
        if membership is None:
            membership = Membership.objects.create(organization=organization, user=user, role=role)
        else:
            membership.is_active, membership.deactivated_at = True, None
            membership.save(update_fields=["is_active", "deactivated_at"])
        if path == GrantPath.REACTIVATION:
            audit.record(
                actor=actor, action="membership.reactivate", organization=organization, target=membership, detail=detail
            )
        else:
            audit.record(
                actor=actor, action="membership.create", organization=organization, target=membership, detail=detail
            )
        return membership
    if membership is None:
        membership = Membership.objects.create(organization=organization, user=user, role=role, is_active=False)
    grant = MembershipGrant.objects.create(
        organization=organization,
        membership=membership,
        user=user,
        path=path,
        invitation=invitation,
        granted_by=granted_by,
        granted_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="membership.grant",
        organization=organization,
        target=membership,
        detail={"role": role, "user": user.pk, "granted_by": granted_by.pk, "path": path, "grant": grant.pk},
    )
    # Told inside the transaction: a grant nobody was told of is not recorded.
    _tell_approvers(grant)
    return membership


def _may_decide(actor: User, grant: MembershipGrant) -> bool:
    memberships = Membership.objects.of_user(actor).active().select_related("organization", "user")
    return actor.is_active and any(grants_to_decide(m).filter(pk=grant.pk).exists() for m in memberships)


def _decide(*, actor: User, grant: MembershipGrant, status: str) -> MembershipGrant:
    grant = (
        MembershipGrant.objects.in_org(grant.organization_id)
        .select_for_update()
        .select_related("membership")
        .get(pk=grant.pk)
    )
    if grant.status != GrantStatus.PENDING:
        raise ValidationError(_("This role was already approved or declined."))
    if not _may_decide(actor, grant):
        raise ValidationError(
            _("You cannot decide this role: a second person who neither gave it nor received it does.")
        )
    grant.status, grant.decided_by, grant.decided_at = status, actor, timezone.now()
    grant.save(update_fields=["status", "decided_by", "decided_at"])
    detail = {
        "role": grant.membership.role,
        "user": grant.user_id,
        "granted_by": grant.granted_by_id,
        "grant": grant.pk,
    }
    if status == GrantStatus.APPROVED:
        audit.record(
            actor=actor,
            action="membership.approve",
            organization=grant.organization_id,
            target=grant.membership,
            detail=detail,
        )
    else:
        audit.record(
            actor=actor,
            action="membership.decline",
            organization=grant.organization_id,
            target=grant.membership,
            detail=detail,
        )
    return grant


@transaction.atomic
def membership_grant_approve(*, actor: User, grant: MembershipGrant) -> Membership:
    """A second person approves a pending grant: the membership works from now on."""
    grant = _decide(actor=actor, grant=grant, status=GrantStatus.APPROVED)
    membership = grant.membership
    membership.is_active, membership.deactivated_at = True, None
    membership.save(update_fields=["is_active", "deactivated_at"])
    return membership


@transaction.atomic
def membership_grant_decline(*, actor: User, grant: MembershipGrant) -> MembershipGrant:
    """A second person declines a pending grant: the membership stays inactive, the grant stays as history."""
    return _decide(actor=actor, grant=grant, status=GrantStatus.DECLINED)


def memberships_seed_by_system(*, rows: list[tuple[int, int, str]]) -> int:
    """Active memberships (user id, organization id, role) made by the system itself, with no grant and no second
    person: only the data generator calls this, inside its own audited transaction (``data.generate``). No page
    reaches it; every person-made grant goes through ``_membership_give``."""
    created = Membership.objects.bulk_create(
        [Membership(user_id=user_id, organization_id=org_id, role=role) for user_id, org_id, role in rows],
        batch_size=2000,
    )
    return len(created)


def _tell_approvers(grant: MembershipGrant) -> None:
    """E-mail the organization's active admins, and whoever else may approve the grant, one message each."""
    from django.core.mail import send_mass_mail

    organization = grant.organization
    membership = grant.membership
    told = {m.user_id: m.user for m in approvers_of(grant)}
    admins = Membership.objects.in_org(organization).active().filter(role=Role.ORG_ADMIN, user__is_active=True)
    told.update({m.user_id: m.user for m in admins.select_related("user")})
    told.pop(grant.user_id, None)
    subject = _("A role at %(org)s is waiting for approval") % {"org": organization.name}
    body = _(
        "%(granter)s gave %(member)s (%(email)s) the role %(role)s at %(org)s.\n\n"
        "It does not work until a second person approves it, never the person who gave it. Sign in to Haven and "
        "open %(org)s under Organizations to approve or decline it. If you did not expect it, decline it.\n"
    ) % {
        "granter": grant.granted_by.full_name,
        "member": grant.user.full_name,
        "email": grant.user.email,
        "role": membership.get_role_display(),
        "org": organization.name,
    }
    send_mass_mail([(subject, body, None, [user.email]) for user in told.values()])


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


BULK_CHUNK = 5000  # user ids in one IN (...) query


@transaction.atomic
def memberships_provision_bulk(
    *, actor: User | None, organization: Organization, role: str, give: list[int], end: list[int]
) -> tuple[int, int]:
    """Give ``role`` to the users ``give`` and end it for the users ``end``, in bulk, as the company's directory
    decides (a staff table import): only a role that sees no child record, as :func:`membership_provision`. The
    row of an earlier membership is re-used. One audit entry with the counts; returns (given, ended)."""
    if needs_second_person(role, organization.kind):
        raise ValidationError(_("This role needs a second person's approval and cannot be provisioned."))
    check_role_fits(organization=organization, role=role)
    rows = Membership.objects.in_org(organization).filter(role=role)
    now = timezone.now()
    given = ended = 0
    # The organization's rows of this role, read once (no list of ids to send): whom to give it again, whom anew.
    held = dict(rows.values_list("user_id", "is_active").iterator(BULK_CHUNK)) if give else {}
    again = [u for u in give if held.get(u) is False]
    for start in range(0, len(again), BULK_CHUNK):
        given += rows.filter(user_id__in=again[start : start + BULK_CHUNK]).update(is_active=True, deactivated_at=None)
    given += insert_rows(  # plain rows: thousands at once from a staff table
        Membership,
        ["organization", "user", "role", "is_active", "created_at"],
        ((organization.pk, u, role, True, now) for u in dict.fromkeys(give) if u not in held),
    )
    for start in range(0, len(end), BULK_CHUNK):
        chunk = end[start : start + BULK_CHUNK]
        ended += rows.filter(user_id__in=chunk, is_active=True).update(is_active=False, deactivated_at=now)
    if given or ended:
        audit.record(
            actor=actor,
            action="membership.provision_bulk",
            organization=organization,
            detail={"role": role, "given": given, "ended": ended},
        )
    return given, ended
