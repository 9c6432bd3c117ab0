"""Fixtures of the browser tests: the ASGI server, Chromium, and signed-in pages.

Everything here lives for the `tests/browser` package only (package scope): Playwright's
sync API keeps an event loop in this thread while it runs, and it is stopped before any
other test package (which may use Django's database in this thread) starts.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .panel import INIT_SCRIPT, TIMEOUT, log_in
from .server import Account, Database, PanelServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}

expect.set_options(timeout=TIMEOUT)


def _password() -> str:
    return secrets.token_urlsafe(16)


# Accounts that log in get a password; the others are rows to search, toggle and edit.
ACCOUNTS = [
    Account("admin", "admin@example.com", _password(), is_staff=True, is_superuser=True),
    Account("br_staff", "br_staff@example.com", _password(), is_staff=True),
    Account("br_watcher", "br_watcher@example.com", _password(), is_staff=True),
    Account("br_plain", "br_plain@example.com", _password()),
    Account("quokka.one", "one@example.com"),
    Account("quokka.two", "two@example.com"),
    Account("third.user", "third@quokka.example.org"),
    Account("br_toggle", "br_toggle@example.com"),
    Account("br_edit", "br_edit@example.com", first_name="Eddie"),
    Account("br_invalid", "br_invalid@example.com"),
    Account("br_role", "br_role@example.com"),
    Account("br_feed", "br_feed@example.com"),
    Account("br_missed", "br_missed@example.com", first_name="Before"),
    Account("br_locked", "br_locked@example.com", _password()),
]
PASSWORDS = {a.username: a.password for a in ACCOUNTS if a.password}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test's report ends with the server's last log lines."""
    report = yield
    server = getattr(item.session, "browser_panel_server", None)
    if report.failed and server is not None:
        report.sections.append(("ASGI server log (last lines)", server.log_tail()))
    return report


@pytest.fixture(scope="package")
def panel_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PanelServer]:
    """The project's ASGI server on a fresh database with demo data and the test accounts."""
    server = PanelServer(tmp_path_factory.mktemp("browser"))
    request.session.browser_panel_server = server  # type: ignore[attr-defined]
    # Enough demo users for three pages whatever page size the project was rendered with.
    demo_users = max(300, 2 * settings.ADMIN_PANEL_PAGE_SIZE + 10)
    try:
        server.prepare(ACCOUNTS, demo_users)
        server.start()
        yield server
    finally:
        server.stop()
        server.cleanup()


@pytest.fixture(scope="package")
def server_db(panel_server: PanelServer) -> Database:
    """Read access to the server's database (to check what was saved)."""
    return panel_server.database


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield browser
        browser.close()


class Contexts:
    """Browser contexts of one test; closed (and checked for script errors and
    Content-Security-Policy violations) afterwards."""

    def __init__(self, browser: Browser, server: PanelServer) -> None:
        self.browser = browser
        self.server = server
        self.opened: list[BrowserContext] = []
        self.page_errors: list[str] = []
        self.csp_violations: list[str] = []

    def new(
        self, storage_state: Any = None, viewport: dict[str, int] | None = None
    ) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.server.url,
            storage_state=storage_state,
            viewport=viewport or DESKTOP,
        )
        context.set_default_timeout(TIMEOUT)
        context.expose_function("reportCspViolation", self.report_violation)
        context.add_init_script(INIT_SCRIPT)
        context.on("page", self.watch)
        self.opened.append(context)
        return context

    def report_violation(self, violation: str) -> None:
        self.csp_violations.append(violation)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Browser, panel_server: PanelServer) -> Iterator[Contexts]:
    opened = Contexts(browser, panel_server)
    yield opened
    opened.close()
    assert not opened.page_errors, f"JavaScript errors: {opened.page_errors}"
    assert not opened.csp_violations, f"Content-Security-Policy violations: {opened.csp_violations}"


@pytest.fixture(scope="package")
def signed_in(browser: Browser, panel_server: PanelServer) -> Callable[[str], Any]:
    """username -> storage state of a session opened through the login form (cached)."""
    states: dict[str, Any] = {}

    def state(username: str) -> Any:
        if username not in states:
            context = browser.new_context(base_url=panel_server.url)
            context.set_default_timeout(TIMEOUT)
            try:
                page = context.new_page()
                log_in(page, username, PASSWORDS[username])
                expect(page).to_have_url(f"{panel_server.url}/admin-panel/")
                states[username] = context.storage_state()
            finally:
                context.close()
        return states[username]

    return state


@pytest.fixture
def open_panel(contexts: Contexts, signed_in: Callable[[str], Any]) -> Callable[..., Page]:
    """open_panel("br_staff") -> a page of the panel, signed in as that user, in a new context."""

    def open_(username: str, viewport: dict[str, int] | None = None) -> Page:
        context = contexts.new(storage_state=signed_in(username), viewport=viewport)
        page = context.new_page()
        page.goto("/admin-panel/")
        expect(page.get_by_role("heading", name="Admin panel")).to_be_visible()
        expect(page.get_by_test_id("user-list")).to_be_visible()
        return page

    return open_


@pytest.fixture
def page_size() -> int:
    return int(settings.ADMIN_PANEL_PAGE_SIZE)


@pytest.fixture
def page_count(server_db: Database, page_size: int) -> Callable[[], int]:
    """Pages the unfiltered user table has now."""

    def count() -> int:
        users = server_db.scalar("SELECT COUNT(*) FROM accounts_user")
        return max(1, math.ceil(users / page_size))

    return count


@pytest.fixture(scope="package")
def project_dir() -> Path:
    return Path(settings.BASE_DIR)
