"""Test helpers: `ComponentTestCase`, `MockRenderer`, an HTTP and a WebSocket driver, fixtures.

    class TestCounter(ComponentTestCase, TestCase):
        def setUp(self):
            Counter.renderer = MockRenderer()      # restored after the test

        def test_add(self):
            counter = self.make_component(Counter)
            counter.mount()
            counter.on_add(2)
            self.assertEqual(counter.state["count"], 2)

Each test runs with an isolated cache (this process's keys deleted before and after) and
with every component class's `renderer` restored afterwards, even when `setUp` does not
call `super()`. Pytest users get the same through the `component_isolation` fixture.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client
from django.utils.crypto import get_random_string

from .core.component import Component

C = TypeVar("C", bound=Component)

_MISSING = object()
_STATE_RE = re.compile(r'\bdata-cf-state="([^"]*)"')


class MockRenderer:
    """A renderer that returns `html` (default "") and records what it was asked to render."""

    def __init__(self, html: str = "") -> None:
        self.html = html
        self.calls: list[tuple[Component, dict[str, Any]]] = []

    def render(self, component: Component, context: dict[str, Any]) -> str:
        self.calls.append((component, context))
        return self.html


# -- isolation -----------------------------------------------------------------------------


def clear_component_cache() -> None:
    """Delete this process's cache keys (never `clear()` a shared Redis)."""
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        cache.clear()


def _component_classes() -> list[type[Component]]:
    seen: list[type[Component]] = []
    pending = [Component]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                pending.append(sub)
    return seen


@contextmanager
def isolated_components() -> Iterator[None]:
    """Isolated cache and restored component `renderer` attributes for the enclosed code."""
    saved = {cls: cls.__dict__.get("renderer", _MISSING) for cls in _component_classes()}
    clear_component_cache()
    try:
        yield
    finally:
        for cls, renderer in saved.items():
            if renderer is _MISSING:
                if "renderer" in cls.__dict__:
                    delattr(cls, "renderer")
            elif cls.__dict__.get("renderer", _MISSING) is not renderer:
                cls.renderer = renderer
        clear_component_cache()


# -- HTTP driver ---------------------------------------------------------------------------


def extract_state(html: str | bytes) -> str | None:
    """The `data-cf-state` token of the first component root in `html`."""
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    match = _STATE_RE.search(text)
    return html_lib.unescape(match.group(1)) if match else None


class ComponentClient:
    """Drives `ComponentView`s as component-client.js does: CSRF header + state token.

    Uses `Client(enforce_csrf_checks=True)`, so CSRF is checked like in production.

        client = ComponentClient(user=staff)
        client.load("/components/counter/")           # GET; remembers the token
        response = client.event("/components/counter/", "add", amount="2")
    """

    def __init__(self, user: Any = None, client: Client | None = None) -> None:
        self.client = client or Client(enforce_csrf_checks=True)
        if user is not None:
            self.client.force_login(user)
        self.token: str | None = None

    @property
    def csrf_token(self) -> str:
        """The CSRF cookie's value (one is made up if no response has set it yet)."""
        cookie = self.client.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is None or not cookie.value:
            self.client.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(
                32, CSRF_ALLOWED_CHARS
            )
            cookie = self.client.cookies[settings.CSRF_COOKIE_NAME]
        return cookie.value

    def _remember(self, response: HttpResponse) -> HttpResponse:
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            self.token = extract_state(response.content) or self.token
        return response

    def load(self, url: str, data: Mapping[str, Any] | None = None) -> HttpResponse:
        """GET `url` (a first load) and remember the token it renders."""
        return self._remember(self.client.get(url, data or {}))

    def post(
        self, url: str, data: Mapping[str, Any] | None = None, csrf: bool = True
    ) -> HttpResponse:
        """POST form data with the `X-CSRFToken` header (left out with `csrf=False`)."""
        headers = {"X-CSRFToken": self.csrf_token} if csrf else {}
        return self._remember(self.client.post(url, dict(data or {}), headers=headers))

    def event(
        self, url: str, event: str, token: str | None = None, csrf: bool = True, **args: Any
    ) -> HttpResponse:
        """POST `event` with `args`, the remembered token (or `token`) and the CSRF header."""
        data = {"event": event, "state": token if token is not None else self.token or "", **args}
        return self.post(url, data, csrf=csrf)


def post_event(
    url: str, event: str, user: Any = None, load_data: Mapping[str, Any] | None = None, **args: Any
) -> HttpResponse:
    """Load `url` as `user` (GET, or POST with `load_data`), then post `event` with `args`.

    Goes through the real view: permissions, token signing and CSRF included.
    """
    client = ComponentClient(user)
    if load_data is None:
        client.load(url)
    else:
        client.post(url, load_data)
    return client.event(url, event, **args)


# -- WebSocket driver ----------------------------------------------------------------------


@dataclass
class Socket:
    """A connected (or refused) test WebSocket."""

    communicator: WebsocketCommunicator
    connected: bool
    close_code: int | None


@asynccontextmanager
async def component_socket(
    application: Any,
    path: str = "/ws/",
    user: Any = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> AsyncIterator[Socket]:
    """Connect `application` (a consumer's `as_asgi()` or a whole ASGI app) at `path`.

    `user` goes straight into the scope (for consumers tested without auth middleware).
    """
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    if user is not None:
        communicator.scope["user"] = user
    connected, code = await communicator.connect()
    try:
        yield Socket(communicator, connected, None if connected else code)
    finally:
        if connected:
            await communicator.disconnect()


def session_headers(
    client: Client, origin: str = "http://localhost", host: str | None = None
) -> list[tuple[bytes, bytes]]:
    """Cookie, Origin and Host headers so a WebSocket authenticates as `client`'s logged-in
    user; the Host is the Origin's own (a same-origin page) unless `host` is given."""
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    host = urlsplit(origin).netloc if host is None else host
    return [
        (b"cookie", cookie.encode("latin-1")),
        (b"origin", origin.encode("latin-1")),
        (b"host", host.encode("latin-1")),
    ]


# -- unittest ------------------------------------------------------------------------------


class ComponentTestCase:
    """Mixin for Django `TestCase`s: `make_component`, cache isolation, renderer restore."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Wrapping __call__ (not setUp) keeps isolation when setUp skips super().
        with isolated_components():
            return super().__call__(*args, **kwargs)  # type: ignore[misc]

    def make_component(
        self,
        cls: type[C],
        params: Mapping[str, Any] | None = None,
        user: Any = None,
        request: Any = None,
    ) -> C:
        """An instance of `cls` (not mounted): call `mount()` or a handler yourself."""
        return cls(params=params, user=user, request=request)

    def component_client(self, user: Any = None) -> ComponentClient:
        """A `ComponentClient` logged in as `user` (anonymous when None)."""
        return ComponentClient(user=user)

    def post_event(self, url: str, event: str, user: Any = None, **args: Any) -> HttpResponse:
        """See the module-level `post_event`."""
        return post_event(url, event, user=user, **args)


# -- pytest --------------------------------------------------------------------------------


@pytest.fixture
def component_isolation() -> Iterator[None]:
    """Isolated cache and restored renderers for one test."""
    with isolated_components():
        yield


@pytest.fixture
def make_component() -> Callable[..., Component]:
    """`make_component(cls, params=None, user=None)`: an unmounted component."""

    def make(
        cls: type[C], params: Mapping[str, Any] | None = None, user: Any = None, request: Any = None
    ) -> C:
        return cls(params=params, user=user, request=request)

    return make


@pytest.fixture
def component_client() -> Callable[..., ComponentClient]:
    """`component_client(user=None)`: a `ComponentClient` (needs database access)."""
    return ComponentClient
