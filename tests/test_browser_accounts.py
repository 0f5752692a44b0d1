"""In Chromium: the pages under the Content-Security-Policy, and two-factor sign-in.

Every page is opened with a listener for CSP violations (and the console's "Refused to …"
errors); none may occur, and the HTMX filters and the language switch must still work.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.roles import world_build
from workflow.models import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see tests/test_browser_flow.py
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "pass-1234"  # tests.factories.UserFactory
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Redoc's sidebar always asks for its maker's logo from outside; the policy blocks it (that
# is its job) and Redoc then leaves the logo out. The only refusal a page may show.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


class Session:
    """One person's browser tab that collects every CSP violation it meets."""

    def __init__(self, browser, live_server, *, viewport=DESKTOP, locale="th-TH"):
        self.base = live_server.url
        self.context = browser.new_context(viewport=viewport, locale=locale)
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.violations = []
        self.page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.violations.append(m.text),
        )

    def go(self, path: str):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        self.violations += self.page.evaluate("window.__csp")
        return self.page

    def refused(self) -> list[str]:
        return [v for v in self.violations if REDOC_LOGO not in v]

    def log_in(self, username: str):
        page = self.go("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    def shot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


def app_code(user, steps_ahead: int = 0) -> str:
    """The code the person's app shows now, or in the next 30 seconds: each is taken once,
    so the second sign-in of the test uses the next one instead of waiting for it."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step)
    return f"{totp.token():0{device.digits}d}"


def test_pages_work_under_the_content_security_policy(browser, live_server):
    # given the organization of tests/roles.py with items in every state
    world = world_build()
    for state in State:
        world.report(measure=world.measure(state=state), state=state)
    head = Session(browser, live_server)

    # when a division head walks the staff pages, filters with HTMX and switches language
    head.log_in("head")
    page = head.go("/measures/")
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true") as htmx:
        page.select_option("#f-state", State.DRAFTED)
    page.wait_for_url("**/measures/?*state=drafted*")  # htmx swapped the rows, pushed the URL
    shown = (page.locator("#rows .state").count(), page.locator("#rows .state-drafted").count())
    head.violations += page.evaluate("window.__csp")
    head.shot("csp-measures-filtered-th")
    for path in ("/", "/reports/", f"/measures/{world.measure().pk}/", "/accounts/", "/inbox/"):
        head.go(path)
    head.go("/accounts/password/")
    head.shot("account-password-change-th")
    page = head.go("/accounts/")
    head.shot("account-th")
    with page.expect_navigation():  # the select sends its form (workflow/static/js/site.js)
        page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    english = page.locator("h1").inner_text()
    head.shot("account-en")
    head.violations += page.evaluate("window.__csp")

    # and the public pages, the API's documentation and the sign-in pages, signed out
    visitor = Session(browser, live_server, viewport=PHONE)
    for path in ("/public/", "/api/docs/", "/api/redoc/", "/admin/login/"):
        visitor.go(path)
    visitor.go("/accounts/password/reset/")
    visitor.shot("password-reset-phone-th")

    # then the filter was an HTMX request, the language changed, and nothing was refused
    assert htmx.value.url.startswith(live_server.url + "/measures/")
    assert shown[0] == shown[1] > 0
    assert english == "My account"
    assert head.refused() == [] and visitor.refused() == []
    assert visitor.violations, "the Redoc page's outside logo must have been blocked"
    head.close()
    visitor.close()


def test_two_factor_enrol_sign_out_and_sign_in_with_a_code(browser, live_server, settings):
    # given the setting that requires two-factor sign-in of the chief executive
    settings.TWO_FACTOR_REQUIRED = True
    world = world_build()
    chief = Session(browser, live_server)

    # when the chief signs in, they are sent to set up their authenticator app
    page = chief.log_in("chief")
    set_up_url = page.url
    chief.shot("two-factor-setup-th")
    phone = Session(browser, live_server, viewport=PHONE)
    phone.log_in("chief")
    phone.shot("two-factor-setup-phone-th")
    phone.close()
    page.fill("#id_token", app_code(world["chief"]))
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    after_setup = page.url
    chief.shot("two-factor-on-th")

    # and signs out, and in again with a code from the app
    page.click("header form[action$='/logout/'] button")
    page.wait_for_load_state("networkidle")
    page = chief.log_in("chief")
    verify_url = page.url
    chief.shot("two-factor-verify-th")
    page.fill("#id_token", app_code(world["chief"], steps_ahead=1))
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")

    # then set-up, then the code, came before the home page; the device is in force
    assert "/accounts/two-factor/setup/" in set_up_url
    assert after_setup == live_server.url + "/"
    assert "/accounts/two-factor/verify/" in verify_url
    assert page.url == live_server.url + "/"
    assert TOTPDevice.objects.get(user=world["chief"]).confirmed
    english = Session(browser, live_server, locale="en-US")
    english.log_in("chief")
    with english.page.expect_navigation():
        english.page.select_option("select[name=language]", "en")
    english.page.wait_for_load_state("networkidle")
    english.shot("two-factor-verify-en")
    assert english.page.locator("h1").inner_text() == "Confirm your sign-in"
    assert chief.refused() == [] and english.refused() == []
    chief.close()
    english.close()
