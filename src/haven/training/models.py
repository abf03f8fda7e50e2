"""The workforce pillar: cohorts, their calendars and calls, enrollments and the milestones of the path.

Status is never stored: it is derived from the milestones by ``path.evaluate``. Cohort-level rows belong to
the national office that runs the program; an enrollment belongs to the clinician's CAC, so a CAC admin sees
their staff and a program admin the CACs of their tree.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from haven.organizations.models import US_STATES
from haven.organizations.tenancy import TenantModel, TenantQuerySet


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    HYBRID = "hybrid", _("Hybrid")


class CallSchedule(models.TextChoices):
    TWICE_MONTHLY = "twice_monthly", _("Twice a month for 6 months")
    MONTHLY = "monthly", _("Monthly for 12 months")


class CallTimeZone(models.TextChoices):
    """The time zones a cohort's consultation calls are given in (the program's: the USA)."""

    EASTERN = "America/New_York", _("Eastern time")
    CENTRAL = "America/Chicago", _("Central time")
    MOUNTAIN = "America/Denver", _("Mountain time")
    ARIZONA = "America/Phoenix", _("Arizona time")
    PACIFIC = "America/Los_Angeles", _("Pacific time")
    ALASKA = "America/Anchorage", _("Alaska time")
    HAWAII = "Pacific/Honolulu", _("Hawaii time")
    ATLANTIC = "America/Puerto_Rico", _("Atlantic time")


class CertificationPath(TenantModel):
    """A program's certification rules, as data. The defaults are the national TF-CBT path."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="certification_path")
    live_training_min_days = models.PositiveSmallIntegerField(_("minimum days of live training"), default=2)
    collaborative_min_months = models.PositiveSmallIntegerField(_("minimum months of a collaborative"), default=6)
    calls_required = models.PositiveSmallIntegerField(_("consultation calls required"), default=9)
    calls_counted = models.PositiveSmallIntegerField(_("consultation calls offered"), default=12)
    consultation_window_months = models.PositiveSmallIntegerField(_("months to finish consultation"), default=24)
    consultation_months_twice_monthly = models.PositiveSmallIntegerField(
        _("months of consultation when calls are twice a month"), default=6
    )
    consultation_months_monthly = models.PositiveSmallIntegerField(
        _("months of consultation when calls are monthly"), default=12
    )
    cases_required = models.PositiveSmallIntegerField(_("completed cases required"), default=3)
    cases_with_caregiver_required = models.PositiveSmallIntegerField(_("of which with a caregiver"), default=2)
    retake_wait_months = models.PositiveSmallIntegerField(_("months before a test retake"), default=6)
    valid_years = models.PositiveSmallIntegerField(_("years a certification is valid"), default=5)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(calls_required__lte=F("calls_counted")), name="path_calls_fit"),
            models.CheckConstraint(
                condition=Q(cases_with_caregiver_required__lte=F("cases_required")), name="path_caregiver_cases_fit"
            ),
            models.CheckConstraint(
                condition=Q(consultation_months_twice_monthly__lte=F("consultation_window_months"))
                & Q(consultation_months_monthly__lte=F("consultation_window_months")),
                name="path_consultation_fits_window",
            ),
        ]

    def __str__(self) -> str:
        return f"Path of program {self.program_id}"


class CohortQuerySet(TenantQuerySet):
    def trained_by(self, user_id: int) -> "CohortQuerySet":
        """The cohorts a trainer leads or co-leads: the trainer is the scope."""
        return self.filter(trainer_links__trainer_id=user_id)._scoped()


class Cohort(TenantModel):
    """A learning collaborative: trainers, region, modality, capacity, calendar and consultation calls."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("region"), max_length=100, blank=True)
    states = models.JSONField(_("states"), default=list, blank=True)
    modality = models.CharField(_("modality"), max_length=16, choices=Modality.choices)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    call_schedule = models.CharField(_("consultation calls"), max_length=16, choices=CallSchedule.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    live_training_on = models.DateField(_("live training (first day)"))
    live_training_days = models.PositiveSmallIntegerField(_("days of live training"), default=2)
    # When the consultation calls start, as a time of day in their time zone (every call of the cohort).
    call_time = models.TimeField(_("calls start at"), null=True, blank=True)
    call_time_zone = models.CharField(
        _("time zone of the calls"), max_length=40, choices=CallTimeZone.choices, default=CallTimeZone.EASTERN
    )
    trainers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="CohortTrainer", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(CohortQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="cohort_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="cohort_capacity_positive"),
            models.UniqueConstraint(fields=["organization", "program", "name"], name="cohort_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def collaborative_months(self) -> int:
        """Whole months from start to end (31 Jan to 30 Jun is 4 full months and some days: 4)."""
        months = (self.ends_on.year - self.starts_on.year) * 12 + self.ends_on.month - self.starts_on.month
        return months - (1 if self.ends_on.day < self.starts_on.day else 0)


class CohortTrainerQuerySet(TenantQuerySet):
    def of_trainer(self, user_id: int) -> "CohortTrainerQuerySet":
        return self.filter(trainer_id=user_id)._scoped()


class CohortTrainer(TenantModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="trainer_links")
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_lead = models.BooleanField(_("lead trainer"), default=True)

    objects = models.Manager.from_queryset(CohortTrainerQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cohort", "trainer"], name="cohort_trainer_unique")]

    def __str__(self) -> str:
        return f"{self.trainer_id} trains {self.cohort_id}"


class ClosedDay(TenantModel):
    """A program's change to its holiday rules (``closed_days``): a day it closes (``closed``, with what it is) or a
    holiday it works on. The row belongs to the national office that runs the program, as its cohorts do."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    closed = models.BooleanField(_("closed"), default=True)
    name = models.CharField(_("what it is"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="closed_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {'closed' if self.closed else 'open'}"


class EventKind(models.TextChoices):
    PRE_WORK = "pre_work", _("Pre-work")
    LEARNING_SESSION = "learning_session", _("Learning session")
    ACTION_PERIOD = "action_period", _("Action period")


class CohortEvent(TenantModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="event_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_on}"


class ConsultationCall(TenantModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="calls")
    number = models.PositiveSmallIntegerField(_("call"))
    held_on = models.DateField(_("date"))
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["cohort", "number"], name="call_unique_number")]

    def __str__(self) -> str:
        return f"Call {self.number} of {self.cohort_id}"


class Degree(models.TextChoices):
    MASTERS = "masters", _("Master's degree")
    DOCTORATE = "doctorate", _("Doctorate")
    OTHER = "other", _("Other")


class LicenseStatus(models.TextChoices):
    PERMANENT = "permanent", _("Permanent")
    PROVISIONAL = "provisional", _("Provisional")


class Placement(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    WAITLISTED = "waitlisted", _("Waitlisted")
    ENROLLED = "enrolled", _("Enrolled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CohortScopedQuerySet(TenantQuerySet):
    def in_cohort(self, cohort: "Cohort") -> "CohortScopedQuerySet":
        """Rows of one cohort, whatever CAC they belong to. The cohort must come from ``access_cohort``."""
        field = "cohort" if self.model is Enrollment else "call__cohort"
        return self.filter(**{field: cohort})._scoped()

    def in_cohorts(self, cohorts: "list[Cohort]") -> "CohortScopedQuerySet":
        """Rows of several cohorts. The cohorts must come from a scoped query."""
        field = "cohort__in" if self.model is Enrollment else "call__cohort__in"
        return self.filter(**{field: cohorts})._scoped()

    def of_program(self, program: Any) -> "CohortScopedQuerySet":
        """Every CAC's rows of one program: for the program's own figures, never for a person's page."""
        field = "program" if self.model is Enrollment else "call__cohort__program"
        return self.filter(**{field: program})._scoped()

    def trained_by(self, user_id: int) -> "CohortScopedQuerySet":
        """Rows of the cohorts a trainer leads: the trainer is the scope."""
        field = "cohort" if self.model is Enrollment else "call__cohort"
        return self.filter(**{f"{field}__trainer_links__trainer_id": user_id})._scoped()


class Enrollment(TenantModel):
    """A clinician's place in the program. ``organization`` is their CAC; the cohort may come later."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="enrollments")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cohort = models.ForeignKey(Cohort, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments")
    placement = models.CharField(_("placement"), max_length=16, choices=Placement.choices, default=Placement.NOMINATED)
    degree = models.CharField(_("degree"), max_length=16, choices=Degree.choices)
    license_state = models.CharField(_("license state"), max_length=2, choices=[(s, s) for s in US_STATES])
    license_status = models.CharField(_("license"), max_length=16, choices=LicenseStatus.choices)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(auto_now_add=True)
    # When the clinician was last placed in a cohort or on its waitlist: the waitlist is served in this order.
    placed_at = models.DateTimeField(null=True, blank=True)
    # The live training this clinician attends or attended: their first cohort's, kept when they move after it.
    live_training_on = models.DateField(null=True, blank=True)
    live_training_days = models.PositiveSmallIntegerField(default=0)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = models.Manager.from_queryset(CohortScopedQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["nominated_at"]
        constraints = [
            models.UniqueConstraint(fields=["program", "clinician"], name="enrollment_once_per_program"),
            models.CheckConstraint(
                condition=~Q(placement="enrolled") | Q(cohort__isnull=False), name="enrollment_enrolled_has_cohort"
            ),
            models.CheckConstraint(
                condition=~Q(placement="withdrawn") | Q(withdrawn_at__isnull=False),
                name="enrollment_withdrawal_has_time",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "placement"], name="enrollment_cohort_placement")]

    def __str__(self) -> str:
        return f"{self.clinician_id} in {self.program_id}"

    def take_live_training_of(self, cohort: "Cohort", today: date) -> None:
        """Attend ``cohort``'s live training, unless one was already attended before today."""
        if self.live_training_on is None or self.live_training_on > today:
            self.live_training_on, self.live_training_days = cohort.live_training_on, cohort.live_training_days


class Transfer(TenantModel):
    """A move from one cohort to another: history, never overwritten."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="transfers")
    from_cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="+")
    to_cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="+")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["moved_at"]

    def __str__(self) -> str:
        return f"{self.from_cohort_id} -> {self.to_cohort_id}"


class Attendance(TenantModel):
    """Whether an enrolled clinician attended one consultation call (the enrollment's organization)."""

    call = models.ForeignKey(ConsultationCall, on_delete=models.CASCADE, related_name="attendance")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attendance")
    attended = models.BooleanField(_("attended"))

    objects = models.Manager.from_queryset(CohortScopedQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "enrollment"], name="attendance_once_per_call")]

    def __str__(self) -> str:
        return f"{self.enrollment_id} @ {self.call_id}: {self.attended}"


class MilestoneKind(models.TextChoices):
    ONLINE_COURSE = "online_course", _("Online course certificate (TF-CBTWeb)")
    KNOWLEDGE_TEST = "knowledge_test", _("Knowledge test")
    CERTIFICATION = "certification", _("Certification")


class Milestone(TenantModel):
    """A dated milestone of an enrollment. Live training and calls come from the cohort; cases from care."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("milestone"), max_length=20, choices=MilestoneKind.choices)
    achieved_on = models.DateField(_("date"))
    passed = models.BooleanField(_("passed"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["achieved_on"]
        constraints = [
            # A course or a certification is recorded once; test attempts may repeat, once a day.
            models.UniqueConstraint(fields=["enrollment", "kind", "achieved_on"], name="milestone_unique_day"),
            # The online course is recorded once; test attempts and certifications (renewals) may repeat.
            models.UniqueConstraint(
                fields=["enrollment", "kind"], condition=Q(kind="online_course"), name="milestone_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.achieved_on}"


class RenewalReminder(TenantModel):
    """A reminder that a certification expires, sent once per reminder date."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="reminders")
    reminder_on = models.DateField()
    expires_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "reminder_on"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.enrollment_id} reminded {self.reminder_on}"


class FiguresVersion(TenantModel):
    """The workforce version (``training.version``): a random token every write to a program's workforce records
    replaces, in the same transaction.

    The program admin's figures are cached under this token, so a cached figure is never older than the last
    committed write. A random token, not a counter, so that a database rebuilt from scratch cannot meet the
    figures cached for an earlier one.
    """

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)
    # Counts the writes: each write stamps the kept paths it touched with the count it moved to, so a process that
    # holds the paths as of one count reads only those stamped after it (``funnel.program_clinicians``). The epoch
    # is drawn again whenever the count cannot say what changed (every path rebuilt, a database restored).
    stamp = models.PositiveBigIntegerField(default=0)
    epoch = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return f"{self.program_id} {self.token}"


class KeptPathQuerySet(TenantQuerySet):
    def of_program(self, program: Any) -> "KeptPathQuerySet":
        """Every CAC's kept paths of one program: for the program's own figures and the keeper."""
        return self.filter(program=program)._scoped()


class KeptPath(TenantModel):
    """An enrollment's certification path as the figures read it, kept by ``training.kept`` in the transaction of
    every write that changes it (decision 50). ``organization`` is the enrollment's CAC.

    Dates, not a status: what moves with the calendar (a live training over, consultation met, a certification
    lapsing) is compared to the day at read time (``path.on``), so a row never goes stale overnight.
    """

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE, related_name="kept_path")
    base = models.CharField(max_length=16)  # path.Status before training: nominated, waitlisted, enrolled, withdrawn
    trained_from = models.DateField(null=True)
    trained_on = models.DateField(null=True)
    certified_on = models.DateField(null=True)
    certified_until = models.DateField(null=True)
    consultation_due = models.DateField(null=True)
    calls_held = models.PositiveIntegerField(default=0)
    calls_attended = models.PositiveIntegerField(default=0)
    # The workforce version's count (``FiguresVersion.stamp``) of the last write that touched this path.
    stamp = models.PositiveBigIntegerField(default=0)

    objects = models.Manager.from_queryset(KeptPathQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        indexes = [
            models.Index(fields=["program", "organization"], name="keptpath_program_org"),
            models.Index(fields=["program", "stamp"], name="keptpath_program_stamp"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} {self.base}"
