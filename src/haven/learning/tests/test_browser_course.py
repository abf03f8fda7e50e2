"""A learner in French takes their course in a real browser: opens it from their home, reads the modules in order,
takes the quiz, passes and finds their certificate; at desktop and phone width (390 px) nothing is wider than the
screen. Screenshots are left in var/screenshots to look at."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from haven.core.tests import conftest as core_conftest
from haven.core.tests.browsing import Console, sign_in_as
from haven.learning.models import Certificate, StaffMember
from haven.organizations.models import Organization

from .courses import assign, build_course, right_answers

pytestmark = pytest.mark.browser

browser, page, live_server = core_conftest.browser, core_conftest.page, core_conftest.live_server

SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"
LAYOUT_PROBLEMS = (Path(core_conftest.__file__).parent / "layout_problems.js").read_text()
SIZES = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def _look(browser_page: Any, name: str) -> None:
    """A screenshot at each width, and no layout problem at either."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, size in SIZES.items():
        browser_page.set_viewport_size(size)
        assert browser_page.evaluate(LAYOUT_PROBLEMS) == [], (name, width)
        browser_page.screenshot(path=str(SCREENSHOTS / f"learning-{name}-fr-{width}.png"), full_page=True)
    browser_page.set_viewport_size(SIZES["1280"])


def test_a_learner_in_french_reads_the_modules_passes_the_quiz_and_gets_their_certificate(
    page: tuple[Any, Console],
    live_server: Any,
    company: Organization,
    make_staff: Callable[..., StaffMember],
) -> None:
    from playwright.sync_api import expect

    browser_page, console = page
    staff = make_staff(language="fr", given_name="Camille", family_name="Durand")
    version = build_course(company, modules=2, questions=4, per_attempt=3)
    assignment = assign(staff, version, due_in_days=10)
    sign_in_as(browser_page, live_server.url, staff.user)

    browser_page.goto("/learning/")
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Mes formations")
    _look(browser_page, "home")
    browser_page.get_by_role("link", name="La protection de l'enfance pour tout le personnel").click()
    expect(browser_page.get_by_role("heading", level=1)).to_have_text(
        "La protection de l'enfance pour tout le personnel"
    )
    _look(browser_page, "course")
    browser_page.get_by_role("link", name="Module 1 en français").click()
    expect(browser_page.get_by_role("heading", name="Partie 1")).to_be_visible()
    _look(browser_page, "module")
    browser_page.get_by_role("button", name="J'ai lu ce module").click()
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Module 2 en français")
    browser_page.get_by_role("button", name="J'ai lu ce module").click()

    expect(browser_page).to_have_url(re.compile(r"/quiz/$"))
    browser_page.get_by_role("button", name="Commencer le quiz").click()
    questions = browser_page.locator("fieldset")
    expect(questions).to_have_count(3)
    _look(browser_page, "quiz")
    for choices in right_answers(version).values():
        for choice_id in choices:
            box = browser_page.locator(f"#c{choice_id}")
            if box.count():
                box.check()
    browser_page.get_by_role("button", name="Envoyer mes réponses").click()

    expect(browser_page.get_by_text("Vous avez réussi.")).to_be_visible()
    expect(browser_page.get_by_text("3 bonnes réponses sur 3 (100 %).")).to_be_visible()
    _look(browser_page, "result")
    with browser_page.expect_download() as download:
        browser_page.get_by_role("link", name="Télécharger votre attestation (PDF)").click()
    certificate = Certificate.objects.in_org(company).get(assignment=assignment)
    assert download.value.suggested_filename == f"certificate-child-protection-{certificate.code}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    browser_page.goto("/learning/")
    expect(browser_page.get_by_role("heading", name="Cours terminés")).to_be_visible()
    expect(
        browser_page.get_by_role("link", name="Attestation « La protection de l'enfance pour tout le personnel » (PDF)")
    ).to_be_visible()
    _look(browser_page, "home-done")

    # The public page is in its visitor's language (this browser's is English), whoever holds the certificate.
    browser_page.goto(f"/learning/verify/{certificate.code}/")
    expect(browser_page.get_by_text(f"Certificate {certificate.code} is genuine.")).to_be_visible()
    expect(browser_page.get_by_text("Durand")).to_have_count(0)
    assert console.csp_violations() + console.page_errors == []
