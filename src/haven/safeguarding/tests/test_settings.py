"""The review settings page: the company's org admin sets the turnaround target, the reminders and the watch list;
each change audited; nobody else gets in."""

from collections.abc import Callable

import pytest

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import services
from haven.safeguarding.models import SafeguardingSettings, WatchTerm

pytestmark = pytest.mark.django_db

URL = "/safeguarding/settings/"


@pytest.fixture
def admin(make_member: Callable[..., User], company: Organization) -> User:
    return make_member(Role.ORG_ADMIN, company)


def test_the_org_admin_sets_turnaround_and_reminders(
    admin: User, company: Organization, signed_in: Callable, program: object
) -> None:
    client = signed_in(admin)
    page = client.get(URL)
    assert page.status_code == 200
    assert "court documents" in page.content.decode()  # the default watch list, with its notes
    response = client.post(URL, {"action": "settings", "turnaround_days": "5", "reminder_days": "3"})
    assert response.status_code == 302
    found = SafeguardingSettings.objects.in_org(company).get()
    assert (found.turnaround_days, found.reminder_days) == (5, 3)
    entry = AuditEntry.objects.in_org(company).get(action="safeguarding.settings_update")
    assert entry.detail == {"changed": ["turnaround_days", "reminder_days"]}


def test_a_reminder_after_the_target_is_refused(admin: User, company: Organization, signed_in: Callable) -> None:
    client = signed_in(admin)
    response = client.post(URL, {"action": "settings", "turnaround_days": "2", "reminder_days": "4"})
    assert response.status_code == 422
    assert "Between 1 working day and the turnaround target." in response.content.decode()
    assert SafeguardingSettings.objects.in_org(company).get().turnaround_days == 3
    assert client.post(URL, {"action": "settings", "turnaround_days": "0", "reminder_days": "1"}).status_code == 422


def test_the_watch_list_one_term_a_line(admin: User, company: Organization, signed_in: Callable) -> None:
    client = signed_in(admin)
    response = client.post(URL, {"action": "watch", "terms": "Court\n\n  subpoena \nlogo of a rival\n"})
    assert response.status_code == 302
    active = set(WatchTerm.objects.in_org(company).filter(is_active=True).values_list("term", flat=True))
    assert active == {"court", "subpoena", "logo of a rival"}
    page = client.get(URL).content.decode()
    assert "subpoena" in page and "C2: court documents" in page
    assert AuditEntry.objects.in_org(company).filter(action="safeguarding.watch_terms").count() == 1


def test_the_new_target_applies_to_the_next_round(
    admin: User, creative: Membership, company: Organization, signed_in: Callable, program: object
) -> None:
    from .queue_helpers import submitted

    before = submitted(creative, company, "Before")
    signed_in(admin).post(URL, {"action": "settings", "turnaround_days": "10", "reminder_days": "2"})
    after = submitted(creative, company, "After")
    assert after.due_at is not None and before.due_at is not None
    assert after.due_at > before.due_at
    before.refresh_from_db()
    assert before.due_at is not None


def test_only_the_companys_org_admin(
    make_member: Callable[..., User], company: Organization, signed_in: Callable, cac: Organization
) -> None:
    for role in (Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER, Role.CREATIVE):
        assert signed_in(make_member(role, company)).get(URL).status_code == 404
    assert signed_in(make_member(Role.ORG_ADMIN, cac)).get(URL).status_code == 404
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    stranger = make_member(Role.ORG_ADMIN, other)
    signed_in(stranger).post(URL, {"action": "settings", "turnaround_days": "9", "reminder_days": "1"})
    assert SafeguardingSettings.objects.in_org(company).count() == 0


def test_the_service_refuses_anyone_else(safeguarder: Membership, company: Organization) -> None:
    with pytest.raises(services.PermissionDenied):
        services.review_settings_save(membership=safeguarder, company=company, turnaround_days=4, reminder_days=2)
