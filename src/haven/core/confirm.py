"""A destructive action asks first, on a page of its own that works without JavaScript (decision 0019).

The action's URL answers a GET, or a POST from a button elsewhere (which may carry what was typed on the way, such
as a reason), with the question: what will happen, a button that confirms and a way back. Only the question's own
POST, carrying ``confirmed=yes``, acts. A view reads::

    if not confirm.confirmed(request):
        return confirm.ask(request, title=..., consequence=..., button=..., back=...)
    services.thing_delete(...)
"""

from django import forms
from django.http import HttpRequest
from django.template.response import TemplateResponse

CONFIRM_FIELD = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    """Whether this request is the question's own POST."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def ask(
    request: HttpRequest,
    *,
    title: str,
    consequence: str,
    button: str,
    back: str,
    form: forms.Form | None = None,
    status: int = 200,
) -> TemplateResponse:
    """The question page. ``form`` holds what the action needs (a reason): shown on the page, filled in with what
    was typed on the way, and sent with the answer."""
    context = {
        "title": title,
        "consequence": consequence,
        "button": button,
        "back": back,
        "form": form,
        "confirm_field": CONFIRM_FIELD,
    }
    return TemplateResponse(request, "core/confirm.html", context, status=status)
