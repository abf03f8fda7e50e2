"""Installing the standard courses and policy (``learning.content``) for a company.

The company gets "Child protection for all staff", "Child safeguarding in creative work" and its child-safeguarding
policy, each with version 1 published. A text the company already has (the same code) is left as it is, whatever
its admin has made of it since: installing again changes nothing.
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Organization

from . import content
from .markdown import images_without_alt
from .models import Choice, Course, CourseVersion, Module, Policy, PolicyVersion, Question, VersionStatus
from .services import check_company

BASE_COURSE, CREATIVE_COURSE = content.COURSES


@dataclasses.dataclass(frozen=True, kw_only=True)
class InstalledContent:
    """The company's standard courses and policy, and what this install created (zero when it already had them)."""

    child_protection: Course
    safeguarding_creative: Course
    policy: Policy
    created: dict[str, int]

    @property
    def courses(self) -> tuple[Course, Course]:
        return self.child_protection, self.safeguarding_creative


def check(text: content.CourseText | content.PolicyText) -> None:
    """Refuse a text with a problem (see :func:`content.problems`) or an image that does not say what it shows."""
    found = content.problems(text)
    bodies = [text.body] if isinstance(text, content.PolicyText) else [module.body for module in text.modules]
    for body in bodies:
        for language in ("en", "fr"):
            found += [
                f"{text.slug}: image without alt text: {src}" for src in images_without_alt(getattr(body, language))
            ]
    if found:
        raise ValidationError("; ".join(found), code="content")


def _course_install(*, company: Organization, text: content.CourseText, created: dict[str, int]) -> Course:
    existing = Course.objects.in_org(company).filter(slug=text.slug).first()
    if existing is not None:
        return existing
    check(text)
    course = Course.objects.create(
        organization=company,
        slug=text.slug,
        title_en=text.title.en,
        title_fr=text.title.fr,
        summary_en=text.summary.en,
        summary_fr=text.summary.fr,
    )
    version = CourseVersion.objects.create(
        organization=company,
        course=course,
        number=1,
        status=VersionStatus.PUBLISHED,
        pass_mark=text.pass_mark,
        attempts_allowed=text.attempts_allowed,
        questions_per_attempt=text.questions_per_attempt,
        minutes=text.minutes,
        published_at=timezone.now(),
    )
    Module.objects.bulk_create(
        Module(
            organization=company,
            version=version,
            position=position,
            title_en=module.title.en,
            title_fr=module.title.fr,
            body_en=module.body.en,
            body_fr=module.body.fr,
        )
        for position, module in enumerate(text.modules, start=1)
    )
    choices = []
    for position, question_text in enumerate(text.questions, start=1):
        question = Question.objects.create(
            organization=company,
            version=version,
            position=position,
            kind=question_text.kind,
            text_en=question_text.text.en,
            text_fr=question_text.text.fr,
            feedback_en=question_text.feedback.en,
            feedback_fr=question_text.feedback.fr,
        )
        choices += [
            Choice(
                organization=company,
                question=question,
                position=n,
                text_en=choice.text.en,
                text_fr=choice.text.fr,
                is_correct=choice.is_correct,
            )
            for n, choice in enumerate(question_text.choices, start=1)
        ]
    Choice.objects.bulk_create(choices)
    created["courses"] += 1
    created["modules"] += len(text.modules)
    created["questions"] += len(text.questions)
    created["choices"] += len(choices)
    return course


def _policy_install(*, company: Organization, text: content.PolicyText, created: dict[str, int]) -> Policy:
    existing = Policy.objects.in_org(company).filter(slug=text.slug).first()
    if existing is not None:
        return existing
    check(text)
    policy = Policy.objects.create(organization=company, slug=text.slug, title_en=text.title.en, title_fr=text.title.fr)
    PolicyVersion.objects.create(
        organization=company,
        policy=policy,
        number=1,
        body_en=text.body.en,
        body_fr=text.body.fr,
        attest_within_days=text.attest_within_days,
        published_at=timezone.now(),
    )
    created["policies"] += 1
    return policy


@transaction.atomic
def install_standard_content(*, company: Organization, actor: User | None) -> InstalledContent:
    """Give the company the standard courses and policy, version 1 published, unless it has them already.

    Idempotent: what the company has under the same code is kept untouched. One audit entry (counts only) when
    anything was created, none otherwise. A text with a problem is refused (``ValidationError``) and nothing is
    written."""
    check_company(company)
    created = dict.fromkeys(("courses", "modules", "questions", "choices", "policies"), 0)
    base, creative = (
        _course_install(company=company, text=content.course(slug), created=created)
        for slug in (BASE_COURSE, CREATIVE_COURSE)
    )
    policy = _policy_install(company=company, text=content.policy(), created=created)
    if any(created.values()):
        audit.record(actor=actor, action="learning.content_install", organization=company, detail=dict(created))
    return InstalledContent(child_protection=base, safeguarding_creative=creative, policy=policy, created=created)
