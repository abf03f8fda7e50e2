"""The reviewer's page: a submission's facts, each current file large with every word read on it boxed (the
company's watch list highlighted and listed first), the checklist of the submission's version, and the decision.

A safeguarding or brand reviewer of the company reaches it; the reviewer who submitted the work sees only that
another reviewer must review it (``services._check_reviewer`` says the same to any write). Anyone else, and any
member of another company, gets 404.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import ocr, pages, rules, selectors, services, words
from .forms_review import ChecklistForm, DecisionForm
from .models import (
    UNDER_REVIEW,
    Asset,
    AssetKind,
    AssetText,
    Channel,
    ChecklistAnswer,
    Decision,
    OcrStatus,
    Outcome,
    Submission,
    WatchTerm,
)

REVIEWERS = (Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER)


@dataclass
class Page:
    number: int
    width: int
    height: int
    words: list[dict[str, Any]] = field(default_factory=list)  # each with its box and "watched"
    found: list[str] = field(default_factory=list)  # the watched words as read, a phrase as one


@dataclass
class File:
    asset: Asset
    pages: list[Page]
    status: str  # waiting | read | failed | none
    tesseract_missing: bool

    @property
    def found(self) -> list[Page]:
        return [page for page in self.pages if page.found]


def _htmx(request: MemberRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _submission(request: MemberRequest, submission_id: int) -> Submission:
    return selectors.access_submission(membership=request.membership, submission_id=submission_id)


def _own(request: MemberRequest, submission: Submission) -> bool:
    return request.user.pk == submission.submitted_by_id


def _own_page(request: MemberRequest, submission: Submission, status: int = 200) -> TemplateResponse:
    return TemplateResponse(request, "safeguarding/review_own.html", {"submission": submission}, status=status)


def _pages(asset: Asset, texts: list[AssetText], terms: list[str]) -> list[Page]:
    by_number = {text.page: text for text in texts}
    count = 1 if asset.kind == AssetKind.VIDEO else max([asset.pages, *by_number])
    drawn = []
    for number in range(1, count + 1):
        text = by_number.get(number)
        if text is None:
            drawn.append(Page(number, asset.width or 800, asset.height or 600))
            continue
        read = [str(word["text"]) for word in text.words]
        hits = words.find(read, terms)
        watched = words.covered(hits)
        drawn.append(
            Page(
                number,
                text.width,
                text.height,
                words=[{**word, "watched": index in watched} for index, word in enumerate(text.words)],
                found=list(dict.fromkeys(" ".join(read[hit.start : hit.end]) for hit in hits)),
            )
        )
    return drawn


STATUS = {
    OcrStatus.PENDING: "waiting",
    OcrStatus.DONE: "read",
    OcrStatus.FAILED: "failed",
    OcrStatus.NOT_APPLICABLE: "none",
}


def _files(submission: Submission, assets: list[Asset]) -> list[File]:
    """The submission's current files (``assets``, as ``selectors.current_assets`` reads them), each with its pages
    and the words read on them."""
    sheets = {asset.contact_sheet_id for asset in assets if asset.contact_sheet_id}
    assets = [asset for asset in assets if asset.pk not in sheets]  # a contact sheet is shown as its video
    texts: dict[int, list[AssetText]] = {}
    for text in AssetText.objects.in_org(submission.organization_id).filter(asset__in=assets):
        texts.setdefault(text.asset_id, []).append(text)
    terms = list(
        WatchTerm.objects.in_org(submission.organization_id).filter(is_active=True).values_list("term", flat=True)
    )
    unread = any(asset.ocr_status in (OcrStatus.PENDING, OcrStatus.FAILED) for asset in assets)
    missing = unread and not ocr.available()
    return [
        File(
            asset=asset,
            pages=_pages(asset, texts.get(asset.pk, []), terms),
            status=STATUS.get(OcrStatus(asset.ocr_status), "none"),
            tesseract_missing=missing and asset.ocr_status != OcrStatus.DONE,
        )
        for asset in assets
    ]


NEEDS = {
    "safeguarding": lambda: _("a safeguarding reviewer's approval"),
    "second": lambda: _("a second reviewer's approval"),
}


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _history(submission: Submission) -> list[dict[str, Any]]:
    decisions = Decision.objects.in_org(submission.organization_id).filter(submission=submission)
    return [
        {
            "decision": d,
            "reviewer": d.reviewer.full_name or d.reviewer.email,
            "role": _role_label(d.reviewer_role),
        }
        for d in decisions.select_related("reviewer")
    ]


def _checklist_form(submission: Submission, data: Any = None) -> ChecklistForm:
    answers = {
        answer.item_id: answer
        for answer in ChecklistAnswer.objects.in_org(submission.organization_id).filter(
            submission=submission, round=submission.round
        )
    }
    # Ids new at each drawing: htmx settles the attributes (style among them) of an element swapped in with the
    # id of one on the page, which the page's CSP refuses; with new ids, the saved checklist simply replaces it.
    auto_id = f"checklist-{secrets.token_hex(3)}-%s"
    return ChecklistForm(data, items=selectors.applicable_items(submission), answers=answers, auto_id=auto_id)


def _checklist_context(submission: Submission, form: ChecklistForm, saved: bool = False) -> dict[str, Any]:
    """The checklist's part of the page; its gaps are the saved answers' (``form.answered``), whatever was posted."""
    unanswered, failed = selectors.gaps(form.items, form.answered)
    return {
        "submission": submission,
        "checklist_form": form,
        "unanswered": unanswered,
        "failed": failed,
        "under_review": submission.status in UNDER_REVIEW,
        "saved": saved,
    }


def _context(
    request: MemberRequest,
    submission: Submission,
    checklist: ChecklistForm | None = None,
    decision: DecisionForm | None = None,
) -> dict[str, Any]:
    """The page's context, each thing read once: the files (their digest from the same rows), the decisions (the
    approvals that count and what is still needed from the same rows), the checklist's answers."""
    history = _history(submission)
    assets = selectors.current_assets(submission)
    digest = rules.assets_digest(asset.sha256 for asset in assets)
    this_round = [
        rules.Approval(d.reviewer_id, d.reviewer_role, d.assets_digest, bool(d.voided_at))
        for d in (row["decision"] for row in history)
        if d.round == submission.round and d.outcome == Outcome.APPROVE
    ]
    counting = rules.counting(this_round, submitter_id=submission.submitted_by_id, digest=digest)
    counted = {a.reviewer_id for a in counting}
    approved = [
        row
        for row in history
        if row["decision"].round == submission.round
        and row["decision"].outcome == Outcome.APPROVE
        and row["decision"].reviewer_id in counted
        and not row["decision"].voided_at
    ]
    needed = rules.missing(this_round, submitter_id=submission.submitted_by_id, digest=digest)
    channels = dict(Channel.choices)
    return {
        **_checklist_context(submission, checklist or _checklist_form(submission)),
        "submission": submission,
        "channels": [channels.get(code, code) for code in submission.channels],
        "waiting_since": submission.submitted_at if submission.status in UNDER_REVIEW else None,
        "overdue": bool(submission.due_at and submission.due_at < timezone.now()),
        "files": _files(submission, assets),
        "approved": approved,
        "needed": [NEEDS[need]() for need in needed if need in NEEDS],
        "history": history,
        "decision_form": decision or DecisionForm(),
    }


@require_GET
@role_required(*REVIEWERS)
def review(request: MemberRequest, submission_id: int) -> HttpResponse:
    submission = _submission(request, submission_id)
    if _own(request, submission):
        return _own_page(request, submission)
    return TemplateResponse(request, "safeguarding/review.html", _context(request, submission))


@require_POST
@role_required(*REVIEWERS)
def review_checklist(request: MemberRequest, submission_id: int) -> HttpResponse:
    """Save the answers given (htmx: the checklist again, saved; without JavaScript: back to the page)."""
    submission = _submission(request, submission_id)
    if _own(request, submission):
        return _own_page(request, submission, status=403)
    form = _checklist_form(submission, request.POST)
    if form.is_valid():
        try:
            services.checklist_answer(membership=request.membership, submission=submission, answers=form.answers())
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            submission.refresh_from_db()
            if _htmx(request):
                context = _checklist_context(submission, _checklist_form(submission), saved=True)
                return TemplateResponse(request, "safeguarding/_checklist.html", context)
            messages.success(request, _("Checklist saved."))
            return redirect("safeguarding:review", submission_id=submission.pk)
    if _htmx(request):
        return TemplateResponse(
            request, "safeguarding/_checklist.html", _checklist_context(submission, form), status=422
        )
    return TemplateResponse(
        request, "safeguarding/review.html", _context(request, submission, checklist=form), status=422
    )


@require_POST
@role_required(*REVIEWERS)
def review_decide(request: MemberRequest, submission_id: int) -> HttpResponse:
    """Approve, ask for changes or reject; refused with the service's reason (an open or failing checklist...)."""
    submission = _submission(request, submission_id)
    if _own(request, submission):
        return _own_page(request, submission, status=403)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide(
                membership=request.membership,
                submission=submission,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("safeguarding:review", submission_id=submission.pk)
    submission.refresh_from_db()
    return TemplateResponse(
        request, "safeguarding/review.html", _context(request, submission, decision=form), status=422
    )


@require_GET
@role_required(*REVIEWERS)
def review_page(request: MemberRequest, asset_id: int, page: int) -> HttpResponse:
    """One page of a current file as an image, for the review page's picture of it (a TIFF, a PDF page or a
    video's contact sheet drawn as PNG). Only for a reviewer of the company; every read audited."""
    asset = selectors.access_asset(membership=request.membership, asset_id=asset_id)
    content_type, body = pages.page_image(membership=request.membership, asset=asset, page=page)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
