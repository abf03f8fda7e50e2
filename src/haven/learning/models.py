"""The staff-education pillar: a corporate partner's staff, the courses they take, what they attest.

Every row belongs to the corporate partner (``organization``): its learning admin (the partner's org admin) sees
them by name, a manager sees their own team, a learner their own learning, and nobody else sees a named learner.
Staff come from the company's identity provider (SCIM), an uploaded table or the admin; a deactivated member keeps
their history and loses access. Course text is written in English and French (Markdown, rendered sanitized).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core.bilingual import InLanguage
from haven.organizations.tenancy import TenantModel


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


class StaffMember(TenantModel):
    """One employee of the corporate partner, as its identity provider or its staff table describes them.

    ``user_name`` is the company's login name (SCIM ``userName``), unique in the company; ``external_id`` the
    identity provider's id. The person signs in as ``user`` with a learner membership; deactivating them ends the
    membership and keeps every assignment, attempt and attestation."""

    # The tenant's own index is left out: every index of the table begins with the organization already, and each
    # index is written for each of the thousands of rows of a staff table import.
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="staffmember_set",
        related_query_name="staffmember",
        db_index=False,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="staff_record"
    )
    user_name = models.CharField(_("user name"), max_length=254)
    external_id = models.CharField(_("identity provider id"), max_length=200, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=64, blank=True)
    given_name = models.CharField(_("given name"), max_length=120, blank=True)
    family_name = models.CharField(_("family name"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=120, blank=True)
    team = models.CharField(_("team"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 two-letter code"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "user_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user_name"], name="staff_unique_user_name"),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="staff_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(deactivated_at__isnull=True), name="staff_active_not_deactivated"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "department"]),
            models.Index(fields=["organization", "country"]),
            # Whether someone manages anyone (the learner's menu, on every page): without it SQLite walked the
            # company's staff by another index (45,000 rows, 40 ms).
            models.Index(fields=["organization", "manager"], name="staff_org_manager"),
        ]

    def __str__(self) -> str:
        return self.user_name


class StaffGroup(TenantModel):
    """A group of the company's directory (SCIM Group): assignment rules may target it."""

    display_name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(_("identity provider id"), max_length=200, blank=True)
    members = models.ManyToManyField(StaffMember, related_name="staff_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "display_name"], name="staff_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.display_name


class ScimToken(TenantModel):
    """A bearer token an identity provider presents to the company's SCIM endpoint. Only its digest is kept."""

    label = models.CharField(_("label"), max_length=120)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"


class LearningSettings(TenantModel):
    """A company's learning settings: its single sign-on, its learning record store, its reminders, its program."""

    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("program"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The program whose target of staff educated this company's learning counts toward."),
    )
    oidc_issuer = models.URLField(_("OpenID Connect issuer"), blank=True)
    oidc_client_id = models.CharField(_("client id"), max_length=200, blank=True)
    oidc_client_secret = models.CharField(_("client secret"), max_length=400, blank=True)
    lrs_endpoint = models.URLField(_("learning record store endpoint"), blank=True)
    lrs_username = models.CharField(_("learning record store key"), max_length=200, blank=True)
    lrs_password = models.CharField(_("learning record store secret"), max_length=400, blank=True)
    remind_days_before = models.PositiveSmallIntegerField(_("remind this many days before the due date"), default=7)
    remind_days_after = models.PositiveSmallIntegerField(_("remind again this many days after it"), default=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="learning_settings_one_per_company")]

    def __str__(self) -> str:
        return f"learning settings of {self.organization_id}"


class Course(TenantModel):
    """A course the company's staff take. What they read and answer is in its published versions."""

    slug = models.SlugField(_("code"), max_length=80)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_fr = models.TextField(_("summary (French)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    title = InLanguage("title")
    summary = InLanguage("summary")

    class Meta:
        ordering = ["title_en"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="course_unique_slug")]

    def __str__(self) -> str:
        return self.title_en


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class CourseVersion(TenantModel):
    """One version of a course: its modules and question bank. Publishing a version retires the one before; a
    version published as a change that matters (``reassign``) is assigned again to everyone who took the old one."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("questions per attempt"), null=True, blank=True, help_text=_("Empty: every question of the bank.")
    )
    minutes = models.PositiveSmallIntegerField(_("minutes to complete"), default=30)
    change_note = models.TextField(_("what changed"), blank=True)
    reassign = models.BooleanField(_("everyone takes it again"), default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="course_version_unique_number"),
            models.UniqueConstraint(
                fields=["course"], condition=Q(status="published"), name="course_one_published_version"
            ),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="course_version_pass_mark_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} v{self.number}"


class Module(TenantModel):
    """A module of a course version, read in order. Its body is Markdown in each language."""

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveSmallIntegerField(_("position"))
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English, Markdown)"))
    body_fr = models.TextField(_("text (French, Markdown)"), blank=True)

    title = InLanguage("title")
    body = InLanguage("body")

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="module_unique_position")]

    def __str__(self) -> str:
        return self.title_en


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("One answer")
    MULTIPLE = "multiple", _("Several answers")


class Question(TenantModel):
    """A question of a version's bank. A single-choice question has one right choice; a multiple-choice one is
    right when exactly the right choices are picked."""

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text_en = models.TextField(_("question (English)"))
    text_fr = models.TextField(_("question (French)"), blank=True)
    feedback_en = models.TextField(_("feedback (English)"), blank=True)
    feedback_fr = models.TextField(_("feedback (French)"), blank=True)

    text = InLanguage("text")
    feedback = InLanguage("feedback")

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="question_unique_position")]

    def __str__(self) -> str:
        return self.text_en[:60]


class Choice(TenantModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(_("position"))
    text_en = models.CharField(_("answer (English)"), max_length=400)
    text_fr = models.CharField(_("answer (French)"), max_length=400, blank=True)
    is_correct = models.BooleanField(_("right answer"), default=False)

    text = InLanguage("text")

    class Meta:
        ordering = ["question", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "position"], name="choice_unique_position")]

    def __str__(self) -> str:
        return self.text_en[:60]


class RuleTarget(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    DEPARTMENT = "department", _("A department")
    TEAM = "team", _("A team")
    COUNTRY = "country", _("A country")
    GROUP = "group", _("A group")


class DueFrom(models.TextChoices):
    ASSIGNMENT = "assignment", _("the day it is assigned")
    HIRE = "hire", _("the day the person was hired")


class AssignmentRule(TenantModel):
    """Who takes a course and by when: everyone, or the staff of a department, team, country or group; due a number
    of days after assignment or hire; taken again every ``refresh_months`` (0: once)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="rules")
    target = models.CharField(_("who"), max_length=16, choices=RuleTarget.choices, default=RuleTarget.EVERYONE)
    value = models.CharField(_("which"), max_length=120, blank=True)
    group = models.ForeignKey(StaffGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    due_days = models.PositiveSmallIntegerField(_("days to complete"), default=30)
    due_from = models.CharField(_("counted from"), max_length=16, choices=DueFrom.choices, default=DueFrom.ASSIGNMENT)
    refresh_months = models.PositiveSmallIntegerField(_("taken again every (months)"), default=12)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "target", "value"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target="everyone", value="", group__isnull=True)
                | Q(target="group", group__isnull=False)
                | (Q(target__in=["department", "team", "country"], group__isnull=True) & ~Q(value="")),
                name="rule_target_has_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_id}: {self.target} {self.value}".strip()


class Assignment(TenantModel):
    """A course a member of staff must complete by a date. Completing it (the quiz passed) sets ``completed_at``;
    a new version that everyone takes again, or the yearly refresh, opens a new assignment and the old one stays."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="assignments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assignments")
    version = models.ForeignKey(CourseVersion, on_delete=models.PROTECT, related_name="assignments")
    rule = models.ForeignKey(AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_on = models.DateField(_("assigned on"))
    due_on = models.DateField(_("due on"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "course"],
                condition=Q(completed_at__isnull=True, superseded_at__isnull=True),
                name="assignment_one_open_per_course",
            ),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("assigned_on")), name="assignment_due_after"),
        ]
        indexes = [
            models.Index(fields=["organization", "due_on"]),
            # A learner's own assignments (their home, each course page): by company and person, where SQLite chose
            # the company's index alone and read all its assignments (90 ms at 45,000 staff).
            models.Index(fields=["organization", "staff"], name="assignment_org_staff"),
            # The dashboard's overdue list: a course's open assignments, the longest overdue first.
            models.Index(
                fields=["organization", "course", "due_on"],
                condition=Q(completed_at__isnull=True, superseded_at__isnull=True),
                name="assignment_open_by_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} → {self.course_id} by {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.superseded_at is None

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())


class ModuleCompletion(TenantModel):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="module_completions")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "module"], name="module_completion_once"),
        ]
        # The modules a learner read (every course and module page): by company and assignment, where SQLite
        # without statistics chose the company's index alone (140 ms at 45,000 staff).
        indexes = [models.Index(fields=["organization", "assignment"], name="completion_org_assignment")]


class QuizAttempt(TenantModel):
    """One attempt at a version's quiz: the questions drawn and their order, the answers, the score."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    question_order = models.JSONField(default=list)  # [[question_id, [choice_id, ...]], ...] as shown
    answers = models.JSONField(default=dict)  # {question_id: [choice_id, ...]}
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score_raw = models.PositiveSmallIntegerField(null=True, blank=True)
    score_max = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        ordering = ["assignment", "number"]
        constraints = [models.UniqueConstraint(fields=["assignment", "number"], name="attempt_unique_number")]


class ReminderKind(models.TextChoices):
    BEFORE = "before", _("Before the due date")
    AFTER = "after", _("After the due date")
    DIGEST = "digest", _("Manager's digest")


class LearningReminder(TenantModel):
    """An e-mail sent about learning: to a learner about one assignment, or a digest to a manager."""

    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    recipient = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="reminders_received")
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind"], condition=Q(assignment__isnull=False), name="reminder_once_per_kind"
            ),
            models.UniqueConstraint(
                fields=["recipient", "sent_on"], condition=Q(kind="digest"), name="digest_once_a_day"
            ),
        ]


class Policy(TenantModel):
    """A company policy its staff attest to, e.g. its child-safeguarding policy."""

    slug = models.SlugField(_("code"), max_length=80)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)

    title = InLanguage("title")

    class Meta:
        ordering = ["title_en"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="policy_unique_slug")]

    def __str__(self) -> str:
        return self.title_en


class PolicyVersion(TenantModel):
    """A version of a policy. Every published version must be attested again by every active member of staff."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    body_en = models.TextField(_("text (English, Markdown)"))
    body_fr = models.TextField(_("text (French, Markdown)"), blank=True)
    attest_within_days = models.PositiveSmallIntegerField(_("days to attest"), default=30)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    body = InLanguage("body")

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.number}"


class Attestation(TenantModel):
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="attestations")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="attestations")
    attested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-attested_at"]
        constraints = [models.UniqueConstraint(fields=["staff", "version"], name="attestation_once_per_version")]


class Certificate(TenantModel):
    """The certificate of a completed assignment. Its code is what the public verification page takes."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code


class XapiStatement(TenantModel):
    """An xAPI statement of an attempt, a completion or an attestation, kept and sent to the company's LRS."""

    id = models.UUIDField(primary_key=True)
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    verb = models.CharField(max_length=32)
    statement = models.JSONField()
    timestamp = models.DateTimeField()
    stored_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["timestamp"]
        indexes = [models.Index(fields=["organization", "sent_at"])]


class UsedNonce(TenantModel):
    """The digest of an ID token's ``nonce`` that signed someone in through the company's provider, kept until the
    token expires: the same nonce is refused a second time (a replayed token)."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]


class LearningVersion(TenantModel):
    """The learning version (``learning.version``): a random token per company that every write the staff-education
    figures read replaces, in the same transaction (staff, assignments, completions, attempts, attestations, policy
    and course versions, rules). The dashboard's figures are cached under it, so a cached figure is never older than
    the last committed write. Random rather than a counter, as ``training.FiguresVersion``."""

    token = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="learning_version_one_per_company")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.token}"
