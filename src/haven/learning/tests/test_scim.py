"""The company's SCIM endpoint answers what identity providers send, as Okta and as Entra ID send it, for the token's
company only, and keeps only a digest of each token."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.audit.models import AuditEntry
from haven.learning import services
from haven.learning.models import ScimToken, StaffGroup, StaffMember
from haven.learning.scim_protocol import ENTERPRISE, ERROR, LIST, PATCH_OP, USER
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory

BASE = "/scim/v2"


class Scim:
    """An identity provider's client: a bearer token and JSON in application/scim+json."""

    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        handler = getattr(self.client, method.lower())
        if body is None:
            response = handler(BASE + path, query, headers=self.headers)
        else:
            response = handler(
                BASE + path, json.dumps(body), content_type="application/scim+json", headers=self.headers
            )
        response.json_body = json.loads(response.content) if response.content else None
        return response


@pytest.fixture
def token_for(learning_admin) -> Callable[[Organization], tuple[ScimToken, str]]:
    def make(company: Organization) -> tuple[ScimToken, str]:
        return services.scim_token_create(actor=learning_admin, organization=company, label="Okta")

    return make


@pytest.fixture
def idp(company, token_for) -> Scim:
    _token, secret = token_for(company)
    return Scim(secret)


def _user(user_name: str, **more: Any) -> dict[str, Any]:
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "active": True,
        **more,
    }


def _learner(staff: StaffMember) -> bool:
    return (
        Membership.objects.in_org(staff.organization_id)
        .filter(user_id=staff.user_id, role=Role.LEARNER, is_active=True)
        .exists()
    )


def _members(group: StaffGroup) -> set[StaffMember]:
    return set(StaffMember.objects.in_org(group.organization_id).filter(staff_groups=group))


def test_okta_sequence(idp, company):
    # Okta's connection test, then its lookup before creating.
    test = idp.call("GET", "/Users", startIndex=1, count=2)
    assert test.status_code == 200 and test["Content-Type"].startswith("application/scim+json")
    assert test.json_body["schemas"] == [LIST] and test.json_body["totalResults"] == 0
    lookup = idp.call("GET", "/Users", filter='userName eq "ann.lee@company.example"')
    assert lookup.json_body["totalResults"] == 0 and lookup.json_body["Resources"] == []
    created = idp.call(
        "POST",
        "/Users",
        _user(
            "ann.lee@company.example",
            externalId="00u1",
            locale="fr-FR",
            addresses=[{"type": "work", "country": "fr", "primary": True}],
            **{ENTERPRISE: {"department": "Sales", "division": "EMEA", "employeeNumber": "42", "costCenter": "C1"}},
        ),
    )
    assert created.status_code == 201, created.json_body
    body = created.json_body
    staff = StaffMember.objects.in_org(company).get(pk=int(body["id"]))
    assert (staff.user_name, staff.external_id, staff.department, staff.team, staff.employee_number) == (
        "ann.lee@company.example",
        "00u1",
        "Sales",
        "EMEA",
        "42",
    )
    assert (staff.country, staff.language) == ("FR", "fr") and _learner(staff)
    assert created["Location"].endswith(f"/scim/v2/Users/{staff.pk}")
    # The same userName again, whatever its case: 409 uniqueness.
    again = idp.call("POST", "/Users", _user("ANN.LEE@company.example"))
    assert again.status_code == 409
    assert again.json_body["schemas"] == [ERROR] and again.json_body["scimType"] == "uniqueness"
    assert again.json_body["status"] == "409"
    found = idp.call("GET", "/Users", filter='userName eq "Ann.Lee@company.example"')
    assert [r["id"] for r in found.json_body["Resources"]] == [str(staff.pk)]
    # An update by PUT, then deprovisioning by PATCH active false.
    replaced = idp.call("PUT", f"/Users/{staff.pk}", {**body, "name": {"givenName": "Annie", "familyName": "Lee"}})
    assert replaced.status_code == 200 and replaced.json_body["name"]["givenName"] == "Annie"
    gone = idp.call(
        "PATCH",
        f"/Users/{staff.pk}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert gone.status_code == 200 and gone.json_body["active"] is False
    staff.refresh_from_db()
    assert not staff.is_active and not _learner(staff)


def test_entra_sequence(idp, company, make_staff):
    boss = make_staff(user_name="boss@company.example")
    assert idp.call("GET", "/Users", filter='externalId eq "e-1"').json_body["totalResults"] == 0
    created = idp.call("POST", "/Users", _user("kim@company.example", externalId="e-1"))
    assert created.status_code == 201
    pk = created.json_body["id"]
    assert idp.call("GET", "/Users", filter='EXTERNALID EQ "e-1"').json_body["Resources"][0]["id"] == pk
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "name.givenName", "value": "Kimberly"},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "kim.b@company.example"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Finance"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(boss.pk)},
            {"op": "Replace", "path": "preferredLanguage", "value": "fr-CA"},
            {"op": "Add", "path": 'addresses[type eq "work"].country', "value": "CA"},
        ],
    }
    patched = idp.call("PATCH", f"/Users/{pk}", patch)
    assert patched.status_code == 200, patched.json_body
    staff = StaffMember.objects.in_org(company).select_related("user").get(pk=pk)
    assert (staff.given_name, staff.user.email, staff.department, staff.manager_id) == (
        "Kimberly",
        "kim.b@company.example",
        "Finance",
        boss.pk,
    )
    assert (staff.language, staff.country) == ("fr", "CA")
    # Entra's quirks: "False" as a string; then a remove of the manager.
    idp.call(
        "PATCH",
        f"/Users/{pk}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Remove", "path": f"{ENTERPRISE}:manager"},
            ],
        },
    )
    staff.refresh_from_db()
    assert not staff.is_active and staff.manager_id is None
    # A hard delete keeps the history: 204, the member of staff stays, deactivated.
    assert idp.call("DELETE", f"/Users/{pk}").status_code == 204
    assert StaffMember.objects.in_org(company).filter(pk=pk, is_active=False).exists()
    assert idp.call("GET", f"/Users/{pk}").json_body["active"] is False


def test_groups(idp, company, make_staff):
    ann, bob, cat = make_staff(), make_staff(), make_staff()
    created = idp.call(
        "POST",
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Managers",
            "members": [{"value": str(ann.pk)}],
        },
    )
    assert created.status_code == 201
    pk = created.json_body["id"]
    assert idp.call("GET", "/Groups", filter='displayname eq "managers"').json_body["totalResults"] == 1
    slim = idp.call("GET", f"/Groups/{pk}", excludedAttributes="members").json_body
    assert slim["displayName"] == "Managers" and "members" not in slim
    assert [m["value"] for m in idp.call("GET", f"/Groups/{pk}").json_body["members"]] == [str(ann.pk)]
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Add", "path": "members", "value": [{"value": str(bob.pk)}, {"value": str(cat.pk)}]},
            {"op": "Remove", "path": f'members[value eq "{ann.pk}"]'},
        ],
    }
    assert idp.call("PATCH", f"/Groups/{pk}", patch).status_code == 204
    group = StaffGroup.objects.in_org(company).get(pk=pk)
    assert set(_members(group)) == {bob, cat}
    okta_remove = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "remove", "path": "members", "value": [{"value": str(cat.pk)}]}],
    }
    idp.call("PATCH", f"/Groups/{pk}", okta_remove)
    assert set(_members(group)) == {bob}
    renamed = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"id": pk, "displayName": "Leads"}}]}
    idp.call("PATCH", f"/Groups/{pk}", renamed)
    group.refresh_from_db()
    assert group.display_name == "Leads" and set(_members(group)) == {bob}
    put = idp.call("PUT", f"/Groups/{pk}", {"displayName": "Leads", "members": []})
    assert put.status_code == 200 and put.json_body["members"] == []
    assert idp.call("DELETE", f"/Groups/{pk}").status_code == 204
    assert not StaffGroup.objects.in_org(company).filter(pk=pk).exists()


@pytest.mark.parametrize(
    "text",
    ['userName sw "a"', 'title eq "x"', 'userName eq "a" and active eq true', "userName eq a", "garbage"],
)
def test_any_other_filter_is_an_invalid_filter(idp, text):
    response = idp.call("GET", "/Users", filter=text)
    assert response.status_code == 400 and response.json_body["scimType"] == "invalidFilter"


def test_an_unknown_or_revoked_token_gets_401(company, token_for, learning_admin):
    token, secret = token_for(company)
    assert Scim("scim_nothing").call("GET", "/Users").status_code == 401
    assert Client().get(f"{BASE}/Users").status_code == 401
    assert Scim(secret).call("GET", "/Users").status_code == 200
    services.scim_token_revoke(actor=learning_admin, token=token)
    refused = Scim(secret).call("GET", "/Users")
    assert refused.status_code == 401 and refused.json_body["schemas"] == [ERROR]
    assert refused.json_body["status"] == "401"


def test_only_the_digest_is_kept_and_use_is_noted(company, token_for):
    token, secret = token_for(company)
    stored = ScimToken.objects.in_org(company).values().get(pk=token.pk)
    assert secret not in json.dumps(stored, default=str)
    assert stored["digest"] == hashlib.sha256(secret.encode()).hexdigest()
    assert stored["last_used_at"] is None
    Scim(secret).call("GET", "/ServiceProviderConfig")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_writes_are_audited_with_no_actor_and_the_token(idp, company):
    token = ScimToken.objects.in_org(company).get()
    pk = idp.call("POST", "/Users", _user("zed@company.example")).json_body["id"]
    entry = AuditEntry.objects.in_org(company).filter(action="staff.create", target_id=pk).get()
    assert entry.actor_id is None and entry.detail["via"] == f"scim:{token.pk}"


def test_a_token_of_one_company_never_reaches_another(company, token_for, make_member):
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    theirs = services.staff_save(
        actor=None,
        organization=other,
        fields=services.StaffFields(user_name="y@other.example", email="y@other.example"),
    )
    their_group = services.staff_group_save(actor=None, organization=other, display_name="Y", member_ids=[theirs.pk])
    _token, secret = token_for(company)
    idp = Scim(secret)
    assert idp.call("GET", "/Users").json_body["totalResults"] == 0
    assert idp.call("GET", "/Users", filter='userName eq "y@other.example"').json_body["totalResults"] == 0
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        body = (
            None
            if method in ("GET", "DELETE")
            else (
                _user("y@other.example")
                if method == "PUT"
                else {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
            )
        )
        assert idp.call(method, f"/Users/{theirs.pk}", body).status_code == 404
        assert idp.call(method, f"/Groups/{their_group.pk}", body).status_code == 404
    # Nor can one of their staff be put in our group.
    refused = idp.call("POST", "/Groups", {"displayName": "Mixed", "members": [{"value": str(theirs.pk)}]})
    assert refused.status_code == 400
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.user_name == "y@other.example"
    assert _members(their_group) == {theirs}


def test_discovery(idp):
    config = idp.call("GET", "/ServiceProviderConfig").json_body
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = idp.call("GET", "/ResourceTypes").json_body
    assert {r["name"] for r in types["Resources"]} == {"User", "Group"}
    schemas = idp.call("GET", "/Schemas").json_body
    assert USER in {r["id"] for r in schemas["Resources"]}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=st.integers(0, 12), count=st.integers(1, 5))
def test_pages_cover_every_user_exactly_once(token_for, users, count):
    company = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)  # a fresh company each example
    made = set()
    for n in range(users):
        name = f"p{n}-{company.pk}@company.example"
        fields = services.StaffFields(user_name=name, email=name)
        made.add(str(services.staff_save(actor=None, organization=company, fields=fields).pk))
    _token, secret = token_for(company)
    idp = Scim(secret)
    seen: list[str] = []
    index = 1
    while True:
        page = idp.call("GET", "/Users", startIndex=index, count=count).json_body
        assert page["totalResults"] == users and page["startIndex"] == index
        assert page["itemsPerPage"] == len(page["Resources"]) <= count
        if not page["Resources"]:
            break
        seen += [r["id"] for r in page["Resources"]]
        index += page["itemsPerPage"]
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
