"""Every write of the creative review, each audited with ids and counts (never a file's content or a word read in it).

The workflow: draft > submitted > in review > changes requested > resubmitted > ready to publish (approved) or
rejected. ``rules.py`` says when two approvals make a submission ready; this module keeps the rule true after every
write: an approval is bound to the assets it saw, and adding, replacing or removing any asset voids every standing
approval (a submission that was ready goes back to review, in a new round).
"""

import dataclasses
import secrets as token_secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core import tokens
from haven.core.changes import ReviewApproved, announce
from haven.core.dates import add_working_days
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role

from . import intake, selectors, version
from .checklist import DEFAULT_WATCH_TERMS
from .models import (
    EDITABLE,
    UNDER_REVIEW,
    Answer,
    Asset,
    AssetKind,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistVersion,
    Comment,
    Decision,
    GateToken,
    OcrStatus,
    Outcome,
    SafeguardingSettings,
    Status,
    Submission,
    WatchTerm,
)
from .selectors import applicable_items, current_assets, digest_of, still_needed

REVIEWER_ROLES = frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER})
SUBMITTER_ROLES = frozenset({Role.CREATIVE, Role.ORG_ADMIN})
# Assets may change in every state but rejected: a change after an approval voids it (and a ready submission goes
# back to review), so the final retouched file is always the one approved (C3).
ASSETS_FROZEN = frozenset({Status.REJECTED})


def check_company(organization: Organization) -> None:
    if organization.kind != OrganizationKind.CORPORATE_PARTNER:
        raise ValidationError(_("Only a corporate partner submits work for creative review."))


def settings_of(company: Organization) -> SafeguardingSettings:
    """The company's review settings, made with the defaults (and the default watch list) on first use."""
    check_company(company)
    found = SafeguardingSettings.objects.in_org(company).first()
    if found is not None:
        return found
    with transaction.atomic():
        made = SafeguardingSettings.objects.create(organization=company)
        WatchTerm.objects.bulk_create(
            [WatchTerm(organization=company, term=term, note=note) for term, note in DEFAULT_WATCH_TERMS],
            ignore_conflicts=True,
        )
    return made


def current_checklist() -> ChecklistVersion:
    """The checklist version new submissions are answered against; version 1 (``checklist.py``, installed by
    migration 0002) is installed again if a database was emptied since (a flushed test database)."""
    found = ChecklistVersion.objects.filter(is_current=True).first()
    return found if found is not None else _checklist_install()


def _checklist_install() -> ChecklistVersion:
    from . import checklist

    version, created = ChecklistVersion.objects.get_or_create(
        number=checklist.VERSION,
        defaults={"published_on": checklist.PUBLISHED_ON, "source": checklist.SOURCE, "is_current": True},
    )
    if created:
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                version=version,
                code=item.code,
                section=item.section,
                position=position,
                text_en=item.text_en,
                text_fr=item.text_fr,
                minors_only=item.minors_only,
            )
            for position, item in enumerate(checklist.ITEMS, start=1)
        )
    return version


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubmissionFields:
    title: str
    kind: str = "campaign"
    brief: str = ""
    markets: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    publish_on: date | None = None
    shows_minors: bool = False
    minor_ages: tuple[int, ...] = ()


def _check_fields(fields: SubmissionFields) -> None:
    if fields.shows_minors and not fields.minor_ages:
        raise ValidationError({"minor_ages": _("Give the age of each minor the work shows or concerns.")})
    if any(age < 0 or age > 17 for age in fields.minor_ages):
        raise ValidationError({"minor_ages": _("A minor's age is between 0 and 17.")})
    if not fields.shows_minors and fields.minor_ages:
        raise ValidationError({"minor_ages": _("Ages are given only for work that shows or concerns minors.")})


def _check_submitter(membership: Membership, company: Organization) -> None:
    if membership.organization_id != company.pk or membership.role not in SUBMITTER_ROLES:
        raise PermissionDenied


@transaction.atomic
def submission_save(
    *, membership: Membership, company: Organization, fields: SubmissionFields, submission: Submission | None = None
) -> Submission:
    """Create a draft, or change a submission its submitter may still change (a draft or one sent back)."""
    check_company(company)
    if submission is not None:
        submission = _locked(submission)
    _check_submitter(membership, company)
    _check_fields(fields)
    values = dataclasses.asdict(fields)
    values["markets"] = sorted({m.upper() for m in fields.markets})
    values["channels"] = sorted(set(fields.channels))
    values["minor_ages"] = sorted(fields.minor_ages)
    if submission is None:
        settings_of(company)
        submission = Submission.objects.create(
            organization=company,
            program=selectors.program_of(company),
            checklist=current_checklist(),
            submitted_by=membership.user,
            **values,
        )
        version.bump(submission.program)
        audit.record(
            actor=membership.user, action="safeguarding.submission_create", organization=company, target=submission
        )
        return submission
    else:
        _check_own(submission, company)
        if submission.status not in EDITABLE:
            raise ValidationError(_("This submission is under review or decided and can no longer be changed."))
        for name, value in values.items():
            setattr(submission, name, value)
        submission.save()
    audit.record(
        actor=membership.user, action="safeguarding.submission_update", organization=company, target=submission
    )
    return submission


def _locked(submission: Submission) -> Submission:
    """The submission as the database has it now, locked for this transaction: a decision taken meanwhile counts.
    Its company comes with it (each write reads it: the checks, the settings, the rows it adds); only the
    submission's row is locked. Every write to a submission starts here, so here its program's reviews version
    moves (``version``): the review figures cached before this write are not read after it commits."""
    locked = (
        Submission.objects.in_org(submission.organization_id)
        .select_related("organization", "program")
        .select_for_update(of=("self",))
        .get(pk=submission.pk)
    )
    version.bump(locked.program)
    return locked


def _check_own(submission: Submission, company: Organization) -> None:
    if submission.organization_id != company.pk:
        raise PermissionDenied


def _assets_changed(*, actor: User, submission: Submission) -> int:
    """Void every standing approval of the submission (they saw other files). A ready submission goes back to
    review in a new round, with a new turnaround clock. Returns the number of approvals voided. A draft never
    submitted (round 0) has no decision: nothing is looked for."""
    if submission.round == 0:
        return 0
    now = timezone.now()
    voided = (
        Decision.objects.in_org(submission.organization_id)
        .filter(submission=submission, outcome=Outcome.APPROVE, voided_at=None)
        .update(voided_at=now)
    )
    if submission.status == Status.APPROVED:
        _next_round(submission, now=now, status=Status.RESUBMITTED)
    if voided:
        audit.record(
            actor=actor,
            action="safeguarding.approvals_void",
            organization=submission.organization_id,
            target=submission,
            detail={"approvals": voided},
        )
    return voided


def _next_round(submission: Submission, *, now: datetime, status: str) -> None:
    turnaround = settings_of(submission.organization).turnaround_days
    submission.round += 1
    submission.status = status
    submission.submitted_at = now
    submission.first_submitted_at = submission.first_submitted_at or now
    submission.due_at = add_working_days(now, turnaround)
    submission.decided_at = None
    submission.save()


@transaction.atomic
def asset_add(
    *,
    membership: Membership,
    submission: Submission,
    file_name: str,
    data: bytes,
    replaces: Asset | None = None,
    read: bool = True,
    prepared: intake.Prepared | None = None,
) -> Asset:
    """Store a file of the submission (stripped of its metadata, with a thumbnail) and void the approvals.
    ``replaces`` retires an asset of the same submission in the same step. ``prepared``: ``intake.prepare(data)``
    made already (the generator prepares a submission's files together, in threads)."""
    submission = _locked(submission)
    company = submission.organization
    _check_submitter(membership, company)
    if submission.status in ASSETS_FROZEN:
        raise ValidationError(_("A rejected submission's files cannot change."))
    if prepared is None:
        prepared = intake.prepare(data)
    elif prepared.original_sha256 != intake.sha256(data):
        raise ValueError("The file prepared is not the file given.")
    asset = Asset(
        organization=company,
        submission=submission,
        kind=prepared.kind,
        file_name=file_name[:255],
        content_type=prepared.content_type,
        size=len(prepared.data),
        sha256=prepared.sha256,
        original_sha256=prepared.original_sha256,
        width=prepared.width,
        height=prepared.height,
        pages=prepared.pages,
        metadata_stripped=prepared.stripped,
        uploaded_by=membership.user,
    )
    stem = token_secrets.token_hex(16)  # never the uploaded name: it may say who or where
    asset.file.save(f"{stem}.{prepared.extension}", ContentFile(prepared.data), save=False)
    if prepared.thumbnail:
        asset.thumbnail.save(f"{stem}.jpg", ContentFile(prepared.thumbnail), save=False)
    asset.save()
    if replaces is not None:
        _retire(submission, replaces)
    _assets_changed(actor=membership.user, submission=submission)
    entry: dict[str, Any] = {"actor": membership.user, "organization": company, "target": asset}
    if replaces is not None:
        audit.record(
            action="safeguarding.asset_replace", detail={"submission": submission.pk, "replaces": replaces.pk}, **entry
        )
    else:
        audit.record(action="safeguarding.asset_add", detail={"submission": submission.pk}, **entry)
    if read:
        transaction.on_commit(lambda: _enqueue_reading(asset.pk))
    return asset


def _enqueue_reading(asset_id: int) -> None:
    """Hand the asset to the background reader (OCR, ``ocr.py``)."""
    from .tasks import read_asset

    read_asset.enqueue(asset_id)


@transaction.atomic
def asset_remove(*, membership: Membership, asset: Asset) -> None:
    """Retire a file from the submission (it stays stored, for the history) and void the approvals."""
    submission = _locked(asset.submission)
    _check_submitter(membership, submission.organization)
    if submission.status in ASSETS_FROZEN:
        raise ValidationError(_("A rejected submission's files cannot change."))
    if asset.retired_at is None:
        _retire(submission, asset)  # a video goes with its contact sheet
    _assets_changed(actor=membership.user, submission=submission)
    audit.record(
        actor=membership.user,
        action="safeguarding.asset_remove",
        organization=submission.organization_id,
        target=asset,
        detail={"submission": submission.pk},
    )


@transaction.atomic
def submit(*, membership: Membership, submission: Submission) -> Submission:
    """Send a draft, or one sent back for changes, to the reviewers: a new round with its turnaround clock."""
    submission = _locked(submission)
    _check_submitter(membership, submission.organization)
    if submission.status not in EDITABLE:
        raise ValidationError(_("Only a draft or a submission sent back for changes can be submitted."))
    if not current_assets(submission):
        raise ValidationError(_("Add at least one file before submitting."))
    status = Status.SUBMITTED if submission.status == Status.DRAFT else Status.RESUBMITTED
    _next_round(submission, now=timezone.now(), status=status)
    entry: dict[str, Any] = {
        "actor": membership.user,
        "organization": submission.organization_id,
        "target": submission,
        "detail": {"round": submission.round},
    }
    if status == Status.SUBMITTED:
        audit.record(action="safeguarding.submit", **entry)
    else:
        audit.record(action="safeguarding.resubmit", **entry)
    return submission


def _check_reviewer(membership: Membership, submission: Submission) -> None:
    if membership.organization_id != submission.organization_id or membership.role not in REVIEWER_ROLES:
        raise PermissionDenied
    if membership.user_id == submission.submitted_by_id:
        raise ValidationError(_("You submitted this work: another reviewer must review it."))


@transaction.atomic
def review_start(*, membership: Membership, submission: Submission) -> Submission:
    """A reviewer takes the submission up (the first answer or decision does this too)."""
    _check_reviewer(membership, submission)
    _review_start(membership, submission)
    return submission


def _review_start(membership: Membership, submission: Submission) -> None:
    """``review_start`` inside a write that has checked the reviewer already (no savepoint of its own: on
    PostgreSQL each is two more round trips, and it writes nothing once the review has started)."""
    if submission.status in (Status.SUBMITTED, Status.RESUBMITTED):
        submission.status = Status.IN_REVIEW
        submission.save(update_fields=["status", "updated_at"])
        audit.record(
            actor=membership.user,
            action="safeguarding.review_start",
            organization=submission.organization_id,
            target=submission,
            detail={"round": submission.round},
        )


@transaction.atomic
def checklist_answer(*, membership: Membership, submission: Submission, answers: dict[int, tuple[str, str]]) -> int:
    """Record answers of this round: ``{item id: (yes|no|n/a, note)}``. A "no" needs a note. Returns how many."""
    submission = _locked(submission)
    _check_reviewer(membership, submission)
    if submission.status not in UNDER_REVIEW:
        raise ValidationError(_("Only a submission under review is answered."))
    _review_start(membership, submission)
    items = {item.pk: item for item in applicable_items(submission)}
    for item_id, (answer, note) in answers.items():
        if item_id not in items:
            raise ValidationError(_("This item is not on this submission's checklist."))
        if answer not in Answer.values:
            raise ValidationError(_("Answer yes, no or not applicable."))
        if answer == Answer.NO and not note.strip():
            raise ValidationError({str(item_id): _("Say what fails (%(code)s).") % {"code": items[item_id].code}})
    # The round's answers written together: those already given updated, the others added (a query or two for a
    # whole checklist rather than two an item).
    now = timezone.now()
    given = {
        row.item_id: row
        for row in ChecklistAnswer.objects.in_org(submission.organization_id).filter(
            submission=submission, round=submission.round, item_id__in=list(answers)
        )
    }
    added: list[ChecklistAnswer] = []
    for item_id, (answer, note) in answers.items():
        row = given.get(item_id)
        if row is None:
            added.append(
                ChecklistAnswer(
                    organization_id=submission.organization_id,
                    submission=submission,
                    round=submission.round,
                    item=items[item_id],
                    answer=answer,
                    note=note.strip(),
                    answered_by=membership.user,
                    answered_at=now,
                )
            )
        else:
            row.answer, row.note, row.answered_by, row.answered_at = answer, note.strip(), membership.user, now
    if given:
        ChecklistAnswer.objects.in_org(submission.organization_id).bulk_update(
            list(given.values()), ["answer", "note", "answered_by", "answered_at"]
        )
    if added:
        ChecklistAnswer.objects.bulk_create(added)
    audit.record(
        actor=membership.user,
        action="safeguarding.checklist_answer",
        organization=submission.organization_id,
        target=submission,
        detail={"round": submission.round, "answers": len(answers)},
    )
    return len(answers)


@transaction.atomic
def decide(
    *, membership: Membership, submission: Submission, outcome: str, note: str = "", tell: bool = True
) -> Decision:
    """A reviewer's decision in the current round.

    - approve: needs the whole checklist answered this round with no item failed; it is bound to the current
      assets. When two different reviewers' approvals count (``rules``), the submission is ready to publish.
    - changes: sends the submission back to its submitter, with a note.
    - reject: ends it, with a note.

    A decision that ends a round e-mails the submitter once committed; ``tell=False`` only where the decision is
    past work recorded now (the generator's year of reviews: nobody is waiting for it).
    """
    submission = _locked(submission)
    _check_reviewer(membership, submission)
    if submission.status not in UNDER_REVIEW:
        raise ValidationError(_("Only a submission under review can be decided."))
    if outcome not in Outcome.values:
        raise ValidationError(_("Approve, ask for changes or reject."))
    note = note.strip()
    if outcome != Outcome.APPROVE and not note:
        raise ValidationError({"note": _("Say what must change, or why it is rejected.")})
    if outcome == Outcome.APPROVE:
        unanswered, failed = selectors.checklist_gaps(submission)
        if unanswered or failed:
            raise ValidationError(
                _("Answer every checklist item, with none failing, before approving (open: %(codes)s).")
                % {"codes": ", ".join(unanswered + failed)}
            )
        already = Decision.objects.in_org(submission.organization_id).filter(
            submission=submission,
            round=submission.round,
            reviewer=membership.user,
            outcome=Outcome.APPROVE,
            voided_at=None,
        )
        if already.exists():
            raise ValidationError(_("You have already approved this round: a second reviewer must approve."))
    _review_start(membership, submission)
    digest = digest_of(submission)
    decision = Decision.objects.create(
        organization=submission.organization,
        submission=submission,
        round=submission.round,
        reviewer=membership.user,
        reviewer_role=membership.role,
        outcome=outcome,
        note=note,
        assets_digest=digest,
    )
    now = timezone.now()
    if outcome == Outcome.CHANGES:
        submission.status = Status.CHANGES_REQUESTED
    elif outcome == Outcome.REJECT:
        submission.status = Status.REJECTED
        submission.decided_at = now
    elif not still_needed(submission, digest=digest):
        submission.status = Status.APPROVED
        submission.decided_at = now
    submission.save()
    if submission.status == Status.APPROVED:
        announce(
            ReviewApproved(
                program_id=submission.program_id,
                organization_id=submission.organization_id,
                submission_id=submission.pk,
            )
        )
    entry: dict[str, Any] = {
        "actor": membership.user,
        "organization": submission.organization_id,
        "target": submission,
        "detail": {"round": submission.round, "decision": decision.pk, "status": submission.status},
    }
    if outcome == Outcome.APPROVE:
        audit.record(action="safeguarding.approve", **entry)
    elif outcome == Outcome.CHANGES:
        audit.record(action="safeguarding.changes", **entry)
    else:
        audit.record(action="safeguarding.reject", **entry)
    if tell:
        _tell_submitter(decision, submission.status)
    return decision


@transaction.atomic
def watch_terms_save(*, membership: Membership, company: Organization, terms: Iterable[str]) -> int:
    """Replace the company's watch list (one term a line, compared without case). Returns the number kept."""
    if membership.organization_id != company.pk or membership.role not in REVIEWER_ROLES | {Role.ORG_ADMIN}:
        raise PermissionDenied
    settings_of(company)
    wanted = {term.strip().lower() for term in terms if term.strip()}
    existing = WatchTerm.objects.in_org(company)
    existing.exclude(term__in=wanted).update(is_active=False)
    existing.filter(term__in=wanted).update(is_active=True)
    have = set(existing.values_list("term", flat=True))
    WatchTerm.objects.bulk_create([WatchTerm(organization=company, term=term) for term in sorted(wanted - have)])
    audit.record(
        actor=membership.user, action="safeguarding.watch_terms", organization=company, detail={"terms": len(wanted)}
    )
    return len(wanted)


def gate_token_create(*, membership: Membership, company: Organization, label: str) -> tuple[GateToken, str]:
    """A token for the company's asset-management system to ask the publish gate; the secret is returned once."""
    if membership.organization_id != company.pk or membership.role != Role.ORG_ADMIN:
        raise PermissionDenied
    made = tokens.new_secret("hgt_")
    token = GateToken.objects.create(
        organization=company,
        label=label.strip()[:120] or _("Asset management"),
        digest=made.digest,
        prefix=made.shown,
        created_by=membership.user,
    )
    audit.record(actor=membership.user, action="safeguarding.gate_token_create", organization=company, target=token)
    return token, made.secret


# Part C: the review settings, comments on a submission, the submitter told of a decision.

MAX_TURNAROUND_DAYS = 30


@transaction.atomic
def review_settings_save(
    *, membership: Membership, company: Organization, turnaround_days: int, reminder_days: int
) -> SafeguardingSettings:
    """The company's turnaround target and when reviewers are reminded (its org admin). Rounds already submitted
    keep the target they were given."""
    if membership.organization_id != company.pk or membership.role != Role.ORG_ADMIN:
        raise PermissionDenied
    errors = {}
    if not 1 <= turnaround_days <= MAX_TURNAROUND_DAYS:
        errors["turnaround_days"] = _("Between 1 and %(most)s working days.") % {"most": MAX_TURNAROUND_DAYS}
    if not 1 <= reminder_days <= turnaround_days:
        errors["reminder_days"] = _("Between 1 working day and the turnaround target.")
    if errors:
        raise ValidationError(errors)
    found = SafeguardingSettings.objects.in_org(company).select_for_update().get(pk=settings_of(company).pk)
    changed = [
        name
        for name, value in (("turnaround_days", turnaround_days), ("reminder_days", reminder_days))
        if getattr(found, name) != value
    ]
    found.turnaround_days, found.reminder_days = turnaround_days, reminder_days
    found.save()
    audit.record(
        actor=membership.user,
        action="safeguarding.settings_update",
        organization=company,
        target=found,
        detail={"changed": changed},
    )
    return found


COMMENT_MAX = 2000


def can_comment(membership: Membership, submission: Submission) -> bool:
    """The submission's submitter, the company's reviewers and its org admin."""
    if membership.organization_id != submission.organization_id:
        return False
    return membership.role in REVIEWER_ROLES | {Role.ORG_ADMIN} or (
        membership.role == Role.CREATIVE and membership.user_id == submission.submitted_by_id
    )


@transaction.atomic
def comment_add(*, membership: Membership, submission: Submission, body: str, asset: Asset | None = None) -> Comment:
    """A message on the submission's thread, optionally about one of its files."""
    if not can_comment(membership, submission):
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the comment.")})
    if len(body) > COMMENT_MAX:
        raise ValidationError({"body": _("At most %(most)s characters.") % {"most": COMMENT_MAX}})
    if asset is not None and asset.submission_id != submission.pk:
        raise ValidationError({"asset": _("Pick a file of this submission.")})
    comment = Comment.objects.create(
        organization_id=submission.organization_id,
        submission=submission,
        asset=asset,
        author=membership.user,
        body=body,
    )
    audit.record(
        actor=membership.user,
        action="safeguarding.comment",
        organization=submission.organization_id,
        target=comment,
        detail={"submission": submission.pk, "asset": asset.pk if asset else None},
    )
    return comment


def _tell_submitter(decision: Decision, status: str) -> None:
    """After a decision that ends a round (ready, sent back, rejected), e-mail the submitter once it is committed."""
    if status not in (Status.APPROVED, Status.CHANGES_REQUESTED, Status.REJECTED):
        return
    from .reminders import tell_submitter

    company_id, decision_id = decision.organization_id, decision.pk
    transaction.on_commit(lambda: tell_submitter(company_id, decision_id))


# Part A (submissions and their files): a video comes with its contact sheet.
@transaction.atomic
def video_add(
    *,
    membership: Membership,
    submission: Submission,
    file_name: str,
    video: BinaryIO,
    sheet_name: str,
    sheet_data: bytes,
    replaces: Asset | None = None,
) -> Asset:
    """Store a video (MP4 or MOV, its metadata boxes blanked in place, ``intake.prepare_video``) with its contact
    sheet, an image stored as its own asset (read by OCR, looked at by the reviewers) and linked by
    ``contact_sheet``. ``video`` is a seekable, writable stream (the upload's temporary file): it is streamed to
    storage, never read whole. ``replaces`` retires a current asset (and a replaced video's contact sheet)."""
    prepared = intake.prepare_video(video)
    sheet = asset_add(membership=membership, submission=submission, file_name=sheet_name, data=sheet_data)
    if sheet.kind != AssetKind.IMAGE:
        raise ValidationError({"contact_sheet": _("A contact sheet is an image of the video's frames.")})
    submission = _locked(submission)
    asset = Asset(
        organization=submission.organization,
        submission=submission,
        kind=AssetKind.VIDEO,
        contact_sheet=sheet,
        file_name=file_name[:255],
        content_type=prepared.content_type,
        size=prepared.size,
        sha256=prepared.sha256,
        original_sha256=prepared.original_sha256,
        width=prepared.width,
        height=prepared.height,
        metadata_stripped=prepared.stripped,
        ocr_status=OcrStatus.NOT_APPLICABLE,  # its contact sheet is what is read
        uploaded_by=membership.user,
    )
    stem = token_secrets.token_hex(16)
    video.seek(0)
    asset.file.save(f"{stem}.{prepared.extension}", File(video), save=False)
    if sheet.thumbnail:
        asset.thumbnail.save(f"{stem}.jpg", ContentFile(sheet.thumbnail.read()), save=False)
        sheet.thumbnail.close()
    asset.save()
    if replaces is not None:
        _retire(submission, replaces)
    _assets_changed(actor=membership.user, submission=submission)
    entry: dict[str, Any] = {"actor": membership.user, "organization": submission.organization_id, "target": asset}
    if replaces is not None:
        audit.record(
            action="safeguarding.asset_replace",
            detail={"submission": submission.pk, "replaces": replaces.pk, "sheet": sheet.pk},
            **entry,
        )
    else:
        audit.record(action="safeguarding.asset_add", detail={"submission": submission.pk, "sheet": sheet.pk}, **entry)
    return asset


def _retire(submission: Submission, asset: Asset) -> None:
    """Retire a current asset of the submission, and its contact sheet when it is a video."""
    if asset.submission_id != submission.pk or asset.retired_at is not None:
        raise ValidationError(_("Only a current file of this submission can be replaced."))
    now = timezone.now()
    retired = [asset.pk] + ([asset.contact_sheet_id] if asset.contact_sheet_id else [])
    Asset.objects.in_org(submission.organization_id).filter(pk__in=retired, retired_at=None).update(retired_at=now)
