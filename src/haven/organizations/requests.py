"""The request as Haven's views receive it: the signed-in user and the membership they act in.

``ActiveMembershipMiddleware`` sets ``membership`` and ``memberships`` on every request. A view declares what its
guard guarantees: ``SignedInRequest`` behind ``@signed_in`` (a signed-in user), ``MemberRequest`` behind
``@role_required`` (and a membership in one of the view's roles).
"""

from django.http import HttpRequest

from haven.accounts.models import User

from .models import Membership


class HavenRequest(HttpRequest):
    """Any request: the active membership (None when signed out, or with no active membership) and every active
    membership of the user, to choose from."""

    membership: Membership | None
    memberships: list[Membership]


class SignedInRequest(HavenRequest):
    """A request from a signed-in user (``@signed_in``)."""

    user: User


class MemberRequest(SignedInRequest):
    """A request from a signed-in user acting in a membership of one of the view's roles (``@role_required``)."""

    membership: Membership
