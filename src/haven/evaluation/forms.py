from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from haven.core.forms import DateField
from haven.programs.models import Program

from . import package
from .models import K_MINIMUM, DateUnit
from .services import ExportFields

TABLE_LABELS = {
    "children": _("Children: age in years, gender, race and ethnicity, state, kinds of trauma"),
    "episodes": _("Episodes of care: treatment model, referral, start and close"),
    "sessions": _("Sessions: when, which components, with a caregiver or not"),
    "measures": _("Measures: scores and item responses"),
    "training": _("Clinicians' training path"),
}


class ExportRequestForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=Program.objects.none(), empty_label=None)
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("What the evaluators will study, as the data-use agreement says it. Never about a child."),
    )
    evaluator = forms.CharField(label=_("Evaluator organization"), max_length=200)
    agreement_reference = forms.CharField(label=_("Data-use agreement's reference"), max_length=100)
    agreement_expires_on = DateField(
        label=_("Data-use agreement expires on"),
        help_text=_("The package can no longer be downloaded after this day."),
    )
    tables = forms.MultipleChoiceField(
        label=_("Tables"),
        choices=[(table, TABLE_LABELS[table]) for table in package.TABLES],
        widget=forms.CheckboxSelectMultiple,
    )
    period_start = DateField(label=_("Period starts on"))
    period_end = DateField(label=_("Period ends on"))
    date_unit = forms.ChoiceField(
        label=_("Dates"),
        choices=DateUnit.choices,
        initial=DateUnit.DAYS,
        widget=forms.RadioSelect,
        help_text=_("No calendar date leaves Haven: each is counted from the child's referral."),
    )
    k = forms.IntegerField(
        label=_("Smallest group (k)"),
        min_value=K_MINIMUM,
        max_value=1000,
        initial=K_MINIMUM,
    )
    language = forms.ChoiceField(
        label=_("Language of the codebook"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, programs: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        cast(forms.ModelChoiceField, self.fields["program"]).queryset = programs
        # In the request's language (a lazy string formatted at import would be frozen in the default one).
        self.fields["k"].help_text = gettext(
            "Records that share their age, gender, race and ethnicity, state, kinds of trauma and referral month "
            "with fewer than this many others are generalized or withheld. At least %(k)s."
        ) % {"k": K_MINIMUM}

    def clean_agreement_expires_on(self) -> date:
        expires: date = self.cleaned_data["agreement_expires_on"]
        if expires <= self.today:
            raise forms.ValidationError(_("The agreement must still be in force after today."))
        return expires

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end <= start:
            self.add_error("period_end", _("The period must end after it starts."))
        return data

    def fields_out(self) -> ExportFields:
        data = self.cleaned_data
        return ExportFields(
            purpose=data["purpose"],
            evaluator=data["evaluator"],
            agreement_reference=data["agreement_reference"],
            agreement_expires_on=data["agreement_expires_on"],
            tables=tuple(table for table in package.TABLES if table in data["tables"]),
            period_start=data["period_start"],
            period_end=data["period_end"],
            date_unit=data["date_unit"],
            k=data["k"],
            language=data["language"],
        )


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=_("Why (the requester reads it)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("About the request, never about a child."),
    )
