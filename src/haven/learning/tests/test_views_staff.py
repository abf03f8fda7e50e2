"""The learning admin's staff pages: the directory (search, filters, pages of 50), a member of staff, the tokens
(shown once, revoked after a question); nobody else reaches them."""

import hashlib

import pytest
from django.urls import reverse

from haven.learning import services
from haven.learning.models import ScimToken
from haven.organizations.roles import Role


def test_the_directory_searches_filters_and_pages(learning_admin, signed_in, make_staff):
    make_staff(given_name="Alice", family_name="Martin", department="Sales", country="FR")
    make_staff(given_name="Bob", family_name="Stone", department="Finance", country="US")
    gone = make_staff(given_name="Carl", family_name="Stone", department="Sales", country="US")
    services.staff_deactivate(actor=None, staff=gone)
    for _n in range(55):
        make_staff(department="Ops")
    client = signed_in(learning_admin)
    url = reverse("learning:staff_list")

    def names(**query: str) -> list[str]:
        page = client.get(url, query)
        assert page.status_code == 200
        return [s.user.full_name for s in page.context["page"]]

    assert names(q="stone") == ["Bob Stone", "Carl Stone"]
    assert names(department="Sales") == ["Alice Martin", "Carl Stone"]
    assert names(country="US", active="yes") == ["Bob Stone"]
    assert names(active="no") == ["Carl Stone"]
    first = client.get(url)
    assert len(first.context["page"]) == 50 and first.context["total"] == 58
    second = client.get(url, {"department": "Ops", "page": 2})
    assert len(second.context["page"]) == 5
    assert "department=Ops&amp;page=1" in second.content.decode()


def test_a_member_of_staff_page_shows_their_fields(learning_admin, signed_in, make_staff):
    boss = make_staff(user_name="boss@company.example")
    staff = make_staff(user_name="ann@company.example", department="Legal", employee_number="E-7")
    services.staff_manager_set(actor=None, staff=staff, manager=boss)
    page = signed_in(learning_admin).get(reverse("learning:staff_detail", args=[staff.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "ann@company.example" in body and "Legal" in body and "E-7" in body and "boss@company.example" in body


def test_nobody_else_reaches_the_staff_pages(make_member, signed_in, make_staff, cac, company):
    staff = make_staff()
    for user in (make_member(Role.ORG_ADMIN, cac), make_member(Role.LEARNER, company)):
        client = signed_in(user)
        assert client.get(reverse("learning:staff_list")).status_code == 404
        assert client.get(reverse("learning:staff_detail", args=[staff.pk])).status_code == 404
        assert client.get(reverse("learning:scim_tokens")).status_code == 404


def test_another_company_admin_gets_404_on_our_staff(make_member, signed_in, make_staff):
    from haven.organizations.roles import OrganizationKind
    from haven.organizations.tests.factories import OrganizationFactory

    staff = make_staff()
    other_admin = make_member(Role.ORG_ADMIN, OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER))
    client = signed_in(other_admin)
    assert client.get(reverse("learning:staff_detail", args=[staff.pk])).status_code == 404
    token, _secret = services.scim_token_create(actor=other_admin, organization=staff.organization, label="x")
    assert client.get(reverse("learning:scim_token_revoke", args=[token.pk])).status_code == 404


def test_a_token_is_shown_once_and_only_its_digest_kept(learning_admin, signed_in, company):
    client = signed_in(learning_admin)
    made = client.post(reverse("learning:scim_tokens"), {"label": "Okta production"})
    assert made.status_code == 200
    secret = made.context["secret"]
    assert secret and secret in made.content.decode()
    token = ScimToken.objects.in_org(company).get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() and secret.startswith(token.prefix)
    listed = client.get(reverse("learning:scim_tokens")).content.decode()
    assert secret not in listed and token.prefix in listed and "Okta production" in listed


@pytest.mark.parametrize("label", ["", "   "])
def test_a_token_needs_a_label(learning_admin, signed_in, company, label):
    made = signed_in(learning_admin).post(reverse("learning:scim_tokens"), {"label": label})
    assert made.status_code == 400 and not ScimToken.objects.in_org(company).exists()
