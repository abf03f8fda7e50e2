"""Every page of every role, in a real browser on the demo data, in English and French, at a phone's width (390 px):
nothing overflows the screen, no table cell clips its text, and axe-core finds no serious or critical violation.

The pages are those of ``POLICY`` (``test_authorization``), the table every URL must have a row in: each GET row
answered 200 for a role is a page of that role, so a new page is walked as soon as it has its row. The state
chapter's admin holds the org admin's role at a chapter: their pages are the org admin's, less those of a CAC's
child records, which answer them 404.

One live server, one browser and one set of demo data per worker; one sign-in per role (its session cookie), one
test per role and language. ``HAVEN_SCREENSHOTS=<folder>`` also saves each page at 390 and 1280 px, to look at.
"""

import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import resolve, reverse
from pytest_django.live_server_helper import LiveServer

from haven.accounts.models import User
from haven.care import services as care_services
from haven.care.models import Assessment, CriticalAlert, Episode
from haven.conftest import sign_in_client
from haven.core.tests.browsing import TIMEOUT_MS, Console, chromium
from haven.core.tests.test_authorization import ANONYMOUS, POLICY, Rule, World
from haven.organizations import services as org_services
from haven.organizations.generate import DEMO_LOGINS
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs.models import Program
from haven.safeguarding.generate import DEMO_LOGINS as REVIEW_LOGINS
from haven.training.models import Cohort, CohortTrainer, Enrollment

pytestmark = pytest.mark.browser

CHAPTER_ADMIN = "chapter_admin"
COMPANY_ADMIN = "company_admin"  # the corporate partner's org admin: its learning admin
ACTORS = [ANONYMOUS, *Role.values, CHAPTER_ADMIN, COMPANY_ADMIN]
LANGUAGES = ["en", "fr"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
AXE = Path(__file__).resolve().parents[1] / "static" / "vendor" / "axe.min.js"
SCREENSHOTS = os.environ.get("HAVEN_SCREENSHOTS")

LAYOUT_PROBLEMS = (Path(__file__).parent / "layout_problems.js").read_text()
AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ` + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')
      + (v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : ''));
}"""


def _demo_world() -> tuple[World, User]:
    """The records the policy's URLs point at, taken from the demo data: the demo CAC, its program, the demo
    clinician's cohort (which the demo trainer leads), enrollment, an episode with a measure and an alert. The
    fields only POST rows use are left empty: the walk reads pages only."""
    users = {email: User.objects.get(email=email) for email, *_rest in DEMO_LOGINS}
    chapter_admin = users.pop("chapter.admin@haven.example")
    members = {role: users[email] for email, _name, role, _where in DEMO_LOGINS if email in users}
    # The creative review's demo sign-ins are made by its own generator step (safeguarding.generate.DEMO_LOGINS).
    members.update({role: User.objects.get(email=email) for email, _name, role in REVIEW_LOGINS})
    national = Organization.objects.get(kind=OrganizationKind.NATIONAL_OFFICE)
    cac = Membership.objects.of_user(members[Role.ORG_ADMIN]).get().organization
    program = Program.objects.in_org(national).get()
    clinician = members[Role.CLINICIAN]
    enrollment = Enrollment.objects.in_org(cac).get(clinician=clinician)
    cohort = Cohort.objects.in_org(national).get(pk=enrollment.cohort_id)
    CohortTrainer.objects.get_or_create(organization=national, cohort=cohort, trainer=members[Role.TRAINER])
    episodes = Episode.objects.in_org(cac).filter(clinician=clinician)
    assessment = Assessment.objects.in_org(cac).filter(episode__in=episodes).order_by("-administered_on").first()
    assert assessment is not None, "the demo clinician has measures"
    episode = assessment.episode
    alert = CriticalAlert.objects.in_org(cac).filter(episode__in=episodes).first()
    if alert is None:  # a PHQ-A with item 9 answered: a critical answer waiting for follow-up
        critical = care_services.assessment_record(
            actor=clinician,
            episode=episode,
            instrument_code="phq_a",
            timepoint="periodic",
            administered_on=assessment.administered_on,
            responses={str(n): 1 for n in range(1, 10)},
        )
        alert = CriticalAlert.objects.in_org(cac).get(assessment=critical)
    invitation, token = org_services.invitation_create(
        actor=members[Role.ORG_ADMIN], organization=cac, email="invitee@example.org", role=Role.CLINICIAN
    )
    world = World(
        national=national,
        cac=cac,
        members=members,
        others={},
        program=program,
        clinician_membership=Membership.objects.in_org(cac).get(user=clinician, role=Role.CLINICIAN),
        invitation_id=invitation.pk,
        invitation_token=token,
        cohort=cohort,
        other_cohort=cohort,
        enrollment=enrollment,
        nominee=enrollment,
        spare_clinician=clinician,
        episode=episode,
        session_id=0,
        assessment_id=assessment.pk,
        alert_id=alert.pk,
        grant_id=0,
    )
    return world, chapter_admin


# The org admin's pages a state chapter's admin does not have: the care pillar's and a CAC's children and outcomes.
# The walk's grant is the CAC's: a chapter's admin sees its own organization's grants only (they answer 404).
CAC_PAGES = frozenset(name for name in POLICY if name.startswith("care:")) | {
    "reporting:outcomes",
    "grants:our_grant",
    "grants:our_report",
    "grants:our_report_import",
    # A state chapter holds no API key (api.keys.SCOPES_BY_KIND): its admin finds no keys page.
    "api_keys:list",
    "api_keys:revoke",
    "webhooks:delete",  # the walk's subscription is the CAC's
}
# A page that exists only in one state of the account: the QR code of a second factor being set up (an image).
UNWALKED = frozenset(
    name for name, rule in POLICY.items() if rule.prepare is not Rule.__dataclass_fields__["prepare"].default
) | {
    # Files shown inline (an image, a PDF, a video of a creative submission, a page of a file under review): the
    # browser's own viewer, no page of ours to lay out (test_assets and test_views_review check their headers).
    "safeguarding:asset_file",
    "safeguarding:asset_thumbnail",
    "safeguarding:review_page",
    "safeguarding:gate",  # JSON for the company's asset-management system, not a page
    "evaluation:download",  # the package's zip, an attachment (evaluation/tests check its answer)
}


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    language: str | None  # the language its address gives it, if any


def _pages(actor: str, world: World) -> list[Page]:
    """Every page the actor may open: the GET rows of POLICY answered 200. A page whose address names its language
    (the public, cacheable impact page) is in the default language at its address without one."""
    pages = []
    for name, rule in sorted(POLICY.items()):
        if rule.method != "GET" or name in UNWALKED:
            continue
        if actor == ANONYMOUS:
            allowed = rule.anonymous == 200
        elif actor == CHAPTER_ADMIN:
            allowed = Role.ORG_ADMIN in rule.allowed and rule.ok == 200 and name not in CAC_PAGES
        elif actor == COMPANY_ADMIN:
            allowed = rule.company_admin and rule.ok == 200
        else:
            allowed = actor in rule.allowed and rule.ok == 200
        if allowed:
            url = reverse(name, kwargs=rule.kwargs(world))
            pages.append(Page(name, url, resolve(url).kwargs.get("language")))
    named = {resolve(page.url).func for page in pages if page.language}
    return [
        Page(page.name, page.url, settings.LANGUAGE_CODE)
        if page.language is None and resolve(page.url).func in named
        else page
        for page in pages
    ]


@dataclass(frozen=True)
class Walk:
    url: str
    pages: dict[str, list[Page]]
    sessions: dict[str, str]  # actor: session cookie


@pytest.fixture(scope="module")
def walk(django_db_setup: None, django_db_blocker: Any) -> Generator[Walk]:
    """The demo data, each actor's pages and session, and a live server, for this module's tests; the database is
    emptied afterwards for the tests that follow.

    Not pytest-django's ``live_server``: a test using it gets a transactional database emptied after each test,
    and the demo data are made once for all of them."""
    with django_db_blocker.unblock():
        call_command("generate", scale="demo", seed=1, verbosity=0)
        world, chapter_admin = _demo_world()
        company = Membership.objects.of_user(world.members[Role.LEARNER]).get().organization
        company_admin = Membership.objects.in_org(company).filter(role=Role.ORG_ADMIN, is_active=True).first().user
        users = {**world.members, CHAPTER_ADMIN: chapter_admin, COMPANY_ADMIN: company_admin}
        sessions = {
            actor: sign_in_client(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
            for actor, user in users.items()
        }
        pages = {actor: _pages(actor, world) for actor in ACTORS}
        server = LiveServer("127.0.0.1")
        try:
            yield Walk(server.url, pages, sessions)
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def db() -> None:
    """Overrides pytest-django's ``db`` for this module: its name makes pytest-django create the test database for
    these tests, but no test here runs in a transaction of its own. The live server's thread must see (and write
    next to) what the module's fixture committed; a transaction held open by the test (SQLite's IMMEDIATE takes
    the write lock) would shut it out."""


@pytest.fixture(scope="module")
def browser() -> Generator[Any]:
    with chromium() as browser:
        yield browser


def _context(browser: Any, walk: Walk, actor: str, language: str) -> Any:
    context = browser.new_context(
        base_url=walk.url, viewport=PHONE, locale="fr-FR" if language == "fr" else "en-US", reduced_motion="reduce"
    )
    context.set_default_timeout(TIMEOUT_MS)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": walk.url}]
    if actor in walk.sessions:
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": walk.sessions[actor], "url": walk.url})
    context.add_cookies(cookies)
    # Injected into each page by the browser itself (the CSP's script-src 'self' refuses an inline script tag);
    # no template links it.
    context.add_init_script(path=str(AXE))
    return context


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("actor", ACTORS)
def test_every_page_fits_a_phone_and_passes_axe(browser: Any, walk: Walk, db: None, actor: str, language: str) -> None:
    from playwright.sync_api import Error as PlaywrightError

    context = _context(browser, walk, actor, language)
    page = context.new_page()
    console = Console()
    console.listen(page)
    problems: list[str] = []
    walked = 0
    try:
        for each in walk.pages[actor]:
            where = f"{each.name} {each.url}"
            try:
                answer = page.goto(each.url)
            except PlaywrightError as error:
                if "Download is starting" in error.message:
                    continue  # a download (CSV, PDF): no page to lay out
                raise
            if answer.status != 200 or answer.request.redirected_from is not None:
                problems.append(f"{where}: answered {answer.status} at {answer.url}")
                continue
            walked += 1
            shown_in = page.locator("html").get_attribute("lang")
            if shown_in != (each.language or language):
                problems.append(f"{where}: in {shown_in}, not {each.language or language}")
            problems.extend(f"{where} at 390 px: {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS))
            problems.extend(f"{where}: axe {violation}" for violation in page.evaluate(AXE_RUN))
            if SCREENSHOTS:
                _screenshot(page, actor, language, each.name)
        problems.extend(f"console: {text}" for text in console.csp_violations() + console.page_errors)
    finally:
        context.close()
    assert walked, f"no page walked for {actor}"
    assert not problems, f"{len(problems)} problems on {walked} pages of {actor} in {language}:\n" + "\n".join(problems)


def _screenshot(page: Any, actor: str, language: str, name: str) -> None:
    folder = Path(SCREENSHOTS or "var/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{actor}-{language}-{name.replace(':', '-')}"
    page.screenshot(path=str(folder / f"{stem}-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(folder / f"{stem}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
