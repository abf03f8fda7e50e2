"""The money pillar's forms. An amount is typed in major units (``1234.56``, or ``1234,56`` in French) and becomes
a ``Money`` of whole minor units: never a float."""

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from haven.core.forms import DateField
from haven.core.money import Money, exponent, format_money
from haven.organizations.models import Organization
from haven.programs.models import Program

from . import selectors
from .models import CURRENCY_CHOICES, BudgetCategory, Fund, Grant, GrantStatus, MoneyRules

BUDGET_PREFIX = "budget_"


class AmountField(forms.DecimalField):
    """An amount of money in major units, at most two decimal places, never negative."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        super().__init__(max_digits=15, decimal_places=2, localize=True, **kwargs)


def _money(value: Decimal | None, currency: str) -> Money:
    """A typed amount as whole minor units of ``currency`` (the field allows no more places than it has)."""
    return Money(int((value or Decimal(0)).scaleb(exponent(currency))), currency)


def _shown(amount: Money) -> str:
    return format_money(amount, language=get_language() or "en")


class FundForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    funder = forms.ModelChoiceField(label=gettext_lazy("Funder"), queryset=Organization.objects.none())
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    amount = AmountField(label=gettext_lazy("Amount pledged"), min_value=Decimal("0.01"))
    starts_on = DateField(label=gettext_lazy("Starts on"))
    ends_on = DateField(label=gettext_lazy("Ends on"))

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        funders = selectors.funders_of_program(program)
        field = cast(forms.ModelChoiceField, self.fields["funder"])
        field.queryset = Organization.objects.filter(pk__in=[funder.pk for funder in funders])
        if not self.is_bound:
            self.initial.update(starts_on=program.starts_on, ends_on=program.ends_on)
            if len(funders) == 1:
                self.initial["funder"] = funders[0].pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("A fund ends after it starts."))
        return data

    def amount_money(self) -> Money:
        return _money(self.cleaned_data["amount"], self.cleaned_data["currency"])


class ReceiptForm(forms.Form):
    received_on = DateField(label=gettext_lazy("Received on"))
    sent = AmountField(label=gettext_lazy("Amount sent"), min_value=Decimal("0.01"))
    arrived = AmountField(label=gettext_lazy("Amount arrived"), min_value=Decimal("0.01"))
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=100, required=False)

    def __init__(self, *args: Any, fund: Fund, arrived_currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fund, self.arrived_currency = fund, arrived_currency
        self.fields["sent"].help_text = _("In the fund's currency, %(currency)s, as the funder sent it.") % {
            "currency": fund.currency
        }
        self.fields["arrived"].help_text = _("In %(currency)s, as it reached the program's bank account.") % {
            "currency": arrived_currency
        }

    def sent_money(self) -> Money:
        return _money(self.cleaned_data["sent"], self.fund.currency)

    def arrived_money(self) -> Money:
        return _money(self.cleaned_data["arrived"], self.arrived_currency)


class GranteeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.state})"


class GrantForm(forms.Form):
    """A draft grant and its budget: one amount per federal category, which must add up to the grant's amount."""

    fund = forms.ModelChoiceField(label=gettext_lazy("Fund"), queryset=Fund.objects.none())
    grantee = GranteeField(
        label=gettext_lazy("Grantee"),
        queryset=Organization.objects.none(),
        help_text=gettext_lazy("A state chapter or a Children's Advocacy Center of the program."),
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=300)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCY_CHOICES, initial="USD")
    amount = AmountField(label=gettext_lazy("Amount"), min_value=Decimal("0.01"))
    starts_on = DateField(label=gettext_lazy("Starts on"))
    ends_on = DateField(label=gettext_lazy("Ends on"))

    def __init__(self, *args: Any, program: Program, grant: Grant | None, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program, self.today = program, today
        fund_field = cast(forms.ModelChoiceField, self.fields["fund"])
        grantee_field = cast(forms.ModelChoiceField, self.fields["grantee"])
        fund_field.queryset = selectors.funds_of_program(program)
        grantee_field.queryset = selectors.grantees_of(program)
        for category, label in BudgetCategory.choices:
            self.fields[BUDGET_PREFIX + category] = AmountField(label=label, required=False, initial=Decimal(0))
        if grant is not None and not self.is_bound:
            budget = selectors.budget_of(grant)
            places = exponent(grant.currency)
            self.initial.update(
                fund=grant.fund_id,
                grantee=grant.organization_id,
                purpose=grant.purpose,
                currency=grant.currency,
                amount=Decimal(grant.amount_minor).scaleb(-places),
                starts_on=grant.starts_on,
                ends_on=grant.ends_on,
                **{BUDGET_PREFIX + c: Decimal(minor).scaleb(-places) for c, minor in budget.items()},
            )
        elif not self.is_bound:
            self.initial.update(starts_on=program.starts_on, ends_on=program.ends_on)
            funds = list(fund_field.queryset[:2])
            if len(funds) == 1:
                self.initial["fund"] = funds[0].pk

    def budget_fields(self) -> list[forms.BoundField]:
        return [self[BUDGET_PREFIX + category] for category in BudgetCategory.values]

    def main_fields(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if not field.name.startswith(BUDGET_PREFIX)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("A grant ends after it starts."))
        if self.errors or data.get("amount") is None:
            return data
        amount, budget = self.amount_money(), self.budget()
        lines = sum((line.minor for line in budget.values()), 0)
        if lines != amount.minor:
            self.add_error(
                None,
                _("The budget adds up to %(lines)s, not the grant's %(amount)s: make the lines add up to it.")
                % {"lines": _shown(Money(lines, amount.currency)), "amount": _shown(amount)},
            )
        fund: Fund = data["fund"]
        room = selectors.room_at_today(fund, amount, self.today)
        if room is not None and room[0] > room[1]:
            self.add_error(
                "amount",
                _("This is %(needed)s at today's rate, and the fund has %(left)s left to commit.")
                % {"needed": _shown(room[0]), "left": _shown(room[1])},
            )
        return data

    def amount_money(self) -> Money:
        return _money(self.cleaned_data["amount"], self.cleaned_data["currency"])

    def budget(self) -> dict[str, Money]:
        """The budget's lines that are not zero."""
        currency = self.cleaned_data["currency"]
        lines = {c: _money(self.cleaned_data.get(BUDGET_PREFIX + c), currency) for c in BudgetCategory.values}
        return {category: line for category, line in lines.items() if line.minor}


class GrantFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=[("", gettext_lazy("Every status")), *GrantStatus.choices], required=False
    )


class ApproveForm(forms.Form):
    on = DateField(
        label=gettext_lazy("Approved on"),
        help_text=gettext_lazy(
            "The amount is committed at the euro reference rate of this day, or of the last day before it with one."
        ),
    )


class CloseForm(forms.Form):
    on = DateField(label=gettext_lazy("Closed on"))


class MoneyRulesForm(forms.Form):
    second_approval_above = AmountField(label=gettext_lazy("Second approval above"))
    reminder_days = forms.CharField(
        label=gettext_lazy("Report reminders"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Days before a report's due date when its grantee is reminded, separated by commas; a negative number "
            "is a day after it (e.g. 14, 3, -1)."
        ),
    )

    def __init__(self, *args: Any, rules: MoneyRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = rules.currency
        self.fields["second_approval_above"].help_text = _(
            "In %(currency)s: a payment above this amount needs an approver other than the person who proposed it."
        ) % {"currency": rules.currency}
        if not self.is_bound:
            self.initial.update(
                second_approval_above=Decimal(rules.second_approval_above_minor).scaleb(-exponent(rules.currency)),
                reminder_days=", ".join(str(day) for day in rules.reminder_days),
            )

    def clean_reminder_days(self) -> list[int]:
        days = []
        for part in self.cleaned_data["reminder_days"].replace(";", ",").split(","):
            text = part.strip()
            if not text:
                continue
            try:
                day = int(text)
            except ValueError:
                raise forms.ValidationError(_("“%(text)s” is not a whole number of days.") % {"text": text}) from None
            if not -60 <= day <= 365:
                raise forms.ValidationError(_("A reminder is from 365 days before to 60 days after the due date."))
            days.append(day)
        return days

    def threshold(self) -> Money:
        return _money(self.cleaned_data["second_approval_above"], self.currency)
