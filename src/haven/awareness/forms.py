"""The awareness pages' forms: a campaign, its tracked links, a results import, an event of the calendar."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.core.forms import DateField, clean_table_file, table_file_field
from haven.core.tabular_dates import ORDER_LABELS

from . import imports, services
from .models import AwarenessEvent, Campaign, CampaignChannel
from .selectors import event_name

CODES = re.compile(r"[\s,;]+")


def _codes(value: str, message: Any) -> tuple[str, ...]:
    """``"us, FR"`` -> ``("US", "FR")``-like two-letter codes (upper case, for countries), or a ValidationError."""
    codes = tuple(code for code in CODES.split(value.strip()) if code)
    if any(not (len(code) == 2 and code.isascii() and code.isalpha()) for code in codes):
        raise forms.ValidationError(message)
    return codes


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return event_name(obj)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.CharField(
        label=_("Campaign code"),
        max_length=80,
        help_text=_("Used as utm_campaign in the tracked links, in lower case with hyphens: cap-month-2027."),
    )
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    audience = forms.CharField(label=_("Audience"), max_length=200)
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=CampaignChannel.choices, widget=forms.CheckboxSelectMultiple
    )
    countries = forms.CharField(
        label=_("Countries"), max_length=200, help_text=_("Two-letter codes separated by commas: US, FR.")
    )
    languages = forms.CharField(
        label=_("Languages"), max_length=100, help_text=_("Two-letter codes separated by commas: en, fr.")
    )
    starts_on = DateField(label=_("Starts on"))
    ends_on = DateField(label=_("Ends on"))
    event = EventChoiceField(
        label=_("Awareness event"), queryset=AwarenessEvent.objects.all(), required=False, empty_label=_("None")
    )
    shows_minors = forms.BooleanField(label=_("The campaign shows minors (children under 18)"), required=False)
    review = forms.TypedChoiceField(
        label=_("Creative review"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "The approved review of what the campaign shows: required before a campaign showing minors goes live."
        ),
    )

    def __init__(self, *args: Any, reviews: list[tuple[int, str]], campaign: Campaign | None = None, **kwargs: Any):
        if campaign is not None and not args:
            kwargs["initial"] = {
                "name": campaign.name,
                "slug": campaign.slug,
                "message": campaign.message,
                "audience": campaign.audience,
                "channels": campaign.channels,
                "countries": ", ".join(campaign.countries),
                "languages": ", ".join(campaign.languages),
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "event": campaign.event_id,
                "shows_minors": campaign.shows_minors,
                "review": campaign.review_id,
            }
        super().__init__(*args, **kwargs)
        review = self.fields["review"]
        assert isinstance(review, forms.TypedChoiceField)  # noqa: S101 - declared above
        review.choices = [("", _("None"))] + [(pk, title) for pk, title in reviews]

    def clean_countries(self) -> tuple[str, ...]:
        codes = _codes(self.cleaned_data["countries"], _("Write two-letter country codes, such as US or FR."))
        return tuple(code.upper() for code in codes)

    def clean_languages(self) -> tuple[str, ...]:
        codes = _codes(self.cleaned_data["languages"], _("Write two-letter language codes, such as en or fr."))
        return tuple(code.lower() for code in codes)

    def fields_of(self) -> services.CampaignFields:
        data = self.cleaned_data
        return services.CampaignFields(
            name=data["name"],
            slug=data["slug"],
            message=data["message"],
            audience=data["audience"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            channels=tuple(data["channels"]),
            countries=data["countries"],
            languages=data["languages"],
            event_id=data["event"].pk if data["event"] else None,
            shows_minors=data["shows_minors"],
            review_id=data["review"],
        )


class LinkForm(forms.Form):
    destination = forms.URLField(
        label=_("Destination"), max_length=500, assume_scheme="https", help_text=_("The page the link leads to.")
    )
    source = forms.CharField(
        label=_("Source"), max_length=60, help_text=_("Who sends the visitor: newsletter, instagram.")
    )
    medium = forms.CharField(label=_("Medium"), max_length=60, help_text=_("How: email, cpc, social."))
    content = forms.CharField(
        label=_("Content"), max_length=60, required=False, help_text=_("Tells creatives or links apart: cta-top.")
    )
    term = forms.CharField(label=_("Term"), max_length=100, required=False, help_text=_("A paid keyword."))


class ResultsImportForm(forms.Form):
    file = table_file_field(label=_("File (CSV UTF-8 or XLSX)"))
    source = forms.ChoiceField(
        label=_("Exported from"),
        choices=[(imports.DETECT, _("Recognise it from its columns"))]
        + [(key, source.label) for key, source in imports.SOURCES.items()],
        initial=imports.DETECT,
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("For an export without a country column: the two-letter code of the country it covers."),
    )
    date_order = forms.ChoiceField(
        label=_("Dates written as"),
        required=False,
        choices=[("", _("Decide from the file"))] + list(ORDER_LABELS.items()),
    )

    def clean_file(self) -> Any:
        return clean_table_file(self.cleaned_data["file"])

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip()
        return _codes(value, _("Write a two-letter country code, such as US or FR."))[0].upper() if value else ""


class EventForm(forms.Form):
    name_en = forms.CharField(label=_("Name in English"), max_length=200)
    name_fr = forms.CharField(label=_("Name in French"), max_length=200)
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter code; leave empty for everywhere.")
    )
    starts_on = DateField(label=_("Starts on"))
    ends_on = DateField(label=_("Ends on"))
    yearly = forms.BooleanField(label=_("Every year on the same days"), required=False, initial=True)
    note_en = forms.CharField(label=_("Note in English"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    note_fr = forms.CharField(label=_("Note in French"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, event: AwarenessEvent | None = None, **kwargs: Any):
        if event is not None and not args:
            kwargs["initial"] = {name: getattr(event, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)

    def fields_of(self) -> services.EventFields:
        return services.EventFields(**self.cleaned_data)
