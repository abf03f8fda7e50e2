"""The reviewer's forms: the checklist of the submission's version (the items that apply, grouped by section) and
the decision."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Answer, ChecklistAnswer, ChecklistItem, ChecklistSection, Outcome


def answer_field(item: ChecklistItem) -> str:
    return f"answer_{item.pk}"


def note_field(item: ChecklistItem) -> str:
    return f"note_{item.pk}"


class ChecklistForm(forms.Form):
    """One yes / no / not applicable per item, with a note (required for no). An item left unanswered stays as it
    was: a reviewer may save part of the checklist and come back."""

    def __init__(
        self, *args: Any, items: list[ChecklistItem], answers: dict[int, ChecklistAnswer], **kwargs: Any
    ) -> None:
        initial = {}
        for item in items:
            if item.pk in answers:
                initial[answer_field(item)] = answers[item.pk].answer
                initial[note_field(item)] = answers[item.pk].note
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.items = items
        self.answered = {item_id: answer.answer for item_id, answer in answers.items()}  # as saved
        for item in items:
            self.fields[answer_field(item)] = forms.ChoiceField(
                label=f"{item.code}. {item.text}",
                choices=Answer.choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[note_field(item)] = forms.CharField(
                label=_("Note on %(code)s") % {"code": item.code},
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                max_length=2000,
                help_text=_("Required when the answer is no: say what fails."),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.items:
            if cleaned.get(answer_field(item)) == Answer.NO and not cleaned.get(note_field(item), "").strip():
                self.add_error(note_field(item), _("Say what fails (%(code)s).") % {"code": item.code})
        return cleaned

    def answers(self) -> dict[int, tuple[str, str]]:
        """The answers given, for ``services.checklist_answer``."""
        return {
            item.pk: (self.cleaned_data[answer_field(item)], self.cleaned_data.get(note_field(item), ""))
            for item in self.items
            if self.cleaned_data.get(answer_field(item))
        }

    def sections(self) -> list[dict[str, Any]]:
        """The items grouped by section (A to F), each drawn from plain values (names, ids, the answer and note
        given, their errors) rather than through the widgets' templates: a checklist has some thirty items, and
        rendering ninety radio buttons one template each was most of the review page's time."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        choices = [(str(value), str(label)) for value, label in Answer.choices]
        for item in self.items:
            answer, note = self[answer_field(item)], self[note_field(item)]
            grouped.setdefault(item.section, []).append(
                {
                    "item": item,
                    "answer": {
                        "label": answer.label,
                        "name": answer.html_name,
                        "id": answer.auto_id,
                        "errors": answer.errors,
                        "options": [
                            {"value": value, "label": label, "id": f"{answer.auto_id}_{n}"}
                            for n, (value, label) in enumerate(choices)
                        ],
                        "checked": str(answer.value() or ""),
                    },
                    "note": {
                        "label": note.label,
                        "name": note.html_name,
                        "id": note.auto_id,
                        "errors": note.errors,
                        "help": note.help_text,
                        "value": note.value() or "",
                    },
                }
            )
        return [
            {"code": code, "label": label, "rows": grouped[code]}
            for code, label in ChecklistSection.choices
            if code in grouped
        ]


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            (Outcome.APPROVE, _("Approve")),
            (Outcome.CHANGES, _("Ask for changes")),
            (Outcome.REJECT, _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("Required to ask for changes or to reject: say what must change, or why."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("outcome") in (Outcome.CHANGES, Outcome.REJECT) and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say what must change, or why it is rejected."))
        return cleaned
