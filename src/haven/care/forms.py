from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from haven.accounts.models import User
from haven.core.forms import DateField, clean_table_file, table_file_field
from haven.measures import instruments, labels

from .models import (
    MAX_CHILD_AGE,
    EndReason,
    EpisodeStatus,
    FollowUp,
    Gender,
    Practice,
    RaceEthnicity,
    SessionKind,
    SessionModality,
    Timepoint,
    TraumaType,
    TreatmentModel,
)


class NeverEchoed(forms.TextInput):
    """A text input that never sends the typed value back to the browser (the case number)."""

    def format_value(self, value: Any) -> None:
        return None


class IntakeForm(forms.Form):
    case_number = forms.CharField(
        label=_("CAC case number"),
        max_length=64,
        help_text=_("Used once to find duplicates, then discarded: Haven never stores it."),
        widget=NeverEchoed(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    age_at_referral = forms.IntegerField(label=_("Age at referral (years)"), min_value=0, max_value=MAX_CHILD_AGE)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    race_ethnicity = forms.ChoiceField(
        label=_("Race/ethnicity (optional)"), choices=RaceEthnicity.choices, initial=RaceEthnicity.NOT_RECORDED
    )
    trauma_types = forms.MultipleChoiceField(
        label=_("Trauma types"), choices=TraumaType.choices, widget=forms.CheckboxSelectMultiple
    )
    referred_on = DateField(label=_("Referral date"))
    treatment_model = forms.ModelChoiceField(label=_("Treatment model"), queryset=TreatmentModel.objects.none())
    clinician = forms.ModelChoiceField(label=_("Treating clinician"), queryset=User.objects.none())

    def __init__(self, *args: Any, clinicians: Any, treatment_models: Any, clinician_fixed: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["treatment_model"]).queryset = treatment_models
        self.fields["treatment_model"].initial = treatment_models.filter(code="tf-cbt").first()
        cast(forms.ModelChoiceField, self.fields["clinician"]).queryset = clinicians
        if clinician_fixed:
            del self.fields["clinician"]


class EpisodeForm(forms.Form):
    treatment_model = forms.ModelChoiceField(label=_("Treatment model"), queryset=TreatmentModel.objects.none())
    referred_on = DateField(label=_("Referral date"))
    clinician = forms.ModelChoiceField(label=_("Treating clinician"), queryset=User.objects.none())

    def __init__(self, *args: Any, clinicians: Any, treatment_models: Any, clinician_fixed: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["treatment_model"]).queryset = treatment_models
        cast(forms.ModelChoiceField, self.fields["clinician"]).queryset = clinicians
        if clinician_fixed:
            del self.fields["clinician"]


class SessionForm(forms.Form):
    """One short form, quick from the keyboard: the date first, sensible defaults for the rest."""

    held_on = DateField(label=_("Date"))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=480, initial=60)
    kind = forms.ChoiceField(label=_("Type"), choices=SessionKind.choices, widget=forms.RadioSelect)
    components = forms.MultipleChoiceField(
        label=_("PRACTICE components covered"),
        choices=Practice.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    caregiver_present = forms.BooleanField(label=_("Caregiver present"), required=False)
    modality = forms.ChoiceField(label=_("Modality"), choices=SessionModality.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, uses_practice: bool, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"held_on": timezone.now().date(), "kind": SessionKind.CHILD, "modality": SessionModality.IN_PERSON},
        )
        super().__init__(*args, **kwargs)
        if not uses_practice:
            del self.fields["components"]


class AssessmentForm(forms.Form):
    """Item-by-item entry: one number field per item, in the paper form's order, tabbing straight through."""

    timepoint = forms.ChoiceField(label=_("Timepoint"), choices=Timepoint.choices)
    administered_on = DateField(label=_("Date given"))

    def __init__(self, *args: Any, instrument: instruments.Instrument, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"administered_on": timezone.now().date()})
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[f"item_{item.key}"] = forms.IntegerField(
                label=item_label(item),
                min_value=item.minimum,
                max_value=item.maximum,
                required=False,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "class": "item", "min": item.minimum, "max": item.maximum}
                ),
            )

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        result: list[tuple[Any, list[forms.BoundField]]] = []
        for group in instruments.GROUPS:
            fields = [self[f"item_{item.key}"] for item in self.instrument.items if item.group == group]
            if fields:
                result.append((labels.GROUP_LABELS[group], fields))
        return result

    def responses(self) -> dict[str, int | None]:
        return {item.key: self.cleaned_data.get(f"item_{item.key}") for item in self.instrument.items}


def item_label(item: instruments.Item) -> str:
    """The item's name and the answers it takes: "Item 3 (0–3)", "Supplementary question 3: ... (0 no, 1 yes)"."""
    if item.anchors == ("no", "yes"):
        return str(_("%(name)s (0 no, 1 yes)") % {"name": labels.item_name(item)})
    return str(
        _("%(name)s (%(low)s–%(high)s)") % {"name": labels.item_name(item), "low": item.minimum, "high": item.maximum}
    )


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=pgettext_lazy("how a treatment episode ended", "Outcome"),
        choices=[(EpisodeStatus.COMPLETED, _("Treatment completed")), (EpisodeStatus.ENDED, _("Ended early"))],
        widget=forms.RadioSelect,
    )
    closed_on = DateField(label=_("Date"))
    end_reason = forms.ChoiceField(
        label=_("Why it ended early"), choices=[("", "—"), *EndReason.choices], required=False
    )


class HandoverForm(forms.Form):
    clinician = forms.ModelChoiceField(label=_("Hand over to"), queryset=User.objects.none())

    def __init__(self, *args: Any, clinicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["clinician"]).queryset = clinicians


class AcknowledgeForm(forms.Form):
    follow_up = forms.MultipleChoiceField(
        label=_("What was done (tick each action taken)"),
        help_text=_("Each box records the action written beside it."),
        choices=FollowUp.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[("sessions", _("Sessions")), ("measures", _("Measures (item by item)"))],
        widget=forms.RadioSelect,
        initial="sessions",
    )
    file = table_file_field(
        label=_("CSV or XLSX export"),
        help_text=_("The file is read in memory and not kept. Case numbers in it are matched, never stored."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> Any:
        return clean_table_file(self.cleaned_data["file"])
