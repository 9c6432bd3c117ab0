"""The panel with the keyboard alone: every action reachable with Tab, operable with Enter
or Space, with a visible focus, and the focus kept where it was when a component re-renders."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .panel import USER_EDIT_URL, USERS_URL, user_count, user_row

pytestmark = pytest.mark.browser

#: The focused element's test id and whether its focus ring shows (outline or box shadow).
FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
  return {testid: el.dataset.testid || null, tag: el.tagName, ring};
}"""


def settled(page: Page) -> None:
    """Wait until no htmx request is in flight (htmx marks its requesting elements)."""
    expect(page.locator(".htmx-request")).to_have_count(0)


def tab_to(page: Page, test_id: str, presses: int = 40) -> None:
    """Press Tab until the element with `test_id` has the focus, checking on the way that
    every element the focus lands on shows it."""
    settled(page)
    for _ in range(presses):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_JS)
        assert focus["ring"], f"no visible focus on {focus}"
        if focus["testid"] == test_id:
            return
    raise AssertionError(f"{test_id} cannot be reached with the keyboard")


def test_the_panel_works_with_the_keyboard_alone(open_panel, server_db, page_size):
    page = open_panel("br_staff")

    # The first Tab lands on the skip link; Enter moves on to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_JS)["ring"]
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    if page.get_by_test_id("metrics-refresh").count():  # the key metrics come first
        tab_to(page, "metrics-refresh")
    tab_to(page, "user-search")
    settled(page)
    with page.expect_response(USERS_URL):
        page.keyboard.type("quokka.two")
    expect(user_count(page)).to_have_text("1")
    row = user_row(page, "quokka.two")

    # Toggle twice (Enter, then Space): the focus stays on the button the table re-rendered.
    tab_to(page, "toggle-status")
    for key in ("Enter", " "):
        before = row.locator("[data-testid^=user-status-]").get_attribute("data-testid")
        settled(page)
        with page.expect_response(USERS_URL):
            page.keyboard.press(key)
        expect(row.locator("[data-testid^=user-status-]")).not_to_have_attribute(
            "data-testid", before or ""
        )
        expect(row.get_by_test_id("toggle-status")).to_be_focused()

    # Edit: the form opens after its row with the focus on its first field; Tab reaches the
    # other fields and Save.
    tab_to(page, "edit-user")
    settled(page)
    with page.expect_response(USER_EDIT_URL):
        page.keyboard.press("Enter")
    form = page.get_by_test_id("user-edit")
    expect(form.get_by_test_id("edit-username")).to_have_value("quokka.two")
    expect(form.get_by_test_id("edit-username")).to_be_focused()
    tab_to(page, "edit-first_name")
    page.keyboard.type("Keyed")
    tab_to(page, "save-user")
    settled(page)
    with page.expect_response(USER_EDIT_URL):
        page.keyboard.press("Enter")
    expect(form.get_by_test_id("edit-saved")).to_be_visible()
    expect(form.get_by_test_id("save-user")).to_be_focused()
    first_name = "SELECT first_name FROM accounts_user WHERE username = 'quokka.two'"
    assert server_db.scalar(first_name) == "Keyed"
    tab_to(page, "cancel-edit")
    settled(page)
    with page.expect_response(USER_EDIT_URL):
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("user-edit").get_by_test_id("save-user")).to_have_count(0)

    # The table's pages: the focus stays on Next while the rows change.
    page.get_by_test_id("user-search").focus()  # the focus left with the closed form
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    expect(user_count(page)).not_to_have_text("1")
    tab_to(page, "page-next", presses=2 * page_size + 10)  # past two buttons a row
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("page-number")).to_have_text("2")
    expect(page.get_by_test_id("page-next")).to_be_focused()
