from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from haven.core.dates import month_of
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.organizations.selectors import tree_below
from haven.programs.models import Program
from haven.training.models import Cohort

from . import figures, forecast, tables


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _month_choices(program: Program) -> list[tuple[str, Any]]:
    return [(m.isoformat(), m.strftime("%Y-%m")) for m in figures.program_months(program)]


class FiltersForm(forms.Form):
    """The program dashboard's filters (GET): a period of whole months, a state, a cohort."""

    start = forms.ChoiceField(label=_("From"), required=False)
    end = forms.ChoiceField(label=_("To"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    cohort = forms.TypedChoiceField(label=_("Cohort"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        months = _month_choices(program)
        _choice(self, "start").choices = [("", _("Program start")), *months]
        _choice(self, "end").choices = [("", _("Program end")), *months]
        # The states of the program's CACs (a few hundred rows): the distinct states of its kept state cells meant
        # reading every one of them, tens of milliseconds at national scale on every view.
        states = sorted(
            set(
                Organization.objects.filter(tree_below(program.organization_id), kind=OrganizationKind.CAC)
                .exclude(state="")
                .values_list("state", flat=True)
            )
        )
        _choice(self, "state").choices = [("", _("Every state"))] + [(s, s) for s in states]
        cohorts = (
            Cohort.objects.in_org(program.organization_id)
            .filter(program=program)
            .order_by("starts_on")
            .values_list("pk", "name")
        )
        _choice(self, "cohort").choices = [("", _("Every cohort")), *cohorts]
        self.fields["cohort"].help_text = _("A cohort narrows the workforce figures; children are counted by CAC.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period must end after it starts."))
        return data

    def filters(self) -> figures.Filters:
        data = self.cleaned_data
        return figures.Filters(
            start=date.fromisoformat(data["start"]) if data.get("start") else None,
            end=date.fromisoformat(data["end"]) if data.get("end") else None,
            state=data.get("state") or "",
            cohort_id=data.get("cohort"),
        )


class ReportForm(forms.Form):
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=date.fromisoformat)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    narrative = forms.CharField(
        label=_("Narrative"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=20_000,
        required=False,
        help_text=_(
            "What the quarter meant, in your words, for the funder. Write about the program, never about a child "
            "or a family: the report leaves the care team."
        ),
    )

    def __init__(self, *args: Any, program: Program, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        last = tables.last_closed_quarter(program, today)
        quarters = figures.program_quarters(program, last) if last else []
        _choice(self, "quarter").choices = [(q.isoformat(), tables.quarter_label(q)) for q in reversed(quarters)]


class WhatIfForm(forms.Form):
    """Add K cohorts of N seats starting at month M (GET, so a scenario is a link)."""

    cohorts = forms.IntegerField(label=_("Cohorts to add"), min_value=1, max_value=50, required=False)
    seats = forms.IntegerField(label=_("Seats in each"), min_value=1, max_value=200, required=False)
    month = forms.ChoiceField(label=_("Starting in"), required=False)

    def __init__(self, *args: Any, program: Program, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        # Cohorts can be added from next month on.
        upcoming = [(value, label) for value, label in _month_choices(program) if value > today.isoformat()]
        _choice(self, "month").choices = [("", "—"), *upcoming]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get("cohorts"), data.get("seats"), data.get("month")]
        if any(given) and not all(given):
            raise forms.ValidationError(_("Give the number of cohorts, their seats and the month they start."))
        return data

    def scenarios(self) -> list[forecast.WhatIf]:
        data = self.cleaned_data
        if not data.get("cohorts"):
            return []
        start = date.fromisoformat(data["month"])
        first = month_of(self.program.starts_on)
        index = (start.year - first.year) * 12 + start.month - first.month
        return [forecast.WhatIf(cohorts=data["cohorts"], seats=data["seats"], start_month=index)]
