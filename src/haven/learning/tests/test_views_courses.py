"""The authoring pages, through HTTP, as the company's learning admin: what they show and what they change."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.learning import authoring
from haven.learning.models import Assignment, Choice, Course, CourseVersion, Module, Question, VersionStatus
from haven.learning.tests.test_authoring import draft_course
from haven.organizations.roles import Role
from haven.organizations.tests.factories import OrganizationFactory


@pytest.fixture
def admin_client(learning_admin, signed_in):
    return signed_in(learning_admin)


def test_the_courses_list_shows_versions_and_counts(
    admin_client, learning_admin, company, make_staff, django_assert_max_num_queries
):
    for _ in range(3):
        version = draft_course(learning_admin, company, modules=1, questions=1)
        authoring.version_publish(actor=learning_admin, version=version)
        authoring.version_new(actor=learning_admin, course=version.course)
    doing, done = make_staff(), make_staff()
    for staff in (doing, done):
        Assignment.objects.create(
            organization=company,
            staff=staff,
            course=version.course,
            version=version,
            assigned_on=timezone.localdate(),
            due_on=timezone.localdate() + timedelta(days=30),
        )
    Assignment.objects.in_org(company).filter(staff=done).update(completed_at=timezone.now())
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("learning:courses"))
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r.course == version.course)
    assert (row.published.number, row.draft.number, row.assigned, row.completed) == (1, 2, 1, 1)
    assert len(response.context["rows"]) == 3


def test_creating_a_course_opens_its_page_with_a_draft(admin_client, company):
    assert admin_client.get(reverse("learning:courses_create")).status_code == 200
    response = admin_client.post(
        reverse("learning:courses_create"),
        {
            "slug": "safeguarding",
            "title_en": "Safeguarding",
            "title_fr": "Protection",
            "summary_en": "",
            "summary_fr": "",
        },
    )
    course = Course.objects.in_org(company).get(slug="safeguarding")
    assert response.status_code == 302 and response["Location"] == reverse("learning:courses_course", args=[course.pk])
    page = admin_client.get(response["Location"])
    assert [v.status for v in page.context["versions"]] == [VersionStatus.DRAFT]
    edit = admin_client.get(reverse("learning:courses_edit", args=[course.pk]), headers={"accept-language": "fr"})
    assert edit.context["form"].initial["title_fr"] == "Protection"


def test_a_module_with_an_image_without_alt_text_is_refused_on_the_form(admin_client, learning_admin, company):
    version = draft_course(learning_admin, company, modules=0)
    response = admin_client.post(
        reverse("learning:courses_module_create", args=[version.pk]),
        {"title_en": "Signs", "body_en": "![](https://example.org/chart.png)", "title_fr": "", "body_fr": ""},
    )
    assert response.status_code == 400
    assert "alternative text" in response.content.decode()
    assert response.context["form"].has_error("body_en", "images_without_alt")
    assert not Module.objects.in_org(company).filter(version=version).exists()


def test_preview_renders_the_markdown_and_saves_nothing(admin_client, learning_admin, company):
    version = draft_course(learning_admin, company, modules=0)
    response = admin_client.post(
        reverse("learning:courses_module_create", args=[version.pk]),
        {
            "title_en": "Signs",
            "body_en": "Some **signs** <script>alert(1)</script>",
            "title_fr": "Signes",
            "body_fr": "Des *signes*",
            "action": "preview",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>signs</strong>" in html and "<em>signes</em>" in html
    assert "<script>alert(1)" not in html
    assert not Module.objects.in_org(company).filter(version=version).exists()


def test_modules_are_added_moved_and_removed_after_confirming(admin_client, learning_admin, company):
    version = draft_course(learning_admin, company, modules=2)
    added = admin_client.post(
        reverse("learning:courses_module_create", args=[version.pk]),
        {"title_en": "Third", "body_en": "Text", "title_fr": "Troisième", "body_fr": "Texte", "action": "save"},
    )
    assert added.status_code == 302
    third = Module.objects.in_org(company).get(version=version, title_en="Third")
    admin_client.post(reverse("learning:courses_module_move", args=[third.pk]), {"direction": "up"})
    order = list(Module.objects.in_org(company).filter(version=version).values_list("title_en", flat=True))
    assert order == ["Module 1", "Third", "Module 2"]
    asked = admin_client.post(reverse("learning:courses_module_delete", args=[third.pk]))
    assert asked.status_code == 200 and Module.objects.in_org(company).filter(pk=third.pk).exists()
    admin_client.post(reverse("learning:courses_module_delete", args=[third.pk]), {"confirmed": "yes"})
    assert not Module.objects.in_org(company).filter(pk=third.pk).exists()


def test_a_question_is_saved_with_its_answers(admin_client, learning_admin, company):
    version = draft_course(learning_admin, company, questions=0)
    data = {
        "kind": "multiple",
        "text_en": "Which are signs?",
        "text_fr": "Lesquels sont des signes ?",
        "feedback_en": "",
        "feedback_fr": "",
        "choice1_en": "Withdrawal",
        "choice1_fr": "Repli",
        "choice1_right": "on",
        "choice2_en": "Sudden fear",
        "choice2_fr": "Peur soudaine",
        "choice2_right": "on",
        "choice3_en": "A new haircut",
        "choice3_fr": "Une coupe",
    }
    url = reverse("learning:courses_question_create", args=[version.pk])
    refused = admin_client.post(url, {**data, "kind": "single"})
    assert refused.status_code == 400 and "exactly one right answer" in refused.content.decode()
    assert admin_client.post(url, data).status_code == 302
    question = Question.objects.in_org(company).get(version=version)
    choices = Choice.objects.in_org(company).filter(question=question)
    assert list(choices.values_list("text_fr", "is_correct")) == [
        ("Repli", True),
        ("Peur soudaine", True),
        ("Une coupe", False),
    ]
    form = admin_client.get(reverse("learning:courses_question", args=[question.pk]))
    assert form.context["form"].initial["choice2_en"] == "Sudden fear"


def test_publishing_from_the_page_refuses_an_incomplete_draft_then_publishes(admin_client, learning_admin, company):
    version = draft_course(learning_admin, company, questions=1)
    admin_client.post(
        reverse("learning:courses_version", args=[version.pk]),
        {"pass_mark": "80", "attempts_allowed": "3", "questions_per_attempt": "2", "minutes": "20", "change_note": ""},
    )
    refused = admin_client.post(reverse("learning:courses_publish", args=[version.pk]))
    assert refused.status_code == 400 and "only 1" in refused.content.decode()
    assert CourseVersion.objects.in_org(company).get(pk=version.pk).status == VersionStatus.DRAFT
    admin_client.post(
        reverse("learning:courses_version", args=[version.pk]),
        {"pass_mark": "80", "attempts_allowed": "3", "questions_per_attempt": "", "minutes": "20", "change_note": ""},
    )
    published = admin_client.post(reverse("learning:courses_publish", args=[version.pk]))
    assert published.status_code == 302
    assert CourseVersion.objects.in_org(company).get(pk=version.pk).status == VersionStatus.PUBLISHED
    # A published version is read, not edited.
    assert admin_client.get(reverse("learning:courses_module_create", args=[version.pk])).status_code == 404
    settings = {"pass_mark": "10", "attempts_allowed": "9", "questions_per_attempt": "", "minutes": "5"}
    assert admin_client.post(reverse("learning:courses_version", args=[version.pk]), settings).status_code == 404
    assert CourseVersion.objects.in_org(company).get(pk=version.pk).pass_mark == 80
    new = admin_client.post(reverse("learning:courses_version_new", args=[version.course_id]))
    draft = CourseVersion.objects.in_org(company).get(course=version.course, status=VersionStatus.DRAFT)
    assert new["Location"] == reverse("learning:courses_version", args=[draft.pk]) and draft.number == 2


def test_the_pages_are_the_company_admins_only(make_member, signed_in, learning_admin, company, cac, partner):
    version = draft_course(learning_admin, company)
    cac_admin = signed_in(make_member(Role.ORG_ADMIN, cac))
    learner = signed_in(make_member(Role.LEARNER, company))
    other = OrganizationFactory(kind=partner.kind)
    other_admin = signed_in(make_member(Role.ORG_ADMIN, other))
    for client in (cac_admin, learner):
        assert client.get(reverse("learning:courses")).status_code == 404
    for client in (cac_admin, learner, other_admin):
        assert client.get(reverse("learning:courses_version", args=[version.pk])).status_code == 404
        assert client.post(reverse("learning:courses_publish", args=[version.pk])).status_code == 404
    assert other_admin.get(reverse("learning:courses")).status_code == 200
    assert CourseVersion.objects.in_org(company).get(pk=version.pk).status == VersionStatus.DRAFT
