"""The generated grantee reports: a financial report each quarter and a narrative one each half-year, most past
ones accepted, some sent back, the latest awaiting review, some late, and some budget lines overspent."""

from collections.abc import Sequence
from datetime import date, timedelta

from haven.core.dates import add_months, quarter_end, quarter_of
from haven.core.db import insert_rows
from haven.core.generation import GenerationContext
from haven.organizations.models import Membership
from haven.organizations.roles import Role

from ..models import BudgetCategory, ExpenseLine, GrantReport, GrantStatus, ReportKind, ReportReminder, ReportStatus
from .days import at
from .grants import GrantPlan

# The lines a grantee overspends most often.
OVERSPENT_CATEGORIES = (
    BudgetCategory.TRAVEL,
    BudgetCategory.SUPPLIES,
    BudgetCategory.OTHER,
    BudgetCategory.CONTRACTUAL,
)
NARRATIVES = (
    "Clinicians of the cohort completed their live training and joined the consultation calls; two caseloads "
    "were reassigned after a staff departure.",
    "Referrals rose this period after outreach to the county's child protective services; the waiting list is "
    "under three weeks.",
    "We hired a part-time clinical supervisor and moved the caregiver sessions to evenings, which raised attendance.",
    "Travel to the live training cost more than planned; the difference was covered from supplies.",
)
RETURN_NOTES = (
    "Please attach the payroll ledger behind the personnel line.",
    "The travel line is above its budget: please explain the difference.",
    "The period's figures do not match the invoices attached; please correct and resubmit.",
)


def _periods(start: date, end: date, months: int, today: date) -> list[tuple[date, date]]:
    """The reporting periods of a grant begun by today: calendar quarters (``months`` 3) or half-years from its
    start (6), cut to its own period."""
    periods = []
    cursor = quarter_of(start) if months == 3 else start
    while cursor <= end and cursor <= today:
        following = add_months(cursor, months)
        last = quarter_end(cursor) if months == 3 else following - timedelta(days=1)
        periods.append((max(cursor, start), min(last, end)))
        cursor = following
    return periods


def reports_write(
    ctx: GenerationContext, plans: list[GrantPlan], admins: list[int], today: date, reminder_days: Sequence[int]
) -> None:
    """A financial report each quarter and a narrative one each half-year of a running or closed grant, due 30
    days after the period. Most past ones accepted, some sent back, the latest awaiting review, some late (past
    due and not submitted); spending per budget line near the plan, and above the whole line on some grants."""
    rng = ctx.rng
    grantees = {plan.grantee for plan in plans}
    grantee_admins: dict[int, int] = {}
    for org_id, user_id in (
        Membership.objects.in_orgs(grantees)
        .filter(role=Role.ORG_ADMIN, is_active=True)
        .order_by("user_id")
        .values_list("organization_id", "user_id")
    ):
        grantee_admins.setdefault(org_id, user_id)
    reports: list[GrantReport] = []
    expenses: list[tuple[GrantReport, str, int]] = []
    started = [plan for plan in plans if plan.status in (GrantStatus.ACTIVE, GrantStatus.CLOSED)]
    spending: list[tuple[GrantPlan, GrantReport]] = []  # each grant's last financial report with spending
    for plan in started:
        submitter = grantee_admins.get(plan.grantee, plan.created_by)
        total_days = (plan.ends_on - plan.starts_on).days + 1
        last_financial: GrantReport | None = None
        for kind, months in ((ReportKind.FINANCIAL, 3), (ReportKind.NARRATIVE, 6)):
            for period_start, period_end in _periods(plan.starts_on, plan.ends_on, months, today):
                due_on = period_end + timedelta(days=30)
                report = GrantReport(
                    organization_id=plan.grantee,
                    grant=plan.row,
                    kind=kind,
                    period_start=period_start,
                    period_end=period_end,
                    due_on=due_on,
                )
                reports.append(report)
                draw = rng.random()
                if due_on > today:
                    if period_end < today and draw < 0.3:
                        submitted = today - timedelta(days=rng.randint(0, (today - period_end).days))
                        _submit(report, submitter, submitted, kind)
                elif plan.status == GrantStatus.ACTIVE and draw < 0.08:
                    pass  # late: past due, not submitted
                else:
                    submitted = min(today, due_on - timedelta(days=rng.randint(-5, 20)))
                    submitted = max(submitted, period_end)
                    _submit(report, submitter, submitted, kind)
                    reviewed = submitted + timedelta(days=rng.randint(2, 14))
                    latest = plan.status == GrantStatus.ACTIVE and (today - due_on).days < 45
                    if reviewed <= today and not (latest and draw < 0.6):
                        report.reviewed_by_id = rng.choice(admins)
                        report.reviewed_at = at(reviewed, 15)
                        if plan.status == GrantStatus.ACTIVE and rng.random() < 0.07:
                            report.status = ReportStatus.RETURNED
                            report.review_note = rng.choice(RETURN_NOTES)
                        else:
                            report.status = ReportStatus.ACCEPTED
                if kind == ReportKind.FINANCIAL and report.status != ReportStatus.DUE:
                    share = ((period_end - period_start).days + 1) / total_days
                    for category, line in plan.budget.items():
                        minor = int(line.minor * share * rng.uniform(0.55, 1.0))
                        expenses.append((report, category, minor))
                    last_financial = report
        if last_financial is not None:
            spending.append((plan, last_financial))
    # At least one late report among running grants, so the screens show one.
    running = [report for report in reports if report.grant.status == GrantStatus.ACTIVE]
    if running and not any(r.status == ReportStatus.DUE and r.due_on < today for r in running):
        late = max((r for r in running if r.due_on < today), key=lambda r: r.due_on, default=None)
        if late is not None:
            _unsubmit(late)
            expenses = [row for row in expenses if row[0] is not late]
    # About one grant in eight (one at least) has spent a line beyond its whole budget by its latest report.
    candidates = [row for row in spending if row[1].status != ReportStatus.DUE]
    where = {(id(report), category): index for index, (report, category, _minor) in enumerate(expenses)}
    for plan, report in [row for row in candidates if rng.random() < 0.12] or candidates[:1]:
        category = next((c for c in OVERSPENT_CATEGORIES if c in plan.budget), next(iter(plan.budget)))
        spent = sum(minor for row, found, minor in expenses if row.grant is plan.row and found == category)
        extra = int(plan.budget[category].minor * rng.uniform(1.06, 1.35)) - spent
        index = where[id(report), category]
        expenses[index] = (report, category, expenses[index][2] + max(extra, 1))
    GrantReport.objects.bulk_create(reports, batch_size=2000)
    insert_rows(
        ExpenseLine,
        ["organization", "report", "category", "amount_minor"],
        ((report.organization_id, report.pk, category, minor) for report, category, minor in expenses),
    )
    reminders = insert_rows(
        ReportReminder,
        ["organization", "report", "reminder_on", "sent_at"],
        (
            (report.organization_id, report.pk, day, at(day, 8))
            for report in reports
            for day in (report.due_on - timedelta(days=days) for days in reminder_days)
            if day <= today and (report.submitted_at is None or day < report.submitted_at.date())
        ),
    )
    ctx.count("grant reports", len(reports))
    ctx.count("expense lines", len(expenses))
    ctx.count("report reminders", reminders)


def _submit(report: GrantReport, by: int, on: date, kind: str) -> None:
    report.status = ReportStatus.SUBMITTED
    report.submitted_by_id = by
    report.submitted_at = at(on, 11)
    if kind == ReportKind.NARRATIVE:
        report.narrative = NARRATIVES[report.period_start.toordinal() % len(NARRATIVES)]


def _unsubmit(report: GrantReport) -> None:
    report.status = ReportStatus.DUE
    report.submitted_by_id = report.submitted_at = report.reviewed_by_id = report.reviewed_at = None
    report.narrative = report.review_note = ""
