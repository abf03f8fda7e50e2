"""Every form class of the project, found by introspection, for the tests that hold a rule over all of them."""

import importlib
from collections.abc import Iterator

from django import forms
from django.apps import apps


def form_classes() -> list[type[forms.Form]]:
    """The forms defined in each Haven app's ``forms`` module, by their dotted name."""
    found: dict[str, type[forms.Form]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("haven."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.Form) and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__name__}"] = value
    return [found[name] for name in sorted(found)]


def declared_fields(form_class: type[forms.Form]) -> Iterator[tuple[str, forms.Field]]:
    yield from form_class.base_fields.items()


def choice_widget(field: forms.Field) -> str:
    """ "group" for boxes or radios of one question, "single" for one checkbox, "" otherwise."""
    widget = field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "group"
    if isinstance(widget, forms.CheckboxInput):
        return "single"
    return ""


def name_of(form_class: type[forms.Form]) -> str:
    return f"{form_class.__module__.removeprefix('haven.').removesuffix('.forms')}.{form_class.__name__}"
