"""The clinician's to-do list in a real browser, in English and French, at desktop and phone width (390 px): every
part is there, nothing in it is wider than the screen, and screenshots are left in var/screenshots to look at."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from haven.accounts.models import Authenticator, User
from haven.core.tests import conftest as core_conftest
from haven.core.tests.browsing import Console
from haven.core.tests.test_browser import change_language, current_code, sign_in_with_password
from haven.organizations.models import Organization
from haven.programs.models import Program

from .test_todo import a_clinicians_week

pytestmark = pytest.mark.browser

browser, page, live_server = core_conftest.browser, core_conftest.page, core_conftest.live_server

SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"

HEADINGS = {
    "en": ["To do", "Critical answers", "Measures due", "Next consultation call", "Certification path"],
    "fr": [
        "À faire",
        "Réponses critiques",
        "Mesures à faire",
        "Prochain appel de consultation",
        "Parcours de certification",
    ],
}

# The widest element of the to-do list and the list's own width, in CSS pixels.
WIDTHS = """section => ({
  section: section.getBoundingClientRect().right,
  widest: Math.max(...[...section.querySelectorAll("*")].map(e => e.getBoundingClientRect().right)),
  overflow: section.scrollWidth - section.clientWidth,
})"""


def test_the_to_do_list_reads_in_english_and_french_on_a_desktop_and_a_phone(
    page: tuple[Any, Console],
    cac: Organization,
    program: Program,
    program_admin: User,
    colleague: User,
    make_member: Callable[..., User],
) -> None:
    from playwright.sync_api import expect

    browser_page, console = page
    week = a_clinicians_week(
        cac=cac, program=program, program_admin=program_admin, colleague=colleague, make_member=make_member
    )
    device = Authenticator.objects.create(user=week.clinician, confirmed=True, name="phone")
    sign_in_with_password(browser_page, week.clinician)
    browser_page.get_by_label("Code").fill(current_code(device))
    browser_page.get_by_role("button", name="Verify").click()
    expect(browser_page).to_have_url(re.compile(r"/$"))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "fr"):
        if language == "fr":
            change_language(browser_page, "fr")
        for width, height in ((1280, 900), (390, 844)):
            browser_page.set_viewport_size({"width": width, "height": height})
            browser_page.goto("/")
            todo = browser_page.locator("section.todo")
            headings = todo.get_by_role("heading")
            expect(headings).to_have_text(HEADINGS[language])
            expect(todo.get_by_role("link")).to_have_count(6)  # the alert, two measures, the caseload, call, step
            widths = todo.evaluate(WIDTHS)
            assert widths["overflow"] == 0 and widths["widest"] <= widths["section"] <= width, widths
            todo.screenshot(path=str(SCREENSHOTS / f"todo-{language}-{width}.png"))

    assert console.csp_violations() == []
    assert console.page_errors == []
