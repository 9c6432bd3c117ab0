"""Signing in: the panel is for active staff, reached through the login form."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORDS
from .panel import log_in

pytestmark = pytest.mark.browser


def test_anonymous_visitor_is_sent_to_the_login_form_and_staff_gets_in(contexts, panel_server):
    page = contexts.new().new_page()
    page.goto("/admin-panel/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin-panel/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("user-list")).to_have_count(0)

    log_in(page, "br_staff", PASSWORDS["br_staff"])

    expect(page).to_have_url(f"{panel_server.url}/admin-panel/")
    expect(page.get_by_role("heading", name="Admin panel")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text("br_staff")
    expect(page.get_by_test_id("user-list")).to_be_visible()
    expect(page.get_by_test_id("user-row").first).to_be_visible()


def test_wrong_password_stays_on_the_form_with_an_error(contexts):
    page = contexts.new().new_page()
    log_in(page, "br_staff", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/admin-panel/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin-panel/$"))


def test_a_user_without_staff_rights_does_not_see_the_panel(contexts):
    page = contexts.new().new_page()
    page.goto("/admin-panel/")
    log_in(page, "br_plain", PASSWORDS["br_plain"])
    expect(page.get_by_text("Your account doesn't have access to this page")).to_be_visible()
    expect(page.get_by_test_id("user-list")).to_have_count(0)
    response = page.request.get("/admin-panel/components/users/")
    assert response.status == 403
    assert "error" in response.json()
