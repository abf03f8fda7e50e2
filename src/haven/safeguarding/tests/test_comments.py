"""Comments on a submission: its submitter and the company's reviewers write a short thread, optionally about one
file; each comment audited; nobody else reads or writes it."""

from collections.abc import Callable

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import selectors
from haven.safeguarding.models import Comment
from haven.safeguarding.views_comments import comments_context

from .queue_helpers import submitted

pytestmark = pytest.mark.django_db


def url(submission_id: int) -> str:
    return f"/safeguarding/submissions/{submission_id}/comments/"


def test_the_submitter_and_a_reviewer_talk_about_a_file(
    creative: Membership, brand: Membership, company: Organization, program: object, signed_in: Callable
) -> None:
    submission = submitted(creative, company, "Street scene")
    (asset,) = selectors.current_assets(submission)
    response = signed_in(brand.user).post(
        url(submission.pk),
        {"body": "The shop sign reads a surname.", "asset": asset.pk, "next": "/safeguarding/queue/"},
    )
    assert response.status_code == 302 and response["Location"] == "/safeguarding/queue/"
    response = signed_in(creative.user).post(url(submission.pk), {"body": "Blurred in the next version."})
    assert response.status_code == 302
    thread = list(Comment.objects.in_org(company).filter(submission=submission).order_by("pk"))
    assert [(c.author_id, c.asset_id) for c in thread] == [(brand.user_id, asset.pk), (creative.user_id, None)]
    entries = AuditEntry.objects.in_org(company).filter(action="safeguarding.comment").order_by("pk")
    assert [e.detail for e in entries] == [
        {"submission": submission.pk, "asset": asset.pk},
        {"submission": submission.pk, "asset": None},
    ]
    assert all("surname" not in str(e.detail) for e in entries)


def test_htmx_gets_the_thread_back_and_an_empty_comment_is_refused(
    creative: Membership, safeguarder: Membership, company: Organization, program: object, signed_in: Callable
) -> None:
    submission = submitted(creative, company)
    client = signed_in(safeguarder.user)
    response = client.post(url(submission.pk), {"body": "Looks fine so far."}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="comments"') and "Looks fine so far." in html
    refused = client.post(url(submission.pk), {"body": "   "})
    assert refused.status_code == 422
    assert "This field is required." in refused.content.decode()
    assert Comment.objects.in_org(company).count() == 1


def test_nobody_else_writes(
    creative: Membership,
    company: Organization,
    program: object,
    make_member: Callable[..., User],
    signed_in: Callable,
) -> None:
    submission = submitted(creative, company)
    another_creative = make_member(Role.CREATIVE, company)
    assert signed_in(another_creative).post(url(submission.pk), {"body": "Mine too?"}).status_code == 404
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    for role in (Role.SAFEGUARDING_REVIEWER, Role.ORG_ADMIN):
        assert signed_in(make_member(role, other)).post(url(submission.pk), {"body": "Hi"}).status_code == 404
    assert Comment.objects.in_org(company).count() == 0


def test_the_partial_other_pages_include(
    creative: Membership, brand: Membership, company: Organization, program: object, make_member: Callable[..., User]
) -> None:
    submission = submitted(creative, company, "Thread")
    request = RequestFactory().get("/somewhere/")
    for member, can_write in ((brand, True), (creative, True)):
        context = comments_context(member, submission)
        html = render_to_string(
            "safeguarding/_comments.html", {**context, "form": context["comment_form"]}, request=request
        )
        assert ("Add the comment" in html) is can_write
        assert 'value="/somewhere/"' in html
    reader = Membership.objects.in_org(company).get(user=make_member(Role.CREATIVE, company))
    assert comments_context(reader, submission)["comment_form"] is None
