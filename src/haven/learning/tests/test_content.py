"""The standard courses and policy: what the texts say, in both languages, and how they are installed."""

import dataclasses
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from haven.audit.models import AuditEntry
from haven.learning import content, content_install
from haven.learning.content_install import install_standard_content
from haven.learning.markdown import render
from haven.learning.models import (
    Choice,
    Course,
    CourseVersion,
    Module,
    Policy,
    PolicyVersion,
    Question,
    QuestionKind,
    VersionStatus,
)

ROWS = (Course, CourseVersion, Module, Question, Choice, Policy, PolicyVersion)
TEL_LINK = re.compile(r'<a href="tel:([^"]+)"[^>]*>([^<]+)</a>')
HELP_LINES = {"911", "17", "112", "119", "3018", "1-800-422-4453"}


def counts(company):
    return {model.__name__: model.objects.in_org(company).count() for model in ROWS}


def texts():
    """Every Markdown body of the standard content: (where, language, text)."""
    for course in content.standard_courses():
        for module in course.modules:
            for language in ("en", "fr"):
                yield f"{course.slug}/{module.key}", language, getattr(module.body, language)
    policy = content.policy()
    for language in ("en", "fr"):
        yield policy.slug, language, getattr(policy.body, language)


def tel_links(markdown):
    """The phone numbers a text shows as ``tel:`` links, as the reader sees them."""
    return {shown for _, shown in TEL_LINK.findall(str(render(markdown)))}


def report_module(language):
    course = content.course("child-protection")
    (report,) = (module for module in course.modules if module.key == "3-report")
    return getattr(report.body, language)


# --- the texts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*content.standard_courses(), content.policy()], ids=lambda text: text.slug)
def test_the_standard_texts_have_no_problem(text):
    assert content.problems(text) == []
    content_install.check(text)  # images without alt text included


def test_the_courses_are_as_the_issue_asks():
    base, creative = content.standard_courses()
    assert (base.slug, creative.slug) == ("child-protection", "safeguarding-creative")
    assert [module.title.en for module in base.modules] == ["Recognise", "Respond", "Report", "Our conduct"]
    assert (base.pass_mark, base.questions_per_attempt, base.attempts_allowed) == (80, 10, 3)
    assert len(base.questions) >= 12
    assert 3 <= len(creative.modules) <= 4
    assert (creative.questions_per_attempt, len(creative.questions) >= 10) == (8, True)
    for course in (base, creative):
        assert {question.kind for question in course.questions} == {"single", "multiple"}


@pytest.mark.parametrize(("where", "language", "text"), list(texts()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_text_renders_to_sections_and_is_a_real_module(where, language, text):
    html = str(render(text))
    assert html.strip()
    assert html.count("<h2>") == content.headings(text) >= 2
    words = len(re.sub(r"<[^>]+>", " ", html).split())
    assert 300 <= words <= 800, f"{where} ({language}) has {words} words"


@pytest.mark.parametrize(("where", "language", "text"), list(texts()), ids=lambda v: v if isinstance(v, str) else "")
def test_help_line_numbers_are_always_tel_links(where, language, text):
    """A number a reader may need to call is a link the phone dials: none is left as plain text."""
    outside_links = re.sub(r"\[[^\]]*\]\(tel:[^)]*\)", "", text)
    for number in HELP_LINES - {"17"}:  # "17" is also an age; its links are checked below
        assert not re.search(rf"(?<![\d-]){re.escape(number)}(?![\d-])", outside_links), f"{number} in {where}"
    for number, target in re.findall(r"\[([^\]]*)\]\(tel:([^)]*)\)", text):
        assert re.sub(r"\D", "", number) == re.sub(r"\D", "", target), f"{number} dials {target} in {where}"


def test_the_report_module_gives_each_country_its_numbers_in_both_languages():
    french, english = tel_links(report_module("fr")), tel_links(report_module("en"))
    assert {"119", "3018"} <= french
    assert "1-800-422-4453" in english
    assert french == english == HELP_LINES
    assert 'href="tel:+18004224453"' in str(render(report_module("en")))
    assert "cybertip" in report_module("fr").lower() and "cybertip" in report_module("en").lower()


def test_the_policy_says_who_to_call_in_both_countries_and_languages():
    policy = content.policy()
    for language in ("en", "fr"):
        assert {"911", "17", "112", "119", "3018"} <= tel_links(getattr(policy.body, language))


def test_problems_finds_what_a_text_gets_wrong():
    base = content.course("child-protection")
    single = next(question for question in base.questions if question.kind == "single")
    two_right = dataclasses.replace(
        single, choices=tuple(dataclasses.replace(choice, is_correct=True) for choice in single.choices)
    )
    untranslated = dataclasses.replace(base.modules[0], body=dataclasses.replace(base.modules[0].body, fr=""))
    unlike = dataclasses.replace(
        base.modules[1], body=dataclasses.replace(base.modules[1].body, fr=base.modules[1].body.fr + "\n## En plus\n")
    )
    broken = dataclasses.replace(base, questions=(two_right, *base.questions[1:]), modules=(untranslated, unlike))
    found = content.problems(broken)
    assert any("exactly one right answer" in problem for problem in found)
    assert any("1-recognise: no fr text" in problem for problem in found)
    assert any("2-respond: English and French have different sections" in problem for problem in found)


def test_a_text_with_an_image_without_alt_text_is_refused():
    base = content.course("child-protection")
    module = base.modules[0]
    pictured = dataclasses.replace(
        module, body=dataclasses.replace(module.body, en=module.body.en + "\n![](https://example.org/a.png)\n")
    )
    with pytest.raises(ValidationError, match="image without alt text"):
        content_install.check(dataclasses.replace(base, modules=(pictured, *base.modules[1:])))


# --- the install -------------------------------------------------------------------------------------------------


def test_install_gives_the_company_two_published_courses_and_the_policy(company, learning_admin):
    installed = install_standard_content(company=company, actor=learning_admin)
    for course, text in zip(installed.courses, content.standard_courses(), strict=True):
        assert course.slug == text.slug and course.organization_id == company.pk
        (version,) = CourseVersion.objects.in_org(company).filter(course=course)
        assert (version.number, version.status) == (1, VersionStatus.PUBLISHED)
        assert version.published_at is not None
        assert (version.pass_mark, version.attempts_allowed, version.questions_per_attempt) == (
            text.pass_mark,
            text.attempts_allowed,
            text.questions_per_attempt,
        )
        assert Module.objects.in_org(company).filter(version=version).count() == len(text.modules)
        assert Question.objects.in_org(company).filter(version=version).count() == len(text.questions)
    (policy_version,) = PolicyVersion.objects.in_org(company).filter(policy=installed.policy)
    assert policy_version.number == 1 and policy_version.published_at is not None
    assert installed.policy.slug == "child-safeguarding-policy"


def test_install_is_idempotent_and_audited_once_with_counts(company, learning_admin):
    first = install_standard_content(company=company, actor=learning_admin)
    after_first = counts(company)
    second = install_standard_content(company=company, actor=None)
    assert counts(company) == after_first
    assert (second.child_protection, second.safeguarding_creative, second.policy) == (
        first.child_protection,
        first.safeguarding_creative,
        first.policy,
    )
    assert set(second.created.values()) == {0}
    (entry,) = AuditEntry.objects.in_org(company).filter(action="learning.content_install")
    assert entry.organization_id == company.pk and entry.actor_id == learning_admin.pk
    assert entry.detail == {
        "courses": 2,
        "modules": after_first["Module"],
        "questions": after_first["Question"],
        "choices": after_first["Choice"],
        "policies": 1,
    }


def test_installed_rows_have_both_languages_and_right_answers(company):
    install_standard_content(company=company, actor=None)
    for module in Module.objects.in_org(company):
        assert module.title_en and module.title_fr and module.body_en and module.body_fr
        assert content.headings(module.body_en) == content.headings(module.body_fr)
    choices_of = {}
    for choice in Choice.objects.in_org(company):
        choices_of.setdefault(choice.question_id, []).append(choice)
    for question in Question.objects.in_org(company):
        assert question.text_en and question.text_fr and question.feedback_en and question.feedback_fr
        choices = choices_of[question.pk]
        assert all(choice.text_en and choice.text_fr for choice in choices)
        right = sum(choice.is_correct for choice in choices)
        assert right == 1 if question.kind == QuestionKind.SINGLE else 1 <= right < len(choices)
    for course in Course.objects.in_org(company):
        assert course.title_fr and course.summary_en and course.summary_fr


def test_installed_course_reads_in_the_learners_language(company):
    installed = install_standard_content(company=company, actor=None)
    module = Module.objects.in_org(company).get(version__course=installed.child_protection, position=3)
    with translation.override("fr"):
        assert (installed.child_protection.title, module.title) == (
            "Protéger les enfants : la formation de tous les salariés",
            "Signaler",
        )
        assert "Allô Enfance en Danger" in str(render(module.body))
    with translation.override("en"):
        assert module.title == "Report"


def test_a_course_the_company_already_has_is_left_as_it_is(company):
    own = Course.objects.create(organization=company, slug="child-protection", title_en="Our own course")
    installed = install_standard_content(company=company, actor=None)
    own.refresh_from_db()
    assert installed.child_protection == own and own.title_en == "Our own course"
    assert not CourseVersion.objects.in_org(company).filter(course=own).exists()
    assert installed.created["courses"] == 1 and installed.created["policies"] == 1


def test_a_refused_text_writes_nothing(company, monkeypatch):
    real = content.course

    def with_a_bad_second_course(slug):
        text = real(slug)
        if slug == "safeguarding-creative":
            return dataclasses.replace(text, questions_per_attempt=len(text.questions) + 1)
        return text

    monkeypatch.setattr(content, "course", with_a_bad_second_course)
    with pytest.raises(ValidationError, match="fewer questions than an attempt draws"):
        install_standard_content(company=company, actor=None)
    assert set(counts(company).values()) == {0}
    assert not AuditEntry.objects.in_org(company).filter(action="learning.content_install").exists()


def test_only_a_corporate_partner_gets_the_standard_content(cac):
    with pytest.raises(ValidationError):
        install_standard_content(company=cac, actor=None)
