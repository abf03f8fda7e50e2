from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.accounts.models import User
from haven.core.forms import DateField, clean_table_file, table_file_field
from haven.organizations.models import US_STATES
from haven.organizations.roles import Role

from .models import CallSchedule, CallTimeZone, Cohort, Degree, LicenseStatus, MilestoneKind, Modality


class CohortForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    states = forms.MultipleChoiceField(
        label=_("States"),
        choices=[(s, s) for s in US_STATES],
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    modality = forms.ChoiceField(label=_("Modality"), choices=Modality.choices)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=200)
    starts_on = DateField(label=_("Starts on"))
    ends_on = DateField(label=_("Ends on"))
    live_training_on = DateField(label=_("Live training (first day)"))
    live_training_days = forms.IntegerField(label=_("Days of live training"), min_value=1, max_value=10, initial=2)
    call_schedule = forms.ChoiceField(label=_("Consultation calls"), choices=CallSchedule.choices)
    call_time = forms.TimeField(
        label=_("Calls start at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("The time of day of every consultation call, in the time zone below."),
    )
    call_time_zone = forms.ChoiceField(
        label=_("Time zone of the calls"), choices=CallTimeZone.choices, initial=CallTimeZone.EASTERN, required=False
    )
    trainers = forms.ModelMultipleChoiceField(label=_("Lead trainers"), queryset=User.objects.none())

    def __init__(
        self,
        *args: Any,
        trainer_memberships: Any,
        cohort: Cohort | None = None,
        trainer_ids: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        trainers = trainer_memberships.filter(role=Role.TRAINER, is_active=True)
        cast(forms.ModelMultipleChoiceField, self.fields["trainers"]).queryset = User.objects.filter(
            pk__in=trainers.values("user_id"), is_active=True
        ).order_by("full_name")
        if cohort is not None and not self.is_bound:
            self.initial.update(
                {name: getattr(cohort, name) for name in self.fields if name != "trainers"},
                trainers=trainer_ids or [],
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends, live = data.get("starts_on"), data.get("ends_on"), data.get("live_training_on")
        if starts and ends and ends <= starts:
            self.add_error("ends_on", _("The cohort must end after it starts."))
        if starts and ends and live and not starts <= live <= ends:
            self.add_error("live_training_on", _("The live training must fall within the cohort's dates."))
        data["call_time_zone"] = data.get("call_time_zone") or CallTimeZone.EASTERN
        return data


class ClosedDayForm(forms.Form):
    """Close a day of the program's calendar (``closed``) or open it again."""

    day = DateField(label=_("Day"))
    name = forms.CharField(label=_("What it is"), max_length=100, required=False)
    closed = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1", initial="1", widget=forms.HiddenInput
    )


class NominationForm(forms.Form):
    clinician = forms.ModelChoiceField(label=_("Clinician"), queryset=User.objects.none())
    degree = forms.ChoiceField(label=_("Degree"), choices=Degree.choices)
    license_state = forms.ChoiceField(label=_("License state"), choices=[(s, s) for s in US_STATES])
    license_status = forms.ChoiceField(
        label=_("License"),
        choices=LicenseStatus.choices,
        help_text=_("Provisionally licensed clinicians may train, and apply for certification once licensed."),
    )

    def __init__(self, *args: Any, clinicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["clinician"]).queryset = User.objects.filter(
            pk__in=[m.user_id for m in clinicians]
        ).order_by("full_name")


class PlacementForm(forms.Form):
    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=Cohort.objects.none())

    def __init__(self, *args: Any, cohorts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["cohort"]).queryset = cohorts


class WithdrawalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class MilestoneForm(forms.Form):
    kind = forms.ChoiceField(label=_("Milestone"), choices=MilestoneKind.choices)
    achieved_on = DateField(label=_("Date"))
    passed = forms.BooleanField(label=_("Passed (for the knowledge test)"), required=False, initial=True)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[
            ("roster", _("Cohort roster: email, cohort, degree, license_state, license_status")),
            ("course", _("Online-course completions: email, completed_on (YYYY-MM-DD)")),
        ],
        widget=forms.RadioSelect,
    )
    file = table_file_field(label=_("File (CSV UTF-8 or XLSX)"))

    def clean_file(self) -> Any:
        return clean_table_file(self.cleaned_data["file"])
