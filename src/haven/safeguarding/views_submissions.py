"""The creative team's pages (the company's creative team and its org admin): the company's submissions, a draft's
form, a submission's page (its status in words and what happens next, its files, the decisions so far, what is still
needed), uploading, replacing and removing files, submitting. The company's reviewers reach the same submission page,
read-only. Anyone outside the company gets 404 for every one of them, as for a submission that does not exist."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import intake, selectors, services
from .forms_submissions import SubmissionForm, UploadForm
from .models import EDITABLE, Asset, Channel, Status, Submission

SUBMITTERS = (Role.CREATIVE, Role.ORG_ADMIN)
READERS = (Role.CREATIVE, Role.ORG_ADMIN, Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER)
PAGE_SIZE = 25
# What happens next, for each status, as the submitter reads it.
NEXT = {
    Status.DRAFT: gettext_lazy("Add its files, then submit it: the company's reviewers are told."),
    Status.SUBMITTED: gettext_lazy(
        "Waiting for a reviewer. A safeguarding reviewer and a second reviewer must each approve it."
    ),
    Status.IN_REVIEW: gettext_lazy(
        "A reviewer is answering the checklist. It is ready to publish once two reviewers, one of them the "
        "safeguarding reviewer, approve these very files."
    ),
    Status.CHANGES_REQUESTED: gettext_lazy(
        "The reviewers asked for changes (their notes are below). Change the files or the details, then resubmit."
    ),
    Status.RESUBMITTED: gettext_lazy("Resubmitted: waiting for the reviewers to look at it again."),
    Status.APPROVED: gettext_lazy(
        "Ready to publish. Changing any file now voids the approvals and sends it back to review."
    ),
    Status.REJECTED: gettext_lazy("Rejected: it may not be published. Start a new submission for new work."),
}
NEEDED = {
    "safeguarding": gettext_lazy("an approval by a safeguarding reviewer"),
    "second": gettext_lazy("a second approval, by another reviewer"),
}


def _company(request: MemberRequest) -> Organization:
    if not selectors.can_see_submissions(request.membership):
        raise Http404
    return request.membership.organization


def _own(request: MemberRequest, submission_id: int) -> Submission:
    return selectors.access_submission(membership=request.membership, submission_id=submission_id)


def _status(form: Any) -> int:
    return 400 if form.errors else 200


@require_GET
@role_required(*SUBMITTERS)
def submission_list(request: MemberRequest) -> HttpResponse:
    company = _company(request)
    status = request.GET.get("status", "")
    found = selectors.submissions_of(company).order_by("-updated_at", "-pk")
    if status in Status.values:
        found = found.filter(status=status)
    else:
        status = ""
    page = Paginator(found, PAGE_SIZE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": Status.choices}
    return TemplateResponse(request, "safeguarding/submission_list.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*SUBMITTERS)
def submission_edit(request: MemberRequest, submission_id: int | None = None) -> HttpResponse:
    company = _company(request)
    submission = _own(request, submission_id) if submission_id else None
    if submission is not None and submission.status not in EDITABLE:
        raise Http404
    form = SubmissionForm(request.POST or None, submission=submission)
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.submission_save(
                membership=request.membership, company=company, fields=form.fields_of(), submission=submission
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("safeguarding:submission", submission_id=submission.pk)
    context = {"form": form, "submission": submission}
    return TemplateResponse(request, "safeguarding/submission_form.html", context, status=_status(form))


def review_url(submission: Submission) -> str | None:
    """The reviewer's own page of the submission, where there is one."""
    try:
        return reverse("safeguarding:review", kwargs={"submission_id": submission.pk})
    except NoReverseMatch:
        return None


@require_GET
@role_required(*READERS)
def submission_detail(request: MemberRequest, submission_id: int) -> HttpResponse:
    submission = _own(request, submission_id)
    submitter = request.membership.role in SUBMITTERS
    reviewer = request.membership.role in services.REVIEWER_ROLES
    unanswered, failed = selectors.checklist_gaps(submission) if submission.round else ([], [])
    needed = [NEEDED[need] for need in selectors.still_needed(submission)] if submission.round else []
    context = {
        "submission": submission,
        "next": NEXT[Status(submission.status)],
        "assets": selectors.submission_assets(submission),
        "decisions": selectors.decisions_of(submission),
        "needed": needed if submission.status != Status.REJECTED else [],
        "unanswered": unanswered,
        "failed": failed,
        "may_edit": submitter and submission.status in EDITABLE,
        "may_change_files": submitter and submission.status not in services.ASSETS_FROZEN,
        "may_submit": submitter and submission.status in EDITABLE,
        "review_url": review_url(submission) if reviewer else None,
        "channels": [Channel(channel).label for channel in submission.channels if channel in Channel.values],
        "upload_form": UploadForm(),
        "limit_mb": settings.HAVEN_ASSET_MAX_BYTES // 2**20,
    }
    return TemplateResponse(request, "safeguarding/submission_detail.html", context)


@require_POST
@role_required(*SUBMITTERS)
def submission_submit(request: MemberRequest, submission_id: int) -> HttpResponse:
    submission = _own(request, submission_id)
    try:
        submission = services.submit(membership=request.membership, submission=submission)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if submission.status == Status.RESUBMITTED:
            messages.success(request, _("Resubmitted: the reviewers are told."))
        else:
            messages.success(request, _("Submitted: the reviewers are told."))
    return redirect("safeguarding:submission", submission_id=submission.pk)


def _store(request: MemberRequest, submission: Submission, form: UploadForm, replaces: Asset | None) -> int:
    """Store what the form carries (through the services); a file refused by its content is a form error naming
    it. Returns how many files were stored."""
    stored = 0
    for upload in form.cleaned_data.get("uploads") or []:
        try:
            services.asset_add(
                membership=request.membership,
                submission=submission,
                file_name=upload.name,
                data=upload.read(),
                replaces=replaces,
            )
        except (intake.Refused, ValidationError) as error:
            form.add_error("uploads", f"{upload.name}: {' '.join(_messages(error))}")
        else:
            stored += 1
    video, sheet = form.cleaned_data.get("video"), form.cleaned_data.get("contact_sheet")
    if video and sheet:
        try:
            services.video_add(
                membership=request.membership,
                submission=submission,
                file_name=video.name,
                video=video.file,
                sheet_name=sheet.name,
                sheet_data=sheet.read(),
                replaces=replaces,
            )
        except (intake.Refused, ValidationError) as error:
            form.add_error("video", f"{video.name}: {' '.join(_messages(error))}")
        else:
            stored += 1
    return stored


def _messages(error: Exception) -> list[str]:
    return list(error.messages) if isinstance(error, ValidationError) else [str(error)]


def _too_large(request: HttpRequest) -> bool:
    """A request larger than a video and a batch of images is refused before it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.HAVEN_ASSET_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _streamed(view: Any) -> Any:
    """An upload view whose files stream to temporary files (a video may be far larger than the in-memory limit).
    The handlers change before anything reads the body, so the CSRF check moves inside (Django's documented
    pattern: ``csrf_exempt`` outside, ``csrf_protect`` inside)."""
    protected = csrf_protect(view)

    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            if _too_large(request):
                return HttpResponse(_("This upload is too large."), status=413, content_type="text/plain")
            request.upload_handlers = [TemporaryFileUploadHandler(request)]
        return protected(request, *args, **kwargs)

    wrapper.__name__ = getattr(view, "__name__", "upload")
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_http_methods(["GET", "POST"])
@role_required(*SUBMITTERS)
def _asset_upload(request: MemberRequest, submission_id: int) -> HttpResponse:
    """Add files: several images or PDFs at once, or a video with its contact sheet."""
    submission = _own(request, submission_id)
    if submission.status in services.ASSETS_FROZEN:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        stored = _store(request, submission, form, replaces=None)
        if not form.errors:
            messages.success(request, _("%(count)d file(s) added.") % {"count": stored})
            return redirect("safeguarding:submission", submission_id=submission.pk)
        if stored:
            messages.success(request, _("%(count)d file(s) added.") % {"count": stored})
    context = {"form": form, "submission": submission, "asset": None}
    return TemplateResponse(request, "safeguarding/submission_upload.html", context, status=_status(form))


asset_upload = _streamed(_asset_upload)


@require_http_methods(["GET", "POST"])
@role_required(*SUBMITTERS)
def _asset_replace(request: MemberRequest, asset_id: int) -> HttpResponse:
    """Replace one file by another (a new asset; the old one is retired, with its contact sheet)."""
    asset = selectors.access_asset(membership=request.membership, asset_id=asset_id)
    submission = asset.submission
    if asset.retired_at is not None or submission.status in services.ASSETS_FROZEN or selectors.is_contact_sheet(asset):
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, replacing=True)
    if request.method == "POST" and form.is_valid() and _store(request, submission, form, replaces=asset):
        messages.success(request, _("File replaced."))
        return redirect("safeguarding:submission", submission_id=submission.pk)
    context = {"form": form, "submission": submission, "asset": asset}
    return TemplateResponse(request, "safeguarding/submission_upload.html", context, status=_status(form))


asset_replace = _streamed(_asset_replace)


@require_http_methods(["GET", "POST"])
@role_required(*SUBMITTERS)
def asset_remove(request: MemberRequest, asset_id: int) -> HttpResponse:
    asset = selectors.access_asset(membership=request.membership, asset_id=asset_id)
    submission = asset.submission
    if asset.retired_at is not None or submission.status in services.ASSETS_FROZEN or selectors.is_contact_sheet(asset):
        raise Http404
    back = reverse("safeguarding:submission", args=[submission.pk])
    if not confirm.confirmed(request):
        consequence = _("“%(name)s” will be removed from the submission “%(title)s”.") % {
            "name": asset.file_name,
            "title": submission.title,
        }
        if submission.round:
            consequence += " " + _(
                "Every approval given so far is voided: the reviewers approve the files as they are."
            )
        return confirm.ask(
            request,
            title=_("Remove %(name)s?") % {"name": asset.file_name},
            consequence=consequence,
            button=_("Remove the file"),
            back=back,
        )
    try:
        services.asset_remove(membership=request.membership, asset=asset)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(_messages(error)) or _("This file cannot be removed."))
    else:
        messages.success(request, _("File removed."))
    return redirect(back)
