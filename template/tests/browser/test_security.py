"""The pages under their Content-Security-Policy, and the login lockout, in a browser.

Every test here (like every browser test) fails on a policy violation: the `pages` fixture
collects them.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PASSWORDS
from .panel import log_in, search
from .server import FAILURE_LIMIT

pytestmark = pytest.mark.browser


def tab_to(page: Page, test_id: str, presses: int = 20) -> None:
    """Press Tab until the element with `test_id` has the focus (fails after `presses`)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.dataset?.testid") == test_id:
            return
    raise AssertionError(f"{test_id} cannot be reached with the keyboard")


def test_repeated_wrong_passwords_lead_to_the_lockout_page(visitor, panel_server):
    page = visitor
    panel_server.reset_lockouts()  # failures other tests left count for this address too
    try:
        for _ in range(FAILURE_LIMIT):
            log_in(page, "br_locked", "not-the-password")
        expect(page.get_by_test_id("lockout")).to_be_visible()
        expect(page.get_by_test_id("lockout-message")).to_have_attribute("role", "alert")

        page.goto("/accounts/login/")
        log_in(page, "br_locked", PASSWORDS["br_locked"])
        expect(page.get_by_test_id("lockout")).to_be_visible()

        tab_to(page, "lockout-back")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))
        expect(page.get_by_test_id("login-username")).to_be_visible()
    finally:
        panel_server.reset_lockouts()


def test_the_panel_runs_under_the_policy(open_panel):
    page = open_panel("br_staff")
    search(page, "quokka", 3)
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False


def test_django_admin_runs_under_the_policy(pages):
    page = pages.page("admin")
    page.goto("/django-admin/accounts/user/?q=br_edit")
    page.get_by_role("link", name="br_edit", exact=True).click()
    # Django admin's own markup: its field ids, not its (translated) labels.
    expect(page.locator("#id_username")).to_have_value("br_edit")
    page.goto("/django-admin/accounts/user/add/")
    expect(page.locator("#id_username")).to_be_visible()
