"""Fixtures of the browser tests: the ASGI server, Chromium, and signed-in pages.

Everything here lives for the `tests/browser` package only (package scope): Playwright's
sync API keeps an event loop in this thread while it runs, and it is stopped before any
other test package (which may use Django's database in this thread) starts. Only the
server's process starts earlier, right after collection, so it prepares its database while
the other tests run.
"""

from __future__ import annotations

import math
import secrets
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from ..chromium import CHROMIUM, launch
from .panel import INIT_SCRIPT, TIMEOUT, log_in
from .server import Account, Database, PanelServer

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
    Account("br_zone", "br_zone@example.com"),
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


def demo_users() -> int:
    """Enough demo users for three pages whatever page size the project was rendered with."""
    return max(300, 2 * settings.ADMIN_PANEL_PAGE_SIZE + 10)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the server as soon as the run is known to drive a browser.

    It prepares its database (migrations, static files, demo data) in its own process while
    the tests before the browser tests run; `panel_server` waits for it. Not started for
    `--collect-only`, after a collection error, or when the browser tests will be skipped
    (no browser, none selected). Stopped and dropped when the browser tests are done, or at
    the end of the run whatever ends it (a failure with `-x`, Ctrl-C).
    """
    config = session.config
    if config.option.collectonly or session.testsfailed:
        return
    if not isinstance(config.stash.get(CHROMIUM, None), Path):
        return
    if not any(item.get_closest_marker("browser") for item in session.items):
        return
    work_dir = Path(tempfile.mkdtemp(prefix="browser-tests-"))
    server = PanelServer(work_dir)
    session.browser_panel_server = server  # type: ignore[attr-defined]

    def close() -> None:
        server.close()
        shutil.rmtree(work_dir, ignore_errors=True)

    config.add_cleanup(close)
    server.launch(ACCOUNTS, demo_users())


@pytest.fixture(scope="package")
def panel_server(request: pytest.FixtureRequest) -> Iterator[PanelServer]:
    """The project's ASGI server on a fresh database with demo data and the test accounts."""
    server = getattr(request.session, "browser_panel_server", None)
    assert isinstance(server, PanelServer), "pytest_collection_finish starts the server"
    try:
        request.getfixturevalue("browser")  # Chromium starts while the server prepares
        server.wait_until_up()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="package")
def server_db(panel_server: PanelServer) -> Database:
    """Read access to the server's database (to check what was saved)."""
    return panel_server.database


@pytest.fixture(scope="package")
def browser(chromium_executable: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium_executable)
        yield browser
        browser.close()


class Pages:
    """The browser's pages for the whole package: one per user, reused test after test.

    Each user has one context (their cookies: a session opened through the login form once)
    and one page in it, which every test navigates afresh: a new page would cost Chromium
    a renderer process each time. `None` is a visitor who is not signed in (cookies cleared
    for each test). After each test `reset()` removes the routes it set and closes the pages
    it opened besides, and returns the script errors seen meanwhile.
    """

    def __init__(self, browser: Browser, server: PanelServer) -> None:
        self.browser = browser
        self.server = server
        self.contexts: dict[str | None, BrowserContext] = {}
        self.kept: dict[str | None, Page] = {}
        self.errors: list[str] = []

    def page(self, username: str | None) -> Page:
        """The page of `username` (None: a visitor), opened and signed in on first use."""
        if username not in self.contexts:
            context = self.contexts[username] = self.new_context()
            if username is not None:
                page = self.kept[username] = context.new_page()
                log_in(page, username, PASSWORDS[username])
                expect(page).to_have_url(f"{self.server.url}/admin-panel/")
        page = self.kept.get(username)
        if page is None or page.is_closed():
            page = self.kept[username] = self.contexts[username].new_page()
        return page

    def new_context(self, **options: Any) -> BrowserContext:
        """A fresh context whose script errors fail the test, with Playwright's `options`
        (`timezone_id`, `locale`, ...); the caller closes it."""
        context = self.browser.new_context(base_url=self.server.url, viewport=DESKTOP, **options)
        context.set_default_timeout(TIMEOUT)
        context.expose_function("reportCspViolation", self.report_violation)
        context.add_init_script(INIT_SCRIPT)
        context.on("page", self.watch)
        return context

    def report_violation(self, violation: str) -> None:
        self.errors.append(f"Content-Security-Policy violation: {violation}")

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    def reset(self) -> list[str]:
        """Undo what a test left behind; the script errors and policy violations it caused."""
        for context in self.contexts.values():
            context.unroute_all(behavior="ignoreErrors")
            for page in context.pages:
                if page in self.kept.values():
                    page.unroute_all(behavior="ignoreErrors")
                else:
                    page.close()
        errors, self.errors = self.errors, []
        return errors

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="package")
def package_pages(browser: Browser, panel_server: PanelServer) -> Iterator[Pages]:
    pages = Pages(browser, panel_server)
    yield pages
    pages.close()


@pytest.fixture
def pages(package_pages: Pages) -> Iterator[Pages]:
    """The shared pages, reset after the test; a script error in any of them fails it."""
    yield package_pages
    errors = package_pages.reset()
    assert not errors, f"JavaScript errors or Content-Security-Policy violations: {errors}"


@pytest.fixture
def visitor(pages: Pages) -> Page:
    """A page of someone who is not signed in (no cookies), on a blank document."""
    page = pages.page(None)
    page.context.clear_cookies()
    page.goto("about:blank")
    return page


@pytest.fixture
def open_panel(pages: Pages) -> Callable[..., Page]:
    """open_panel("br_staff") -> the panel, freshly loaded in that user's signed-in page."""

    def open_(username: str) -> Page:
        page = pages.page(username)
        page.set_viewport_size(DESKTOP)  # a test may have resized it
        page.goto("/admin-panel/")
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
