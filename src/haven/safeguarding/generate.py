"""Generator step, after the company's learning: the corporate partner's creative reviews.

Its creative team (a demo sign-in among them) and legal or brand reviewers (one a demo sign-in), beside the
safeguarding reviewers the organizations step made; then submissions in every state (drafts, submitted, in review,
sent back, resubmitted, ready to publish with two approvals, rejected, and one ready until a file was replaced),
with files **made here** with Pillow (coloured scenes, some with legible words such as a court caption or "SCHOOL",
some two-page PDF storyboards), written through ``services`` so the metadata stripping, the digests, the approvals'
binding to the files and the audit are real. Checklists are answered, some items "no" with a note.

The words in the files are read by the worker (``tasks.read_asset``, queued at the end of the step; ``make demo``
runs one): nothing is faked, and a file not read yet says so on the review page.

The step draws from its own ``random.Random`` (the context's seed plus a constant): earlier steps' draws are not
shifted. Each submission's files come from a generator of their own (that seed and the submission's number), so at
the bench's scales ``ahead`` makes them in another process from the generation's start (the same files).
Dates are set back afterwards over the past year, so the queue and the turnaround read as a year's work; for the
same reason no submitter is e-mailed the decisions (``services.decide(tell=False)``: nobody waits for them).
"""

import io
import multiprocessing
import os
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from haven.accounts.models import User
from haven.core.dates import add_working_days
from haven.core.generation import GenerationContext
from haven.organizations.generate import DEMO_PASSWORD
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.organizations.services import memberships_seed_by_system

from . import intake, selectors, services, tasks, version
from .models import Answer, Asset, ChecklistItem, Decision, Outcome, Status, Submission

SEED_OFFSET = 15_004  # this step's own draws: the context's seed plus this
# The demo's sign-ins of the creative review (the safeguarding reviewer is organizations' DEMO_LOGINS).
DEMO_LOGINS = (
    ("creative@haven.example", "Camille Creative", Role.CREATIVE),
    ("brand@haven.example", "Bailey Brand", Role.BRAND_REVIEWER),
)
SUBMISSIONS = {"demo": 36, "corporate": 36, "program": 400, "national": 2_000}
SMALLEST = 12  # another scale (a test's): one of each state still
SIZE = (640, 400)

# The states the generated submissions end in, with their weights (one "voided" is added at every scale).
OUTCOMES = {
    "draft": 10,
    "submitted": 8,
    "in_review": 10,
    "changes_requested": 10,
    "resubmitted": 6,
    "approved": 44,
    "rejected": 6,
}
TITLES = (
    "Back to school",
    "Holiday gift shop",
    "Spring family portraits",
    "Summer camp lookbook",
    "Kids' denim",
    "Little ones' sleepwear",
    "Rainy day boots",
    "First day outfits",
    "Birthday party",
    "Winter coats for the family",
    "Sports day",
    "Story time at the store",
)
MARKETS = ("US", "FR", "GB", "IT", "DE", "JP", "CA", "ES")
CHANNELS = ("print", "outdoor", "social", "web", "video", "email", "retail", "programmatic")
# Words a frame may carry: a school sign, a court caption (a watched term), a shop's own copy.
WORDS = (
    "SCHOOL",
    "JUVENILE COURT",
    "Family Court - Case 24-1187",
    "BACK TO SCHOOL",
    "HOLIDAY SALE",
    "Emma, 3rd grade",
    "NEW COLLECTION",
    "Lincoln Elementary",
)
PALETTES = (
    ((135, 190, 235), (110, 170, 90)),
    ((250, 200, 150), (200, 160, 110)),
    ((90, 110, 160), (60, 70, 90)),
    ((230, 230, 240), (180, 180, 190)),
    ((250, 170, 190), (120, 160, 200)),
)
NO_NOTES = (
    "The child's school name is legible on the sign behind her.",
    "A caption gives the child's first name and class.",
    "The pose reads as suggestive for the child's age; reshoot.",
    "The court caption places the child in a real case.",
    "The targeting includes under-13s on social.",
)
CHANGE_NOTES = (
    "Crop the sign out and remove the caption, then resubmit.",
    "Replace frame 2 and retarget to adults only.",
)
REJECT_NOTES = ("A child shown in a court setting: this concept cannot run.",)


@dataclass
class _Team:
    creatives: list[Membership]
    safeguarders: list[Membership]
    brands: list[Membership]


def ahead(ctx: GenerationContext) -> None:
    """The generation's first step: start making the submissions' files (the scenes, the storyboards,
    ``intake.prepare``'s stripped copies and thumbnails) in another process, while the steps before the reviews
    keep the main process busy; ``run`` collects them. Only for the bench's scales (a small scale makes its files
    quicker than a process starts). The files need no row, and the steps before the reviews leave the second core
    mostly idle; the process runs below the main one's priority, and above care's planner's (``care.ahead``), which
    shares that core during the reviews: the reviews wait for the files, care's writing comes after them. Made
    beside care's planner and writer, as at first, the files took a share of the cores care needed (decision
    0060)."""
    if ctx.scale.name not in AHEAD_SCALES:
        return
    # Forked, not spawned: the child has Django set up already; it uses Pillow and pypdf only, never the database
    # connection it inherits, and leaves by ``os._exit`` (the connection is not closed under the parent). It runs
    # at a lower priority: where another program holds the second core, care keeps its own (program scale, another
    # session's tests on one core: care 31.2 s beside the process at the same priority, 16.1 s without it) and the
    # files wait, to be made while this step waits for them.
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=os.nice, initargs=(NICER,)
    )
    ctx.pools.append(pool)
    count = SUBMISSIONS.get(ctx.scale.name, SMALLEST)
    seed = ctx.seed + SEED_OFFSET
    ctx.ahead[AHEAD] = [
        pool.submit(_files_of_many, seed, range(first, min(first + CHUNK, count))) for first in range(0, count, CHUNK)
    ]


AHEAD = "safeguarding.files"
AHEAD_SCALES = frozenset({"program", "national"})
NICER = 5  # the process's priority: below the generator's, above care's planner's (``care.generate.NICER``)
CHUNK = 50  # submissions' files a task of the process makes (a failed generation cancels the tasks not started)


def run(ctx: GenerationContext) -> None:
    rng = random.Random(ctx.seed + SEED_OFFSET)  # noqa: S311 - demo data, not a secret
    company = Organization.objects.get(pk=ctx.shared["partner_id"])
    team = _team(ctx, company, rng)
    count = SUBMISSIONS.get(ctx.scale.name, SMALLEST)
    plan = [outcome for outcome, weight in OUTCOMES.items() for _ in range(round(count * weight / 100))]
    plan = (plan + ["approved"] * count)[: count - 1] + ["voided"]
    rng.shuffle(plan)
    today = timezone.localdate()
    _ITEMS.clear()
    turnaround = services.settings_of(company).turnaround_days
    made: list[int] = []
    files = _collected(ctx, count)
    with version.once():  # the program's reviews version moves once, not at each of the services' writes
        for number, outcome in enumerate(plan):
            made.append(_submission(rng, company, team, outcome, number, today, turnaround, next(files)).pk)
    _ITEMS.clear()
    assets = Asset.objects.in_org(company).filter(submission__in=made)
    _queue_reading(list(assets.values_list("pk", flat=True)))
    ctx.shared["ready_submission_ids"] = list(
        selectors.ready_submissions(company).filter(pk__in=made).values_list("pk", flat=True)
    )
    ctx.count("creative submissions", len(made))
    ctx.count("creative files", assets.count())


def _collected(ctx: GenerationContext, count: int) -> Iterator["_Files"]:
    """Each submission's files in turn: those ``ahead`` started in another process, or made here."""
    seed = ctx.seed + SEED_OFFSET
    futures = ctx.ahead.pop(AHEAD, None)
    if futures is None:
        for number in range(count):
            yield _files_of(seed, number)
        return
    for future in futures:
        yield from future.result()


def _queue_reading(asset_ids: list[int]) -> None:
    """Queue the generated files for the worker to read (``make demo`` runs one; reading takes a second or more a
    file). Where tasks run inline (the tests' immediate backend) they stay waiting, as they would until a worker
    comes: reading every generated file there would only slow every test that generates data."""
    if "immediate" in str(settings.TASKS["default"]["BACKEND"]).lower():
        return
    for asset_id in asset_ids:
        tasks.read_asset.enqueue(asset_id)


def _team(ctx: GenerationContext, company: Organization, rng: random.Random) -> _Team:
    """The demo's creative and brand reviewer sign-ins, and more of each at larger scales (without a password)."""
    extra = {"demo": 2, "program": 8, "national": 24}.get(ctx.scale.name, 2)
    people = [(email, name, role, True) for email, name, role in DEMO_LOGINS]
    for n in range(extra):
        people.append((f"creative.{n + 1}@staff.partner.example", f"Creative {n + 1}", Role.CREATIVE, False))
    for n in range(max(1, extra // 2)):
        people.append((f"brand.{n + 1}@staff.partner.example", f"Brand reviewer {n + 1}", Role.BRAND_REVIEWER, False))
    demo_hash, no_password = make_password(DEMO_PASSWORD), make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=email, full_name=name, password=demo_hash if demo else no_password)
            for email, name, _role, demo in people
        ]
    )
    memberships_seed_by_system(
        rows=[(user.pk, company.pk, role) for user, (_, _, role, _) in zip(users, people, strict=True)]
    )
    ctx.shared.setdefault("demo_user_ids", {}).update(
        {email: user.pk for user, (email, _, _, demo) in zip(users, people, strict=True) if demo}
    )
    ctx.count("users", len(users))
    members = Membership.objects.in_org(company).filter(is_active=True).select_related("user", "organization")
    return _Team(
        creatives=list(members.filter(role=Role.CREATIVE).order_by("pk")),
        safeguarders=list(members.filter(role=Role.SAFEGUARDING_REVIEWER).order_by("pk")),
        brands=list(members.filter(role=Role.BRAND_REVIEWER).order_by("pk")),
    )


def scene(rng: random.Random, words: str = "", size: tuple[int, int] = SIZE) -> Image.Image:
    """A coloured scene: sky and ground, a sun, figures, and (when given) words on a sign, large and legible."""
    sky, ground = rng.choice(PALETTES)
    width, height = size
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.55, 0.7))
    draw.rectangle((0, horizon, width, height), fill=ground)
    sun = rng.randint(40, width - 40)
    draw.ellipse((sun - 30, 30, sun + 30, 90), fill=(250, 220, 80))
    for _ in range(rng.randint(1, 4)):  # figures: a head and a body
        x = rng.randint(30, width - 30)
        tall = rng.randint(60, 130)
        colour = tuple(rng.randint(30, 230) for _ in range(3))
        draw.ellipse((x - 12, horizon - tall - 24, x + 12, horizon - tall), fill=(230, 190, 160))
        draw.rectangle((x - 16, horizon - tall, x + 16, horizon), fill=colour)
    if words:
        font = ImageFont.load_default(size=max(24, height // 12))
        box = draw.textbbox((0, 0), words, font=font)
        left, top = (width - (box[2] - box[0])) // 2, int(height * 0.18)
        draw.rectangle((left - 16, top - 12, left + box[2] - box[0] + 16, top + box[3] - box[1] + 20), fill="white")
        draw.text((left, top), words, fill="black", font=font)
    return image


def image_file(rng: random.Random, words: str = "", size: tuple[int, int] = SIZE) -> bytes:
    out = io.BytesIO()
    scene(rng, words, size).save(out, format="JPEG", quality=85)
    return out.getvalue()


def pdf_file(rng: random.Random, title: str, size: tuple[int, int] = SIZE) -> bytes:
    """A storyboard of two pages, each a frame with its caption."""
    pages = [scene(rng, f"{title} - frame {n}", size) for n in (1, 2)]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=72.0)
    return out.getvalue()


@dataclass
class _Files:
    """A submission's files as uploaded, each with ``intake.prepare``'s result: its images and the storyboard (one
    submission in five); then the image that replaces one, if a later round or a retouch needs it."""

    images: list[tuple[bytes, intake.Prepared]]
    storyboard: tuple[bytes, intake.Prepared] | None
    rng: random.Random  # where the files' draws end: the replacement's
    _replacement: tuple[bytes, intake.Prepared] | None = None

    def replacement(self) -> tuple[bytes, intake.Prepared]:
        if self._replacement is None:
            data = image_file(self.rng)
            self._replacement = (data, intake.prepare(data))
        return self._replacement


def _files_of(seed: int, number: int) -> _Files:
    """The files of the submission ``number``, from a generator of their own (the step's seed and the number): the
    same wherever and whenever they are made, so ``ahead`` can make them in another process before the step."""
    rng = random.Random(f"{seed}-{number}")  # noqa: S311 - demo data, not a secret
    images = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        words = rng.choice(WORDS) if rng.random() < 0.45 else ""
        images.append(image_file(rng, words))
    storyboard = pdf_file(rng, "Storyboard") if number % 5 == 0 else None
    return _Files(
        images=[(data, intake.prepare(data)) for data in images],
        storyboard=(storyboard, intake.prepare(storyboard)) if storyboard else None,
        rng=rng,
    )


def _files_of_many(seed: int, numbers: range) -> list[_Files]:
    """The files of several submissions, each with its replacement made too (``ahead``'s process: a replacement is
    made there in case one is needed, rather than here when it is)."""
    made = [_files_of(seed, number) for number in numbers]
    for files in made:
        files.replacement()
    return made


# The checklist items that apply, by (checklist version, shows minors): read once a run, not once a submission (a
# published version's items do not change).
_ITEMS: dict[tuple[int, bool], list[ChecklistItem]] = {}


def _answers(rng: random.Random, submission: Submission, *, failing: int = 0) -> dict[int, tuple[str, str]]:
    key = (submission.checklist_id, submission.shows_minors)
    if key not in _ITEMS:
        _ITEMS[key] = selectors.applicable_items(submission)
    items = _ITEMS[key]
    failed = set(rng.sample(range(len(items)), min(failing, len(items))))
    answers: dict[int, tuple[str, str]] = {}
    for index, item in enumerate(items):
        if index in failed:
            answers[item.pk] = (Answer.NO, rng.choice(NO_NOTES))
        else:
            answers[item.pk] = (Answer.NOT_APPLICABLE if rng.random() < 0.1 else Answer.YES, "")
    return answers


def _approve(rng: random.Random, submission: Submission, reviewers: list[Membership]) -> None:
    services.checklist_answer(membership=reviewers[0], submission=submission, answers=_answers(rng, submission))
    for reviewer in reviewers:
        services.decide(membership=reviewer, submission=submission, outcome=Outcome.APPROVE, tell=False)


def _submission(
    rng: random.Random,
    company: Organization,
    team: _Team,
    outcome: str,
    number: int,
    today: date,
    turnaround: int,
    files: _Files,
) -> Submission:
    creative = rng.choice(team.creatives)
    safeguarder = rng.choice(team.safeguarders)
    brand = rng.choice(team.brands)
    title = f"{rng.choice(TITLES)} {2025 + number % 2}"
    shows_minors = rng.random() < 0.75
    began = today - timedelta(days=rng.randint(0, 9) if outcome in ("submitted", "in_review") else rng.randint(10, 330))
    fields = services.SubmissionFields(
        title=title,
        kind=rng.choice(("campaign", "campaign", "shoot", "asset_batch")),
        brief="Families in the new collection, photographed on location.",
        markets=tuple(rng.sample(MARKETS, rng.randint(1, 3))),
        channels=tuple(rng.sample(CHANNELS, rng.randint(1, 3))),
        publish_on=began + timedelta(days=rng.randint(20, 60)),
        shows_minors=shows_minors,
        minor_ages=tuple(sorted(rng.sample(range(2, 17), rng.randint(1, 3)))) if shows_minors else (),
    )
    submission = services.submission_save(membership=creative, company=company, fields=fields)
    stem = title.lower().replace(" ", "-")
    named = [(f"{stem}-{n + 1}.jpg", data, prepared) for n, (data, prepared) in enumerate(files.images)]
    if files.storyboard:
        named.append(("storyboard.pdf", *files.storyboard))
    for file_name, data, prepared in named:
        services.asset_add(
            membership=creative, submission=submission, file_name=file_name, data=data, read=False, prepared=prepared
        )
    if outcome != "draft":
        services.submit(membership=creative, submission=submission)
    if outcome == "in_review":
        partial = dict(list(_answers(rng, submission).items())[: rng.randint(1, 6)])
        services.checklist_answer(membership=safeguarder, submission=submission, answers=partial)
    if outcome in ("changes_requested", "resubmitted") or (outcome == "approved" and rng.random() < 0.25):
        answers = _answers(rng, submission, failing=rng.randint(1, 2))
        services.checklist_answer(membership=safeguarder, submission=submission, answers=answers)
        services.decide(
            membership=safeguarder,
            submission=submission,
            outcome=Outcome.CHANGES,
            note=rng.choice(CHANGE_NOTES),
            tell=False,
        )
        if outcome != "changes_requested":
            old, replacement = selectors.current_assets(submission)[0], files.replacement()
            services.asset_add(
                membership=creative,
                submission=submission,
                file_name=f"{old.file_name.rsplit('.', 1)[0]}-v2.jpg",
                data=replacement[0],
                replaces=old,
                read=False,
                prepared=replacement[1],
            )
            services.submit(membership=creative, submission=submission)
    if outcome in ("approved", "voided"):
        _approve(rng, submission, [safeguarder, brand])
    if outcome == "voided":  # ready, then a file was retouched: the approvals are void, the review starts again
        old, replacement = selectors.current_assets(submission)[0], files.replacement()
        services.asset_add(
            membership=creative,
            submission=submission,
            file_name=f"{old.file_name.rsplit('.', 1)[0]}-retouched.jpg",
            data=replacement[0],
            replaces=old,
            read=False,
            prepared=replacement[1],
        )
    if outcome == "rejected":
        answers = _answers(rng, submission, failing=rng.randint(1, 3))
        services.checklist_answer(membership=safeguarder, submission=submission, answers=answers)
        services.decide(
            membership=safeguarder,
            submission=submission,
            outcome=Outcome.REJECT,
            note=rng.choice(REJECT_NOTES),
            tell=False,
        )
    _set_back(submission, began, rng, turnaround)
    return submission


def _set_back(submission: Submission, began: date, rng: random.Random, turnaround: int) -> None:
    """Move the submission's clock back to ``began`` (its decisions a few days after, each round's in turn), due
    ``turnaround`` working days after each round's submission (the company's setting, read once a run)."""
    submission.refresh_from_db()
    start = timezone.make_aware(datetime.combine(began, time(9, rng.randint(0, 59))))
    days = rng.randint(1, 5)
    fields: dict[str, object] = {"created_at": start - timedelta(days=1)}
    if submission.status != Status.DRAFT:
        current = start + timedelta(days=(submission.round - 1) * 3)
        fields.update(
            first_submitted_at=start,
            submitted_at=current,
            due_at=add_working_days(current, turnaround),
        )
        if submission.decided_at:
            fields["decided_at"] = current + timedelta(days=days)
    Submission.objects.in_org(submission.organization_id).filter(pk=submission.pk).update(**fields)
    decisions = list(
        Decision.objects.in_org(submission.organization_id)
        .filter(submission=submission)
        .only("pk", "round", "decided_at", "voided_at")
    )
    for decision in decisions:
        at = start + timedelta(days=(decision.round - 1) * 3 + min(days, 1 + decision.pk % days))
        decision.decided_at, decision.voided_at = at, at + timedelta(days=1) if decision.voided_at else None
    # One statement for the submission's decisions (a few each).
    Decision.objects.in_org(submission.organization_id).bulk_update(decisions, ["decided_at", "voided_at"])
    version.bump(submission.program)  # the moments the figures read moved
