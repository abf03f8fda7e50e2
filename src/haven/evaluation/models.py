"""Evaluation exports (issue 18): de-identified child-level data for the program's evaluators.

An ``ExportRequest`` is one program admin's request, decided by a second program admin of the same program, built in
the background (``tasks.build_export``, which calls ``package.build``), downloaded by the requester while it is
valid, then deleted. Its organization is the program's (the national office), like the program's other rows.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.organizations.tenancy import TenantModel

# The smallest group of records an export may leave in (k-anonymity, program data): an admin may ask for more.
K_MINIMUM = 11


class ExportStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for a second admin")
    APPROVED = "approved", _("Approved, waiting to be built")
    DECLINED = "declined", _("Declined")
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready to download")
    DOWNLOADED = "downloaded", _("Downloaded")
    EXPIRED = "expired", _("Expired, file deleted")
    FAILED = "failed", _("Failed")


# The states in which the package's file exists and may be downloaded (while its window lasts).
HOLDS_FILE = (ExportStatus.READY, ExportStatus.DOWNLOADED)


class DateUnit(models.TextChoices):
    DAYS = "days", _("Days since the child's referral")
    MONTHS = "months", _("Months since the child's referral")


class ExportRequest(TenantModel):
    """A request for a de-identified export of a program's records, and the package made from it."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField(_("purpose"))
    evaluator = models.CharField(_("evaluator organization"), max_length=200)
    agreement_reference = models.CharField(_("data-use agreement"), max_length=100)
    agreement_expires_on = models.DateField(_("agreement expires on"))
    tables = models.JSONField(_("tables"))  # a subset of package.TABLES, in its order
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    date_unit = models.CharField(_("dates as"), max_length=8, choices=DateUnit.choices, default=DateUnit.DAYS)
    k = models.PositiveSmallIntegerField(_("smallest group (k)"), default=K_MINIMUM)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(max_length=12, choices=ExportStatus.choices, default=ExportStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_note = models.CharField(max_length=500, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    # The package's file under settings.HAVEN_EXPORT_DIR: a random name, never a served path; "" once deleted.
    file_name = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    files = models.JSONField(default=dict, blank=True)  # file name -> rows, from package.build
    report = models.JSONField(default=dict, blank=True)  # the risk report, from package.build
    # The passphrase, sealed (evaluation.sealing) until the requester is shown it once; "" afterwards.
    sealed_passphrase = models.CharField(max_length=200, blank=True)
    passphrase_shown_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)  # the first download
    downloads = models.PositiveSmallIntegerField(default=0)
    expired_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)  # the kind of error only, never its message

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(k__gte=K_MINIMUM), name="export_k_at_least_minimum"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="export_period_ordered"),
            # No export by one person alone: whoever decides it is never who asked for it.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="export_decided_by_another",
            ),
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="export_status_known"),
            models.CheckConstraint(condition=Q(date_unit__in=DateUnit.values), name="export_date_unit_known"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.evaluator}"

    def is_available(self, now: datetime | None = None) -> bool:
        """Whether the package may be downloaded now: built, its window open, its data-use agreement in force."""
        moment = now or timezone.now()
        return (
            self.status in HOLDS_FILE
            and bool(self.file_name)
            and self.available_until is not None
            and moment < self.available_until
            and timezone.localdate(moment) <= self.agreement_expires_on
        )
