from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .roles import OrganizationKind, Role
from .tenancy import TenantModel, TenantQuerySet

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
]


class Organization(models.Model):
    """A node of the organization tree: national office > state chapter > CAC, plus funders and partners.

    An organization is the tenant itself, so it is not a tenant-owned row.
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    state = models.CharField(_("state"), max_length=2, blank=True, choices=[(code, code) for code in US_STATES])
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="organization_unique_name_in_parent"),
            models.CheckConstraint(
                condition=~Q(kind__in=[OrganizationKind.STATE_CHAPTER, OrganizationKind.CAC]) | ~Q(state=""),
                name="organization_chapter_and_cac_have_state",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="organization_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(TenantQuerySet):
    def of_user(self, user: settings.AUTH_USER_MODEL) -> "MembershipQuerySet":  # type: ignore[name-defined]
        """A user's own memberships, across organizations: the user is the scope."""
        return self.filter(user=user)._scoped()

    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True, organization__is_active=True)


class Membership(TenantModel):
    """A user's role in one organization. Deactivated, never deleted, so the history stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager.from_queryset(MembershipQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["organization__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "role"], name="membership_unique_role"),
            models.CheckConstraint(
                condition=Q(is_active=True, deactivated_at__isnull=True)
                | Q(is_active=False, deactivated_at__isnull=False),
                name="membership_deactivation_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.organization_id}"


class Invitation(TenantModel):
    """An org admin's invitation to join an organization in a role. Only a hash of the token is kept."""

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
