"""Signing in: the panel is for active staff, reached through the login form."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORDS
from .panel import log_in

pytestmark = pytest.mark.browser


def test_anonymous_visitor_is_sent_to_the_login_form_and_staff_gets_in(visitor, panel_server):
    visitor.goto("/admin-panel/")
    expect(visitor).to_have_url(re.compile(r"/accounts/login/\?next=/admin-panel/$"))
    expect(visitor.get_by_test_id("login-form")).to_be_visible()
    expect(visitor.get_by_test_id("user-list")).to_have_count(0)

    log_in(visitor, "br_staff", PASSWORDS["br_staff"])

    expect(visitor).to_have_url(f"{panel_server.url}/admin-panel/")
    expect(visitor.get_by_test_id("current-user")).to_have_text("br_staff")
    expect(visitor.get_by_test_id("user-list")).to_be_visible()
    expect(visitor.get_by_test_id("user-row").first).to_be_visible()


def test_wrong_password_stays_on_the_form_with_an_error(visitor):
    log_in(visitor, "br_staff", "not-the-password")
    expect(visitor.get_by_test_id("login-error")).to_be_visible()
    expect(visitor.get_by_test_id("login-form")).to_be_visible()
    expect(visitor).to_have_url(re.compile(r"/accounts/login/"))
    visitor.goto("/admin-panel/")
    expect(visitor).to_have_url(re.compile(r"/accounts/login/\?next=/admin-panel/$"))


def test_a_user_without_staff_rights_does_not_see_the_panel(visitor):
    visitor.goto("/admin-panel/")
    log_in(visitor, "br_plain", PASSWORDS["br_plain"])
    expect(visitor.get_by_test_id("login-no-access")).to_be_visible()
    expect(visitor.get_by_test_id("user-list")).to_have_count(0)
    response = visitor.request.get("/admin-panel/components/users/")
    assert response.status == 403
    assert response.json()["error"]
