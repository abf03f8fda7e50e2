"""Authoring a course: drafts are edited, complete drafts are published, and publishing moves or renews the staff's
assignments (decision 0031)."""

from datetime import date, timedelta
from itertools import count

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.learning import authoring
from haven.learning.authoring import ChoiceFields, CourseFields, ModuleFields, QuestionFields, VersionSettings
from haven.learning.models import (
    Assignment,
    AssignmentRule,
    Choice,
    Course,
    CourseVersion,
    Module,
    Question,
    StaffMember,
    VersionStatus,
)
from haven.organizations.models import Organization

TODAY = date(2026, 6, 15)
_slugs = count(1)


def right_and_wrong(n: int) -> QuestionFields:
    return QuestionFields(
        kind="single",
        text_en=f"Question {n}?",
        text_fr=f"Question {n} ?",
        choices=(
            ChoiceFields(text_en="Right", text_fr="Juste", is_correct=True),
            ChoiceFields(text_en="Wrong", text_fr="Faux"),
        ),
    )


def draft_course(admin: User, company: Organization, *, modules: int = 2, questions: int = 3) -> CourseVersion:
    """A course whose draft (version 1) is complete in both languages, ready to publish."""
    n = next(_slugs)
    course = authoring.course_save(
        actor=admin,
        organization=company,
        fields=CourseFields(slug=f"safeguarding-{n}", title_en="Safeguarding", title_fr="Protection de l'enfance"),
    )
    version = CourseVersion.objects.in_org(company).get(course=course)
    for m in range(1, modules + 1):
        authoring.module_save(
            actor=admin,
            version=version,
            fields=ModuleFields(title_en=f"Module {m}", body_en="Read this.", title_fr=f"Module {m}", body_fr="Lisez."),
        )
    for q in range(1, questions + 1):
        authoring.question_save(actor=admin, version=version, fields=right_and_wrong(q))
    return version


def _open(staff: StaffMember, course: Course) -> list[Assignment]:
    return list(
        Assignment.objects.in_org(staff.organization_id).filter(
            staff=staff, course=course, completed_at__isnull=True, superseded_at__isnull=True
        )
    )


def _assign(staff: StaffMember, version: CourseVersion, *, rule: AssignmentRule | None = None, due: int = 30):
    return Assignment.objects.create(
        organization_id=staff.organization_id,
        staff=staff,
        course=version.course,
        version=version,
        rule=rule,
        assigned_on=TODAY - timedelta(days=5),
        due_on=TODAY + timedelta(days=due),
    )


def test_a_new_course_has_an_empty_draft_and_is_audited(learning_admin, company):
    course = authoring.course_save(
        actor=learning_admin, organization=company, fields=CourseFields(slug="Basics", title_en="Basics")
    )
    assert course.slug == "basics"
    assert list(CourseVersion.objects.in_org(company).filter(course=course).values_list("number", "status")) == [
        (1, VersionStatus.DRAFT)
    ]
    assert AuditEntry.objects.in_org(company).filter(action="learning.course_create", target_id=str(course.pk)).exists()
    with pytest.raises(ValidationError) as refused:
        authoring.course_save(
            actor=learning_admin, organization=company, fields=CourseFields(slug="basics", title_en="Again")
        )
    assert "slug" in refused.value.message_dict


def test_only_a_corporate_partner_has_courses(learning_admin, cac):
    with pytest.raises(ValidationError):
        authoring.course_save(actor=learning_admin, organization=cac, fields=CourseFields(slug="x", title_en="X"))


def test_a_module_with_an_image_without_alt_text_is_refused(learning_admin, company):
    version = draft_course(learning_admin, company, modules=0)
    fields = ModuleFields(title_en="Signs", body_en="Look:\n\n![](https://example.org/a.png)", body_fr="")
    with pytest.raises(ValidationError) as refused:
        authoring.module_save(actor=learning_admin, version=version, fields=fields)
    assert refused.value.error_dict["body_en"][0].code == "images_without_alt"
    assert not Module.objects.in_org(company).filter(version=version).exists()
    described = ModuleFields(title_en="Signs", body_en="Look:\n\n![A bruise chart](https://example.org/a.png)")
    assert authoring.module_save(actor=learning_admin, version=version, fields=described).position == 1


def test_modules_move_and_close_up_when_one_is_deleted(learning_admin, company):
    version = draft_course(learning_admin, company, modules=3)

    def titles() -> list[str]:
        return list(Module.objects.in_org(company).filter(version=version).values_list("title_en", flat=True))

    third = Module.objects.in_org(company).get(version=version, position=3)
    authoring.module_move(actor=learning_admin, module=third, up=True)
    assert titles() == ["Module 1", "Module 3", "Module 2"]
    first = Module.objects.in_org(company).get(version=version, position=1)
    authoring.module_move(actor=learning_admin, module=first, up=True)  # already first: nothing moves
    assert titles() == ["Module 1", "Module 3", "Module 2"]
    authoring.module_delete(actor=learning_admin, module=first)
    assert titles() == ["Module 3", "Module 2"]
    assert list(Module.objects.in_org(company).filter(version=version).values_list("position", flat=True)) == [1, 2]


@pytest.mark.parametrize(
    ("kind", "right", "accepted"),
    [("single", 1, True), ("single", 0, False), ("single", 2, False), ("multiple", 2, True), ("multiple", 0, False)],
)
def test_a_question_needs_its_right_answers(learning_admin, company, kind, right, accepted):
    version = draft_course(learning_admin, company, questions=0)
    choices = tuple(ChoiceFields(text_en=f"Answer {n}", is_correct=n < right) for n in range(3))
    fields = QuestionFields(kind=kind, text_en="Which?", choices=choices)
    if accepted:
        question = authoring.question_save(actor=learning_admin, version=version, fields=fields)
        assert Choice.objects.in_org(company).filter(question=question, is_correct=True).count() == right
    else:
        with pytest.raises(ValidationError):
            authoring.question_save(actor=learning_admin, version=version, fields=fields)
        assert not Question.objects.in_org(company).filter(version=version).exists()


def test_an_incomplete_version_cannot_be_published(learning_admin, company):
    version = draft_course(learning_admin, company, questions=0)
    with pytest.raises(ValidationError, match="no question"):
        authoring.version_publish(actor=learning_admin, version=version, today=TODAY)
    authoring.question_save(actor=learning_admin, version=version, fields=right_and_wrong(1))
    authoring.version_settings_save(
        actor=learning_admin, version=version, settings=VersionSettings(questions_per_attempt=2)
    )
    with pytest.raises(ValidationError, match="only 1"):
        authoring.version_publish(actor=learning_admin, version=version, today=TODAY)
    authoring.question_save(actor=learning_admin, version=version, fields=right_and_wrong(2))
    module = Module.objects.in_org(company).filter(version=version).first()
    authoring.module_save(
        actor=learning_admin, version=version, module=module, fields=ModuleFields(title_en="Only English", body_en="x")
    )
    with pytest.raises(ValidationError, match="in English and in French"):
        authoring.version_publish(actor=learning_admin, version=version, today=TODAY)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_a_question_left_without_a_right_answer_stops_publishing(learning_admin, company):
    """A right answer removed behind the form's back (or by an import) is caught at publishing."""
    version = draft_course(learning_admin, company)
    Choice.objects.in_org(company).filter(question__version=version, question__position=2).update(is_correct=False)
    with pytest.raises(ValidationError, match="Question 2 has no right answer"):
        authoring.version_publish(actor=learning_admin, version=version, today=TODAY)


def test_a_new_version_copies_the_published_one_and_only_a_draft_changes(learning_admin, company):
    first = draft_course(learning_admin, company)
    authoring.version_publish(actor=learning_admin, version=first, today=TODAY)
    with pytest.raises(ValidationError):
        authoring.module_save(actor=learning_admin, version=first, fields=ModuleFields(title_en="x", body_en="y"))
    draft = authoring.version_new(actor=learning_admin, course=first.course)
    assert draft.number == 2 and draft.status == VersionStatus.DRAFT
    assert list(Module.objects.in_org(company).filter(version=draft).values_list("title_en", "body_fr")) == list(
        Module.objects.in_org(company).filter(version=first).values_list("title_en", "body_fr")
    )
    copied = Choice.objects.in_org(company).filter(question__version=draft)
    assert copied.count() == 6 and copied.filter(is_correct=True).count() == 3
    with pytest.raises(ValidationError):
        authoring.version_new(actor=learning_admin, course=first.course)
    authoring.version_publish(actor=learning_admin, version=draft, today=TODAY)
    statuses = dict(CourseVersion.objects.in_org(company).filter(course=first.course).values_list("number", "status"))
    assert statuses == {1: VersionStatus.RETIRED, 2: VersionStatus.PUBLISHED}


def test_the_database_holds_one_published_version_per_course(learning_admin, company):
    first = draft_course(learning_admin, company)
    authoring.version_publish(actor=learning_admin, version=first, today=TODAY)
    draft = authoring.version_new(actor=learning_admin, course=first.course)
    with pytest.raises(IntegrityError):
        CourseVersion.objects.in_org(company).filter(pk=draft.pk).update(status=VersionStatus.PUBLISHED)


def test_publishing_without_reassign_moves_open_assignments_and_keeps_completions(learning_admin, company, make_staff):
    first = draft_course(learning_admin, company)
    authoring.version_publish(actor=learning_admin, version=first, today=TODAY)
    doing, done = make_staff(), make_staff()
    open_one = _assign(doing, first, due=12)
    finished = _assign(done, first)
    Assignment.objects.in_org(company).filter(pk=finished.pk).update(completed_at=timezone.now())
    second = authoring.version_new(actor=learning_admin, course=first.course)
    published = authoring.version_publish(actor=learning_admin, version=second, today=TODAY)
    assert (published.moved, published.reassigned) == (1, 0)
    [moved] = _open(doing, first.course)
    assert (moved.version_id, moved.due_on) == (second.pk, open_one.due_on)
    open_one.refresh_from_db()
    assert open_one.superseded_at is not None  # the old one stays, as history
    assert _open(done, first.course) == []
    entry = AuditEntry.objects.in_org(company).get(action="learning.version_publish", target_id=str(second.pk))
    assert (entry.detail["moved"], entry.detail["reassigned"]) == (1, 0)


def test_publishing_with_reassign_assigns_it_again_to_who_completed_it_in_the_cycle(
    learning_admin, company, make_staff
):
    first = draft_course(learning_admin, company)
    authoring.version_publish(actor=learning_admin, version=first, today=TODAY)
    course = first.course
    yearly = AssignmentRule.objects.create(organization=company, course=course, due_days=14, refresh_months=12)
    recent, long_ago, ruleless, gone, doing = (make_staff() for _ in range(5))
    for staff, rule, days_ago in (
        (recent, yearly, 20),
        (long_ago, yearly, 400),
        (ruleless, None, 900),
        (gone, None, 5),
    ):
        done = _assign(staff, first, rule=rule)
        Assignment.objects.in_org(company).filter(pk=done.pk).update(
            completed_at=timezone.now() - timedelta(days=days_ago)
        )
    gone.is_active = False
    gone.save()
    _assign(doing, first, due=3)
    second = authoring.version_new(actor=learning_admin, course=course)
    authoring.version_settings_save(
        actor=learning_admin, version=second, settings=VersionSettings(reassign=True, change_note="New law")
    )
    today = timezone.localdate()  # completions are counted back from the day it is published
    published = authoring.version_publish(actor=learning_admin, version=second, today=today)
    assert (published.moved, published.reassigned) == (1, 2)
    [again] = _open(recent, course)
    assert (again.version_id, again.assigned_on, again.due_on) == (second.pk, today, today + timedelta(days=14))
    [again] = _open(ruleless, course)
    assert again.due_on == today + timedelta(days=30)
    assert _open(long_ago, course) == [] and _open(gone, course) == []
    [moved] = _open(doing, course)
    assert moved.due_on == TODAY + timedelta(days=3)
    assert Assignment.objects.in_org(company).filter(course=course, completed_at__isnull=False).count() == 4


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.booleans()),
        st.tuples(st.just("assign"), st.integers(0, 3)),
        st.tuples(st.just("complete"), st.integers(0, 3)),
        st.tuples(st.just("leave"), st.integers(0, 3)),
    ),
    max_size=10,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_after_any_publishes_each_active_member_has_one_open_assignment_of_the_published_version(
    steps, learning_admin, company, make_staff
):
    version = draft_course(learning_admin, company, modules=1, questions=1)
    course = version.course
    authoring.version_publish(actor=learning_admin, version=version, today=TODAY)
    staff = [make_staff() for _ in range(4)]
    for step, arg in steps:
        published = CourseVersion.objects.in_org(company).get(course=course, status=VersionStatus.PUBLISHED)
        member = staff[arg] if step != "publish" else None
        if step == "publish":
            draft = authoring.version_new(actor=learning_admin, course=course)
            authoring.version_settings_save(actor=learning_admin, version=draft, settings=VersionSettings(reassign=arg))
            authoring.version_publish(actor=learning_admin, version=draft, today=TODAY)
        elif step == "assign" and member.is_active and not _open(member, course):
            _assign(member, published)
        elif step == "complete":
            for open_one in _open(member, course):
                Assignment.objects.in_org(company).filter(pk=open_one.pk).update(completed_at=timezone.now())
        elif step == "leave":
            member.is_active = False
            member.save()
        published = CourseVersion.objects.in_org(company).get(course=course, status=VersionStatus.PUBLISHED)
        for person in StaffMember.objects.in_org(company).filter(is_active=True):
            assert [a.version_id for a in _open(person, course)] in ([], [published.pk])
