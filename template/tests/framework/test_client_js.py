"""component-client.js: size budget, and its behaviour in Chromium (Playwright)."""

import gzip
import json
import os
import time
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import sync_playwright

from ..chromium import launch

SCRIPT = Path(__file__).parents[2] / "component_framework/static/component_framework"
CLIENT_JS = SCRIPT / "component-client.js"


def gzipped(path: str | Path) -> int:
    return len(gzip.compress(Path(path).read_bytes(), compresslevel=9))


def test_all_javascript_on_a_page_is_at_most_25_kb_gzipped():
    files = [
        finders.find("django_htmx/htmx-2.min.js"),
        finders.find("django_htmx/ext/hx-ws-2.min.js"),
        finders.find("component_framework/component-client.js"),
    ]
    sizes = [gzipped(path) for path in files]
    print(f"page JavaScript gzipped: {sizes} = {sum(sizes)} bytes")
    assert sum(sizes) <= 25 * 1024


def test_client_never_inserts_html():
    source = CLIENT_JS.read_text()
    for sink in ("innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source


def test_client_uses_only_public_htmx_api_and_reads_no_cookie():
    source = CLIENT_JS.read_text()
    for private in ("defineExtension", "document.cookie", "csrftoken"):
        assert private not in source


# -- in the browser ------------------------------------------------------------------------

FAKE_SOCKET = """
window.sockets = [];
window.sent = [];
document.addEventListener("DOMContentLoaded", () => {
  htmx.createWebSocket = function (url) {
    const socket = {
      url, readyState: 0, OPEN: 1, listeners: {},
      send(message) { window.sent.push(message); },
      close() {},
      addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); },
      emit(type, event) { (this.listeners[type] || []).forEach((fn) => fn(event)); },
    };
    window.sockets.push(socket);
    setTimeout(() => { socket.readyState = 1; socket.onopen && socket.onopen({}); }, 0);
    return socket;
  };
}, { capture: true });
"""


@pytest.fixture(scope="module")
def shared_page(chromium_executable):
    """One page for the module, navigated afresh by each test (a new one costs a process)."""
    # Playwright's sync API keeps an event loop in this thread; Django's ORM (test
    # database setup and flush, run here) would otherwise refuse to run beside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright, chromium_executable)
            context = browser.new_context()
            context.add_init_script(FAKE_SOCKET)
            yield context.new_page()
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(shared_page, live_server, settings):
    settings.ROOT_URLCONF = "tests.framework.urls"
    shared_page.base = live_server.url
    yield shared_page
    shared_page.unroute_all(behavior="ignoreErrors")


class Held:
    """Holds component requests until released, to look at the page mid-flight."""

    def __init__(self, page):
        self.page = page
        self.routes = []
        self.requests = []
        page.route("**/t/browser/", self.hold)

    def hold(self, route):
        self.requests.append(route.request)
        self.routes.append(route)

    def release(self):
        """Let the oldest held request go, once it is held: Playwright hands a route to
        `hold` while it waits for the page, which may be after the click that sent it."""
        deadline = time.monotonic() + 10
        while not self.routes:
            assert time.monotonic() < deadline, "no request to /t/browser/ was held"
            self.page.wait_for_timeout(20)
        self.routes.pop(0).continue_()


# Every `wait_for_function` predicate is an arrow function: Playwright evaluates it once, and
# polls the function it got. A plain expression is evaluated again on every poll with
# `eval`, which the page's Content-Security-Policy refuses.
def open_page(page):
    page.goto(page.base + "/t/page/")
    page.wait_for_function("() => window.htmx && window.sent.length > 0")
    return page.locator("[data-cf-state]")


pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_event_carries_token_and_csrf_header_and_swaps(page, settings):
    # The header comes from the page (hx-headers), whatever the cookie is called.
    settings.CSRF_COOKIE_NAME = "panel_csrf"
    root = open_page(page)
    token = root.get_attribute("data-cf-state")
    with page.expect_request("**/t/browser/") as request_info:
        page.click("button.add")
    request = request_info.value
    assert request.headers["x-csrftoken"]
    assert "state=" + token.replace(":", "%3A") in request.post_data
    page.wait_for_selector(".count:text('1')")
    assert root.get_attribute("data-cf-state") != token


@pytest.mark.django_db(transaction=True)
def test_error_restores_the_exact_dom_and_shows_text(page):
    root = open_page(page)
    before = root.evaluate("el => el.outerHTML")
    held = Held(page)
    page.click("button.fail")
    page.wait_for_function("() => document.querySelector('.label').textContent === 'Saving...'")
    assert page.is_visible(".spinner")
    held.release()
    page.wait_for_function("() => document.querySelector('[data-cf-error]').textContent !== ''")
    assert page.text_content("[data-cf-error]") == "That row is gone."
    after = root.evaluate(
        "el => { const c = el.cloneNode(true);"
        " c.querySelector('[data-cf-error]').textContent = ''; return c.outerHTML; }"
    )
    assert after == before
    assert page.text_content(".label") == "Idle"


@pytest.mark.django_db(transaction=True)
def test_refusal_stays_inline_with_django_htmx_debug_helper(page, settings):
    # With DEBUG on, {% htmx_script %} adds django-htmx's helper, which replaces the whole
    # document with any 4xx body; a component's JSON refusal must still show inline.
    settings.DEBUG = True
    root = open_page(page)
    assert page.locator("script[src*='django-htmx']").count() == 1
    page.click("button.fail")
    page.wait_for_function("() => document.querySelector('[data-cf-error]').textContent !== ''")
    assert page.text_content("[data-cf-error]") == "That row is gone."
    assert page.title() == "component-client test page"
    assert root.count() == 1


@pytest.mark.django_db(transaction=True)
def test_json_error_is_shown_as_text_never_html(page):
    open_page(page)
    page.click("button.evil")
    page.wait_for_function("() => document.querySelector('[data-cf-error]').textContent !== ''")
    assert "<img src=x onerror=window.pwned=1>" in page.text_content("[data-cf-error]")
    assert page.locator("[data-cf-error] img").count() == 0
    assert page.evaluate("window.pwned") is None


@pytest.mark.django_db(transaction=True)
def test_one_request_per_component_at_a_time(page):
    root = open_page(page)
    assert root.get_attribute("hx-sync") == "this:queue all"
    held = Held(page)
    for _ in range(3):
        page.click("button.add")
    page.wait_for_function("() => document.querySelector('.label').textContent === 'Saving...'")
    assert len(held.requests) == 1  # htmx holds the others back until the response
    held.release()
    page.wait_for_selector(".count:text('1')")
    page.unroute("**/t/browser/")
    # The events queued on the replaced buttons are not sent; the component is not left
    # busy: the next event goes out with the new token.
    page.click("button.add")
    page.wait_for_selector(".count:text('2')")
    assert len(held.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_response_for_a_root_that_left_the_page_is_discarded(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    open_page(page)
    page.evaluate(
        "() => document.addEventListener('cf:discard', (e) => { window.discarded = e.detail.id; })"
    )
    held = Held(page)
    page.click("button.add")
    page.evaluate(
        "() => { const root = document.querySelector('[data-cf-state]');"
        " const pushed = root.cloneNode(true);"
        " pushed.querySelector('.count').textContent = 'pushed';"
        " pushed.querySelectorAll('.htmx-request')"
        ".forEach(e => e.classList.remove('htmx-request'));"
        " root.replaceWith(pushed); htmx.process(pushed); }"
    )
    with page.expect_response("**/t/browser/"):
        held.release()
    page.wait_for_function("() => window.discarded !== undefined")
    assert page.evaluate("window.discarded") == page.get_attribute("[data-cf-state]", "data-cf-id")
    # The component is not left busy: the next event goes out (and is applied).
    with page.expect_request("**/t/browser/"):
        page.click("button.add")
    assert page.text_content(".count") == "pushed"
    held.release()
    page.wait_for_selector(".count:text('1')")
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_resume_is_sent_on_every_open_and_lists_are_trimmed(page):
    open_page(page)
    assert json.loads(page.evaluate("window.sent[0]")) == {"type": "resume", "last_id": 12}
    page.evaluate(
        "() => window.sockets[0].emit('message', {data:"
        ' \'<ul id="rows" hx-swap-oob="afterbegin">'
        '<li data-cf-item="20">20</li><li data-cf-item="21">21</li></ul>\'})'
    )
    page.wait_for_function("() => document.querySelectorAll('#rows li').length === 3")
    assert page.eval_on_selector_all("#rows li", "els => els.map(e => e.textContent)") == [
        "20",
        "21",
        "7",
    ]
    page.evaluate("() => window.sockets[0].onclose({code: 1006})")
    page.wait_for_function("() => window.sent.length === 2", timeout=10_000)
    assert json.loads(page.evaluate("window.sent[1]")) == {"type": "resume", "last_id": 21}
