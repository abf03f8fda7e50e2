"""The creative team's forms: a submission's draft, and its files (several at once; a video with its contact sheet).
What a file is, is decided by its content (``intake``), never here by its name."""

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from haven.core.forms import DateField

from . import services
from .models import Channel, Submission, SubmissionKind

COUNTRY = re.compile(r"^[A-Z]{2}$")


class SubmissionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SubmissionKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=200)
    brief = forms.CharField(
        label=_("Brief"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("What the work shows and why."),
    )
    markets = forms.CharField(
        label=_("Markets"),
        required=False,
        max_length=300,
        help_text=_("Two-letter country codes, separated by commas (e.g. US, FR, CA)."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    publish_on = DateField(label=_("Publication date"), required=False)
    shows_minors = forms.BooleanField(label=_("The work shows or concerns minors"), required=False)
    minor_ages = forms.CharField(
        label=_("Ages of the minors"),
        required=False,
        max_length=100,
        help_text=_("The age of each minor shown, separated by commas (e.g. 6, 9)."),
    )

    def __init__(self, *args: Any, submission: Submission | None = None, **kwargs: Any) -> None:
        if submission is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": submission.kind,
                    "title": submission.title,
                    "brief": submission.brief,
                    "markets": ", ".join(submission.markets),
                    "channels": submission.channels,
                    "publish_on": submission.publish_on,
                    "shows_minors": submission.shows_minors,
                    "minor_ages": ", ".join(str(age) for age in submission.minor_ages),
                },
            )
        else:
            kwargs.setdefault("initial", {"kind": SubmissionKind.CAMPAIGN})
        super().__init__(*args, **kwargs)

    def clean_markets(self) -> list[str]:
        codes = [code.strip().upper() for code in self.cleaned_data["markets"].split(",") if code.strip()]
        wrong = [code for code in codes if not COUNTRY.match(code)]
        if wrong:
            raise forms.ValidationError(_("Not a two-letter country code: %(codes)s.") % {"codes": ", ".join(wrong)})
        return codes

    def clean_minor_ages(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["minor_ages"].split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(_("Give each age as a whole number, separated by commas."))
        return [int(part) for part in parts]

    def fields_of(self) -> services.SubmissionFields:
        data = self.cleaned_data
        return services.SubmissionFields(
            title=data["title"],
            kind=data["kind"],
            brief=data["brief"],
            markets=tuple(data["markets"]),
            channels=tuple(data["channels"]),
            publish_on=data["publish_on"],
            shows_minors=data["shows_minors"],
            minor_ages=tuple(data["minor_ages"]),
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern): the cleaned value is a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _limit_mb() -> int:
    return int(settings.HAVEN_ASSET_MAX_BYTES // 2**20)


def _check_size(upload: Any) -> None:
    if upload is not None and upload.size > settings.HAVEN_ASSET_MAX_BYTES:
        raise forms.ValidationError(
            _("%(name)s is larger than %(limit)d MB.") % {"name": upload.name, "limit": _limit_mb()}
        )


class UploadForm(forms.Form):
    """Images and PDF storyboards, several at once; or one video (MP4, MOV) with its contact sheet."""

    uploads = MultipleFileField(
        label=_("Images or PDF storyboards"),
        required=False,
        help_text=_("JPEG, PNG, WebP, TIFF or PDF; several at once. Location and camera metadata are removed."),
    )
    video = forms.FileField(
        label=_("Video"), required=False, help_text=_("MP4 or MOV. Its metadata (location, camera) is removed.")
    )
    contact_sheet = forms.FileField(
        label=_("Contact sheet of the video"),
        required=False,
        help_text=_("An image of the video's frames, required with a video: it is what the reviewers read."),
    )

    def __init__(self, *args: Any, replacing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replacing = replacing
        if replacing:
            self.fields["uploads"].label = _("The new file")
            self.fields["uploads"].help_text = _(
                "One image or PDF storyboard; or a video with its contact sheet below."
            )
            self.fields["uploads"].widget = forms.ClearableFileInput()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        files = data.get("uploads") or []
        video, sheet = data.get("video"), data.get("contact_sheet")
        for upload in [*files, video, sheet]:
            _check_size(upload)
        if video and not sheet:
            self.add_error("contact_sheet", _("A video needs its contact sheet (an image of its frames)."))
        if sheet and not video:
            self.add_error("video", _("A contact sheet comes with its video."))
        if not files and not video:
            raise forms.ValidationError(_("Choose at least one file."))
        if self.replacing and len(files) + (1 if video else 0) > 1:
            raise forms.ValidationError(_("A file is replaced by one file (a video with its contact sheet)."))
        return data
