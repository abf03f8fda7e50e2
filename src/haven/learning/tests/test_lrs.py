"""xAPI statements out: sent in batches to the company's own learning record store (one the test starts), marked
sent when it accepts them, kept with the error and retried when it does not; downloaded by the learning admin."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.learning import lrs, services, xapi
from haven.learning import secrets as stored_secrets
from haven.learning.models import StaffMember, XapiStatement
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.organizations.tests.factories import OrganizationFactory

from .lrs_server import LearningRecordStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def store() -> Iterator[LearningRecordStore]:
    started = LearningRecordStore().start()
    yield started
    started.stop()


def connect(company: Organization, store: LearningRecordStore) -> None:
    found = services.learning_settings(company)
    found.lrs_endpoint = store.endpoint
    found.lrs_username = store.key
    found.lrs_password = stored_secrets.seal(store.secret)
    found.save()


def statements(staff: StaffMember, count: int, *, day: datetime | None = None) -> list[XapiStatement]:
    return [
        xapi.record(
            staff=staff,
            verb="completed",
            kind="module",
            key=f"module-{n}",
            name=f"Module {n}",
            timestamp=day or datetime(2026, 3, 2, 9, n, tzinfo=UTC),
        )
        for n in range(count)
    ]


def test_unsent_statements_go_to_the_store_in_batches_and_are_marked_sent(
    company: Organization, make_staff: Callable[..., StaffMember], store: LearningRecordStore
) -> None:
    connect(company, store)
    kept = statements(make_staff(), 7)
    result = lrs.send(company=company, batch_size=3)
    assert result.sent == 7
    assert store.posts == 3  # 3 + 3 + 1
    assert sorted(s["id"] for s in store.statements) == sorted(str(row.id) for row in kept)
    assert not lrs.unsent(company).exists()
    # Nothing is sent twice.
    assert lrs.send(company=company).sent == 0
    assert store.posts == 3


def test_a_store_that_fails_keeps_the_statements_with_the_error_and_the_next_run_sends_them(
    company: Organization, make_staff: Callable[..., StaffMember], store: LearningRecordStore
) -> None:
    connect(company, store)
    statements(make_staff(), 2)
    store.fail_with = 503
    failed = lrs.send(company=company)
    assert (failed.sent, failed.failed) == (0, 2)
    rows = list(XapiStatement.objects.in_org(company))
    assert all(row.sent_at is None and row.send_attempts == 1 and row.last_error == "HTTP 503" for row in rows)
    assert store.statements == []
    store.fail_with = None
    call_command("learning_send_statements")
    rows = list(XapiStatement.objects.in_org(company))
    assert all(row.sent_at is not None and row.last_error == "" for row in rows)
    assert len(store.statements) == 2
    assert AuditEntry.objects.dangerously_unscoped().filter(action="learning.statements_send_failed").count() == 1


def test_a_store_that_cannot_be_reached_counts_an_attempt(
    company: Organization, make_staff: Callable[..., StaffMember], store: LearningRecordStore
) -> None:
    connect(company, store)
    statements(make_staff(), 1)
    store.stop()
    assert lrs.send(company=company).failed == 1
    row = XapiStatement.objects.in_org(company).get()
    assert row.send_attempts == 1 and row.last_error.startswith("not reached")


def test_wrong_credentials_are_a_failure_not_a_send(
    company: Organization, make_staff: Callable[..., StaffMember], store: LearningRecordStore
) -> None:
    connect(company, store)
    store.secret = "changed-at-the-store"  # noqa: S105
    statements(make_staff(), 1)
    assert lrs.send(company=company).failed == 1
    assert XapiStatement.objects.in_org(company).get().last_error == "HTTP 401"


def test_a_company_never_sends_another_companys_statements(
    company: Organization, make_staff: Callable[..., StaffMember], store: LearningRecordStore
) -> None:
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    other_staff = services.staff_save(
        actor=None,
        organization=other,
        fields=services.StaffFields(user_name="x@other.example", email="x@other.example"),
    )
    theirs = statements(other_staff, 2)
    ours = statements(make_staff(), 2)
    connect(company, store)  # only our company has a store
    call_command("learning_send_statements")
    assert sorted(s["id"] for s in store.statements) == sorted(str(row.id) for row in ours)
    assert all(XapiStatement.objects.in_org(other).get(pk=row.pk).sent_at is None for row in theirs)


def test_the_learning_admin_downloads_the_companys_statements_of_a_period(
    company: Organization,
    learning_admin: User,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Any],
) -> None:
    staff = make_staff()
    statements(staff, 2, day=datetime(2026, 1, 15, 10, tzinfo=UTC))
    march = statements(staff, 3, day=datetime(2026, 3, 31, 23, tzinfo=UTC))
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    stranger = services.staff_save(
        actor=None,
        organization=other,
        fields=services.StaffFields(user_name="x@other.example", email="x@other.example"),
    )
    statements(stranger, 1, day=datetime(2026, 3, 10, tzinfo=UTC))
    client = signed_in(learning_admin)
    response = client.get(reverse("learning:statements"), {"since": "2026-03-01", "until": "2026-03-31"})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert sorted(s["id"] for s in body) == sorted(str(row.id) for row in march)
    everything = json.loads(client.get(reverse("learning:statements")).content)
    assert len(everything) == 5
    entry = (
        AuditEntry.objects.dangerously_unscoped().filter(action="learning.statements_download").order_by("seq").last()
    )
    assert entry is not None and entry.detail["count"] == 5
    assert client.get(reverse("learning:statements"), {"since": "not a day"}).status_code == 400
