from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.core.forms import DateField
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind

from .models import RETENTION_MAX_YEARS, Program, TargetMetric


class ProgramForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = DateField(label=_("Starts on"))
    ends_on = DateField(label=_("Ends on"))
    funders = forms.ModelMultipleChoiceField(
        label=_("Funders"),
        queryset=Organization.objects.filter(kind=OrganizationKind.FUNDER, is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, program: Program | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for metric in TargetMetric:
            self.fields[f"target_{metric.value}"] = forms.IntegerField(label=metric.label, min_value=1, required=False)
        if program is not None and not self.is_bound:
            self.initial.update(
                name=program.name,
                description=program.description,
                starts_on=program.starts_on,
                ends_on=program.ends_on,
                funders=[row.funder for row in program.funders.all()],
                **{f"target_{t.metric}": t.value for t in program.targets.all()},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("The program must end after it starts."))
        return data

    def targets(self) -> dict[str, int | None]:
        return {metric.value: self.cleaned_data.get(f"target_{metric.value}") for metric in TargetMetric}


class RetentionForm(forms.Form):
    deidentify_after_years = forms.IntegerField(
        label=_("Years after the program ends"),
        min_value=1,
        max_value=RETENTION_MAX_YEARS,
        help_text=_("Children's records are de-identified this many years after the program's last day."),
    )
