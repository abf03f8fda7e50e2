"""Forms of the tranche and payment pages. Amounts are typed in major units of the grant's currency (two places
for the dollar and the euro) and become ``Money`` in the view; the services check the rest."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.core.forms import DateField

from .models import TrancheMetric


def _amount_field() -> forms.DecimalField:
    return forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2)


class TrancheForm(forms.Form):
    """A tranche waits for a day, or for a figure of the grantee reaching a level: one of the two."""

    amount = _amount_field()
    due_on = DateField(label=_("Paid from this day"), required=False)
    metric = forms.ChoiceField(
        label=_("Or when this figure of the grantee"),
        choices=[("", _("(no figure)")), *TrancheMetric.choices],
        required=False,
    )
    threshold = forms.IntegerField(label=_("reaches this level"), min_value=1, required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        has_day = cleaned.get("due_on") is not None
        has_figure = bool(cleaned.get("metric"))
        if has_day == has_figure:
            raise forms.ValidationError(_("Give a day, or a figure and its level: one of the two."))
        if has_figure and not cleaned.get("threshold"):
            self.add_error("threshold", _("Give the level the figure must reach."))
        return cleaned


class PaymentForm(forms.Form):
    amount = _amount_field()


class PayForm(forms.Form):
    paid_on = DateField(label=_("Paid on"))
