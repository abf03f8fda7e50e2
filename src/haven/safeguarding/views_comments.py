"""Comments on a submission, between its submitter and its reviewers.

The thread is a partial (``safeguarding/_comments.html``: ``submission``, ``comments``, ``form``) the submission
and review pages include with ``comments_context``::

    context.update(comments_context(request.membership, submission))
    {% include "safeguarding/_comments.html" with form=comment_form %}
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Membership
from haven.organizations.requests import MemberRequest

from . import selectors, services
from .forms_settings import CommentForm
from .links import submission_url
from .models import Comment, Submission


def comments_of(submission: Submission) -> list[Comment]:
    return list(
        Comment.objects.in_org(submission.organization_id)
        .filter(submission=submission)
        .select_related("author", "asset")
        .order_by("created_at", "pk")
    )


def comments_context(membership: Membership, submission: Submission, form: CommentForm | None = None) -> dict[str, Any]:
    """``comments`` and ``comment_form`` (None for a member who may read the thread but not write in it)."""
    if form is None and services.can_comment(membership, submission):
        form = CommentForm(assets=selectors.current_assets(submission))
    return {"submission": submission, "comments": comments_of(submission), "comment_form": form}


def _back(request: MemberRequest, submission: Submission) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return submission_url(submission.pk, request.membership.role) or "/"


@require_POST
@role_required(*selectors.SEES_SUBMISSIONS)
def comment_add(request: MemberRequest, submission_id: int) -> HttpResponse:
    membership = request.membership
    submission = selectors.access_submission(membership=membership, submission_id=submission_id)
    if not services.can_comment(membership, submission):
        raise Http404
    form = CommentForm(request.POST, assets=selectors.current_assets(submission))
    if form.is_valid():
        try:
            services.comment_add(
                membership=membership, submission=submission, body=form.cleaned_data["body"], asset=form.chosen_asset()
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if not request.headers.get("HX-Request"):
                return redirect(_back(request, submission))
            form = CommentForm(assets=selectors.current_assets(submission))
    context = comments_context(membership, submission, form)
    context["form"] = context.pop("comment_form")
    context["comments_next"] = _back(request, submission)
    template = (
        "safeguarding/_comments.html" if request.headers.get("HX-Request") else "safeguarding/_comments_page.html"
    )
    return TemplateResponse(request, template, context, status=422 if form.errors else 200)
