from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import US_STATES, Organization
from .roles import ROLES_BY_PRIVILEGE, OrganizationKind, Role, role_allowed_in


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, organization: Organization, inviter_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The least privileged role first, and chosen unless the inviter picks another. Only a program admin can make
        # another program admin.
        choices = [
            (role, Role(role).label)
            for role in ROLES_BY_PRIVILEGE
            if role_allowed_in(role, organization.kind)
            and (role != Role.PROGRAM_ADMIN or inviter_role == Role.PROGRAM_ADMIN)
        ]
        cast(forms.ChoiceField, self.fields["role"]).choices = choices
        self.fields["role"].initial = choices[0][0] if choices else None


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganizationKind.choices)
    parent = forms.ModelChoiceField(
        label=_("Part of"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("A CAC sits under its state chapter; a chapter under the national office."),
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", "—"), *[(s, s) for s in US_STATES]])

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["parent"]).queryset = parents.filter(
            kind__in=[OrganizationKind.NATIONAL_OFFICE, OrganizationKind.STATE_CHAPTER], is_active=True
        )
