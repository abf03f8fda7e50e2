from collections.abc import Callable
from typing import cast

from django.http import HttpRequest, HttpResponse

from .requests import HavenRequest
from .selectors import active_membership_for

SESSION_KEY = "haven_membership_id"


class ActiveMembershipMiddleware:
    """Puts the signed-in user's active membership on ``request.membership`` (None if they have none).

    A user with several memberships picks one; the choice is kept in the session and re-checked against the
    database on every request, so a deactivated membership stops working at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        haven_request = cast(HavenRequest, request)  # what this middleware makes of it
        haven_request.membership = None
        haven_request.memberships = []
        if request.user.is_authenticated:
            memberships, chosen = active_membership_for(request.user, request.session.get(SESSION_KEY))
            haven_request.memberships = memberships
            if chosen is not None:
                chosen.user = request.user  # already loaded: reading membership.user costs no query
            haven_request.membership = chosen
        return self.get_response(request)
