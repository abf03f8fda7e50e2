"""The forms of grantee reports: the schedule (program admin), a financial or narrative report and its import
(grantee), and the review (program admin)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.core.forms import clean_table_file, table_file_field
from haven.core.money import Money, exponent

from . import schedule
from .models import BudgetCategory, ReportKind

PERIOD_CHOICES = [
    (1, _("Every month")),
    (3, _("Every quarter (3 months)")),
    (6, _("Every half-year (6 months)")),
    (12, _("Every year")),
]


class ReportScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices, widget=forms.RadioSelect)
    months = forms.TypedChoiceField(
        label=_("One report"), choices=PERIOD_CHOICES, coerce=int, initial=3, widget=forms.RadioSelect
    )
    due_after_days = forms.IntegerField(
        label=_("Due this many days after each period ends"),
        min_value=0,
        max_value=366,
        initial=schedule.DUE_AFTER_DAYS,
    )


class FinancialReportForm(forms.Form):
    """One amount per budget line of the grant, in its currency; a line left empty spent nothing."""

    narrative = forms.CharField(
        label=_("Note (explain any line spent beyond its budget)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, categories: list[str], currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        places = exponent(currency)
        self.categories = categories
        amounts = {
            category: forms.DecimalField(
                label=BudgetCategory(category).label,
                required=False,
                min_value=Decimal(0),
                max_digits=15,
                decimal_places=places,
                help_text=currency,
            )
            for category in categories
        }
        # The amounts first, then the note.
        self.fields = {**amounts, "narrative": self.fields["narrative"]}

    def expenses(self) -> dict[str, Money]:
        return {
            category: Money.of(self.cleaned_data.get(category) or Decimal(0), self.currency)
            for category in self.categories
        }


class NarrativeReportForm(forms.Form):
    narrative = forms.CharField(
        label=_("What the grant did over the period"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )


class ExpenseImportForm(forms.Form):
    file = table_file_field(label=_("File (CSV UTF-8 or XLSX) with the columns category and amount"))

    def clean_file(self) -> Any:
        return clean_table_file(self.cleaned_data["file"])


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept the report")), ("return", _("Send it back to the grantee"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the grantee (what to correct)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what the grantee should correct."))
        return data
