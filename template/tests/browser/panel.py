"""What the browser tests do on the panel page, in the words of its user interface.

Elements are found by their `data-testid` (Playwright's `get_by_test_id`) or by role, never
by their English copy, so a team can reword its pages; text is matched only where it is data
the tests made (a username, an email). Waits are Playwright's auto-waiting `expect(...)`,
bounded by `TIMEOUT`.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, Route, expect

#: Upper bound (ms) of every wait: a page action, a server round trip, a WebSocket push.
TIMEOUT = 10_000

#: Runs in every page before its scripts: counts the WebSocket connections htmx opens, and
#: reports each Content-Security-Policy violation to the test (`reportCspViolation`).
INIT_SCRIPT = """
window.__cfSocketsOpened = 0;
document.addEventListener("htmx:wsOpen", () => { window.__cfSocketsOpened += 1; }, true);
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile || document.URL}:${e.lineNumber}`;
  window.reportCspViolation?.(`${e.effectiveDirective} blocked ${e.blockedURI} (${where})`);
}, true);
"""

USERS_URL = "**/admin-panel/components/users/"
USER_EDIT_URL = "**/admin-panel/components/user-edit/"
#: The class htmx gives the element whose request is on its way.
IN_FLIGHT = re.compile(r"\bhtmx-request\b")


def log_in(page: Page, username: str, password: str) -> None:
    """Fill and send the login form (the page is wherever the login link leads)."""
    if "/accounts/login/" not in page.url:
        page.goto("/accounts/login/?next=/admin-panel/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def mark_page(page: Page) -> None:
    """Set a marker that only survives as long as the document is not reloaded."""
    page.evaluate("window.__notReloaded = 'still here'")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__notReloaded") == "still here", "the page was reloaded"


def wait_for_socket(page: Page) -> None:
    """Wait until the page's WebSocket is open (htmx's `htmx:wsOpen`).

    The predicate is an arrow function: Playwright evaluates it once and polls the function,
    where a plain expression would be evaluated again on every poll with `eval`, which the
    page's Content-Security-Policy refuses.
    """
    page.wait_for_function("() => window.__cfSocketsOpened > 0", timeout=TIMEOUT)


def user_count(page: Page) -> Locator:
    """The number of users the table says it found."""
    return page.get_by_test_id("user-count-number")


def user_rows(page: Page) -> Locator:
    return page.get_by_test_id("user-list").get_by_test_id("user-row")


def usernames(page: Page) -> list[str]:
    """The usernames shown in the table, top to bottom."""
    names = user_rows(page).get_by_test_id("user-username").all_inner_texts()
    return [name.strip() for name in names]


def user_row(page: Page, username: str) -> Locator:
    """The table row of `username` (exact match on the username cell)."""
    name = page.get_by_test_id("user-username").get_by_text(username, exact=True)
    return user_rows(page).filter(has=name)


def search(page: Page, term: str, expected_count: int) -> None:
    """Enter a search term and wait until the table shows `expected_count` users.

    Enter sends the search at once (the box's `search` event) rather than after the typing
    pause the box waits for; test_user_table.py checks that pause itself. Should the pause
    end first all the same, a second search follows: the wait lasts until none is on its way
    (htmx marks the box with `htmx-request` meanwhile), so no late answer replaces the table
    under the test's next step.
    """
    box = page.get_by_test_id("user-search")
    box.fill(term)
    box.press("Enter")
    expect(user_count(page)).to_have_text(str(expected_count))
    expect(user_rows(page)).to_have_count(expected_count)
    expect(box).not_to_have_class(IN_FLIGHT)


def open_edit_form(page: Page, username: str) -> Locator:
    """Search for `username`, press its Edit button; the inline form that opens."""
    search(page, username, 1)
    row = user_row(page, username)
    user_id = row.get_attribute("data-user-id")
    row.get_by_test_id("edit-user").click()
    form = page.locator(f"#user-edit-slot-{user_id}").get_by_test_id("user-edit")
    expect(form.get_by_test_id("edit-username")).to_have_value(username)
    # htmx moves the focus to the first field after the swap settles: wait for it, or it can
    # land in the middle of typing into another field.
    expect(form.get_by_test_id("edit-username")).to_be_focused()
    return form


def csrf_token(page: Page) -> str:
    """The CSRF token of the page's session (the cookie Django set)."""
    cookies = page.context.cookies()
    return next(c["value"] for c in cookies if c["name"] == "csrftoken")


class HeldRequests:
    """Holds the requests to `url` until released, to look at the page while they fly."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.routes: list[Route] = []
        self.released = False
        page.route(url, self._hold)

    def _hold(self, route: Route, *_: Any) -> None:
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        """Let the held requests go (and any that arrive later), then stop holding."""
        self.released = True
        while self.routes:
            self.routes.pop(0).continue_()
        self.page.unroute(self.url, self._hold)


CLIPPED_JS = """selector => {
  const clipped = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width) continue;
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === "visible") continue;
      const frame = up.getBoundingClientRect();
      if (box.left < frame.left - 1 || box.right > frame.right + 1) {
        clipped.push(el.textContent.trim().replace(/\\s+/g, " "));
        break;
      }
    }
  }
  return clipped;
}"""


def clipped(page: Page, selector: str) -> list[str]:
    """Texts of the elements matching `selector` that a scroll box cuts off sideways."""
    return list(page.evaluate(CLIPPED_JS, selector))
