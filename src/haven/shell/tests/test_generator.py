import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.grants.models import EuroRate, Grant, Payment
from haven.organizations.generate import DEMO_LOGINS, allocate
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs.models import Program, ProgramTarget
from haven.shell.management.commands.generate import _check_foreign_keys, default_start


def _snapshot() -> list[tuple[str, str, str]]:
    return sorted(Membership.objects.dangerously_unscoped().values_list("user__email", "organization__name", "role"))


def _money_snapshot() -> list[tuple[object, ...]]:
    """The generated money by names and values rather than ids (which a PostgreSQL sequence does not give back)."""
    grants = Grant.objects.dangerously_unscoped().values_list(
        "organization__name", "amount_minor", "status", "starts_on", "committed_fund_minor"
    )
    payments = Payment.objects.dangerously_unscoped().values_list(
        "grant__organization__name", "tranche__number", "amount_minor", "status", "paid_on", "fund_minor"
    )
    rates = EuroRate.objects.values_list("currency", "on", "rate")
    return sorted(map(tuple, [*grants, *payments, *rates]), key=repr)


@pytest.mark.django_db(transaction=True)
def test_demo_scale_makes_the_demo_and_is_deterministic() -> None:
    call_command("generate", scale="demo", seed=7)
    cacs = Organization.objects.filter(kind=OrganizationKind.CAC)
    assert cacs.count() == 20
    assert Organization.objects.filter(kind=OrganizationKind.STATE_CHAPTER).count() == 50
    assert Membership.objects.dangerously_unscoped().filter(role=Role.CLINICIAN).count() == 200 + 1
    # Every CAC sits in its chapter's state; the largest states hold the most CACs.
    assert all(cac.state == cac.parent.state for cac in cacs.select_related("parent"))
    assert cacs.filter(state="CA").count() >= cacs.filter(state="WY").count()
    # One sign-in per role, with a second factor ready where the role needs one.
    for email, _name, role, _where in DEMO_LOGINS:
        user = User.objects.get(email=email)
        assert user.check_password("haven-demo-2026")
        assert Membership.objects.of_user(user).filter(role=role).exists()
    program = Program.objects.dangerously_unscoped().get()
    targets = dict(ProgramTarget.objects.in_org(program.organization_id).values_list("metric", "value"))
    assert targets["clinicians_trained"] == 200
    assert targets["children_served"] == 5500
    assert AuditEntry.objects.dangerously_unscoped().get(action="data.generate").detail["scale"] == "demo"
    if connection.vendor == "sqlite":  # generated with a rollback journal and the keys checked at the end
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    first = _snapshot()
    money = _money_snapshot()
    assert money

    call_command("flush", interactive=False, verbosity=0)
    # The same start given on the command line (the default moves with today's month).
    call_command("generate", "--scale=demo", "--seed=7", f"--start={default_start().isoformat()}")
    assert _snapshot() == first
    assert _money_snapshot() == money


def test_generate_refuses_a_database_with_data(db: None) -> None:
    call_command("generate", scale="demo", seed=1)
    call_command("generate", scale="demo", seed=1, if_empty=True)
    assert Organization.objects.filter(kind=OrganizationKind.NATIONAL_OFFICE).count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's check of the whole database")
def test_a_row_naming_a_row_that_does_not_exist_stops_the_generation(db: None) -> None:
    # Foreign keys are deferred to the commit: a row naming a missing user goes in, and the check before the
    # generator's commit finds it.
    company = Organization.objects.create(name="A company", kind=OrganizationKind.CORPORATE_PARTNER)
    broken = Membership.objects.create(organization=company, user_id=987_654, role=Role.CREATIVE)
    with pytest.raises(CommandError, match="organizations_membership"):
        _check_foreign_keys()
    broken.delete()  # the test's own check of the deferred keys, at its end, would find it too
    _check_foreign_keys()


def test_allocate_splits_exactly_in_proportion() -> None:
    shares = allocate(10, {"a": 5, "b": 3, "c": 2})
    assert shares == {"a": 5, "b": 3, "c": 2}
    assert sum(allocate(20, {"x": 1, "y": 1, "z": 1}).values()) == 20
