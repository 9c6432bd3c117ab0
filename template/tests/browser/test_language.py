"""The panel in the browser's language: a German browser gets German pages, German numbers
and dates, and live feed entries in German while an English browser gets them in English.

No assertion reads the pages' wording: the language is checked through `<html lang>`, number
and date formats, and by comparing renderings of the same entry.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PASSWORDS
from .panel import INIT_SCRIPT, TIMEOUT, USERS_URL, log_in, search, user_row, wait_for_socket
from .test_accessibility import severe_violations

pytestmark = pytest.mark.browser

GERMAN_MONEY = re.compile(r"^\d{1,3}(\.\d{3})*,\d{2}$")
GERMAN_DATE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


def test_a_german_browser_gets_the_panel_in_german(browser, panel_server, open_panel):
    context = browser.new_context(base_url=panel_server.url, viewport=DESKTOP, locale="de-DE")
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(INIT_SCRIPT)
    try:
        german = context.new_page()
        german.goto("/accounts/login/?next=/admin-panel/")
        expect(german.locator("html")).to_have_attribute("lang", "de")
        log_in(german, "br_watcher", PASSWORDS["br_watcher"])
        expect(german.get_by_test_id("user-list")).to_be_visible()
        expect(german.locator("html")).to_have_attribute("lang", "de")
        assert severe_violations(german) == []

        joined = german.get_by_test_id("user-row").first.locator("time")
        expect(joined).to_have_text(GERMAN_DATE)
        if german.get_by_test_id("kpi-mrr-value").count():
            expect(german.get_by_test_id("kpi-mrr-value")).to_have_text(GERMAN_MONEY)

        if german.get_by_test_id("audit-feed").count():
            wait_for_socket(german)
            english = open_panel("br_staff")
            expect(english.locator("html")).to_have_attribute("lang", "en")
            wait_for_socket(english)
            search(english, "quokka.one", 1)
            newest = german.get_by_test_id("audit-entry").first
            before = newest.get_attribute("id")
            for _ in range(2):  # deactivate and activate again
                with english.expect_response(USERS_URL):
                    user_row(english, "quokka.one").get_by_test_id("toggle-status").click()
            expect(newest).not_to_have_attribute("id", before or "")
            entry_id = newest.get_attribute("id")
            live_german = german.locator(f"#{entry_id}").inner_text()
            live_english = english.locator(f"#{entry_id}").inner_text()
            german.reload()
            assert german.locator(f"#{entry_id}").inner_text() == live_german
            assert live_german != live_english
    finally:
        context.close()
