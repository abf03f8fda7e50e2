"""The home page says what the money pillar waits for: a program admin's payments, tranches and reports, a grantee
admin's late and coming reports, with links to their pages; nobody else's."""

from haven.core.money import Money
from haven.grants import services
from haven.grants.models import ReportKind
from haven.organizations.roles import Role

from .payment_builders import approved_grant


def test_the_program_admin_sees_what_waits_and_the_grantee_its_late_reports(
    fund, cac, other_cac, program_admin, second_admin, make_member, signed_in
) -> None:
    grant = approved_grant(fund, cac, program_admin, Money.of("100000", "USD"))
    services.grant_activate(actor=program_admin, grant=grant)
    services.payment_create(actor=second_admin, grant=grant, amount=Money.of("1000", "USD"))
    services.payment_create(actor=second_admin, grant=grant, amount=Money.of("1000", "USD"))
    reports = services.reports_schedule(actor=program_admin, grant=grant, kind=ReportKind.FINANCIAL, months=3)
    assert reports

    admin_home = signed_in(program_admin).get("/").content.decode()
    assert "2 payments await approval." in admin_home
    assert 'href="/grants/payments/"' in admin_home

    # The program started two years ago, so the grant's first quarterly reports are long past due.
    grantee_home = signed_in(make_member(Role.ORG_ADMIN, cac)).get("/").content.decode()
    assert "grant reports are late." in grantee_home or "grant report is late." in grantee_home
    assert 'href="/grants/ours/"' in grantee_home

    other_home = signed_in(make_member(Role.ORG_ADMIN, other_cac)).get("/").content.decode()
    assert "Grants: waiting for you" not in other_home
