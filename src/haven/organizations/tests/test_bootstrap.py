"""A deployment's first two program admins come from the command line, and only those two."""

import io

import pytest
from django.core.management import CommandError, call_command

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role

PASSWORD = "a long passphrase for the bootstrap\n"


def bootstrap(monkeypatch: pytest.MonkeyPatch, email: str, **options: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD))
    out = io.StringIO()
    call_command("program_admin_bootstrap", email=email, name="First Admin", password_stdin=True, stdout=out, **options)
    return out.getvalue()


def test_the_first_two_program_admins_and_no_third(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="--office"):
        bootstrap(monkeypatch, "first@example.org")
    bootstrap(monkeypatch, "First@Example.org", office="National Children's Alliance")
    bootstrap(monkeypatch, "second@example.org")
    office = Organization.objects.get(kind=OrganizationKind.NATIONAL_OFFICE)
    admins = Membership.objects.in_org(office).active().filter(role=Role.PROGRAM_ADMIN)
    assert sorted(admins.values_list("user__email", flat=True)) == ["first@example.org", "second@example.org"]
    assert User.objects.get(email="first@example.org").check_password(PASSWORD.strip())
    with pytest.raises(CommandError, match="2 program admins already"):
        bootstrap(monkeypatch, "third@example.org")
    assert not User.objects.filter(email="third@example.org").exists()
    log = AuditEntry.objects.dangerously_unscoped().filter(action="membership.bootstrap")
    assert [(entry.actor_id, entry.organization_id) for entry in log] == [(None, office.pk), (None, office.pk)]


def test_a_weak_password_is_refused(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError):
        call_command("program_admin_bootstrap", email="a@example.org", name="A", office="NCA", password_stdin=True)
    assert not User.objects.exists()
