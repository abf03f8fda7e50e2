"""The standard texts every company starts with: two courses and the child-safeguarding policy, in English and
French.

Each text lives in its own folder: ``course.toml`` (or ``policy.toml``) describes it — titles, settings, the
modules in order, the question bank with its choices and feedback — and each module's body is a Markdown file per
language (``<module>.en.md``, ``<module>.fr.md``). Reading them here is pure: no database. :func:`problems` says
what is wrong with a text (a language missing, a question without its right answer, the two languages not built
alike); ``learning.content_install`` refuses a text that has any.
"""

import dataclasses
import re
import tomllib
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

COURSES = ("child-protection", "safeguarding-creative")
POLICY = "child-safeguarding-policy"
SINGLE, MULTIPLE = "single", "multiple"
HEADING = re.compile(r"^## ", re.MULTILINE)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Bilingual:
    en: str
    fr: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChoiceText:
    text: Bilingual
    is_correct: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionText:
    kind: str
    text: Bilingual
    feedback: Bilingual
    choices: tuple[ChoiceText, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModuleText:
    key: str
    title: Bilingual
    body: Bilingual


@dataclasses.dataclass(frozen=True, kw_only=True)
class CourseText:
    slug: str
    title: Bilingual
    summary: Bilingual
    pass_mark: int
    attempts_allowed: int
    questions_per_attempt: int
    minutes: int
    modules: tuple[ModuleText, ...]
    questions: tuple[QuestionText, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PolicyText:
    slug: str
    title: Bilingual
    body: Bilingual
    attest_within_days: int


def _folder(slug: str) -> Traversable:
    return files(__name__).joinpath(slug)


def _bilingual(data: dict[str, Any], name: str) -> Bilingual:
    return Bilingual(en=str(data.get(f"{name}_en", "")).strip(), fr=str(data.get(f"{name}_fr", "")).strip())


def _markdown(folder: Traversable, key: str) -> Bilingual:
    def read(language: str) -> str:
        found = folder.joinpath(f"{key}.{language}.md")
        return found.read_text(encoding="utf-8").strip() + "\n" if found.is_file() else ""

    return Bilingual(en=read("en"), fr=read("fr"))


def course(slug: str) -> CourseText:
    """The standard course ``slug`` as its folder describes it."""
    folder = _folder(slug)
    data = tomllib.loads(folder.joinpath("course.toml").read_text(encoding="utf-8"))
    return CourseText(
        slug=slug,
        title=_bilingual(data, "title"),
        summary=_bilingual(data, "summary"),
        pass_mark=int(data["pass_mark"]),
        attempts_allowed=int(data["attempts_allowed"]),
        questions_per_attempt=int(data["questions_per_attempt"]),
        minutes=int(data["minutes"]),
        modules=tuple(
            ModuleText(key=module["key"], title=_bilingual(module, "title"), body=_markdown(folder, module["key"]))
            for module in data["modules"]
        ),
        questions=tuple(
            QuestionText(
                kind=question.get("kind", SINGLE),
                text=_bilingual(question, "text"),
                feedback=_bilingual(question, "feedback"),
                choices=tuple(
                    ChoiceText(text=_bilingual(choice, "text"), is_correct=bool(choice.get("correct", False)))
                    for choice in question["choices"]
                ),
            )
            for question in data["questions"]
        ),
    )


def policy(slug: str = POLICY) -> PolicyText:
    folder = _folder(slug)
    data = tomllib.loads(folder.joinpath("policy.toml").read_text(encoding="utf-8"))
    return PolicyText(
        slug=slug,
        title=_bilingual(data, "title"),
        body=_markdown(folder, "policy"),
        attest_within_days=int(data["attest_within_days"]),
    )


def standard_courses() -> tuple[CourseText, ...]:
    return tuple(course(slug) for slug in COURSES)


def _missing(text: Bilingual, what: str) -> list[str]:
    return [f"{what}: no {language} text" for language in ("en", "fr") if not getattr(text, language)]


def headings(markdown: str) -> int:
    """How many ``##`` sections a Markdown text has (outside code blocks, which course text does not use)."""
    return len(HEADING.findall(markdown))


def problems(text: CourseText | PolicyText) -> list[str]:
    """What is wrong with a text, in words for its author; empty when it can be installed."""
    found = _missing(text.title, f"{text.slug} title")
    bodies: list[tuple[str, Bilingual]] = []
    if isinstance(text, PolicyText):
        bodies.append((f"{text.slug} policy", text.body))
    else:
        found += _missing(text.summary, f"{text.slug} summary")
        if not text.modules:
            found.append(f"{text.slug}: no module")
        for module in text.modules:
            found += _missing(module.title, f"{text.slug}/{module.key} title")
            bodies.append((f"{text.slug}/{module.key}", module.body))
        if len(text.questions) < text.questions_per_attempt:
            found.append(f"{text.slug}: fewer questions than an attempt draws")
        if not 0 < text.pass_mark <= 100:
            found.append(f"{text.slug}: the pass mark is a percentage")
        for n, question in enumerate(text.questions, start=1):
            where = f"{text.slug} question {n}"
            found += _missing(question.text, where) + _missing(question.feedback, f"{where} feedback")
            right = sum(choice.is_correct for choice in question.choices)
            if question.kind not in (SINGLE, MULTIPLE):
                found.append(f"{where}: kind is single or multiple")
            elif question.kind == SINGLE and right != 1:
                found.append(f"{where}: a single-choice question has exactly one right answer")
            elif question.kind == MULTIPLE and right < 1:
                found.append(f"{where}: no right answer")
            if len(question.choices) < 2:
                found.append(f"{where}: fewer than two choices")
            for m, choice in enumerate(question.choices, start=1):
                found += _missing(choice.text, f"{where} choice {m}")
    for where, body in bodies:
        found += _missing(body, where)
        if body.en and body.fr and headings(body.en) != headings(body.fr):
            found.append(f"{where}: English and French have different sections")
    return found
