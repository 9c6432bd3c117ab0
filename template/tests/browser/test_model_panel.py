"""A model panel end to end in Chromium: create, search, edit with an inline error, history,
and a second browser seeing the edited row change live."""

import re
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


def test_filter_bulk_action_with_confirmation_and_export(pages, server_db):
    page = pages.page("admin")
    page.goto(LIST + "?status=active&o=-monthly_amount")
    expect(page.get_by_test_id("filter-status")).to_have_value("active")
    first = rows(page).first
    pk = int(first.get_attribute("data-pk") or 0)
    first.get_by_test_id("panel-select").check()
    page.get_by_test_id("panel-action").select_option("cancel")
    page.get_by_test_id("panel-action-go").click()

    # The confirmation step names the object and changes nothing yet.
    expect(page.get_by_test_id("confirm-object")).to_have_count(1)
    status = "SELECT status FROM admin_panel_subscription WHERE id = %s"
    assert server_db.scalar(status, pk) == "active"
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("panel-notice")).to_be_visible()
    assert server_db.scalar(status, pk) == "cancelled"

    page.get_by_test_id("filter-status").select_option("cancelled")
    expect(page.get_by_test_id("panel-export")).to_have_attribute(
        "href", re.compile(r"status=cancelled")
    )
    with page.expect_download() as download:
        page.get_by_test_id("panel-export").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert len(lines) > 1
    assert all(",Cancelled," in line for line in lines[1:])
