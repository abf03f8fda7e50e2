"""Policy attestations: the admin writes and publishes versions; each learner attests each version once."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.learning import policies, selectors
from haven.learning.models import Attestation, Policy, PolicyVersion, StaffMember, XapiStatement
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.organizations.tests.factories import OrganizationFactory


@pytest.fixture
def version(company: Organization, learning_admin: User) -> PolicyVersion:
    policy = policies.policy_create(
        actor=learning_admin, company=company, slug="safeguarding", title_en="Safeguarding", title_fr="Protection"
    )
    draft = policies.version_save(
        actor=learning_admin, policy=policy, body_en="# Rules\nNever alone with a child.", body_fr="Jamais seul."
    )
    return policies.version_publish(actor=learning_admin, version=draft)


@pytest.mark.django_db
def test_the_admin_writes_and_publishes_a_version_through_the_pages(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(learning_admin)
    response = client.post(reverse("learning:policies"), {"slug": "code", "title_en": "Code of conduct"})
    policy = Policy.objects.in_org(company).get(slug="code")
    assert response.status_code == 302
    client.post(
        reverse("learning:policy", args=[policy.pk]),
        {"body_en": "Be kind.", "body_fr": "Soyez bienveillant.", "attest_within_days": "14"},
    )
    draft = PolicyVersion.objects.in_org(company).get(policy=policy)
    assert (draft.number, draft.published_at) == (1, None)
    client.post(reverse("learning:policy_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert "Code of conduct" in client.get(reverse("learning:policies")).content.decode()


@pytest.mark.django_db
def test_a_learner_reads_and_attests_once_with_an_xapi_statement(
    company: Organization,
    make_staff: Callable[..., StaffMember],
    version: PolicyVersion,
    signed_in: Callable[[User], Client],
) -> None:
    learner = make_staff()
    client = signed_in(learner.user)
    assert [row.version for row in selectors.policies_to_attest(learner)] == [version]
    page = client.get(reverse("learning:attest", args=[version.pk]))
    assert "Never alone with a child." in page.content.decode() and "<h2>Rules</h2>" in page.content.decode()

    refused = client.post(reverse("learning:attest", args=[version.pk]), {})
    assert refused.status_code == 400 and not Attestation.objects.in_org(company).exists()
    client.post(reverse("learning:attest", args=[version.pk]), {"accept": "yes"})
    client.post(reverse("learning:attest", args=[version.pk]), {"accept": "yes"})

    assert Attestation.objects.in_org(company).filter(staff=learner, version=version).count() == 1
    statements = XapiStatement.objects.in_org(company).filter(staff=learner, verb="attested")
    assert statements.count() == 1
    assert statements.get().statement["object"]["id"].endswith("/policy/safeguarding/v1")
    assert selectors.policies_to_attest(learner) == []


@pytest.mark.django_db
def test_a_new_version_must_be_attested_again(
    company: Organization, learning_admin: User, make_staff: Callable[..., StaffMember], version: PolicyVersion
) -> None:
    learner = make_staff()
    policies.attest(staff=learner, version=version)
    second = policies.version_save(actor=learning_admin, policy=version.policy, body_en="New text.")
    assert selectors.policies_to_attest(learner) == []  # a draft asks nothing
    policies.version_publish(actor=learning_admin, version=second)
    assert [row.version for row in selectors.policies_to_attest(learner)] == [second]


@pytest.mark.django_db
def test_the_attest_list_partial_links_each_policy(
    make_staff: Callable[..., StaffMember], version: PolicyVersion
) -> None:
    from django.template.loader import render_to_string

    learner = make_staff()
    html = render_to_string("learning/_attest_list.html", {"policies_to_attest": selectors.policies_to_attest(learner)})
    assert reverse("learning:attest", args=[version.pk]) in html and "Safeguarding" in html


@pytest.mark.django_db
def test_another_companys_learner_or_a_draft_is_not_found(
    make_member: Callable[..., User],
    version: PolicyVersion,
    learning_admin: User,
    signed_in: Callable[[User], Client],
    make_staff: Callable[..., StaffMember],
) -> None:
    from haven.learning import services
    from haven.organizations.roles import Role

    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    outsider = services.staff_save(
        actor=None,
        organization=other,
        fields=services.StaffFields(user_name="x@other.example", email="x@other.example"),
    )
    assert signed_in(outsider.user).get(reverse("learning:attest", args=[version.pk])).status_code == 404
    draft = policies.version_save(actor=learning_admin, policy=version.policy, body_en="Draft.")
    learner = make_staff()
    assert signed_in(learner.user).get(reverse("learning:attest", args=[draft.pk])).status_code == 404
    assert (
        signed_in(make_member(Role.ORG_ADMIN, other))
        .get(reverse("learning:policy", args=[version.policy_id]))
        .status_code
        == 404
    )
