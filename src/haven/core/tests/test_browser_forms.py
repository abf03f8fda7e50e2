"""Forms in a real browser (decision 0019): every htmx form shows its errors and keeps what was typed, and says so
when anything else goes wrong; every choice sits beside its own label inside a fieldset with a legend; dates
survive a French browser."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from haven.accounts.models import User
from haven.care import services as care_services
from haven.care.models import SHIPPED_TREATMENT_MODELS, CriticalAlert, Episode, Session, TreatmentModel
from haven.care.tests import factories as care_factories
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.programs.models import Program
from haven.training.models import Cohort, ConsultationCall, Enrollment
from haven.training.tests.factories import enroll, make_cohort, make_program

from .browsing import Console, open_page, sign_in_as
from .forms import choice_widget, declared_fields, form_classes, name_of

pytestmark = pytest.mark.browser

HAVEN = Path(__file__).resolve().parents[2]


@dataclass
class World:
    program: Program
    cohort: Cohort
    enrollment: Enrollment
    episode: Episode
    alert: CriticalAlert
    people: dict[str, User]


@pytest.fixture
def world(
    national: Organization,
    cac: Organization,
    provider: Organization,
    partner: Organization,
    make_member: Callable[..., User],
) -> World:
    # The browser tests' database is flushed after each test, the shipped treatment models with it.
    for shipped in SHIPPED_TREATMENT_MODELS:
        TreatmentModel.objects.get_or_create(code=shipped["code"], defaults=shipped)
    program = make_program(national)
    people = {
        Role.PROGRAM_ADMIN: make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Planner"),
        Role.ORG_ADMIN: make_member(Role.ORG_ADMIN, cac, full_name="Casey Director"),
        Role.CLINICIAN: make_member(Role.CLINICIAN, cac, full_name="Dana Clinician"),
        Role.TRAINER: make_member(Role.TRAINER, provider, full_name="Tess Trainer"),
        Role.CREATIVE: make_member(Role.CREATIVE, partner, full_name="Cleo Creative"),
    }
    OrganizationFactory(name="Kering Foundation", kind=OrganizationKind.FUNDER)
    cohort = make_cohort(program=program, actor=people[Role.PROGRAM_ADMIN], trainers=[people[Role.TRAINER]])
    clinician = people[Role.CLINICIAN]
    enrollment = enroll(program=program, cac=cac, clinician=clinician, actor=people[Role.PROGRAM_ADMIN], cohort=cohort)
    episode = care_factories.register(cac=cac, program=program, clinician=clinician)
    assessment = care_services.assessment_record(
        actor=clinician,
        episode=episode,
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=episode.referred_on + timedelta(days=7),
        responses={str(n): 1 for n in range(1, 10)},
    )
    alert = CriticalAlert.objects.in_org(cac).get(assessment=assessment)
    return World(program, cohort, enrollment, episode, alert, people)


# ---- 1. Nothing is lost silently: every htmx form, walked through its error path --------------------------------

HX_WRITE = re.compile(r"""<[a-z]+\b[^>]*\bhx-(post|put|patch|delete)="\{% url '([\w:]+)'""", re.S)
ANY_HX_WRITE = re.compile(r"""\bhx-(post|put|patch|delete)\s*=""")


def htmx_writes_in_templates() -> set[str]:
    """The URL names that some element of a template sends an htmx write to."""
    return {
        match.group(2)
        for path in HAVEN.glob("*/templates/**/*.html")
        for match in HX_WRITE.finditer(path.read_text(encoding="utf-8"))
    }


def test_every_htmx_form_is_walked_through_its_errors() -> None:
    """A new htmx form fails this until its error path is walked below."""
    assert htmx_writes_in_templates() == set(HTMX_WALKS)


def test_every_htmx_write_names_its_url() -> None:
    """An htmx write whose URL is not a plain ``{% url %}`` (or written ``data-hx-post``) would escape the walk."""
    for path in HAVEN.glob("*/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        assert len(ANY_HX_WRITE.findall(text)) == len(HX_WRITE.findall(text)), path


def _open_episode(page: Any, world: World, live_server: Any) -> Any:
    from playwright.sync_api import expect

    sign_in_as(page, live_server.url, world.people[Role.CLINICIAN])
    page.goto(reverse("care:episode", args=[world.episode.pk]))
    # The page stays the same page throughout: nothing below may reload it.
    page.evaluate("window.havenSamePage = true")
    form = page.locator("form.session-form")
    expect(form).to_be_visible()
    return form


def _type_a_session(page: Any, form: Any, *, held_on: str) -> None:
    form.locator("#id_held_on").fill(held_on)
    form.locator("#id_minutes").fill("45")
    form.get_by_label("Caregiver", exact=True).check()
    form.get_by_label("Relaxation").check()
    form.get_by_label("Cognitive coping").check()
    form.get_by_label("Caregiver present").check()
    form.get_by_label("Telehealth").check()


def _assert_still_typed(page: Any, form: Any, *, held_on: str) -> None:
    from playwright.sync_api import expect

    expect(form.locator("#id_held_on")).to_have_value(held_on)
    expect(form.locator("#id_minutes")).to_have_value("45")
    for label in ("Caregiver", "Relaxation", "Cognitive coping", "Caregiver present", "Telehealth"):
        expect(form.get_by_label(label, exact=True)).to_be_checked()
    expect(form.get_by_label("Psychoeducation and parenting skills")).not_to_be_checked()
    assert page.evaluate("window.havenSamePage") is True


def walk_session_form(page: Any, console: Console, world: World, live_server: Any) -> None:
    from playwright.sync_api import expect

    form = _open_episode(page, world, live_server)
    too_early = (world.episode.referred_on - timedelta(days=3)).isoformat()
    _type_a_session(page, form, held_on=too_early)
    form.get_by_role("button", name="Save session").click()

    # The server's answer (422) is swapped in: the error, said in an alert, and focus on the field to fix.
    form = page.locator("form.session-form")
    summary = form.get_by_role("alert")
    expect(summary).to_contain_text("The date cannot be before the referral.")
    expect(form.locator("#id_held_on_error")).to_have_text("The date cannot be before the referral.")
    expect(page.locator("#id_held_on")).to_be_focused()
    _assert_still_typed(page, form, held_on=too_early)
    assert Session.objects.in_org(world.episode.organization_id).filter(episode=world.episode).count() == 0

    # Fixed and sent again: saved, and the list shows it.
    good_day = (world.episode.referred_on + timedelta(days=3)).isoformat()
    form.locator("#id_held_on").fill(good_day)
    form.get_by_role("button", name="Save session").click()
    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    expect(page.locator("form.session-form").get_by_role("alert")).to_have_count(0)
    assert page.evaluate("window.havenSamePage") is True
    session = Session.objects.in_org(world.episode.organization_id).get(episode=world.episode)
    assert (session.held_on.isoformat(), session.minutes, session.components) == (good_day, 45, ["r", "c"])

    # Any other failure leaves the page as it was, what was typed included, and says so.
    form = page.locator("form.session-form")
    later = (world.episode.referred_on + timedelta(days=10)).isoformat()
    url = "**" + reverse("care:session_create", args=[world.episode.pk])
    failures = [
        (lambda route: route.fulfill(status=500, body="Server Error"), "the server could not do it"),
        (lambda route: route.abort("connectionrefused"), "Haven could not be reached"),
    ]
    for handler, said in failures:
        page.route(url, handler)
        _type_a_session(page, form, held_on=later)
        form.get_by_role("button", name="Save session").click()
        message = form.locator("[data-request-failed]")
        expect(message).to_contain_text(said)
        expect(message).to_have_attribute("role", "alert")
        _assert_still_typed(page, form, held_on=later)
        page.unroute(url)

    # The session ended meanwhile: the answer is the sign-in page, which holds no session list to swap in.
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    form.get_by_role("button", name="Save session").click()
    expect(form.locator("[data-request-failed]")).to_contain_text("your session ended")
    _assert_still_typed(page, form, held_on=later)
    assert Session.objects.in_org(world.episode.organization_id).filter(episode=world.episode).count() == 1
    assert console.csp_violations() == [] and console.page_errors == []


HTMX_WALKS: dict[str, Callable[[Any, Console, World, Any], None]] = {
    "care:session_create": walk_session_form,
}


@pytest.mark.parametrize("url_name", sorted(HTMX_WALKS))
def test_htmx_form_error_path(url_name: str, page: tuple[Any, Console], world: World, live_server: Any) -> None:
    browser_page, console = page
    HTMX_WALKS[url_name](browser_page, console, world, live_server)


# ---- Destructive actions ask first, without JavaScript too --------------------------------------------------------


def test_deleting_a_session_asks_first_without_javascript(browser: Any, live_server: Any, world: World) -> None:
    from playwright.sync_api import expect

    clinician = world.people[Role.CLINICIAN]
    care_factories.sessions(world.episode, clinician, 1)
    sessions = Session.objects.in_org(world.episode.organization_id).filter(episode=world.episode)
    held_on = sessions.get().held_on
    context, page, console = open_page(browser, live_server.url, javascript=False)
    try:
        sign_in_as(page, live_server.url, clinician)
        page.goto(reverse("care:episode", args=[world.episode.pk]))
        rows = page.locator("#sessions tbody tr")
        expect(rows).to_have_count(1)

        # The question, and a way back that changes nothing.
        rows.get_by_role("button", name="Delete").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the session of")
        expect(page.get_by_text("This cannot be undone")).to_be_visible()
        page.get_by_role("link", name="Cancel").click()
        expect(page).to_have_url(re.compile(reverse("care:episode", args=[world.episode.pk]) + "$"))
        expect(rows).to_have_count(1)
        assert sessions.get().held_on == held_on

        # Asked again and confirmed: deleted, and the page says so.
        rows.get_by_role("button", name="Delete").click()
        page.get_by_role("button", name="Delete the session").click()
        expect(page).to_have_url(re.compile(reverse("care:episode", args=[world.episode.pk]) + "$"))
        expect(page.get_by_text("Session deleted.")).to_be_visible()
        expect(page.locator("#sessions tbody")).to_contain_text("No sessions yet.")
        assert not sessions.exists()
        assert console.page_errors == []
    finally:
        context.close()


# ---- 2. Choices: each box beside its own label, in a fieldset with a legend -------------------------------------


@dataclass(frozen=True)
class ChoicePage:
    role: str
    url_name: str
    args: Callable[[World], list[int]]
    forms: tuple[str, ...]  # the form classes it shows with a choice widget, as ``name_of`` spells them


CHOICE_PAGES = [
    ChoicePage(Role.CLINICIAN, "care:intake", lambda w: [], ("care.IntakeForm",)),
    ChoicePage(Role.CLINICIAN, "care:episode", lambda w: [w.episode.pk], ("care.SessionForm",)),
    ChoicePage(Role.CLINICIAN, "care:episode_close", lambda w: [w.episode.pk], ("care.CloseForm",)),
    ChoicePage(Role.CLINICIAN, "care:alert", lambda w: [w.alert.pk], ("care.AcknowledgeForm",)),
    ChoicePage(Role.ORG_ADMIN, "care:import", lambda w: [], ("care.ImportForm",)),
    ChoicePage(Role.PROGRAM_ADMIN, "training:enrollment", lambda w: [w.enrollment.pk], ("training.MilestoneForm",)),
    ChoicePage(Role.PROGRAM_ADMIN, "training:import", lambda w: [], ("training.ImportForm",)),
    ChoicePage(Role.PROGRAM_ADMIN, "programs:create", lambda w: [], ("programs.ProgramForm",)),
    ChoicePage(Role.CREATIVE, "awareness:campaign_create", lambda w: [], ("awareness.CampaignForm",)),
    ChoicePage(Role.PROGRAM_ADMIN, "awareness:event_create", lambda w: [], ("awareness.EventForm",)),
    ChoicePage(Role.ORG_ADMIN, "api_keys:list", lambda w: [], ("api.ApiKeyForm",)),
    ChoicePage(Role.PROGRAM_ADMIN, "evaluation:new", lambda w: [], ("evaluation.ExportRequestForm",)),
    # Hand-written boxes, one per clinician on the roster.
    ChoicePage(
        Role.PROGRAM_ADMIN,
        "training:call_attendance",
        lambda w: [
            w.cohort.pk,
            ConsultationCall.objects.in_org(w.cohort.organization_id).filter(cohort=w.cohort)[0].pk,
        ],
        (),
    ),
]


def test_every_form_with_a_choice_is_measured_on_some_page() -> None:
    with_choices = {
        name_of(form_class)
        for form_class in form_classes()
        if any(choice_widget(field) for _name, field in declared_fields(form_class))
    }
    measured = {name for choice_page in CHOICE_PAGES for name in choice_page.forms}
    assert with_choices == measured


# Each box and the first line of its label's text, their fieldset and legend, whether it is one of a group.
MEASURE = """
() => Array.from(document.querySelectorAll("main input[type=checkbox], main input[type=radio]")).map((input) => {
  const rect = (r) => r && { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  const label = input.labels && input.labels[0];
  let text = null;
  if (label) {
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT),
    });
    const node = walker.nextNode();
    if (node) {
      const range = document.createRange();
      range.selectNodeContents(node);
      text = rect(range.getClientRects()[0]);
    }
  }
  const fieldset = input.closest("fieldset");
  const legend = fieldset && fieldset.querySelector(":scope > legend");
  const siblings = document.querySelectorAll(`main input[name="${CSS.escape(input.name)}"]`).length;
  return {
    name: input.name, id: input.id, value: input.value, box: rect(input.getBoundingClientRect()), text,
    label: label ? label.textContent.trim() : null, legend: legend ? legend.textContent.trim() : null,
    group: input.type === "radio" || siblings > 1,
  };
})
"""


def _check_choices(choices: list[dict[str, Any]], where: str) -> None:
    assert choices, f"{where}: no choice found"
    for choice in choices:
        what = f"{where}: {choice['name']}={choice['value']} ({choice['label']!r})"
        box, text = choice["box"], choice["text"]
        assert text is not None, f"{what} has no label"
        gap = text["left"] - box["right"]
        assert 0 <= gap < 24, f"{what}: its label's text starts {gap:.0f} px from the box"
        middle = (text["top"] + text["bottom"]) / 2
        assert box["top"] - 4 <= middle <= box["bottom"] + 4, f"{what}: the box is not on its label's line"
        if choice["group"]:
            assert choice["legend"], f"{what} is one of a group, with no fieldset and legend naming the question"


@pytest.mark.parametrize("width", [1280, 390])
def test_every_choice_sits_beside_its_own_label_in_a_named_group(
    width: int, browser: Any, live_server: Any, world: World
) -> None:
    for choice_page in CHOICE_PAGES:
        context, page, console = open_page(browser, live_server.url)
        try:
            page.set_viewport_size({"width": width, "height": 900})
            sign_in_as(page, live_server.url, world.people[choice_page.role])
            response = page.goto(reverse(choice_page.url_name, args=choice_page.args(world)))
            assert response.status == 200, choice_page.url_name
            choices = page.evaluate(MEASURE)
            _check_choices(choices, f"{choice_page.url_name} at {width} px")
            # The label is the box's hit area too: a click on its text ticks it.
            for choice in choices:
                if choice["id"] and not page.locator(f"#{choice['id']}").is_checked():
                    page.locator(f"label[for='{choice['id']}']").click()
                    assert page.locator(f"#{choice['id']}").is_checked(), choice
            assert console.csp_violations() == [] and console.page_errors == []
        finally:
            context.close()


def test_the_critical_answer_follow_up_says_which_box_records_which_action(
    page: tuple[Any, Console], world: World, live_server: Any
) -> None:
    from playwright.sync_api import expect

    browser_page, _console = page
    sign_in_as(browser_page, live_server.url, world.people[Role.CLINICIAN])
    browser_page.goto(reverse("care:alert", args=[world.alert.pk]))
    group = browser_page.get_by_role("group", name=re.compile("What was done"))
    expect(group).to_be_visible()
    group.get_by_label("Safety plan made with the child").check()
    group.get_by_label("Clinical supervisor consulted").check()
    browser_page.get_by_role("button", name="Acknowledge").click()
    expect(browser_page.get_by_text("Alert acknowledged and follow-up recorded.")).to_be_visible()
    world.alert.refresh_from_db()
    assert world.alert.follow_up == ["safety_plan", "supervisor_consulted"]


# ---- 3. Dates in French --------------------------------------------------------------------------------------------


def _in_french(browser: Any, live_server: Any, user: User) -> tuple[Any, Any]:
    from .test_browser import change_language

    context, page, _console = open_page(browser, live_server.url, locale="fr-FR")
    sign_in_as(page, live_server.url, user)
    page.goto("/")
    change_language(page, "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    return context, page


def test_a_cohort_edited_in_french_keeps_its_dates(browser: Any, live_server: Any, world: World) -> None:
    from playwright.sync_api import expect

    cohort = world.cohort
    before = (cohort.starts_on, cohort.ends_on, cohort.live_training_on)
    context, page = _in_french(browser, live_server, world.people[Role.PROGRAM_ADMIN])
    try:
        page.goto(reverse("training:cohort_edit", args=[cohort.pk]))
        expect(page.get_by_label("Date de début")).to_have_value(cohort.starts_on.isoformat())
        expect(page.get_by_label("Date de fin")).to_have_value(cohort.ends_on.isoformat())
        expect(page.locator("#id_live_training_on")).to_have_value(cohort.live_training_on.isoformat())
        page.get_by_role("button", name="Enregistrer").click()
        expect(page).to_have_url(re.compile(reverse("training:cohort", args=[cohort.pk]) + "$"))
    finally:
        context.close()
    cohort.refresh_from_db()
    assert (cohort.starts_on, cohort.ends_on, cohort.live_training_on) == before


def test_a_program_edited_in_french_keeps_its_dates(browser: Any, live_server: Any, world: World) -> None:
    from playwright.sync_api import expect

    program = world.program
    before = (program.starts_on, program.ends_on)
    context, page = _in_french(browser, live_server, world.people[Role.PROGRAM_ADMIN])
    try:
        page.goto(reverse("programs:edit", args=[program.pk]))
        expect(page.locator("#id_starts_on")).to_have_value(program.starts_on.isoformat())
        expect(page.locator("#id_ends_on")).to_have_value(program.ends_on.isoformat())
        page.get_by_role("button", name="Enregistrer").click()
        expect(page).to_have_url(re.compile(reverse("programs:detail", args=[program.pk]) + "$"))
    finally:
        context.close()
    program.refresh_from_db()
    assert (program.starts_on, program.ends_on) == before
