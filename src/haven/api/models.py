"""The JSON API's own records: the organizations' keys, the requests counted per key and minute (the rate limit),
the senders' own ids of what they pushed (idempotency), and the webhooks (subscriptions and their deliveries).

Everything is owned by the organization the key, subscription or sender belongs to (``TenantModel``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haven.organizations.tenancy import TenantModel


class ApiKey(TenantModel):
    """A key an organization's system presents as ``Authorization: Bearer hvn_...``. Only its SHA-256 is kept; the
    key is shown once when made. Its scopes say what it may do (``keys.SCOPES``), within its own organization."""

    label = models.CharField(_("label"), max_length=120)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"


class RateWindow(TenantModel):
    """The requests one key made in one minute (``minute``: whole minutes since the epoch): the rate limit counts
    them in the database, so every server process sees the same count."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "minute"], name="api_rate_window_unique")]


class SenderRecord(TenantModel):
    """What a sender's own id stands for: the record Haven made from it (``kind`` and ``object_id``). A batch sent
    again finds its records here and changes nothing (idempotent by the sender's ids). The organization is the
    sender's: two CACs may use the same ids."""

    kind = models.CharField(max_length=24)  # "episode", "session", "assessment", "completion", "attendance"
    sender_id = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "sender_id"], name="api_sender_record_unique")
        ]


class WebhookEvent(models.TextChoices):
    REPORT_READY = "report.ready", _("A report is ready")
    TRANCHE_DUE = "tranche.due", _("A grant tranche is due")
    REVIEW_APPROVED = "review.approved", _("A creative review is approved")
    ALERT_RAISED = "alert.raised", _("A critical alert is raised")


class WebhookEndpoint(TenantModel):
    """An organization's subscription: the URL Haven posts the chosen events to, signed with the endpoint's secret
    (HMAC-SHA256 over the timestamp and the body). The secret is shown once when made."""

    label = models.CharField(_("label"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Sealed under the otp key (``webhooks.seal_secret``): the database alone cannot sign as Haven.
    secret = models.CharField(max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantModel):
    """One event for one endpoint: its payload (never a child-level value), its attempts and their outcome."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=40)  # sent as the payload's "id": a receiver can drop a repeat
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="api_delivery_due")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="api_delivery_status_known")
        ]
