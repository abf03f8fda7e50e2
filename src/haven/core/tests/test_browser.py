"""End to end in a real browser: Debian's chromium driven by Playwright against the live server on 127.0.0.1."""

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from django_otp.oath import totp

from haven.accounts.models import Authenticator, User
from haven.accounts.tests.factories import PASSWORD
from haven.core.tests.browsing import Console
from haven.organizations.models import Organization
from haven.organizations.roles import Role

pytestmark = pytest.mark.browser


def sign_in_with_password(page: Any, user: User) -> None:
    page.goto("/account/sign-in/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def change_language(page: Any, code: str) -> None:
    """Pick a language in the header's switcher, found by its form so it works whatever the page's language."""
    switcher = page.locator("form[action='/i18n/setlang/']")
    switcher.locator("select[name=language]").select_option(code)
    switcher.get_by_role("button").click()
    page.wait_for_load_state()


def current_code(device: Authenticator) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_sign_in_with_mfa_switch_language_and_sign_out(
    page: tuple[Any, Console], cac: Organization, make_member: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    browser_page, console = page
    clinician = make_member(Role.CLINICIAN, cac, full_name="Dana Whitfield")
    device = Authenticator.objects.create(user=clinician, confirmed=True, name="phone")

    sign_in_with_password(browser_page, clinician)
    expect(browser_page).to_have_url(re.compile(r"/account/sign-in/verify/$"))
    browser_page.get_by_label("Code").fill(current_code(device))
    browser_page.get_by_role("button", name="Verify").click()
    expect(browser_page).to_have_url(re.compile(r"/$"))
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Welcome, Dana Whitfield")
    html = browser_page.locator("html")
    expect(html).to_have_attribute("lang", "en")

    # The language select is labelled (visually hidden) "Language"; submit with "Change language".
    browser_page.get_by_label("Language").select_option("fr")
    browser_page.get_by_role("button", name="Change language").click()
    expect(html).to_have_attribute("lang", "fr")
    sign_out = browser_page.locator("form[action='/account/sign-out/']").get_by_role("button")
    expect(sign_out).to_have_text("Se déconnecter")

    change_language(browser_page, "en")
    expect(html).to_have_attribute("lang", "en")
    expect(sign_out).to_have_text("Sign out")
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Welcome, Dana Whitfield")

    sign_out.click()
    expect(browser_page).to_have_url(re.compile(r"/account/sign-in/$"))
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Sign in to Haven")
    browser_page.goto("/")
    expect(browser_page).to_have_url(re.compile(r"/account/sign-in/\?next=/$"))

    assert console.csp_violations() == []
    assert console.page_errors == []


def test_first_sign_in_without_a_device_sets_up_mfa(
    page: tuple[Any, Console], cac: Organization, make_member: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    browser_page, console = page
    clinician = make_member(Role.CLINICIAN, cac, full_name="Sam Okafor")

    sign_in_with_password(browser_page, clinician)
    expect(browser_page).to_have_url(re.compile(r"/account/mfa/setup/$"))
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    # The QR code is an SVG served by the app; it must load under the CSP.
    qr = browser_page.locator(".qr img")
    expect(qr).to_be_visible()
    browser_page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())

    secret = browser_page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]+", secret)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    browser_page.get_by_label("Code from the app").fill(f"{totp(key):06d}")
    browser_page.get_by_role("button", name="Turn on").click()

    expect(browser_page.get_by_text("Your second factor is on.")).to_be_visible()
    codes = browser_page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).not_to_have_count(0)
    assert all(re.fullmatch(r"[0-9a-f]{10}", code) for code in codes.all_inner_texts())
    assert Authenticator.objects.get(user=clinician).confirmed

    browser_page.get_by_role("link", name="I have saved them").click()
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Welcome, Sam Okafor")

    assert console.csp_violations() == []
    assert console.page_errors == []
