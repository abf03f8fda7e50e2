"""How a form field is laid out (``core/_form_field.html``)."""

from django import forms, template

register = template.Library()


@register.filter
def choice_kind(field: forms.BoundField) -> str:
    """The layout of a field: "group" for the boxes or radios of one question (a fieldset with a legend), "single"
    for one checkbox (the box, then its label), "" for every other widget (the label above the input)."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "group"
    if isinstance(widget, forms.CheckboxInput):
        return "single"
    return ""
