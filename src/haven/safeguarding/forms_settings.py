"""The review settings form (turnaround and reminders, the watch list) and the comment form."""

import typing
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Asset, SafeguardingSettings
from .services import COMMENT_MAX, MAX_TURNAROUND_DAYS

WATCH_TERM_MAX = 100


class ReviewSettingsForm(forms.Form):
    turnaround_days = forms.IntegerField(
        label=_("Turnaround target (working days)"),
        min_value=1,
        max_value=MAX_TURNAROUND_DAYS,
        help_text=_("Working days from submission to a decision before the review is overdue."),
    )
    reminder_days = forms.IntegerField(
        label=_("Remind reviewers after (working days)"),
        min_value=1,
        max_value=MAX_TURNAROUND_DAYS,
        help_text=_("Reviewers get an e-mail about work waiting this long, and about work overdue."),
    )

    def __init__(self, *args: Any, current: SafeguardingSettings, **kwargs: Any) -> None:
        initial = {"turnaround_days": current.turnaround_days, "reminder_days": current.reminder_days}
        super().__init__(*args, **{**kwargs, "initial": initial})


class WatchListForm(forms.Form):
    terms = forms.CharField(
        label=_("Watch list"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_("One word or phrase a line, in any case: it is highlighted wherever it is read in a file."),
    )

    def clean_terms(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["terms"].splitlines() if line.strip()]
        too_long = [line for line in lines if len(line) > WATCH_TERM_MAX]
        if too_long:
            raise forms.ValidationError(
                _("A term is at most %(most)s characters: %(term)s…"),
                params={"most": WATCH_TERM_MAX, "term": too_long[0][:30]},
            )
        return lines


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    asset = forms.TypedChoiceField(label=_("About the file"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, assets: list[Asset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assets = {asset.pk: asset for asset in assets}
        field = typing.cast(forms.ChoiceField, self.fields["asset"])
        field.choices = [("", _("The whole submission")), *((pk, a.file_name) for pk, a in self.assets.items())]
        if not assets:
            field.widget = forms.HiddenInput()

    def chosen_asset(self) -> Asset | None:
        asset_id = self.cleaned_data.get("asset")
        return self.assets.get(asset_id) if asset_id else None
