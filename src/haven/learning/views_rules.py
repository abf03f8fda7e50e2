"""The company's assignment rules: list, create, edit, deactivate (its org admin, the learning admin)."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from haven.core import confirm
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import rules
from .models import AssignmentRule, Course, DueFrom, RuleTarget, StaffGroup
from .views_policies import learning_company


class RuleForm(forms.Form):
    course = forms.ModelChoiceField(label=gettext_lazy("Course"), queryset=Course.objects.none())
    target = forms.ChoiceField(label=gettext_lazy("Who"), choices=RuleTarget.choices, widget=forms.RadioSelect)
    value = forms.ChoiceField(
        label=gettext_lazy("Which department, team or country"),
        required=False,
        help_text=gettext_lazy("The values the company's staff have."),
    )
    group = forms.ModelChoiceField(label=gettext_lazy("Group"), queryset=StaffGroup.objects.none(), required=False)
    due_days = forms.IntegerField(label=gettext_lazy("Days to complete"), min_value=0, max_value=3650)
    due_from = forms.ChoiceField(
        label=gettext_lazy("Counted from"),
        choices=DueFrom.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Counted from hire: someone hired longer ago than the days to complete is due the day it is assigned."
        ),
    )
    refresh_months = forms.IntegerField(
        label=gettext_lazy("Taken again every (months)"),
        min_value=0,
        max_value=120,
        help_text=gettext_lazy("0: taken once."),
    )

    def __init__(self, *args: Any, company: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["course"]).queryset = Course.objects.in_org(company)
        cast(forms.ModelChoiceField, self.fields["group"]).queryset = StaffGroup.objects.in_org(company)
        values = rules.target_values(company)
        cast(forms.ChoiceField, self.fields["value"]).choices = [("", "—")] + [
            (value, f"{label}: {value}")
            for name, label in (("department", _("Department")), ("team", _("Team")), ("country", _("Country")))
            for value in values[name]
        ]

    def fields_for(self) -> rules.RuleFields:
        data = self.cleaned_data
        return rules.RuleFields(
            course=data["course"],
            target=data["target"],
            value=data["value"] or "",
            group=data["group"],
            due_days=data["due_days"],
            due_from=data["due_from"],
            refresh_months=data["refresh_months"],
        )


@require_http_methods(["GET"])
@role_required(Role.ORG_ADMIN)
def rule_list(request: MemberRequest) -> HttpResponse:
    company = learning_company(request)
    found = AssignmentRule.objects.in_org(company).select_related("course", "group").order_by("-is_active", "pk")
    return TemplateResponse(request, "learning/rules.html", {"rules": found})


def _rule_form(request: MemberRequest, rule: AssignmentRule | None) -> HttpResponse:
    company = learning_company(request)
    initial = (
        {"target": RuleTarget.EVERYONE, "due_days": 30, "due_from": DueFrom.ASSIGNMENT, "refresh_months": 12}
        if rule is None
        else {
            "course": rule.course_id,
            "target": rule.target,
            "value": rule.value,
            "group": rule.group_id,
            "due_days": rule.due_days,
            "due_from": rule.due_from,
            "refresh_months": rule.refresh_months,
        }
    )
    form = RuleForm(request.POST or None, initial=initial, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            saved, counts = rules.rule_save(
                actor=request.user, company=company, fields=form.fields_for(), rule=rule, today=timezone.localdate()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Rule saved: %(count)s assignments made.") % {"count": counts.created})
            return redirect("learning:rules")
    return TemplateResponse(
        request, "learning/rule_form.html", {"form": form, "rule": rule}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def rule_create(request: MemberRequest) -> HttpResponse:
    return _rule_form(request, None)


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def rule_edit(request: MemberRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule.objects.in_org(learning_company(request)), pk=rule_id)
    return _rule_form(request, rule)


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def rule_deactivate(request: MemberRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(
        AssignmentRule.objects.in_org(learning_company(request)).select_related("course"), pk=rule_id
    )
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Deactivate this rule?"),
            consequence=_(
                "The rule for “%(course)s” will assign nothing more. Assignments it already made stay open until "
                "completed."
            )
            % {"course": rule.course.title},
            button=_("Deactivate"),
            back=reverse("learning:rules"),
        )
    rules.rule_deactivate(actor=request.user, rule=rule)
    messages.success(request, _("Rule deactivated."))
    return redirect("learning:rules")


@require_POST
@role_required(Role.ORG_ADMIN)
def rule_reactivate(request: MemberRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AssignmentRule.objects.in_org(learning_company(request)), pk=rule_id)
    rules.rule_reactivate(actor=request.user, rule=rule, today=timezone.localdate())
    messages.success(request, _("Rule active again."))
    return redirect("learning:rules")
