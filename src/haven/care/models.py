"""The care pillar: children (pseudonyms only), treatment episodes, sessions, assessments and alerts.

Every row belongs to the CAC that treats the child. A child carries no name, birth date, address or free
text: the CAC's own case number is only ever kept as a keyed HMAC (``case_key``) to find duplicates, and a short
random ``display_code`` identifies the child on screen. An episode keeps counters of its own sessions and
assessments, refreshed by the services on every write from the episode's rows, so that a caseload reads one
row per episode.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from haven.care import identity
from haven.organizations.tenancy import TenantModel, TenantQuerySet


class ProgramRowsQuerySet(TenantQuerySet):
    def of_program(self, program: Any) -> "ProgramRowsQuerySet":
        """Every CAC's rows of one program: for the program's own figures, never for child-level pages."""
        return self.filter(program=program)._scoped()


class AssessmentQuerySet(TenantQuerySet):
    def of_program(self, program: Any) -> "AssessmentQuerySet":
        """Every CAC's assessments of one program: for the program's own figures, never for child-level pages."""
        return self.filter(episode__program=program)._scoped()


class TreatmentModel(models.Model):
    """A treatment model, as data (reference data shared by every program, not tenant-owned)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Completed cases of this model count toward the TF-CBT certification path.
    counts_for_certification = models.BooleanField(default=False)
    # Sessions record the PRACTICE components covered (TF-CBT).
    uses_practice = models.BooleanField(default=False)
    # The measurement schedule (care.due): days between periodic measures of an open episode, and the days a
    # measure may wait once due (after the first session for a baseline) before it is overdue.
    remeasure_days = models.PositiveSmallIntegerField(_("days between measures"), default=90)
    measure_grace_days = models.PositiveSmallIntegerField(_("days a due measure may wait"), default=14)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The treatment models Haven ships (migration care/0002 installs them; the generator restores them if missing).
SHIPPED_TREATMENT_MODELS = (
    {
        "code": "tf-cbt",
        "name": "TF-CBT",
        "counts_for_certification": True,
        "uses_practice": True,
        "remeasure_days": 90,
        "measure_grace_days": 14,  # two weekly sessions
    },
    # Child and Family Traumatic Stress Intervention: a brief (4-6 session) model used soon after a disclosure.
    {
        "code": "cftsi",
        "name": "CFTSI",
        "counts_for_certification": False,
        "uses_practice": False,
        "remeasure_days": 30,
        "measure_grace_days": 7,
    },
)


class Gender(models.TextChoices):
    GIRL = "girl", _("Girl")
    BOY = "boy", _("Boy")
    ANOTHER = "another", _("Another gender")
    NOT_RECORDED = "not_recorded", _("Not recorded")


class RaceEthnicity(models.TextChoices):
    AMERICAN_INDIAN = "american_indian", _("American Indian or Alaska Native")
    ASIAN = "asian", _("Asian")
    BLACK = "black", _("Black or African American")
    HISPANIC = "hispanic", _("Hispanic or Latino")
    PACIFIC_ISLANDER = "pacific_islander", _("Native Hawaiian or Other Pacific Islander")
    WHITE = "white", _("White")
    MULTIPLE = "multiple", _("Two or more")
    NOT_RECORDED = "not_recorded", _("Not recorded")


class TraumaType(models.TextChoices):
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
    PHYSICAL_ABUSE = "physical_abuse", _("Physical abuse")
    NEGLECT = "neglect", _("Neglect")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Witness to domestic violence")
    COMMUNITY_VIOLENCE = "community_violence", _("Community or school violence")
    TRAUMATIC_LOSS = "traumatic_loss", _("Traumatic loss")
    EXPLOITATION = "exploitation", _("Exploitation or trafficking")
    OTHER = "other", _("Other")


MAX_CHILD_AGE = 17


class Child(TenantModel):
    """A child referred to a CAC for treatment. ``organization`` is the CAC."""

    case_key = models.CharField(max_length=64, editable=False)
    # Which pseudonym key made case_key: the outermost layer's id, "" for the oldest key (identity, decision 0048).
    # Rows written by bulk SQL get "" from the database; they are re-keyed like any other.
    case_key_id = models.CharField(
        max_length=12, editable=False, blank=True, default=identity.current_key_id, db_default=""
    )
    display_code = models.CharField(_("code"), max_length=9, editable=False)
    age_at_referral = models.PositiveSmallIntegerField(_("age at referral"))
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices)
    race_ethnicity = models.CharField(
        _("race/ethnicity"), max_length=20, choices=RaceEthnicity.choices, default=RaceEthnicity.NOT_RECORDED
    )
    trauma_types = models.JSONField(_("trauma types"), default=list)
    referred_on = models.DateField(_("referral date"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "case_key"], name="child_case_once_per_cac"),
            models.UniqueConstraint(fields=["organization", "display_code"], name="child_code_unique"),
            models.CheckConstraint(condition=Q(age_at_referral__lte=MAX_CHILD_AGE), name="child_age_in_range"),
        ]

    def __str__(self) -> str:
        return self.display_code


class EpisodeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    ENDED = "ended", _("Ended early")


class EndReason(models.TextChoices):
    STOPPED_ATTENDING = "stopped_attending", _("The family stopped attending")
    DECLINED = "declined", _("The family declined treatment")
    MOVED = "moved", _("The family moved away")
    REFERRED = "referred", _("Referred to another service")
    PLACEMENT_CHANGE = "placement_change", _("The child's placement changed")
    CLINICAL = "clinical", _("Another clinical reason")


class Practice(models.TextChoices):
    """The PRACTICE components of TF-CBT, in order."""

    PSYCHOEDUCATION = "p", _("Psychoeducation and parenting skills")
    RELAXATION = "r", _("Relaxation")
    AFFECT = "a", _("Affective expression and modulation")
    COGNITIVE = "c", _("Cognitive coping")
    NARRATIVE = "t", _("Trauma narrative and processing")
    IN_VIVO = "i", _("In vivo mastery of trauma reminders")
    CONJOINT = "cj", _("Conjoint child-caregiver sessions")
    SAFETY = "e", _("Enhancing future safety and development")


class Episode(TenantModel):
    """One course of treatment of a child by a clinician at a CAC, referral to completion or an early end."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="episodes")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    # Found through ``episode_clinician_status``, which leads with it (no index of its own to keep at every write).
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    treatment_model = models.ForeignKey(TreatmentModel, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=EpisodeStatus.choices, default=EpisodeStatus.OPEN)
    referred_on = models.DateField(_("referral date"))
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=20, choices=EndReason.choices, blank=True)
    # Kept from the episode's own rows by the services (see services._refresh).
    first_session_on = models.DateField(null=True, blank=True)
    last_session_on = models.DateField(null=True, blank=True)
    sessions_count = models.PositiveSmallIntegerField(default=0)
    caregiver_sessions = models.PositiveSmallIntegerField(default=0)
    practice = models.JSONField(default=list, blank=True)
    last_assessed_on = models.DateField(null=True, blank=True)
    has_baseline = models.BooleanField(default=False)
    has_post = models.BooleanField(default=False)

    objects = models.Manager.from_queryset(ProgramRowsQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["referred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_on__isnull=False), name="episode_closed_has_date"
            ),
            models.CheckConstraint(condition=~Q(status="ended") | ~Q(end_reason=""), name="episode_ended_has_reason"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("referred_on")),
                name="episode_closes_after_referral",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "clinician", "status"], name="episode_caseload"),
            models.Index(fields=["clinician", "status"], name="episode_clinician_status"),
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk} of {self.child_id}"

    @property
    def with_caregiver(self) -> bool:
        return self.caregiver_sessions > 0

    @property
    def practice_progress(self) -> list[tuple[str, bool]]:
        """Each PRACTICE component, in order, with whether a session covered it."""
        covered = set(self.practice)
        return [(code, code in covered) for code in Practice.values]

    @property
    def counts_as_case(self) -> bool:
        """A completed case for the certification path: completed, with pre and post measures."""
        return self.status == EpisodeStatus.COMPLETED and self.has_baseline and self.has_post


class Handover(TenantModel):
    """An episode handed from one clinician of the CAC to another: history, never overwritten."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="handovers")
    from_clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["handed_at"]

    def __str__(self) -> str:
        return f"{self.episode_id}: {self.from_clinician_id} -> {self.to_clinician_id}"


class SessionKind(models.TextChoices):
    CHILD = "child", _("Child")
    CAREGIVER = "caregiver", _("Caregiver")
    CONJOINT = "conjoint", _("Conjoint")


CAREGIVER_KINDS = (SessionKind.CAREGIVER, SessionKind.CONJOINT)


class SessionModality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    TELEHEALTH = "telehealth", _("Telehealth")


class Session(TenantModel):
    # The episode and the clinician are found through ``session_episode_date`` and ``session_clinician_date``, which
    # lead with them: no index of their own to keep (millions of rows, each written through every index).
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="sessions", db_index=False)
    # Who delivered it: the episode's clinician when it was recorded (an episode may be handed over later).
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    held_on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    kind = models.CharField(_("type"), max_length=16, choices=SessionKind.choices)
    components = models.JSONField(_("PRACTICE components"), default=list, blank=True)
    caregiver_present = models.BooleanField(_("caregiver present"), default=False)
    modality = models.CharField(_("modality"), max_length=16, choices=SessionModality.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=480), name="session_minutes")]
        indexes = [
            models.Index(fields=["episode", "held_on"], name="session_episode_date"),
            models.Index(fields=["clinician", "held_on"], name="session_clinician_date"),
        ]

    def __str__(self) -> str:
        return f"Session {self.held_on} of {self.episode_id}"

    @property
    def involves_caregiver(self) -> bool:
        return self.caregiver_present or self.kind in CAREGIVER_KINDS


# A session as a plain row for ``core.db.insert_rows`` (the generator's load, the API's batches), in this order.
SESSION_ROW_FIELDS = [
    "organization",
    "episode",
    "clinician",
    "held_on",
    "minutes",
    "kind",
    "components",
    "caregiver_present",
    "modality",
    "recorded_by",
    "recorded_at",
]


class Timepoint(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    PERIODIC = "periodic", _("Periodic")
    POST = "post", _("Post-treatment")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Assessment(TenantModel):
    """One administration of a standardized measure: item responses and the current score.

    ``score`` holds the full result of ``measures.scoring.score`` under ``scoring_version``; when a definition
    changes, ``rescore_assessments`` keeps the superseded score in :class:`PastScore`.
    """

    # Found through ``assessment_episode_date``, which leads with it.
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="assessments", db_index=False)
    instrument = models.CharField(_("measure"), max_length=40)
    instrument_version = models.CharField(max_length=20)
    informant = models.CharField(_("informant"), max_length=16)
    timepoint = models.CharField(_("timepoint"), max_length=16, choices=Timepoint.choices)
    administered_on = models.DateField(_("date"))
    responses = models.JSONField(default=dict)
    scoring_version = models.CharField(max_length=20)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    above_cutoff = models.BooleanField(null=True)
    score = models.JSONField(default=dict)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(AssessmentQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["administered_on", "pk"]
        indexes = [models.Index(fields=["episode", "administered_on"], name="assessment_episode_date")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.administered_on} of {self.episode_id}"


class PastScore(TenantModel):
    """A score an assessment had under an earlier scoring version, kept when it was rescored."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="past_scores")
    scoring_version = models.CharField(max_length=20)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.JSONField(default=dict)
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["replaced_at"]

    def __str__(self) -> str:
        return f"{self.assessment_id} v{self.scoring_version}"


class FollowUp(models.TextChoices):
    RISK_ASSESSED = "risk_assessed", _("Suicide risk assessment completed")
    SAFETY_PLAN = "safety_plan", _("Safety plan made with the child")
    CAREGIVER_INFORMED = "caregiver_informed", _("Caregiver informed and means restricted")
    EMERGENCY_REFERRAL = "emergency_referral", _("Referred for emergency evaluation")
    SUPERVISOR_CONSULTED = "supervisor_consulted", _("Clinical supervisor consulted")
    NO_CURRENT_RISK = "no_current_risk", _("Assessed: no current risk")


class CriticalAlert(TenantModel):
    """A critical answer (PHQ-A item 9 above 0): shown to the treating clinician and the CAC admin until
    acknowledged with the follow-up recorded."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="alerts")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="alerts")
    item = models.CharField(max_length=8)
    answer = models.PositiveSmallIntegerField()
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    follow_up = models.JSONField(_("follow-up"), default=list, blank=True)

    class Meta:
        ordering = ["raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="alert_acknowledged_by_someone",
            )
        ]
        indexes = [models.Index(fields=["organization", "acknowledged_at"], name="alert_open")]

    def __str__(self) -> str:
        return f"Alert {self.pk} on {self.episode_id}"


class AgeBand(models.TextChoices):
    UNDER_6 = "0-5", _("0 to 5")
    SIX_TO_11 = "6-11", _("6 to 11")
    TWELVE_TO_17 = "12-17", _("12 to 17")


def age_band(age: int) -> str:
    if age < 6:
        return AgeBand.UNDER_6
    if age < 12:
        return AgeBand.SIX_TO_11
    return AgeBand.TWELVE_TO_17


class ImportMapping(TenantModel):
    """How a CAC's system names its export columns, remembered for its next import."""

    kind = models.CharField(max_length=16)
    columns = models.JSONField(default=dict)
    # How its dates are written, when they could be read month first or day first: "month_first", "day_first".
    date_order = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "kind"], name="import_mapping_once")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind}"
