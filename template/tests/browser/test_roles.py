"""Role gating in the edit form: staff see the role flags locked, and forging is refused."""

import pytest
from playwright.sync_api import expect

from .panel import assert_not_reloaded, csrf_token, mark_page, open_edit_form

pytestmark = pytest.mark.browser

ROLE_FLAGS = ("edit-is_staff", "edit-is_superuser")


def force_check(form, testid: str) -> None:
    """What a user could do in the browser's dev tools: enable a locked box and tick it."""
    form.get_by_test_id(testid).evaluate("box => { box.disabled = false; box.checked = true; }")


def test_staff_sees_the_role_flags_disabled(open_panel):
    page = open_panel("br_staff")
    form = open_edit_form(page, "br_role")
    for testid in ROLE_FLAGS:
        expect(form.get_by_test_id(testid)).to_be_disabled()
        expect(form.get_by_test_id(testid)).not_to_be_checked()
    expect(form.get_by_test_id("edit-is_active")).to_be_enabled()
    expect(form.get_by_test_id("edit-locked-hint")).to_be_visible()

    # On their own account even the active flag is locked (nobody deactivates themselves).
    own = open_edit_form(page, "br_staff")
    for testid in (*ROLE_FLAGS, "edit-is_active"):
        expect(own.get_by_test_id(testid)).to_be_disabled()


def test_superuser_may_change_the_role_flags(open_panel):
    page = open_panel("admin")
    form = open_edit_form(page, "br_role")
    for testid in (*ROLE_FLAGS, "edit-is_active"):
        expect(form.get_by_test_id(testid)).to_be_enabled()


def test_staff_promoting_someone_through_a_forced_checkbox_is_refused(open_panel, server_db):
    page = open_panel("br_staff")
    form = open_edit_form(page, "br_role")
    mark_page(page)
    force_check(form, "edit-is_staff")
    with page.expect_response("**/admin-panel/components/user-edit/") as response:
        form.get_by_test_id("save-user").click()
    assert response.value.status == 403

    expect(form.get_by_test_id("user-edit-error")).not_to_be_empty()
    expect(form.get_by_test_id("edit-saved")).to_have_count(0)
    assert_not_reloaded(page)
    saved = server_db.user("br_role")
    assert (saved["is_staff"], saved["is_superuser"]) == (False, False)
    # A fresh form shows the saved truth: not staff, and the box locked.
    page.reload()
    form = open_edit_form(page, "br_role")
    expect(form.get_by_test_id("edit-is_staff")).not_to_be_checked()
    expect(form.get_by_test_id("edit-is_staff")).to_be_disabled()


def test_staff_promoting_themselves_is_refused_and_nothing_is_saved(open_panel, server_db):
    page = open_panel("br_staff")
    form = open_edit_form(page, "br_staff")
    force_check(form, "edit-is_superuser")
    with page.expect_response("**/admin-panel/components/user-edit/") as response:
        form.get_by_test_id("save-user").click()
    assert response.value.status == 403
    expect(form.get_by_test_id("user-edit-error")).not_to_be_empty()

    # The same request sent by hand, with the page's signed state and CSRF token.
    token = form.get_attribute("data-cf-state")
    assert token
    response = page.request.post(
        "/admin-panel/components/user-edit/",
        form={
            "event": "submit",
            "state": token,
            "username": "br_staff",
            "email": "br_staff@example.com",
            "first_name": "",
            "last_name": "",
            "is_active": "true",
            "is_staff": "true",
            "is_superuser": "true",
        },
        headers={"X-CSRFToken": csrf_token(page), "HX-Request": "true"},
    )
    assert response.status == 403
    assert response.json()["error"]

    saved = server_db.user("br_staff")
    assert (saved["is_staff"], saved["is_superuser"], saved["is_active"]) == (True, False, True)
    page.reload()
    form = open_edit_form(page, "br_staff")
    expect(form.get_by_test_id("edit-is_superuser")).not_to_be_checked()
