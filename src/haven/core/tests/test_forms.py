"""How every form renders: dates a browser's date picker keeps in every language, choices in a fieldset with each
box beside its own label, and errors summarized where a screen reader hears them."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from haven.core.forms import DateInput

from .forms import declared_fields, form_classes, name_of

LANGUAGES = [code for code, _name in settings.LANGUAGES]
DAY = date(2026, 11, 29)

DATE_FIELDS = [
    pytest.param(form_class, name, id=f"{name_of(form_class)}.{name}")
    for form_class in form_classes()
    for name, field in declared_fields(form_class)
    if isinstance(field, forms.DateField)
]


def test_the_date_fields_are_found() -> None:
    assert {p.id for p in DATE_FIELDS} >= {"training.CohortForm.starts_on", "care.SessionForm.held_on"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("form_class", "name"), DATE_FIELDS)
def test_every_date_input_carries_an_iso_value(form_class: type[forms.Form], name: str, language: str) -> None:
    """A date input takes only YYYY-MM-DD: anything else (a French 29/11/2026) shows blank and is sent back empty."""
    field = form_class.base_fields[name]
    assert isinstance(field.widget, DateInput)
    with translation.override(language):
        html = field.widget.render(name, DAY)
        assert field.clean("2026-11-29") == DAY
    assert 'type="date"' in html
    assert 'value="2026-11-29"' in html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[int, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        if data.strip() and self.tags:
            index = len(self.tags) - 1
            self.text[index] = self.text.get(index, "") + data


class _Choices(forms.Form):
    topic = forms.MultipleChoiceField(
        label="Topics", choices=[("a", "Apples"), ("b", "Bananas")], widget=forms.CheckboxSelectMultiple
    )
    size = forms.ChoiceField(label="Size", choices=[("s", "Small"), ("l", "Large")], widget=forms.RadioSelect)
    agreed = forms.BooleanField(label="Agreed", help_text="Tick it")
    when = forms.DateField(label="When", widget=DateInput)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_a_choice_group_is_a_fieldset_with_a_legend_and_each_box_just_before_its_own_label() -> None:
    html = render_to_string("core/_form.html", {"form": _Choices()})
    parsed = _parse(html)
    tags = [tag for tag, _attrs in parsed.tags]
    assert tags.count("fieldset") == 2 and tags.count("legend") == 2
    inputs = [(i, attrs) for i, (tag, attrs) in enumerate(parsed.tags) if tag == "input"]
    boxes = [(i, attrs) for i, attrs in inputs if attrs["type"] in {"checkbox", "radio"}]
    assert len(boxes) == 5
    for index, attrs in boxes:
        # The very next element is the box's own label, holding its text.
        tag, label = parsed.tags[index + 1]
        assert tag == "label" and label["for"] == attrs["id"], (attrs, label)
        assert parsed.text.get(index + 1)
    # The groups' legends name the questions.
    legends = [parsed.text.get(i, "") for i, (tag, _a) in enumerate(parsed.tags) if tag == "legend"]
    assert [legend.strip() for legend in legends] == ["Topics", "Size"]


def test_errors_are_summarized_in_an_alert_linking_each_field_and_each_field_says_its_error() -> None:
    form = _Choices(data={"when": "not a day"})
    html = render_to_string("core/_form.html", {"form": form})
    parsed = _parse(html)
    summary = [attrs for tag, attrs in parsed.tags if attrs.get("role") == "alert"]
    assert len(summary) == 1 and "error-summary" in summary[0]["class"]
    links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert links == ["#id_topic", "#id_size", "#id_agreed", "#id_when"]
    ids = {attrs.get("id") for _tag, attrs in parsed.tags}
    assert {link[1:] for link in links} <= ids
    # Each field in error is marked invalid and described by its message (and its help, when it has some).
    invalid = [attrs for tag, attrs in parsed.tags if tag == "input" and attrs.get("aria-invalid") == "true"]
    assert {attrs["name"] for attrs in invalid} == {"topic", "size", "agreed", "when"}
    described = set()
    for tag, attrs in parsed.tags:
        for ref in (attrs.get("aria-describedby") or "").split():
            assert ref in ids, (tag, attrs)
            described.add(ref)
    assert {"id_topic_error", "id_size_error", "id_agreed_error", "id_agreed_helptext", "id_when_error"} <= described
    # What was typed is kept.
    assert re.search(r'name="when" value="not a day"', html)
