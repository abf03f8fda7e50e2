"""The child's chart in a real browser: Chart.js draws the scores and the dashed cut-off from the page's JSON under
the strict CSP, with nothing reported in the console. A screenshot is left in var/ to look at."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from haven.accounts.models import Authenticator, User
from haven.core.tests import conftest as core_conftest
from haven.core.tests.browsing import Console
from haven.core.tests.test_browser import current_code, sign_in_with_password
from haven.organizations.models import Organization
from haven.programs.models import Program

from .test_chart import OTHERS, SCORES, _child, _program_baselines

pytestmark = pytest.mark.browser

# The browser fixtures of the core tests: Debian's chromium, a page that records the console, and the loopback-only
# live server.
browser, page, live_server = core_conftest.browser, core_conftest.page, core_conftest.live_server

SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"

DATASETS = """canvas => {
  const chart = Chart.getChart(canvas);
  return chart ? chart.data.datasets.map(d => ({label: d.label, kind: d.haven || "scores", dash: d.borderDash || [],
                                                 points: d.data.length, fill: d.fill})) : null;
}"""


def test_the_childs_chart_draws_the_scores_and_the_dashed_cutoff(
    page: tuple[Any, Console],
    cac: Organization,
    other_cac: Organization,
    program: Program,
    clinician: User,
    other_clinician: User,
    make_member: Callable[..., User],
) -> None:
    from playwright.sync_api import expect

    browser_page, console = page
    # Console errors with where they come from (the browser asks for /favicon.ico, which Haven does not serve).
    errors: list[tuple[str, str]] = []
    browser_page.on(
        "console",
        lambda message: (
            errors.append((message.text, message.location.get("url", ""))) if message.type == "error" else None
        ),
    )
    _program_baselines(program, other_cac, other_clinician, OTHERS)
    episode = _child(program, cac, clinician, SCORES)
    device = Authenticator.objects.create(user=clinician, confirmed=True, name="phone")

    sign_in_with_password(browser_page, clinician)
    browser_page.get_by_label("Code").fill(current_code(device))
    browser_page.get_by_role("button", name="Verify").click()
    expect(browser_page).to_have_url(re.compile(r"/$"))
    browser_page.goto(f"/care/children/{episode.child_id}/")

    canvas = browser_page.get_by_role("img", name=re.compile(r"^CATS 7-17 \(self-report\): scores over time"))
    expect(canvas).to_be_visible()
    browser_page.wait_for_function("c => Boolean(Chart.getChart(c))", arg=canvas.element_handle())
    datasets = canvas.evaluate(DATASETS)
    assert datasets == [
        {"label": "Score", "kind": "scores", "dash": [], "points": 5, "fill": False},
        {"label": "Cut-off (21)", "kind": "cutoff", "dash": [6, 4], "points": 2, "fill": "end"},
    ]
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    # The table is there for everyone, with or without the chart.
    expect(browser_page.get_by_role("cell", name="Recovered: below the published cut-off (21)")).to_be_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_page.locator("section.trajectory").first.screenshot(path=str(SCREENSHOTS / "child-chart.png"))

    assert console.csp_violations() == []
    assert [error for error in errors if not error[1].endswith("/favicon.ico")] == []
    assert console.page_errors == []
