from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haven.organizations.tenancy import TenantQuerySet


class AuditEntryQuerySet(TenantQuerySet):
    def in_orgs_or_unowned(self, organizations: Any) -> "AuditEntryQuerySet":
        """Entries of these organizations, and entries that belong to no organization (sign-in events)."""
        return self.filter(Q(organization__in=organizations) | Q(organization__isnull=True))._scoped()

    def visible_to_organization(self, organization: Any, member_ids: Any) -> "AuditEntryQuerySet":
        """The organization's own entries, plus its members' sign-in events (recorded without organization)."""
        return self.filter(
            Q(organization=organization) | Q(organization__isnull=True, actor_id__in=member_ids)
        )._scoped()


class AuditEntry(models.Model):
    """One line of the append-only, authenticated audit log.

    The database refuses UPDATE, DELETE and REPLACE on this table (triggers, see the migrations; on PostgreSQL the
    application's role is also denied them). ``hash`` holds the entry's MAC under the audit key named by ``key_id``,
    over every field but ``seq`` and the previous entry's MAC (``chain.py``); entries written before the key have
    ``key_id`` "sha256" and a plain SHA-256. ``detail`` holds identifiers and counts only, never a sensitive value.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization", null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=16)

    objects = models.Manager.from_queryset(AuditEntryQuerySet)()

    class Meta:
        ordering = ["-seq"]
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["organization", "-seq"], name="audit_org_seq"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
