"""The two states of a request's page the every-page walk does not reach, in chromium at a phone's width, English and
French: the second admin deciding (approve, or decline with a note), and the requester shown the passphrase. Nothing
wider than the screen, no serious or critical axe violation; the decision and the passphrase work by clicking."""

import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from haven.accounts.models import User
from haven.core.tests.browsing import TIMEOUT_MS, Console, chromium, sign_in_as
from haven.core.tests.conftest import live_server  # noqa: F401 (the loopback live server, as a fixture here)
from haven.core.tests.test_every_page import AXE, AXE_RUN, LAYOUT_PROBLEMS, PHONE, SCREENSHOTS
from haven.evaluation.models import ExportRequest, ExportStatus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Generator[Any]:
    with chromium() as browser:
        yield browser


def _page(browser: Any, base_url: str, language: str) -> tuple[Any, Any, Console]:
    context = browser.new_context(
        base_url=base_url, viewport=PHONE, locale="fr-FR" if language == "fr" else "en-US", reduced_motion="reduce"
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    console = Console()
    console.listen(page)
    return context, page, console


def _problems(page: Any, console: Console) -> list[str]:
    return [*page.evaluate(LAYOUT_PROBLEMS), *page.evaluate(AXE_RUN), *console.csp_violations(), *console.page_errors]


def _screenshot(page: Any, name: str) -> None:
    """With ``HAVEN_SCREENSHOTS=<folder>``, as the every-page walk does: the page at 390 px, to look at."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"evaluation-{name}-390.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_deciding_and_the_passphrase_in_a_browser(
    transactional_db: None,
    browser: Any,
    live_server: Any,  # noqa: F811
    requested: ExportRequest,
    requester: User,
    approver: User,
    language: str,
) -> None:
    from playwright.sync_api import expect

    detail = reverse("evaluation:detail", kwargs={"export_id": requested.pk})
    context, page, console = _page(browser, live_server.url, language)
    try:
        sign_in_as(page, live_server.url, approver)
        page.goto(detail)
        assert _problems(page, console) == []
        _screenshot(page, f"decide-{language}")
        button = "Approve the export" if language == "en" else "Approuver l’export"
        page.get_by_role("button", name=button).click()
        expect(page.locator(".badge")).to_have_text("Ready to download" if language == "en" else "Prêt à télécharger")
        assert ExportRequest.objects.in_org(requested.organization_id).get(pk=requested.pk).status == (
            ExportStatus.READY
        )
        assert _problems(page, console) == []
    finally:
        context.close()

    context, page, console = _page(browser, live_server.url, language)
    try:
        sign_in_as(page, live_server.url, requester)
        page.goto(detail)
        page.get_by_role(
            "button", name="Show the passphrase" if language == "en" else "Afficher la phrase secrète"
        ).click()
        shown = page.locator("code.passphrase").inner_text()
        assert re.fullmatch(r"([0-9A-Z]{5}-){5}[0-9A-Z]{5}", shown)
        assert _problems(page, console) == []
        _screenshot(page, f"passphrase-{language}")
        page.goto(detail)
        expect(page.locator("code.passphrase")).to_have_count(0)
    finally:
        context.close()
