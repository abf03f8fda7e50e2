"""The form an organization's admin makes an API key with: a label, the scopes its kind of organization may hold,
and the day the key stops working (90 days ahead unless changed, a year at most)."""

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core.forms import DateField
from haven.organizations.models import Organization

from . import keys

LONGEST_DAYS = 365


class ApiKeyForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=120,
        help_text=_("Which system uses it, such as “Case management system”."),
    )
    scopes = forms.MultipleChoiceField(label=_("What the key may do"), widget=forms.CheckboxSelectMultiple, choices=())
    expires_on = DateField(
        label=_("Expires on"),
        help_text=_("The key stops working when this day begins; at most a year from today."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the scopes this kind of organization may hold are offered (and accepted).
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = [
            (scope, f"{scope} — {keys.SCOPES[scope]}") for scope in keys.scopes_for(organization)
        ]
        self.fields["expires_on"].initial = timezone.localdate() + keys.DEFAULT_LIFETIME

    def clean_expires_on(self) -> date:
        day: date = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today or day > today + timedelta(days=LONGEST_DAYS):
            raise forms.ValidationError(_("Choose a day after today and within a year."))
        return day

    def expires_at(self) -> datetime:
        """The moment the key stops working: the start of the chosen day, in Haven's time zone."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["expires_on"], time.min))
