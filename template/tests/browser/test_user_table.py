"""The user table: search, paging, status toggle and the inline edit form, in Chromium."""

import pytest
from playwright.sync_api import expect

from .panel import (
    USER_EDIT_URL,
    USERS_URL,
    HeldRequests,
    assert_not_reloaded,
    mark_page,
    open_edit_form,
    search,
    user_count,
    user_row,
    user_rows,
    usernames,
)

pytestmark = pytest.mark.browser


def test_search_shows_only_the_matches_after_the_debounce(open_panel):
    page = open_panel("br_staff")
    mark_page(page)
    searches = []

    def count_searches(request):
        if request.method == "POST" and "event=search" in (request.post_data or ""):
            searches.append(request)

    page.on("request", count_searches)

    # Typed key by key faster than the 400 ms debounce: far fewer requests than keys.
    page.get_by_test_id("user-search").press_sequentially("quokka", delay=30)
    expect(user_count(page)).to_have_text("3")
    expect(user_rows(page)).to_have_count(3)
    assert sorted(usernames(page)) == ["quokka.one", "quokka.two", "third.user"]
    expect(user_row(page, "third.user").get_by_test_id("user-email")).to_have_text(
        "third@quokka.example.org"
    )
    assert 1 <= len(searches) < len("quokka")
    page.remove_listener("request", count_searches)

    search(page, "no-such-user-anywhere", 0)
    expect(page.get_by_test_id("user-list-empty")).to_be_visible()
    assert_not_reloaded(page)


def test_next_and_prev_change_the_rows_and_the_page_number(open_panel, page_count):
    page = open_panel("br_staff")
    pages = page_count()
    assert pages >= 3
    number = page.get_by_test_id("page-number")
    expect(number).to_have_text("1")
    expect(page.get_by_test_id("page-count")).to_have_text(str(pages))
    expect(page.get_by_test_id("page-prev")).to_be_disabled()
    first_page = usernames(page)

    page.get_by_test_id("page-next").click()
    expect(number).to_have_text("2")
    second_page = usernames(page)
    assert second_page
    assert not set(first_page) & set(second_page)

    page.get_by_test_id("page-next").click()
    expect(number).to_have_text("3")
    assert not set(usernames(page)) & set(second_page)

    page.get_by_test_id("page-prev").click()
    expect(number).to_have_text("2")
    assert usernames(page) == second_page

    page.get_by_test_id("page-prev").click()
    expect(number).to_have_text("1")
    assert usernames(page) == first_page
    expect(page.get_by_test_id("page-prev")).to_be_disabled()


def test_toggle_flips_the_badge_without_reloading_the_page(open_panel, server_db):
    page = open_panel("br_staff")
    search(page, "br_toggle", 1)
    mark_page(page)
    row = user_row(page, "br_toggle")
    expect(row.get_by_test_id("user-status-active")).to_be_visible()

    with page.expect_response(USERS_URL) as response:
        row.get_by_test_id("toggle-status").click()
    assert response.value.status == 200
    expect(row.get_by_test_id("user-status-inactive")).to_be_visible()
    expect(row.get_by_test_id("user-status-active")).to_have_count(0)
    expect(page.get_by_test_id("user-list-notice")).to_be_visible()
    assert_not_reloaded(page)
    assert server_db.user("br_toggle")["is_active"] is False

    row.get_by_test_id("toggle-status").click()
    expect(row.get_by_test_id("user-status-active")).to_be_visible()
    assert_not_reloaded(page)
    assert server_db.user("br_toggle")["is_active"] is True


def test_edit_form_opens_inline_and_saves_the_new_email(open_panel, server_db):
    page = open_panel("br_staff")
    form = open_edit_form(page, "br_edit")
    mark_page(page)
    expect(form.get_by_test_id("edit-first_name")).to_have_value("Eddie")
    form.get_by_test_id("edit-email").fill("eddie.new@example.com")

    held = HeldRequests(page, USER_EDIT_URL)
    with page.expect_request(USER_EDIT_URL):
        form.get_by_test_id("save-user").click()
    # The optimistic "Saving…" shows while the request is held on its way to the server.
    expect(form.get_by_test_id("edit-saving")).to_be_visible()
    expect(user_row(page, "br_edit").get_by_test_id("user-email")).to_have_text(
        "br_edit@example.com"
    )
    held.release()

    expect(form.get_by_test_id("edit-saved")).to_be_visible()
    expect(form.get_by_test_id("edit-saving")).to_be_hidden()
    expect(user_row(page, "br_edit").get_by_test_id("user-email")).to_have_text(
        "eddie.new@example.com"
    )
    assert_not_reloaded(page)
    saved = server_db.user("br_edit")
    assert saved["email"] == "eddie.new@example.com"
    assert saved["first_name"] == "Eddie"


def test_invalid_email_shows_the_error_next_to_the_field_and_saves_nothing(open_panel, server_db):
    page = open_panel("br_staff")
    before = server_db.user("br_invalid")
    form = open_edit_form(page, "br_invalid")
    form.get_by_test_id("edit-email").fill("not-an-email")
    form.get_by_test_id("save-user").click()

    error = form.get_by_test_id("edit-email-error")
    expect(error).not_to_be_empty()
    email = form.get_by_test_id("edit-email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("not-an-email")
    # Next to its field: inside the same field box as the input, named by it.
    field = form.locator(".field").filter(has=page.get_by_test_id("edit-email"))
    expect(field.get_by_test_id("edit-email-error")).to_be_visible()
    expect(email).to_have_attribute("aria-describedby", error.get_attribute("id") or "")
    expect(form.get_by_test_id("edit-saved")).to_have_count(0)
    expect(user_row(page, "br_invalid").get_by_test_id("user-email")).to_have_text(before["email"])
    assert server_db.user("br_invalid") == before
