from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from haven.care.models import AgeBand, Gender, RaceEthnicity
from haven.organizations.tenancy import TenantModel, TenantQuerySet


class CellQuerySet(TenantQuerySet):
    def of_program(self, program: object) -> "CellQuerySet":
        """Every row of one program: the program's own figures (counts, never a child)."""
        return self.filter(program=program)._scoped()


class ChildServed(TenantModel):
    """A child served by a program, kept up to date as sessions and placements are written (``reporting.served``,
    which also checks it against the raw rows). A figure of both pillars: a child's session (care) with a
    clinician placed in the program (training). The organization is the child's CAC.

    One row per program and child: the first qualifying session's date, and the first session with a
    caregiver taking part (a caregiver served).
    """

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey("care.Child", on_delete=models.CASCADE, related_name="+")
    first_session_on = models.DateField()
    caregiver_first_on = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=2)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    gender = models.CharField(max_length=16, choices=Gender.choices)
    race_ethnicity = models.CharField(max_length=20, choices=RaceEthnicity.choices)

    objects = models.Manager.from_queryset(CellQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "child"], name="child_served_once")]
        indexes = [models.Index(fields=["program", "first_session_on"], name="served_program_month")]

    def __str__(self) -> str:
        return f"{self.child_id} served by {self.program_id}"


class CacCell(TenantModel):
    """One count of one CAC's care records in one month, e.g. children first served in March, or completed
    episodes whose CATS score fell by 12 points. Kept by ``reporting.kept`` as records are written; the
    organization is the CAC."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=2)
    month = models.DateField()
    figure = models.CharField(max_length=24)
    key = models.CharField(max_length=48, blank=True)
    n = models.PositiveIntegerField()

    objects = models.Manager.from_queryset(CellQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "month", "figure", "key"], name="cac_cell_once")
        ]
        indexes = [models.Index(fields=["program", "state"], name="cac_cell_state")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m} {self.figure}:{self.key}={self.n}"


class StateCell(TenantModel):
    """The sum of the CAC cells of one state: what every dashboard reads. The organization is the program's."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=2)
    month = models.DateField()
    figure = models.CharField(max_length=24)
    key = models.CharField(max_length=48, blank=True)
    n = models.PositiveIntegerField()

    objects = models.Manager.from_queryset(CellQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "state", "month", "figure", "key"], name="state_cell_once")
        ]
        # Cover the dashboard's reads: by program and month range, then figure and key, summing n; and by figure
        # first, for the by-state sums of a few figures over a period.
        indexes = [
            models.Index(fields=["program", "month", "figure", "key", "state", "n"], name="state_cell_read"),
            models.Index(fields=["program", "figure", "key", "month", "state", "n"], name="state_cell_by_figure"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.month:%Y-%m} {self.figure}:{self.key}={self.n}"


class ProgramCell(TenantModel):
    """The sum of every state's cells: what the whole-program dashboard reads. Kept by applying each state's
    change. The organization is the program's."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    figure = models.CharField(max_length=24)
    key = models.CharField(max_length=48, blank=True)
    n = models.PositiveIntegerField()

    objects = models.Manager.from_queryset(CellQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "month", "figure", "key"], name="program_cell_once")]
        indexes = [models.Index(fields=["program", "month", "figure", "key", "n"], name="program_cell_read")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.figure}:{self.key}={self.n}"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class QuarterlyReport(TenantModel):
    """A quarterly funder report: the narrative the program admin writes, and the PDF made in the background.
    The organization is the program's."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField(_("quarter"))  # the quarter's first day
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    narrative = models.TextField(_("narrative"), blank=True)
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    pdf = models.BinaryField(null=True, editable=False)
    error = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.program_id} {self.quarter:%Y-%m} {self.language}"


class ReleasedQuarter(TenantModel):
    """The funder's cells as of one closed quarter, as they were first released: the true counts, which of them
    were published, and the relations between them. Every later view of that quarter serves these, and every later
    quarter is protected with them as context (``reporting.release``). The organization is the program's."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField()  # the quarter's first day
    cells = models.JSONField()  # [[key, count, "p" published | "s" suppressed | "h" hidden], ...]
    relations = models.JSONField()  # [[total, [part, ...]], ...]
    released_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(CellQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "quarter"], name="released_quarter_once")]
        ordering = ["quarter"]

    def __str__(self) -> str:
        return f"{self.program_id} {self.quarter:%Y-%m}"
