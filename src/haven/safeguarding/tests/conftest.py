"""Fixtures of the creative review: the company (the ``partner`` fixture), its creative team member, its reviewers,
a program its work counts toward, images made here (never downloaded), and a storage of its own per test."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from haven.accounts.models import User
from haven.learning.services import learning_settings
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.safeguarding import selectors, services
from haven.safeguarding.models import Submission
from haven.training.tests.factories import make_program


@pytest.fixture(autouse=True)
def asset_store(settings: Any, tmp_path: Any) -> Any:
    """Each test stores its assets in its own directory (as the ``assets`` storage would, outside the web root)."""
    location = tmp_path / "assets"
    settings.STORAGES = {
        **settings.STORAGES,
        "assets": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    return location


@pytest.fixture
def company(partner: Organization, program: Program) -> Organization:
    """The company, its learning settings naming the program its work counts toward."""
    found = learning_settings(partner)
    found.program = program
    found.save(update_fields=["program"])
    return partner


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


def membership_of(user: User, organization: Organization) -> Membership:
    return Membership.objects.in_org(organization).get(user=user, is_active=True)


@pytest.fixture
def creative(make_member: Callable[..., User], company: Organization) -> Membership:
    return membership_of(make_member(Role.CREATIVE, company, full_name="Cleo Creative"), company)


@pytest.fixture
def safeguarder(make_member: Callable[..., User], company: Organization) -> Membership:
    return membership_of(make_member(Role.SAFEGUARDING_REVIEWER, company, full_name="Sam Safe"), company)


@pytest.fixture
def brand(make_member: Callable[..., User], company: Organization) -> Membership:
    return membership_of(make_member(Role.BRAND_REVIEWER, company, full_name="Blake Brand"), company)


def image_bytes(*, text: str = "", size: tuple[int, int] = (800, 500), format: str = "JPEG", gps: bool = True) -> bytes:
    """An image made here: a plain background, ``text`` written large in black, and (for JPEG, WebP and TIFF) EXIF
    with a camera serial, a capture time and a GPS position, as a phone would write them."""
    image = Image.new("RGB", size, "white")
    if text:
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default(size=48)
        draw.text((40, size[1] // 2 - 30), text, fill="black", font=font)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[0x0132] = "2026:11:30 09:15:00"  # DateTime
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    if gps:
        exif[0x8825] = {1: "N", 2: (40.0, 44.0, 54.0), 3: "W", 4: (73.0, 59.0, 9.0)}
    out = io.BytesIO()
    image.save(out, format=format, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def draft(creative: Membership, company: Organization, program: Program) -> Submission:
    """A draft showing minors, with one image."""
    submission = services.submission_save(
        membership=creative,
        company=company,
        fields=services.SubmissionFields(
            title="Holiday gift shop",
            markets=("US", "FR"),
            channels=("social", "print"),
            shows_minors=True,
            minor_ages=(6, 9),
        ),
    )
    services.asset_add(membership=creative, submission=submission, file_name="hero.jpg", data=image_bytes())
    return submission


def answer_all(membership: Membership, submission: Submission, answer: str = "yes") -> None:
    items = selectors.applicable_items(submission)
    services.checklist_answer(
        membership=membership,
        submission=submission,
        answers={item.pk: (answer, "" if answer != "no" else "fails") for item in items},
    )


def name_the_program(ctx: Any) -> None:
    """The generated company names the generated program in its learning settings, as the learning step does
    before the creative review's step in the full generator (a company that names none cannot submit)."""
    from haven.organizations.models import Organization as Org

    found = learning_settings(Org.objects.get(pk=ctx.shared["partner_id"]))
    found.program_id = ctx.shared["program_id"]
    found.save(update_fields=["program"])
