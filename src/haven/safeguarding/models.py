"""The creative safeguarding review: nothing showing a child is published unchecked.

A corporate partner's creative team submits a campaign, a shoot or a batch of assets; its safeguarding reviewer and a
legal or brand reviewer answer the checklist (``reference/safeguarding.md``, kept as versioned data) and decide. A
submission is **ready to publish** only with two approvals by two different people, neither of them the submitter,
one of them holding the safeguarding reviewer role, both given to the very files now in the submission: changing
any asset voids every approval given before (``rules.py`` states the rule; ``services.py`` keeps it).

Every row belongs to the company (``organization``). Assets are kept outside the web root through Django's storage
API (the ``assets`` storage) with their location and camera metadata stripped, and are read only through a view
that checks access. Nothing of an asset reaches a page outside the review.
"""

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haven.core.bilingual import InLanguage
from haven.organizations.tenancy import TenantModel


def asset_storage() -> Storage:
    """The ``assets`` storage (settings.STORAGES): outside the web root, the file system or an S3-compatible store."""
    return storages["assets"]


class SubmissionKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    SHOOT = "shoot", _("Shoot")
    ASSET_BATCH = "asset_batch", _("Batch of assets")


class Channel(models.TextChoices):
    PRINT = "print", _("Print")
    OUTDOOR = "outdoor", _("Outdoor")
    SOCIAL = "social", _("Social media")
    WEB = "web", _("Website")
    VIDEO = "video", _("Video and television")
    EMAIL = "email", _("E-mail")
    RETAIL = "retail", _("In store")
    PROGRAMMATIC = "programmatic", _("Programmatic advertising")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Ready to publish")
    REJECTED = "rejected", _("Rejected")


# The states a reviewer acts in; the states the submitter may change the submission and its assets in.
UNDER_REVIEW = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.RESUBMITTED})
EDITABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})


class SafeguardingSettings(TenantModel):
    """A company's review settings: its turnaround target and when reminders go out."""

    turnaround_days = models.PositiveSmallIntegerField(
        _("turnaround target (working days)"),
        default=3,
        help_text=_("Working days from submission to a decision before the review is overdue."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind reviewers after (working days)"),
        default=2,
        help_text=_("Working days a submission may wait for a reviewer before they are reminded by e-mail."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="safeguarding_settings_one_per_company")]


class ChecklistVersion(models.Model):
    """One published version of the checklist. Not tenant data: the same for every company, kept as data because
    its items change as the codes and the law do (a review keeps the version it was answered against)."""

    number = models.PositiveSmallIntegerField(unique=True)
    published_on = models.DateField()
    source = models.CharField(max_length=200, blank=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="checklist_one_current")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class ChecklistSection(models.TextChoices):
    CONSENT = "A", _("Consent and permits")
    DEPICTION = "B", _("Depiction")
    PROPS = "C", _("Props, wardrobe, set and legible text")
    COPY = "D", _("Copy and captions")
    TARGETING = "E", _("Targeting and data of minors")
    METADATA = "F", _("Metadata and location")


class ChecklistItem(models.Model):
    """One question of a checklist version, answered yes, no or not applicable, with a note where it fails."""

    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=8)
    section = models.CharField(max_length=1, choices=ChecklistSection.choices)
    position = models.PositiveSmallIntegerField()
    text_en = models.TextField()
    text_fr = models.TextField()
    # Whether the item applies only when the submission shows or concerns minors (most do).
    minors_only = models.BooleanField(default=True)

    text = InLanguage("text")

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="checklist_item_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code


class Submission(TenantModel):
    """A campaign, a shoot or a batch of assets the company means to publish, under review."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(_("kind"), max_length=16, choices=SubmissionKind.choices, default=SubmissionKind.CAMPAIGN)
    title = models.CharField(_("title"), max_length=200)
    brief = models.TextField(_("brief"), blank=True, help_text=_("What the work shows and why."))
    markets = models.JSONField(_("markets"), default=list, help_text=_("ISO 3166 two-letter codes."))
    channels = models.JSONField(_("channels"), default=list)
    publish_on = models.DateField(_("publication date"), null=True, blank=True)
    shows_minors = models.BooleanField(_("shows or concerns minors"), default=False)
    minor_ages = models.JSONField(_("ages of the minors"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    checklist = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="submissions")
    # A round is one pass of review: the first submission is round 1, each resubmission the next.
    round = models.PositiveSmallIntegerField(default=0)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # the start of the current round
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)  # the current round's turnaround target
    decided_at = models.DateTimeField(null=True, blank=True)  # approved (ready) or rejected

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="submission_status_known"),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(round__gte=1, first_submitted_at__isnull=False),
                name="submission_round_once_submitted",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["program", "status"]),
        ]

    def __str__(self) -> str:
        return self.title


class AssetKind(models.TextChoices):
    IMAGE = "image", _("Image")
    PDF = "pdf", _("PDF storyboard")
    VIDEO = "video", _("Video")


class OcrStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be read")
    DONE = "done", _("Read")
    FAILED = "failed", _("Could not be read")
    NOT_APPLICABLE = "n/a", _("Nothing to read")


class Asset(TenantModel):
    """One file of a submission, as stored: metadata stripped, its SHA-256 the digest of the stored bytes.

    ``original_sha256`` is the digest of the file as uploaded (the company's asset-management system knows it by
    that one): the publish gate answers for either. A video comes with its contact sheet (an image of its frames),
    which is what is read and looked at. Replacing a file makes a new asset and retires the old one
    (``retired_at``): the review's approvals are bound to the set of current assets."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=8, choices=AssetKind.choices)
    file = models.FileField(storage=asset_storage, upload_to="originals/", max_length=300)
    thumbnail = models.FileField(storage=asset_storage, upload_to="thumbnails/", blank=True, max_length=300)
    contact_sheet = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="video_of"
    )
    file_name = models.CharField(_("file name"), max_length=255)  # as uploaded: a file name is copy too (D1)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    original_sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveSmallIntegerField(default=1)
    # What was removed on upload, e.g. ["EXIF", "GPS", "XMP"]: shown to the reviewer as proof it is gone.
    metadata_stripped = models.JSONField(default=list, blank=True)
    ocr_status = models.CharField(max_length=8, choices=OcrStatus.choices, default=OcrStatus.PENDING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [
            models.Index(fields=["sha256"], name="asset_sha256"),
            models.Index(fields=["original_sha256"], name="asset_original_sha256"),
            models.Index(fields=["submission", "retired_at"], name="asset_submission_current"),
        ]

    def __str__(self) -> str:
        return self.file_name


class AssetText(TenantModel):
    """The words Tesseract read on one page of an asset, each with its box in the page's pixels.

    ``words`` is a list of ``{"text", "left", "top", "width", "height", "confidence"}``; ``text`` the words in
    reading order, for search and the watch list."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="texts")
    page = models.PositiveSmallIntegerField(default=1)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    words = models.JSONField(default=list)
    text = models.TextField(blank=True)
    languages = models.CharField(max_length=20, default="eng+fra")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "page"]
        constraints = [models.UniqueConstraint(fields=["asset", "page"], name="asset_text_one_per_page")]


class WatchTerm(TenantModel):
    """A word or phrase the company wants highlighted wherever it is read in an asset (court, abuse, a brand...)."""

    term = models.CharField(_("term"), max_length=100)
    note = models.CharField(_("why it is watched"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["term"]
        constraints = [models.UniqueConstraint(fields=["organization", "term"], name="watch_term_unique")]

    def __str__(self) -> str:
        return self.term


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_APPLICABLE = "n/a", _("Not applicable")


class ChecklistAnswer(TenantModel):
    """A reviewer's answer to one checklist item in one round. "No" is a failed item and needs a note."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="answers")
    round = models.PositiveSmallIntegerField()
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="answers")
    answer = models.CharField(max_length=3, choices=Answer.choices)
    note = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item__position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "round", "item"], name="checklist_answer_one_per_round"),
            models.CheckConstraint(condition=~Q(answer=Answer.NO) | ~Q(note=""), name="checklist_no_needs_note"),
        ]


class Outcome(models.TextChoices):
    APPROVE = "approve", _("Approved")
    CHANGES = "changes", _("Changes requested")
    REJECT = "reject", _("Rejected")


class Decision(TenantModel):
    """One reviewer's decision in one round. An approval is bound to the assets it saw (``assets_digest``, the
    digest of the sorted SHA-256s of the current assets): it counts only while those are still the assets, and
    is voided (``voided_at``) the moment any changes."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="decisions")
    round = models.PositiveSmallIntegerField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The reviewer's role when they decided: safeguarding_reviewer or brand_reviewer.
    reviewer_role = models.CharField(max_length=32)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    note = models.TextField(blank=True)
    assets_digest = models.CharField(max_length=64)
    decided_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome=Outcome.APPROVE) | ~Q(note=""), name="decision_note_unless_ok"),
            # One standing approval per reviewer per round: approving twice does not make two approvals.
            models.UniqueConstraint(
                fields=["submission", "round", "reviewer"],
                condition=Q(outcome=Outcome.APPROVE, voided_at__isnull=True),
                name="decision_one_approval_per_reviewer",
            ),
        ]


class Comment(TenantModel):
    """A message on a submission between its submitter and its reviewers, optionally about one asset."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class ReviewReminder(TenantModel):
    """A turnaround reminder sent about a submission (one per kind per day at most)."""

    class Kind(models.TextChoices):
        WAITING = "waiting", _("Waiting for a reviewer")
        OVERDUE = "overdue", _("Past its turnaround target")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    sent_on = models.DateField()
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "kind", "sent_on"], name="review_reminder_once_a_day")
        ]


class GateToken(TenantModel):
    """A bearer token the company's asset-management system presents to ask the publish gate. Only its digest is
    kept; it is shown once when made."""

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
        return self.label


class ReviewsVersion(TenantModel):
    """The reviews version (``safeguarding.version``): a random token per program that every write to its
    companies' submissions replaces, in the same transaction. The program dashboard's review figures are cached
    under it, so a cached figure is never older than the last committed write. The row is the program's
    organization's (the figure adds up its partners' reviews). Random rather than a counter, as
    ``training.FiguresVersion``."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.program_id} {self.token}"
