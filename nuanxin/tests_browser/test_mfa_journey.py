"""Two-step verification in a real browser: a community admin signs in with the password,
lands on enrolment, scans (here: reads) the secret, confirms a code, sees the recovery codes
once and reaches the console; the next sign-in asks for a code (docs/accounts-mfa.md)."""

from base64 import b32decode
from typing import Any

from django_otp.oath import totp
from playwright.sync_api import Page, expect

from nuanxin.tests_browser.conftest import screenshot, sign_in


def _code_for(secret: str) -> str:
    return f"{totp(b32decode(secret.replace(' ', ''))):06d}"


def _submit_code(page: Page, code: str) -> None:
    form = page.locator("main form:has(input[name=otp])")
    form.locator("input[name=otp]").fill(code)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_community_admin_enrols_on_first_sign_in_and_verifies_on_the_next(
    open_page: Any, world: Any, settings: Any
) -> None:
    settings.NUANXIN_MFA_REQUIRED = True
    settings.NUANXIN_DEMO = False
    page = open_page()
    sign_in(page, "community-admin")
    assert "/accounts/mfa/setup/" in page.url
    expect(page.locator("figure.mfa-qr svg")).to_be_visible()
    secret = page.locator("[data-mfa-secret]").inner_text()
    _submit_code(page, _code_for(secret))
    codes = page.locator("[data-recovery-codes] code")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    screenshot(page, "mfa-recovery-codes")
    with page.expect_navigation():
        page.locator("main a.big-button").click()
    assert "/console/" in page.url

    with page.expect_navigation():
        page.locator("header form[action='/accounts/logout/'] button").click()
    # The app's code of this time step is spent (a code is good once): the next sign-in
    # uses a recovery code, as someone who lost their phone would.
    sign_in(page, "community-admin")
    assert "/accounts/mfa/verify/" in page.url
    _submit_code(page, recovery)
    assert "/console/" in page.url
