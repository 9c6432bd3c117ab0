"""A model panel end to end in Chromium: create, search, edit with an inline error, history,
and a second browser seeing the edited row change live."""

import secrets
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from .panel import TIMEOUT, assert_not_reloaded, mark_page, wait_for_socket

pytestmark = pytest.mark.browser

LIST = "/admin-panel/admin_panel/subscription/"


def rows(page: Page):
    return page.get_by_test_id("model-list").get_by_test_id("panel-row")


def search_panel(page: Page, term: str, expected: int) -> None:
    page.get_by_test_id("panel-search").fill(term)
    expect(page.get_by_test_id("panel-count-number")).to_have_text(str(expected))
    expect(rows(page)).to_have_count(expected)


def test_create_search_edit_and_see_it_live_elsewhere(pages, server_db):
    plan = f"plan-{secrets.token_hex(4)}"
    owner = server_db.user("br_edit")["id"]

    page = pages.page("admin")
    page.goto(LIST)
    expect(page.get_by_test_id("model-list")).to_be_visible()
    page.get_by_test_id("panel-add").click()
    page.get_by_test_id("input-user").fill(str(owner))
    page.get_by_test_id("input-plan").fill(plan)
    page.get_by_test_id("input-monthly_amount").fill("12.50")
    page.get_by_test_id("input-created").fill("2026-01-15T10:00:00")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("form-saved")).to_be_visible()
    saved = server_db.rows(
        "SELECT id, monthly_amount FROM admin_panel_subscription WHERE plan = %s", plan
    )
    assert len(saved) == 1
    pk = saved[0][0]

    # A second browser window watches the list, searched down to the new row.
    watcher = page.context.new_page()
    watcher.goto(LIST)
    wait_for_socket(watcher)
    mark_page(watcher)
    search_panel(watcher, plan, 1)

    page.goto(f"{LIST}{pk}/")
    page.get_by_test_id("input-monthly_amount").fill("not a number")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("error-monthly_amount")).to_be_visible()
    page.get_by_test_id("input-monthly_amount").fill("99.00")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("form-saved")).to_be_visible()
    amount = server_db.scalar(
        "SELECT monthly_amount FROM admin_panel_subscription WHERE id = %s", pk
    )
    assert Decimal(str(amount)) == Decimal("99")

    row = rows(watcher).first
    expect(row.get_by_test_id("panel-cell").nth(3)).to_have_text("99.00", timeout=TIMEOUT)
    assert_not_reloaded(watcher)

    page.get_by_test_id("form-history").click()
    expect(page.get_by_test_id("history-entry")).to_have_count(2)


def test_staff_without_the_permission_see_no_entry(open_panel):
    page = open_panel("br_staff")
    expect(page.get_by_test_id("panel-nav")).to_be_visible()
    expect(page.get_by_test_id("nav-admin_panel.subscription")).to_have_count(0)
    response = page.goto(LIST)
    assert response is not None and response.status == 403
