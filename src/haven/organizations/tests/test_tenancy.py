"""Tenancy by construction: an unscoped query on a tenant model fails loudly; scoped ones run."""

import pytest
from django.db import connection

from haven.organizations.models import Membership, Organization
from haven.organizations.tenancy import UnscopedQueryError
from haven.programs.models import Program, ProgramTarget


@pytest.mark.parametrize(
    "run",
    [
        lambda: list(Membership.objects.all()),
        lambda: Membership.objects.count(),
        lambda: Membership.objects.exists(),
        lambda: Membership.objects.filter(role="clinician").first(),
        lambda: Membership.objects.get(pk=1),
        lambda: Membership.objects.filter(is_active=True).update(is_active=False),
        lambda: Membership.objects.all().delete(),
        lambda: list(Membership.objects.values_list("pk", flat=True)),
        lambda: list(Program.objects.order_by("name").iterator()),
        lambda: ProgramTarget.objects.aggregate(total=__import__("django.db.models").db.models.Sum("value")),
    ],
)
def test_an_unscoped_query_fails_loudly(run: object, db: None) -> None:
    with pytest.raises(UnscopedQueryError, match="Unscoped query on"):
        run()  # type: ignore[operator]


def test_scoped_queries_see_only_their_organization(cac: Organization, other_cac: Organization, make_member) -> None:
    mine = make_member("clinician", cac)
    make_member("clinician", other_cac)
    assert [m.user for m in Membership.objects.filter(organization=cac)] == [mine]
    assert Membership.objects.in_org(cac).count() == 1
    assert Membership.objects.in_orgs([cac, other_cac]).count() == 2
    assert Membership.objects.filter(organization_id=cac.pk).get().user == mine


def test_scoped_without_the_organizations_index_still_sees_only_those_organizations(
    cac: Organization, other_cac: Organization, make_member
) -> None:
    """``in_orgs(..., by_organization=False)`` only keeps SQLite's planner off the organization's index."""
    mine = make_member("clinician", cac)
    make_member("clinician", other_cac)
    scoped = Membership.objects.in_orgs([cac], by_organization=False)
    assert [m.user for m in scoped] == [mine]
    assert Membership.objects.in_orgs([cac, other_cac], by_organization=False).count() == 2
    if connection.vendor == "sqlite":
        assert '+"organizations_membership"."organization_id" IN' in str(scoped.query)


def test_a_reverse_relation_from_the_organization_is_scoped(cac: Organization, make_member) -> None:
    make_member("clinician", cac)
    assert cac.membership_set.count() == 1


def test_a_reverse_relation_from_a_user_is_not(cac: Organization, make_member) -> None:
    user = make_member("clinician", cac)
    with pytest.raises(UnscopedQueryError):
        list(user.memberships.all())
    assert Membership.objects.of_user(user).count() == 1


def test_chained_filters_keep_the_scope(cac: Organization, make_member) -> None:
    make_member("clinician", cac)
    assert Membership.objects.in_org(cac).filter(role="clinician").exclude(is_active=False).order_by("pk").count() == 1


def test_the_escape_hatch_is_named(cac: Organization, other_cac: Organization, make_member) -> None:
    make_member("clinician", cac)
    make_member("clinician", other_cac)
    assert Membership.objects.dangerously_unscoped().count() == 2
