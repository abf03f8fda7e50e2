"""Grantee reports: scheduled by the program admin, submitted by the grantee's org admin, accepted or sent back;
spending against each budget line, overspending flagged; reminders by e-mail; each grantee sees its own grants."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from haven.audit.models import AuditEntry
from haven.core.money import Money
from haven.grants import schedule, selectors, services
from haven.grants.models import BudgetCategory, ExpenseLine, GrantReport, ReportKind, ReportReminder, ReportStatus
from haven.organizations.roles import Role

from .report_factories import BUDGET, active_grant, dollars, quarterly

# -- The schedule's rule ---------------------------------------------------------------------------------------


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=2000),
    months=st.sampled_from(schedule.PERIOD_MONTHS),
    due_after=st.integers(min_value=0, max_value=120),
)
def test_reporting_periods_cover_the_grant_without_gap_or_overlap(
    start: date, days: int, months: int, due_after: int
) -> None:
    end = start + timedelta(days=days)
    periods = schedule.report_periods(start, end, months)
    assert periods[0][0] == start
    assert periods[-1][1] == end
    for (_a, first_end), (second_start, _b) in zip(periods, periods[1:], strict=False):
        assert second_start == first_end + timedelta(days=1)
    for period_start, period_end in periods:
        assert period_start <= period_end
        assert (period_end - period_start).days <= 31 * months
        assert schedule.report_due_on(period_end, due_after) == period_end + timedelta(days=due_after)


def test_a_year_in_quarters_from_the_grants_first_day() -> None:
    assert schedule.report_periods(date(2026, 1, 31), date(2027, 1, 30), 3) == [
        (date(2026, 1, 31), date(2026, 4, 29)),
        (date(2026, 4, 30), date(2026, 7, 30)),
        (date(2026, 7, 31), date(2026, 10, 30)),
        (date(2026, 10, 31), date(2027, 1, 30)),
    ]


# -- Scheduling ------------------------------------------------------------------------------------------------


def test_quarterly_financial_and_half_yearly_narrative_reports(fund, chapter, program_admin) -> None:
    grant = active_grant(fund, chapter, program_admin)
    financial = quarterly(grant, program_admin)
    narrative = services.reports_schedule(
        actor=program_admin, grant=grant, kind=ReportKind.NARRATIVE, months=6, due_after_days=45
    )
    assert [(r.period_start, r.period_end, r.due_on) for r in financial] == [
        (date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 30)),
        (date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 30)),
        (date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 30)),
    ]
    assert [(r.period_end, r.due_on) for r in narrative] == [
        (date(2026, 6, 30), date(2026, 8, 14)),
        (date(2026, 12, 31), date(2027, 2, 14)),
    ]
    assert AuditEntry.objects.dangerously_unscoped().filter(action="report.schedule").count() == 2


def test_scheduling_again_replaces_only_reports_nobody_submitted(fund, chapter, program_admin, make_member) -> None:
    grant = active_grant(fund, chapter, program_admin)
    first, *_rest = quarterly(grant, program_admin)
    grantee = make_member(Role.ORG_ADMIN, chapter)
    services.report_submit(actor=grantee, report=first, expenses=dollars(personnel="100.00"))

    services.reports_schedule(actor=program_admin, grant=grant, kind=ReportKind.FINANCIAL, months=6)

    reports = GrantReport.objects.in_org(chapter).filter(grant=grant).order_by("period_start")
    assert [(r.period_start, r.period_end, r.status) for r in reports] == [
        (date(2026, 1, 1), date(2026, 3, 31), ReportStatus.SUBMITTED),  # submitted: kept as it was
        (date(2026, 7, 1), date(2026, 12, 31), ReportStatus.DUE),
    ]


def test_a_draft_grant_has_no_reports_scheduled(fund, chapter, program_admin) -> None:
    grant = services.grant_save(
        actor=program_admin,
        fund=fund,
        grant=None,
        grantee=chapter,
        purpose="Draft",
        amount=Money.of("100", "USD"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        budget=dollars(personnel="100"),
    )
    with pytest.raises(ValidationError):
        services.reports_schedule(actor=program_admin, grant=grant, kind=ReportKind.FINANCIAL, months=3)


# -- Submitting and reviewing ----------------------------------------------------------------------------------


@pytest.fixture
def grant(fund, chapter, program_admin):
    return active_grant(fund, chapter, program_admin)


@pytest.fixture
def grantee_admin(chapter, make_member):
    return make_member(Role.ORG_ADMIN, chapter, full_name="Gina Grantee")


def _entries(action: str) -> int:
    return AuditEntry.objects.dangerously_unscoped().filter(action=action).count()


def test_review_flow_returned_corrected_and_accepted(grant, grantee_admin, program_admin) -> None:
    report = quarterly(grant, program_admin)[0]
    services.report_submit(
        actor=grantee_admin, report=report, expenses=dollars(personnel="12000.00", travel="0"), narrative="Q1"
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert selectors.report_lines(report) == {BudgetCategory.PERSONNEL: 1_200_000}  # a line of zero is no line

    with pytest.raises(ValidationError):
        services.report_return(actor=program_admin, report=report, note="  ")
    services.report_return(actor=program_admin, report=report, note="Travel is missing.")
    report.refresh_from_db()
    assert (report.status, report.review_note) == (ReportStatus.RETURNED, "Travel is missing.")
    assert selectors.grant_standings([grant], date(2026, 5, 1))[0].spent == Money.zero("USD")

    services.report_submit(actor=grantee_admin, report=report, expenses=dollars(personnel="12000.00", travel="812.40"))
    with pytest.raises(ValidationError):  # submitted: not again until it is sent back
        services.report_submit(actor=grantee_admin, report=report, expenses=dollars(personnel="1.00"))
    services.report_accept(actor=program_admin, report=report)
    with pytest.raises(ValidationError):
        services.report_return(actor=program_admin, report=report, note="Too late")

    standing = selectors.grant_standings([grant], date(2026, 5, 1))[0]
    assert standing.spent == Money.of("12812.40", "USD")
    assert {row.category: row.spent for row in standing.rows if row.spent} == {
        BudgetCategory.PERSONNEL: Money.of("12000.00", "USD"),
        BudgetCategory.TRAVEL: Money.of("812.40", "USD"),
    }
    assert (_entries("report.submit"), _entries("report.return"), _entries("report.accept")) == (2, 1, 1)


def test_a_financial_report_names_only_the_grants_budget_lines(grant, grantee_admin, program_admin) -> None:
    report = quarterly(grant, program_admin)[0]
    with pytest.raises(ValidationError):
        services.report_submit(actor=grantee_admin, report=report, expenses=dollars(equipment="10.00"))
    with pytest.raises(ValidationError):
        services.report_submit(actor=grantee_admin, report=report, expenses={"personnel": Money.of("10", "EUR")})
    assert not ExpenseLine.objects.in_org(grant.organization).exists()


def test_a_narrative_report_needs_its_text(grant, grantee_admin, program_admin) -> None:
    report = services.reports_schedule(actor=program_admin, grant=grant, kind=ReportKind.NARRATIVE, months=6)[0]
    with pytest.raises(ValidationError):
        services.report_submit(actor=grantee_admin, report=report, narrative=" ")
    services.report_submit(actor=grantee_admin, report=report, narrative="Twelve clinicians started the path.")
    report.refresh_from_db()
    assert report.narrative == "Twelve clinicians started the path."


# -- Overspending ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("over_by_cents", "flagged"), [(-1, False), (0, False), (1, True), (250_000, True)])
def test_a_line_is_overspent_exactly_when_accepted_spending_exceeds_its_budget(
    grant, grantee_admin, program_admin, over_by_cents: int, flagged: bool
) -> None:
    first, second, *_ = quarterly(grant, program_admin)
    budget = Money.of(BUDGET[BudgetCategory.TRAVEL], "USD")
    half = Money(budget.minor // 2, "USD")
    rest = Money(budget.minor - half.minor + over_by_cents, "USD")
    services.report_submit(actor=grantee_admin, report=first, expenses={BudgetCategory.TRAVEL: half})
    services.report_accept(actor=program_admin, report=first)
    second = services.report_submit(actor=grantee_admin, report=second, expenses={BudgetCategory.TRAVEL: rest})

    standing, lines = selectors.report_review(second, date(2026, 8, 1))
    travel = next(row for row in standing.rows if row.category == BudgetCategory.TRAVEL)
    assert lines == {BudgetCategory.TRAVEL: rest.minor}
    assert travel.would_overspend is flagged  # the warning before the admin accepts
    assert not travel.overspent

    services.report_accept(actor=program_admin, report=second)
    standing = selectors.grant_standings([grant], date(2026, 8, 1))[0]
    assert [row.category for row in standing.overspent] == ([BudgetCategory.TRAVEL] if flagged else [])


@given(
    budget=st.integers(min_value=0, max_value=10**9),
    spent=st.lists(st.integers(min_value=0, max_value=10**9), max_size=6),
)
def test_budget_rows_flag_what_exceeds_the_budget(budget: int, spent: list[int]) -> None:
    (row,) = selectors.budget_rows({"travel": budget}, {"travel": sum(spent)}, "USD")
    assert row.overspent is (sum(spent) > budget)
    assert row.left == Money(budget - sum(spent), "USD")


# -- Reminders -------------------------------------------------------------------------------------------------


def test_reminders_go_once_to_the_grantees_admins_on_the_programs_days(
    grant, grantee_admin, program_admin, chapter, cac, make_member, settings
) -> None:
    make_member(Role.ORG_ADMIN, cac)  # the CAC under the chapter: not the grantee
    first = quarterly(grant, program_admin)[0]  # due 2026-04-30; the program reminds 14 and 3 days before, 1 after
    rules = services.money_rules(fund_program := grant.fund.program)
    assert rules.reminder_days == [14, 3, -1]
    assert fund_program.pk

    def run(day: date) -> int:
        call_command("grant_report_reminders", "--today", day.isoformat(), stdout=_Quiet())
        return len(mail.outbox)

    assert run(date(2026, 4, 15)) == 0
    assert run(date(2026, 4, 16)) == 1
    assert mail.outbox[0].to == [grantee_admin.email]
    assert run(date(2026, 4, 16)) == 1  # the same day again: not twice
    assert run(date(2026, 4, 20)) == 1  # no reminder day since
    assert run(date(2026, 4, 27)) == 2
    services.report_submit(actor=grantee_admin, report=first, expenses=dollars(personnel="1.00"))
    assert run(date(2026, 5, 1)) == 2  # submitted: nothing to remind of
    services.report_return(actor=program_admin, report=first, note="Missing lines")
    assert run(date(2026, 5, 2)) == 3  # sent back, and late now
    assert "Late" in mail.outbox[2].subject
    assert ReportReminder.objects.in_org(chapter).filter(report=first).count() == 3


class _Quiet:
    def write(self, *_args: object) -> None:
        pass

    def flush(self) -> None:
        pass


# -- Pages: each grantee its own -------------------------------------------------------------------------------


@pytest.fixture
def two_grants(fund, chapter, cac, other_cac, program_admin):
    """Grants to the chapter, to its CAC and to another CAC, each with its quarterly reports."""
    grants = {org.pk: active_grant(fund, org, program_admin) for org in (chapter, cac, other_cac)}
    reports = {org_id: quarterly(grant, program_admin)[0] for org_id, grant in grants.items()}
    return grants, reports


@pytest.mark.parametrize(("viewer", "owner"), [("chapter", "cac"), ("cac", "chapter"), ("cac", "other_cac")])
def test_a_grantee_never_sees_another_grantees_grant(
    request, two_grants, make_member, signed_in, viewer: str, owner: str
) -> None:
    """Each way: a chapter does not see its CAC's grant (each answers for its own money), nor a CAC its
    chapter's, nor another CAC's: the same 404 as a grant that does not exist."""
    grants, reports = two_grants
    viewing, owning = request.getfixturevalue(viewer), request.getfixturevalue(owner)
    client = signed_in(make_member(Role.ORG_ADMIN, viewing))
    theirs, their_report = grants[owning.pk], reports[owning.pk]
    page = client.get("/grants/ours/").content.decode()
    assert grants[viewing.pk].purpose in page
    assert theirs.purpose not in page
    assert client.get(f"/grants/ours/{theirs.pk}/").status_code == 404
    assert client.get(f"/grants/ours/reports/{their_report.pk}/").status_code == 404
    assert client.get(f"/grants/ours/reports/{their_report.pk}/import/").status_code == 404
    posted = client.post(f"/grants/ours/reports/{their_report.pk}/", {"personnel": "10.00"})
    assert posted.status_code == 404
    their_report.refresh_from_db()
    assert their_report.status == ReportStatus.DUE
    assert client.get(f"/grants/ours/{grants[viewing.pk].pk}/").status_code == 200


def test_a_draft_grant_is_not_shown_to_its_grantee(fund, cac, program_admin, make_member, signed_in) -> None:
    draft = services.grant_save(
        actor=program_admin,
        fund=fund,
        grant=None,
        grantee=cac,
        purpose="Not decided yet",
        amount=Money.of("100", "USD"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        budget=dollars(personnel="100"),
    )
    client = signed_in(make_member(Role.ORG_ADMIN, cac))
    assert "Not decided yet" not in client.get("/grants/ours/").content.decode()
    assert client.get(f"/grants/ours/{draft.pk}/").status_code == 404


def test_the_grantee_types_a_report_the_admin_sends_it_back_then_accepts_it(
    grant, grantee_admin, program_admin, signed_in
) -> None:
    report = quarterly(grant, program_admin)[0]
    grantee, admin = signed_in(grantee_admin), signed_in(program_admin)

    invalid = grantee.post(f"/grants/ours/reports/{report.pk}/", {"personnel": "12.345", "travel": "-1"})
    assert invalid.status_code == 422
    assert ExpenseLine.objects.in_org(grant.organization).count() == 0

    typed = {"personnel": "12000", "travel": "6000.00", "supplies": "", "indirect": "0", "narrative": "Trip"}
    assert grantee.post(f"/grants/ours/reports/{report.pk}/", typed).status_code == 302
    review = admin.get(f"/grants/reports/{report.pk}/").content.decode()
    assert "Accepting this report takes Travel over its budget." in review
    assert "Personnel over its budget" not in review
    assert report.grant.purpose in admin.get("/grants/reports/").content.decode()

    assert admin.post(f"/grants/reports/{report.pk}/", {"decision": "return"}).status_code == 422
    admin.post(f"/grants/reports/{report.pk}/", {"decision": "return", "note": "Travel: split the trip."})
    assert "Travel: split the trip." in grantee.get(f"/grants/ours/reports/{report.pk}/").content.decode()

    corrected = {"personnel": "12000", "travel": "4999.99", "narrative": ""}
    assert grantee.post(f"/grants/ours/reports/{report.pk}/", corrected).status_code == 302
    assert "over its budget" not in admin.get(f"/grants/reports/{report.pk}/").content.decode()
    assert admin.post(f"/grants/reports/{report.pk}/", {"decision": "accept"}).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    assert selectors.report_lines(report) == {"personnel": 1_200_000, "travel": 499_999}


def test_overspending_shows_on_both_sides(grant, grantee_admin, program_admin, signed_in) -> None:
    report = quarterly(grant, program_admin)[0]
    services.report_submit(actor=grantee_admin, report=report, expenses=dollars(supplies="2500.51"))
    services.report_accept(actor=program_admin, report=report)
    grantee_page = signed_in(grantee_admin).get("/grants/ours/").content.decode()
    admin_page = signed_in(program_admin).get(f"/grants/reports/schedule/{grant.pk}/").content.decode()
    for page in (grantee_page, admin_page):
        assert page.count('badge-danger">over budget') == 1
        assert "1 budget line is over budget." in page


def test_the_program_admin_schedules_from_a_form(grant, program_admin, signed_in) -> None:
    client = signed_in(program_admin)
    response = client.post(
        f"/grants/reports/schedule/{grant.pk}/", {"kind": "narrative", "months": "6", "due_after_days": "15"}
    )
    assert response.status_code == 302
    due = list(GrantReport.objects.in_org(grant.organization).filter(grant=grant).values_list("due_on", flat=True))
    assert due == [date(2026, 7, 15), date(2027, 1, 15)]


def test_late_reports_are_marked_and_listed(grant, program_admin, grantee_admin, signed_in) -> None:
    services.reports_schedule(actor=program_admin, grant=grant, kind=ReportKind.FINANCIAL, months=3)
    today = date.today()  # noqa: DTZ011 (the grant ran in 2026: its reports are late from 2027 on, or not yet)
    late = GrantReport.objects.in_org(grant.organization).filter(grant=grant, due_on__lt=today).count()
    page = signed_in(grantee_admin).get(f"/grants/ours/{grant.pk}/").content.decode()
    assert page.count('badge-danger">late') == late
    board = selectors.program_reports(grant.fund.program, date(2026, 5, 1))
    assert [r.due_on for r in board.late] == [date(2026, 4, 30)]
    assert board.due_soon == []
    board = selectors.program_reports(grant.fund.program, date(2026, 7, 1))
    assert [r.due_on for r in board.due_soon] == [date(2026, 7, 30)]


def test_our_grants_page_reads_in_a_fixed_number_of_queries(
    fund, chapter, program_admin, grantee_admin, signed_in, django_assert_max_num_queries
) -> None:
    client = signed_in(grantee_admin)
    for _n in range(3):
        grant = active_grant(fund, chapter, program_admin)
        for report in quarterly(grant, program_admin)[:2]:
            services.report_submit(actor=grantee_admin, report=report, expenses=dollars(personnel="1.00"))
            services.report_accept(actor=program_admin, report=report)
    with django_assert_max_num_queries(16):
        assert client.get("/grants/ours/").status_code == 200
