from django.db import models
from django.db.models import F, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from haven.organizations.tenancy import TenantModel, TenantQuerySet


class TargetMetric(models.TextChoices):
    CLINICIANS_TRAINED = "clinicians_trained", _("Clinicians trained")
    CLINICIANS_CERTIFIED = "clinicians_certified", _("Clinicians certified")
    CHILDREN_SERVED = "children_served", _("Children served")
    CAREGIVERS_SERVED = "caregivers_served", _("Caregivers served")
    STAFF_EDUCATED = "staff_educated", _("Corporate staff educated")


class ProgramQuerySet(TenantQuerySet):
    def funded_by(self, funder_id: int) -> "ProgramQuerySet":
        """Programs a funder pays for: the funder is the scope."""
        return self.filter(funders__funder_id=funder_id)._scoped()

    def prefetch_related_targets(self) -> "ProgramQuerySet":
        return self.prefetch_related(
            Prefetch("targets", queryset=ProgramTarget.objects.under_scoped_parent().order_by("metric"))
        )


class Program(TenantModel):
    """A funded program run by a national office: its period, its funders and its targets."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(ProgramQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="program_ends_after_start"),
            models.UniqueConstraint(fields=["organization", "name"], name="program_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ProgramFunder(TenantModel):
    """A funder of a program. The row belongs to the program's organization."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="funders")
    funder = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "funder"], name="program_funder_unique")]

    def __str__(self) -> str:
        return f"{self.funder_id} funds {self.program_id}"


class ProgramTarget(TenantModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=32, choices=TargetMetric.choices)
    value = models.PositiveIntegerField(_("target"))

    class Meta:
        ordering = ["metric"]
        constraints = [
            models.UniqueConstraint(fields=["program", "metric"], name="program_target_unique_metric"),
            models.CheckConstraint(condition=Q(value__gt=0), name="program_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.value}"


RETENTION_MAX_YEARS = 30


class RetentionPolicy(TenantModel):
    """How long a program keeps its children's records linkable to a CAC's case, as data (decision 0047).

    The row belongs to the program's organization (the national office). ``manage.py retention_apply``
    de-identifies the child-level records of the program's children ``deidentify_after_years`` after the program
    ends. The audit log is append-only and is never touched by it.
    """

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="retention")
    deidentify_after_years = models.PositiveSmallIntegerField(_("years after the program ends"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(deidentify_after_years__gte=1, deidentify_after_years__lte=RETENTION_MAX_YEARS),
                name="retention_years_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_id}: {self.deidentify_after_years} years"
