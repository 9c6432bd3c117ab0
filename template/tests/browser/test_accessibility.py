"""Every panel page passes axe-core with no serious or critical violation, in the light and
the dark colour scheme (axe checks the contrast of each), and announces what changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.template.loader import render_to_string
from playwright.sync_api import Page, Route, expect

from .panel import log_in, open_edit_form
from .server import FAILURE_LIMIT

pytestmark = pytest.mark.browser

SEVERE = frozenset({"serious", "critical"})
SCHEMES = ("light", "dark")
#: Pages no browser action reaches on a healthy server: rendered here by Django and served
#: under the server's own origin (so the page loads its stylesheet from the server).
ERROR_PAGES = ("400", "403", "500", "503")

#: A model panel with filters, bulk actions and rows (the demo data's subscriptions).
MODEL_PANEL = "/admin-panel/admin_panel/subscription/"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default).

    axe-core is put into a loaded document once, then runs there as often as asked: the
    scans of both colour schemes share it (it is half a megabyte of script to send and parse).
    """
    if not page.evaluate("() => typeof window.axe?.run === 'function'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate("() => axe.run({resultTypes: ['violations']})")["violations"]


def severe_violations(page: Page, color_scheme: str = "null") -> list[str]:
    """The serious and critical axe-core violations of the page, one line each.

    Scanned without animations (reduced motion): a row fading in would be measured at half
    its contrast. The page's media emulation is reset afterwards (shared pages)."""
    page.emulate_media(color_scheme=color_scheme, reduced_motion="reduce")
    try:
        violations = axe_violations(page)
    finally:
        page.emulate_media(color_scheme="null", reduced_motion="null")
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in SEVERE
    ]


def serve(html: str) -> Callable[[Route], None]:
    """A route handler answering with `html`."""

    def fulfill(route: Route) -> None:
        route.fulfill(content_type="text/html", body=html)

    return fulfill


class Scanner:
    """Scans pages in both colour schemes and collects what fails, by page and scheme."""

    def __init__(self) -> None:
        self.failures: dict[str, list[str]] = {}

    def scan(self, page: Page, name: str) -> None:
        for scheme in SCHEMES:
            found = severe_violations(page, scheme)
            if found:
                self.failures[f"{name}, {scheme}"] = found


def test_every_panel_page_passes_axe_in_light_and_dark(
    pages, open_panel, visitor, panel_server, server_db
):
    scanner = Scanner()

    page = open_panel("br_staff")  # user table, live audit feed, key metrics
    scanner.scan(page, "panel")
    form = open_edit_form(page, "br_invalid")
    form.get_by_test_id("edit-email").fill("not-an-email")
    form.get_by_test_id("save-user").click()
    expect(form.get_by_test_id("edit-email-error")).to_be_visible()
    scanner.scan(page, "panel with the edit form and its errors")
    page.goto("/admin-panel/no-such-page/")
    scanner.scan(page, "404")

    # A model panel: its list with filters and bulk actions, a new object's form with an
    # error, and (once saved) the object's history.
    admin = pages.page("admin")
    admin.goto(MODEL_PANEL)
    expect(admin.get_by_test_id("panel-row").first).to_be_visible()
    scanner.scan(admin, "model panel list")
    admin.goto(MODEL_PANEL + "add/")
    admin.get_by_test_id("input-monthly_amount").fill("not a number")
    admin.get_by_test_id("form-save").click()
    expect(admin.get_by_test_id("error-monthly_amount")).to_be_visible()
    scanner.scan(admin, "model panel form with errors")
    admin.get_by_test_id("input-user").fill(str(server_db.user("br_staff")["id"]))
    admin.get_by_test_id("input-plan").fill("a11y")
    admin.get_by_test_id("input-monthly_amount").fill("1.00")
    admin.get_by_test_id("form-save").click()
    admin.get_by_test_id("form-history").click()
    expect(admin.get_by_test_id("history-entry")).to_have_count(1)
    scanner.scan(admin, "model panel history")

    for code in ERROR_PAGES:
        visitor.route(f"**/error-page-{code}/", serve(render_to_string(f"{code}.html")))
        visitor.goto(f"/error-page-{code}/")
        scanner.scan(visitor, code)

    visitor.goto("/accounts/login/")
    scanner.scan(visitor, "login")
    panel_server.reset_lockouts()  # failures other tests left count for this address too
    try:
        log_in(visitor, "a11y_nobody", "not-the-password")
        expect(visitor.get_by_test_id("login-error")).to_be_visible()
        scanner.scan(visitor, "login with its error")
        for _ in range(FAILURE_LIMIT - 1):
            log_in(visitor, "a11y_nobody", "not-the-password")
        expect(visitor.get_by_test_id("lockout")).to_be_visible()
        scanner.scan(visitor, "lockout")
    finally:
        panel_server.reset_lockouts()

    assert scanner.failures == {}


def test_changes_are_announced_and_errors_name_their_fields(open_panel):
    page = open_panel("br_staff")
    expect(page.get_by_test_id("user-count")).to_have_attribute("aria-live", "polite")
    if page.get_by_test_id("audit-feed-list").count():
        expect(page.get_by_test_id("audit-feed-list")).to_have_attribute("aria-live", "polite")

    form = open_edit_form(page, "br_invalid")
    form.get_by_test_id("edit-email").fill("not-an-email")
    form.get_by_test_id("save-user").click()
    email = form.get_by_test_id("edit-email")
    expect(email).to_have_attribute("aria-invalid", "true")
    error_id = form.get_by_test_id("edit-email-error").get_attribute("id")
    expect(email).to_have_attribute("aria-describedby", error_id or "missing")
    expect(form.get_by_test_id("edit-errors")).to_have_attribute("role", "alert")
