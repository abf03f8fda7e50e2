"""The learner's side through HTTP: their courses, modules read in order, the quiz, its limits, completion."""

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haven.accounts.models import User
from haven.learning.models import Assignment, Certificate, ModuleCompletion, QuizAttempt, StaffMember, XapiStatement
from haven.organizations.models import Organization
from haven.organizations.tests.factories import OrganizationFactory

from .courses import assign, build_course, right_answers

pytestmark = pytest.mark.django_db

Signed = Callable[[User], Client]


def _read_all(client: Client, assignment: Assignment, modules: int) -> None:
    for position in range(1, modules + 1):
        response = client.post(reverse("learning:module_read", args=[assignment.pk, position]))
        assert response.status_code == 302


def _question_ids(html: str) -> list[int]:
    return [int(n) for n in dict.fromkeys(re.findall(r'name="q(\d+)"', html))]


def _choice_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="q\d+" value="(\d+)"', html)]


def test_home_lists_overdue_first_and_done_with_their_certificate(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    later = assign(staff, build_course(company, slug="later"), due_in_days=20)
    overdue = assign(staff, build_course(company, slug="late"), due_in_days=-3)
    done = assign(staff, build_course(company, slug="done"), due_in_days=10)
    done.completed_at = done.created_at
    done.save()
    certificate = Certificate.objects.create(organization=company, assignment=done, code="A" * 16)

    html = signed_in(staff.user).get(reverse("learning:home")).content.decode()

    urls = [reverse("learning:course", args=[a.pk]) for a in (overdue, later)]
    assert html.index(urls[0]) < html.index(urls[1])
    assert html.count("Overdue") == 1 and html.index("Overdue") < html.index(urls[1])
    assert reverse("learning:certificate_pdf", args=[certificate.pk]) in html
    assert reverse("learning:course", args=[done.pk]) not in html


def test_home_is_in_the_learners_language_unless_they_chose_another(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff(language="fr")
    assign(staff, build_course(company), due_in_days=5)
    client = signed_in(staff.user)
    html = client.get(reverse("learning:home")).content.decode()
    assert '<html lang="fr"' in html and "La protection de l&#x27;enfance" in html and "Cours à suivre" in html
    client.cookies["django_language"] = "en"
    html = client.get(reverse("learning:home")).content.decode()
    assert '<html lang="en"' in html and "Courses to take" in html


def test_the_shell_home_shows_a_learner_their_courses(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    assignment = assign(staff, build_course(company))
    html = signed_in(staff.user).get(reverse("shell:home")).content.decode()
    assert reverse("learning:course", args=[assignment.pk]) in html
    assert reverse("learning:home") in html  # the menu's "My learning"


def test_modules_open_in_order_and_reading_them_opens_the_quiz(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    assignment = assign(staff, build_course(company, modules=3))
    client = signed_in(staff.user)
    module = lambda n: reverse("learning:module", args=[assignment.pk, n])  # noqa: E731
    assert client.get(module(2)).status_code == 404
    assert client.post(reverse("learning:module_read", args=[assignment.pk, 2])).status_code == 302
    assert not ModuleCompletion.objects.in_org(company).exists()
    assert client.get(reverse("learning:quiz", args=[assignment.pk])).status_code == 404

    first = client.get(module(1)).content.decode()
    assert "<h2>Part 1</h2>" in first and "<strong>this</strong>" in first
    response = client.post(reverse("learning:module_read", args=[assignment.pk, 1]))
    assert response.status_code == 302 and response["Location"] == module(2)
    second = client.get(module(2)).content.decode()
    assert module(1) in second  # previous
    assert client.get(module(3)).status_code == 404
    client.post(reverse("learning:module_read", args=[assignment.pk, 2]))
    response = client.post(reverse("learning:module_read", args=[assignment.pk, 3]))
    assert response["Location"] == reverse("learning:quiz", args=[assignment.pk])
    assert ModuleCompletion.objects.in_org(company).filter(assignment=assignment).count() == 3
    assert client.get(reverse("learning:quiz", args=[assignment.pk])).status_code == 200


def test_only_the_learners_own_assignment_is_reachable(
    company: Organization,
    make_staff: Callable[..., StaffMember],
    signed_in: Signed,
    make_member: Callable[..., User],
) -> None:
    staff, colleague = make_staff(), make_staff()
    assignment = assign(staff, build_course(company))
    other = OrganizationFactory(kind=company.kind)
    outsider = make_member("learner", other)
    urls = [
        reverse("learning:course", args=[assignment.pk]),
        reverse("learning:module", args=[assignment.pk, 1]),
    ]
    for url in urls:
        assert signed_in(staff.user).get(url).status_code == 200
        assert signed_in(colleague.user).get(url).status_code == 404
        assert signed_in(outsider).get(url).status_code == 404
    assert signed_in(colleague.user).post(reverse("learning:module_read", args=[assignment.pk, 1])).status_code == 404
    assignment.superseded_at = assignment.created_at
    assignment.save()
    assert signed_in(staff.user).get(urls[0]).status_code == 404


def test_an_attempt_draws_its_questions_once_and_a_reload_shows_the_same(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    assignment = assign(staff, build_course(company, questions=8, per_attempt=5))
    client = signed_in(staff.user)
    _read_all(client, assignment, 2)
    quiz_url = reverse("learning:quiz", args=[assignment.pk])
    assert client.post(reverse("learning:quiz_start", args=[assignment.pk]))["Location"] == quiz_url
    first = client.get(quiz_url).content.decode()
    assert len(_question_ids(first)) == 5
    client.post(reverse("learning:quiz_start", args=[assignment.pk]))  # a second click starts nothing new
    again = client.get(quiz_url).content.decode()
    assert (_question_ids(again), _choice_ids(again)) == (_question_ids(first), _choice_ids(first))
    attempt = QuizAttempt.objects.in_org(company).get()
    assert [q for q, _c in attempt.question_order] == _question_ids(first)
    assert XapiStatement.objects.in_org(company).filter(verb="attempted").count() == 1


def test_passing_completes_the_course_issues_the_certificate_and_records_xapi(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    version = build_course(company, questions=4)
    assignment = assign(staff, version)
    client = signed_in(staff.user)
    _read_all(client, assignment, 2)
    client.post(reverse("learning:quiz_start", args=[assignment.pk]))
    right = right_answers(version)
    data = {f"q{question}": [str(c) for c in choices] for question, choices in right.items()}
    response = client.post(reverse("learning:quiz_submit", args=[assignment.pk]), data)
    assert response["Location"] == reverse("learning:attempt", args=[assignment.pk, 1])

    assignment.refresh_from_db()
    certificate = Certificate.objects.in_org(company).get(assignment=assignment)
    assert assignment.completed_at is not None
    assert re.fullmatch(r"[A-Z2-7]{16}", certificate.code)
    attempt = QuizAttempt.objects.in_org(company).get()
    assert (attempt.score_raw, attempt.score_max, attempt.passed) == (4, 4, True)
    statements = XapiStatement.objects.in_org(company).filter(staff=staff)
    assert sorted(statements.values_list("verb", flat=True)) == ["attempted", "completed", "passed"]
    passed = statements.get(verb="passed").statement
    assert passed["result"]["score"] == {"raw": 4, "min": 0, "max": 4, "scaled": 1.0}

    result = client.get(response["Location"]).content.decode()
    assert "4 right answers of 4 (100%)" in result and "Because of rule 3." in result
    assert reverse("learning:certificate_pdf", args=[certificate.pk]) in result
    assert client.post(reverse("learning:quiz_start", args=[assignment.pk])).status_code == 302
    assert QuizAttempt.objects.in_org(company).count() == 1  # a completed course starts no new attempt


def test_failing_uses_an_attempt_and_the_last_one_sends_the_learner_to_their_admin(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    version = build_course(company, questions=4, attempts=2)
    assignment = assign(staff, version)
    client = signed_in(staff.user)
    _read_all(client, assignment, 2)
    right = right_answers(version)
    multiple = [q for q, choices in right.items() if len(choices) == 2]
    for number in (1, 2):
        client.post(reverse("learning:quiz_start", args=[assignment.pk]))
        # Every answer right but one right choice of each multiple-choice question missing: 2 of 4.
        data = {f"q{q}": [str(min(c))] for q, c in right.items()}
        client.post(reverse("learning:quiz_submit", args=[assignment.pk]), data)
        attempt = QuizAttempt.objects.in_org(company).get(number=number)
        assert (attempt.score_raw, attempt.score_max, attempt.passed) == (4 - len(multiple), 4, False)
    assert XapiStatement.objects.in_org(company).filter(verb="failed").count() == 2
    assert not XapiStatement.objects.in_org(company).filter(verb="completed").exists()
    client.post(reverse("learning:quiz_start", args=[assignment.pk]))
    assert QuizAttempt.objects.in_org(company).count() == 2
    html = client.get(reverse("learning:quiz", args=[assignment.pk])).content.decode()
    assert "Contact your learning admin" in html
    assignment.refresh_from_db()
    assert assignment.completed_at is None and not Certificate.objects.in_org(company).exists()


def test_choices_the_attempt_did_not_show_score_nothing(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Signed
) -> None:
    staff = make_staff()
    version = build_course(company, questions=4, per_attempt=2)
    assignment = assign(staff, version)
    client = signed_in(staff.user)
    _read_all(client, assignment, 2)
    client.post(reverse("learning:quiz_start", args=[assignment.pk]))
    attempt = QuizAttempt.objects.in_org(company).get()
    shown = {q for q, _c in attempt.question_order}
    right = right_answers(version)
    data = {f"q{q}": [str(c) for c in choices] for q, choices in right.items() if q not in shown}
    client.post(reverse("learning:quiz_submit", args=[assignment.pk]), data)
    attempt.refresh_from_db()
    assert (attempt.score_raw, attempt.score_max, attempt.answers) == (0, 2, {})


def test_the_home_page_asks_as_many_queries_for_one_course_as_for_five(
    company: Organization,
    make_staff: Callable[..., StaffMember],
    signed_in: Signed,
) -> None:
    few, many = make_staff(), make_staff()
    assign(few, build_course(company, slug="only"))
    for n in range(5):
        assign(many, build_course(company, slug=f"course-{n}"), due_in_days=n - 2)
    counts = []
    for staff in (few, many):
        client = signed_in(staff.user)
        client.get(reverse("learning:home"))  # the session's first read
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("learning:home")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
