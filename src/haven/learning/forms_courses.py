"""Forms of the course authoring pages. They parse what was typed into the authoring services' fields; the services
check the rest (a code used twice, an image without alternative text, the right answers)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.learning.markdown import images_without_alt

from .authoring import ChoiceFields, CourseFields, ModuleFields, QuestionFields, VersionSettings
from .models import Choice, Course, CourseVersion, Module, Question, QuestionKind

CHOICE_ROWS = 6  # answers a question may have on the form


class CourseForm(forms.Form):
    slug = forms.SlugField(
        label=_("Code"), max_length=80, help_text=_("Letters, digits and hyphens, e.g. child-safeguarding.")
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_fr = forms.CharField(label=_("Title (French)"), max_length=200, required=False)
    summary_en = forms.CharField(label=_("Summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    summary_fr = forms.CharField(label=_("Summary (French)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        if course is not None:
            kwargs.setdefault("initial", {name: getattr(course, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)

    def fields_of(self) -> CourseFields:
        return CourseFields(**self.cleaned_data)


class VersionSettingsForm(forms.Form):
    pass_mark = forms.IntegerField(label=_("Pass mark (%)"), min_value=0, max_value=100)
    attempts_allowed = forms.IntegerField(label=_("Attempts allowed"), min_value=1, max_value=20)
    questions_per_attempt = forms.IntegerField(
        label=_("Questions per attempt"),
        min_value=1,
        required=False,
        help_text=_("Empty: every question of the bank."),
    )
    minutes = forms.IntegerField(label=_("Minutes to complete"), min_value=1, max_value=600)
    change_note = forms.CharField(
        label=_("What changed"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    reassign = forms.BooleanField(
        label=_("Everyone takes it again"),
        required=False,
        help_text=_(
            "When published, everyone who completed an earlier version in the current cycle is assigned this one."
        ),
    )

    def __init__(self, *args: Any, version: CourseVersion, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(version, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)

    def settings_of(self) -> VersionSettings:
        return VersionSettings(**self.cleaned_data)


class ModuleForm(forms.Form):
    """A module's title and Markdown text in both languages. An image must say what it shows."""

    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    body_en = forms.CharField(
        label=_("Text (English, Markdown)"), widget=forms.Textarea(attrs={"rows": 14}), strip=False
    )
    title_fr = forms.CharField(label=_("Title (French)"), max_length=200, required=False)
    body_fr = forms.CharField(
        label=_("Text (French, Markdown)"), widget=forms.Textarea(attrs={"rows": 14}), strip=False, required=False
    )

    def __init__(self, *args: Any, module: Module | None = None, **kwargs: Any) -> None:
        if module is not None:
            kwargs.setdefault("initial", {name: getattr(module, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("body_en", "body_fr"):
            missing = images_without_alt(cleaned.get(name, ""))
            if missing:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("Every image needs alternative text saying what it shows: %(images)s"),
                        code="images_without_alt",
                        params={"images": ", ".join(src or "?" for src in missing)},
                    ),
                )
        return cleaned

    def fields_of(self) -> ModuleFields:
        return ModuleFields(**self.cleaned_data)


class QuestionForm(forms.Form):
    """A question, its feedback and up to six answers (an answer left empty is dropped), each marked right or not."""

    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices, widget=forms.RadioSelect)
    text_en = forms.CharField(label=_("Question (English)"), widget=forms.Textarea(attrs={"rows": 2}))
    text_fr = forms.CharField(label=_("Question (French)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    feedback_en = forms.CharField(
        label=_("Feedback (English)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Shown after the answer: why the right answer is right."),
    )
    feedback_fr = forms.CharField(
        label=_("Feedback (French)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, question: Question | None = None, **kwargs: Any) -> None:
        initial: dict[str, Any] = {"kind": QuestionKind.SINGLE}
        if question is not None:
            initial = {
                name: getattr(question, name) for name in ("kind", "text_en", "text_fr", "feedback_en", "feedback_fr")
            }
            for n, choice in enumerate(
                Choice.objects.in_org(question.organization_id).filter(question=question), start=1
            ):
                initial |= {
                    f"choice{n}_en": choice.text_en,
                    f"choice{n}_fr": choice.text_fr,
                    f"choice{n}_right": choice.is_correct,
                }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for n in range(1, CHOICE_ROWS + 1):
            self.fields[f"choice{n}_en"] = forms.CharField(
                label=_("Answer %(n)d (English)") % {"n": n}, max_length=400, required=False
            )
            self.fields[f"choice{n}_fr"] = forms.CharField(
                label=_("Answer %(n)d (French)") % {"n": n}, max_length=400, required=False
            )
            self.fields[f"choice{n}_right"] = forms.BooleanField(
                label=_("Answer %(n)d is right") % {"n": n}, required=False
            )

    def choice_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (n, self[f"choice{n}_en"], self[f"choice{n}_fr"], self[f"choice{n}_right"])
            for n in range(1, CHOICE_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for n in range(1, CHOICE_ROWS + 1):
            if cleaned.get(f"choice{n}_right") and not cleaned.get(f"choice{n}_en"):
                self.add_error(f"choice{n}_en", _("A right answer needs its text."))
        return cleaned

    def fields_of(self) -> QuestionFields:
        data = self.cleaned_data
        return QuestionFields(
            kind=data["kind"],
            text_en=data["text_en"],
            text_fr=data["text_fr"],
            feedback_en=data["feedback_en"],
            feedback_fr=data["feedback_fr"],
            choices=tuple(
                ChoiceFields(
                    text_en=data[f"choice{n}_en"], text_fr=data[f"choice{n}_fr"], is_correct=data[f"choice{n}_right"]
                )
                for n in range(1, CHOICE_ROWS + 1)
            ),
        )
