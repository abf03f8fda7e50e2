from django.conf import settings
from django.db import models
from django.db.models import F, Q
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
    """A user's role in one organization. Deactivated, never deleted, so the history stays.

    Only an active membership works. A role that a second person must approve (``roles.needs_second_person``) is
    inactive until its pending :class:`MembershipGrant` is approved; its grants keep the history."""

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
            # An inactive membership was deactivated (it has the time) or has not been approved yet (it may not).
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(deactivated_at__isnull=True),
                name="membership_active_not_deactivated",
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


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class GrantPath(models.TextChoices):
    INVITATION = "invitation", _("Invitation accepted")
    REACTIVATION = "reactivation", _("Role given back")
    DIRECT = "direct", _("Role given directly")


class MembershipGrant(TenantModel):
    """One grant of a role that a second person must approve (decision 0011), and its outcome.

    The membership stays inactive while the grant is pending. Only someone other than the granter and the member
    decides it; the database holds that rule too. Kept after the decision, so the history stays.
    """

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="grants")
    # The member, on the row itself, so that the database can refuse them as the one who decides.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(_("how"), max_length=16, choices=GrantPath.choices)
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    status = models.CharField(_("status"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(status=GrantStatus.PENDING),
                name="membership_grant_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status=GrantStatus.PENDING, decided_by__isnull=True, decided_at__isnull=True)
                | Q(
                    status__in=[GrantStatus.APPROVED, GrantStatus.DECLINED],
                    decided_by__isnull=False,
                    decided_at__isnull=False,
                ),
                name="membership_grant_decision_complete",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | (~Q(decided_by=F("granted_by")) & ~Q(decided_by=F("user"))),
                name="membership_grant_decided_by_a_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.membership_id})"
