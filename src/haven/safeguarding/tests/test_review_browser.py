"""A review from submission to ready, in French, in a real browser: the creative's work is submitted (through the
services: the submission pages are another part's), the safeguarding reviewer reads the words boxed on the file,
answers the checklist (htmx) and approves, the brand reviewer approves, and the page reads "Prête à publier".
The review page is looked at in English and French at 1280 and 390 px: nothing is wider than the screen; the
screenshots are left in var/screenshots to look at."""

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from haven.core.tests import conftest as core_conftest
from haven.core.tests.browsing import Console, sign_in_as
from haven.organizations.models import Membership
from haven.safeguarding import services
from haven.safeguarding.models import Status, Submission

from .conftest import image_bytes

pytestmark = pytest.mark.browser

browser, page, live_server = core_conftest.browser, core_conftest.page, core_conftest.live_server

SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"
LAYOUT_PROBLEMS = (Path(core_conftest.__file__).parent / "layout_problems.js").read_text()
SIZES = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def _in(browser_page: Any, base_url: str, language: str) -> None:
    browser_page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}])


def _look(browser_page: Any, name: str) -> None:
    """A screenshot at each width, and no layout problem at either."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, size in SIZES.items():
        browser_page.set_viewport_size(size)
        assert browser_page.evaluate(LAYOUT_PROBLEMS) == [], (name, width)
        browser_page.screenshot(path=str(SCREENSHOTS / f"safeguarding-{name}-{width}.png"), full_page=True)
    browser_page.set_viewport_size(SIZES["1280"])


def test_a_review_from_submission_to_ready_in_french(
    page: tuple[Any, Console],
    live_server: Any,
    draft: Submission,
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
) -> None:
    from playwright.sync_api import expect

    browser_page, console = page
    services.asset_add(
        membership=creative,
        submission=draft,
        file_name="desk.png",
        data=image_bytes(text="UNITED STATES v. WILLIAMS", size=(1200, 300), format="PNG"),
    )
    services.submit(membership=creative, submission=draft)
    url = f"/safeguarding/review/{draft.pk}/"

    sign_in_as(browser_page, live_server.url, safeguarder.user)
    _in(browser_page, live_server.url, "en")
    browser_page.goto(url)
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Review: Holiday gift shop")
    _look(browser_page, "review-en")

    _in(browser_page, live_server.url, "fr")
    browser_page.goto(url)
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Revue : Holiday gift shop")
    _look(browser_page, "review-fr")

    for radio in browser_page.locator('#checklist input[type="radio"][value="yes"]').all():
        radio.check()
    browser_page.get_by_role("button", name="Enregistrer la liste de contrôle").click()
    expect(browser_page.get_by_text("Liste de contrôle enregistrée.")).to_be_visible()
    expect(browser_page.get_by_text("Tous les points sont renseignés.")).to_be_visible()

    browser_page.get_by_label("Approuver").check()
    browser_page.get_by_role("button", name="Enregistrer ma décision").click()
    expect(browser_page.get_by_text("Décision enregistrée.")).to_be_visible()
    expect(browser_page.get_by_text("l’approbation d’un second réviseur")).to_be_visible()
    _look(browser_page, "review-approved-once-fr")

    sign_in_as(browser_page, live_server.url, brand.user)
    browser_page.goto(url)
    browser_page.get_by_label("Approuver").check()
    browser_page.get_by_role("button", name="Enregistrer ma décision").click()
    expect(browser_page.get_by_text("Décision enregistrée.")).to_be_visible()
    expect(browser_page.locator(".lede .badge")).to_have_text("Prête à publier")
    _look(browser_page, "review-ready-fr")

    draft.refresh_from_db()
    assert draft.status == Status.APPROVED
    assert console.csp_violations() + console.page_errors == []
