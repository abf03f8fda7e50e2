"""Creative review figures per program (issue 15): reviews by outcome, sent back at least once, the median
turnaround in working days, the checklist items failed most. Counted exactly for the program's staff, exactly as
released for the funder (a quarter's figures fixed when first released), rounded on the public page; no title, no
person, nothing of an asset leaves the company."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from html import escape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.core.dates import add_working_days
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import figures, tables
from haven.safeguarding.models import Answer, ChecklistAnswer, ChecklistItem, Decision, Outcome, Status, Submission
from haven.safeguarding.services import current_checklist

from .builders import keep_documents, layout_texts

FUNDER = "/reporting/funder/"
TITLE = "Secret holiday shoot"


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(min_value=0, max_value=80))
def test_working_days_counts_what_add_working_days_adds(start: date, n: int) -> None:
    """The turnaround is counted as the review's due date is set: n working days after a start is n days away."""
    moment = datetime.combine(start, time(10), tzinfo=UTC)
    assert figures.working_days(start, add_working_days(moment, n).date()) == n


def test_working_days_by_hand() -> None:
    monday = date(2026, 11, 2)
    assert figures.working_days(monday, monday) == 0
    assert figures.working_days(monday, monday + timedelta(days=2)) == 2  # Wednesday
    assert figures.working_days(monday + timedelta(days=4), monday + timedelta(days=7)) == 1  # Friday to Monday
    assert figures.working_days(monday + timedelta(days=5), monday + timedelta(days=7)) == 0  # Saturday to Monday
    assert figures.working_days(monday, monday + timedelta(days=14)) == 10


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class Reviews:
    """A company's submissions to the program, with moments set by hand."""

    def __init__(self, company: Organization, program: Program, author: User, reviewer: User) -> None:
        self.company, self.program, self.author, self.reviewer = company, program, author, reviewer
        self.made = 0

    def submission(
        self, *, status: str, first: date | None, decided: date | None = None, program: Program | None = None
    ) -> Submission:
        self.made += 1
        return Submission.objects.create(
            organization=self.company,
            program=program or self.program,
            title=f"{TITLE} {self.made}",
            status=status,
            checklist=current_checklist(),
            round=1 if first else 0,
            submitted_by=self.author,
            first_submitted_at=_at(first) if first else None,
            submitted_at=_at(first) if first else None,
            decided_at=_at(decided, 15) if decided else None,
        )

    def sent_back(self, submission: Submission, on: date) -> None:
        decision = Decision.objects.create(
            organization=self.company,
            submission=submission,
            round=1,
            reviewer=self.reviewer,
            reviewer_role=Role.SAFEGUARDING_REVIEWER,
            outcome=Outcome.CHANGES,
            note="Reviewer's private note",
            assets_digest="0" * 64,
        )
        Decision.objects.in_org(self.company).filter(pk=decision.pk).update(decided_at=_at(on, 12))

    def failed(self, submission: Submission, code: str, on: date) -> None:
        item = ChecklistItem.objects.get(version=submission.checklist, code=code)
        answer = ChecklistAnswer.objects.create(
            organization=self.company,
            submission=submission,
            round=1,
            item=item,
            answer=Answer.NO,
            note="fails",
            answered_by=self.reviewer,
        )
        ChecklistAnswer.objects.in_org(self.company).filter(pk=answer.pk).update(answered_at=_at(on, 11))


def _another_program(national: Organization) -> Program:
    return Program.objects.create(
        organization=national, name="Another", starts_on=date(2020, 1, 1), ends_on=date(2040, 1, 1)
    )


@pytest.fixture
def quarter(funded: Program) -> date:
    found = tables.last_closed_quarter(funded, timezone.now().date())
    assert found is not None
    return found


@pytest.fixture
def reviews(
    partner: Organization, funded: Program, national: Organization, quarter: date, make_member: Callable[..., User]
) -> Reviews:
    """Hand-counted: by the quarter's end, 2 approved (2 and 1 working days), 1 rejected (5 working days), 3 in
    review (one decided only after the quarter), 3 sent back at least once, A1 failed 3 times and B2 once; a draft,
    a submission after the quarter and another program's submission that never count for it."""
    author = make_member(Role.CREATIVE, partner, full_name="Cleo Creative")
    reviewer = make_member(Role.SAFEGUARDING_REVIEWER, partner, full_name="Sam Safe")
    made = Reviews(partner, funded, author, reviewer)
    end = tables.quarter_end(quarter)
    monday = end - timedelta(days=40)
    monday += timedelta(days=(7 - monday.weekday()) % 7)
    after = end + timedelta(days=1)
    s1 = made.submission(status=Status.APPROVED, first=monday, decided=monday + timedelta(days=2))
    made.sent_back(s1, monday + timedelta(days=1))
    made.failed(s1, "A1", monday + timedelta(days=1))
    made.failed(s1, "B2", monday + timedelta(days=1))
    made.submission(status=Status.REJECTED, first=monday, decided=monday + timedelta(days=7))
    s3 = made.submission(status=Status.APPROVED, first=monday + timedelta(days=4), decided=monday + timedelta(days=7))
    made.sent_back(s3, monday + timedelta(days=5))
    made.failed(s3, "A1", monday + timedelta(days=5))
    s4 = made.submission(status=Status.CHANGES_REQUESTED, first=monday)
    made.sent_back(s4, monday + timedelta(days=1))
    made.failed(s4, "A1", monday + timedelta(days=1))
    made.submission(status=Status.IN_REVIEW, first=monday)
    s8 = made.submission(status=Status.APPROVED, first=monday, decided=after)
    made.failed(s8, "C1", after)
    made.submission(status=Status.DRAFT, first=None)
    made.submission(status=Status.APPROVED, first=after, decided=after)
    other = made.submission(
        status=Status.REJECTED, first=monday, decided=monday + timedelta(days=1), program=_another_program(national)
    )
    made.failed(other, "A1", monday)
    return made


def test_each_figure_as_of_the_quarter_s_end_is_the_hand_count(
    reviews: Reviews, funded: Program, quarter: date
) -> None:
    shown = figures.reviews(funded, tables.quarter_end(quarter))
    assert (shown.approved, shown.rejected, shown.in_review, shown.total) == (2, 1, 3, 6)
    assert (shown.sent_back, shown.sent_back_share) == (3, 50)
    assert shown.median_working_days == 2
    assert [(f.code, f.count) for f in shown.failed] == [("A1", 3), ("B2", 1)]


def test_today_counts_what_was_decided_and_submitted_since(reviews: Reviews, funded: Program) -> None:
    shown = figures.reviews(funded)
    assert (shown.approved, shown.rejected, shown.in_review) == (4, 1, 2)
    assert [(f.code, f.count) for f in shown.failed] == [("A1", 3), ("B2", 1), ("C1", 1)]


def test_two_queries_however_many_submissions(reviews: Reviews, funded: Program, quarter: date) -> None:
    with CaptureQueriesContext(connection) as few:
        figures.reviews(funded, tables.quarter_end(quarter))
    for _n in range(12):
        sent = reviews.submission(status=Status.APPROVED, first=quarter, decided=quarter + timedelta(days=3))
        reviews.failed(sent, "D1", quarter)
    with CaptureQueriesContext(connection) as many:
        figures.reviews(funded, tables.quarter_end(quarter))
    # The submissions and the failed answers, grouped; the checklist's words once (versions, their items).
    assert len(few) == len(many) == 4


def test_the_program_dashboard_s_queries_do_not_grow_with_reviews_or_failed_items(
    reviews: Reviews, funded: Program, quarter: date, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(program_admin)
    client.get("/reporting/")
    with CaptureQueriesContext(connection) as few:
        client.get("/reporting/")
    for code in ("C2", "D1", "D2", "E1", "F1", "B1"):
        sent = reviews.submission(status=Status.REJECTED, first=quarter, decided=quarter + timedelta(days=2))
        reviews.failed(sent, code, quarter)
    client.get("/reporting/")
    with CaptureQueriesContext(connection) as many:
        client.get("/reporting/")
    assert len(many) == len(few)


def test_the_program_dashboard_shows_them_exactly_and_nothing_of_a_submission(
    reviews: Reviews, funded: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(program_admin).get("/reporting/")
    shown = response.context["reviews"]
    assert (shown.approved, shown.rejected, shown.in_review, shown.sent_back) == (4, 1, 2, 3)
    page = response.content.decode()
    assert "Creative safeguarding reviews" in page
    assert escape(ChecklistItem.objects.get(version=current_checklist(), code="A1").text_en) in page
    for private in (TITLE, "Cleo Creative", "Sam Safe", "Reviewer's private note"):
        assert private not in page


def test_the_funder_reads_the_released_quarter_exactly_everywhere(
    reviews: Reviews,
    funded: Program,
    quarter: date,
    funder_viewer: User,
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counts under 11 are shown as they are (reviews are not children); a review decided after the quarter is in
    review there; what is entered later about the quarter does not change its release."""
    client = signed_in(funder_viewer)
    report: tables.FunderReport = client.get(FUNDER).context["report"]
    rows = {str(label): values for label, values in report.table("reviews").rows}
    assert rows["Ready to publish (approved)"][0] == 2
    assert rows["Rejected"][0] == 1
    assert rows["In review"][0] == 3
    assert rows["Sent back for changes at least once"] == [3, 50]
    assert rows["Median turnaround, working days"][0] == "2.0"
    failed = [(str(label).split(" · ")[0], values[0]) for label, values in report.table("review_failed").rows]
    assert failed == [("A1", 3), ("B2", 1)]

    reviews.submission(status=Status.REJECTED, first=quarter, decided=quarter + timedelta(days=1))
    again: tables.FunderReport = client.get(FUNDER).context["report"]
    assert {str(label): values for label, values in again.table("reviews").rows} == rows

    exported = client.get("/reporting/funder/export.csv").content.decode()
    assert ["Ready to publish (approved)", "2", ""] in list(csv.reader(io.StringIO(exported)))
    documents = keep_documents(monkeypatch)
    assert client.get("/reporting/funder/export.pdf").status_code == 200
    texts = layout_texts(documents[-1])
    assert "Creative safeguarding reviews" in texts
    at = texts.index("Sent back for changes at least once")
    assert "3" in texts[at : at + 4]
    for content in (exported, client.get(FUNDER).content.decode()):
        for private in (TITLE, "Cleo Creative", "Sam Safe", reviews.company.name):
            assert private not in content


def test_the_public_page_shows_the_reviews_decided_rounded(reviews: Reviews, funded: Program, quarter: date) -> None:
    """3 decided by the quarter's end, and 13 more: 16, to the nearest 10. What comes later about the quarter
    does not change the quarter released."""
    for _n in range(13):
        reviews.submission(status=Status.APPROVED, first=quarter, decided=quarter + timedelta(days=1))
    public: tables.PublicFigures = Client().get("/impact/").context["public"]
    assert public.reviews_decided == 20
    for _n in range(10):
        reviews.submission(status=Status.APPROVED, first=quarter, decided=quarter + timedelta(days=1))
    page = Client().get("/impact/")
    assert page.context["public"].reviews_decided == 20
    assert TITLE not in page.content.decode()


def test_a_program_without_reviews_shows_none(
    funded: Program, program_admin: User, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    assert "Creative safeguarding reviews" not in signed_in(program_admin).get("/reporting/").content.decode()
    report = signed_in(funder_viewer).get(FUNDER).context["report"]
    assert "reviews" not in {t.slug for t in report.tables}
    assert Client().get("/impact/").context["public"].reviews_decided is None
