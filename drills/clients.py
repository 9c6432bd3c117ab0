"""Clients that behave like the panel's browser, for the tests that run real servers.

`Browser` logs in with the login form (session cookie + CSRF cookie), loads components and
posts events with the `X-CSRFToken` header, remembering each component's token, over a
keep-alive connection. `FeedWatcher` keeps a WebSocket on `ws/admin/audit/` open with the
`websockets` library, reconnects when it drops (to the next server when its own is gone,
backing off from 0.2 to 1 s) and sends `{"type": "resume", "last_id": N}` after each
(re)connect, exactly as component-client.js does; it records every entry id it receives.
"""

from __future__ import annotations

import asyncio
import html as html_lib
import http.client
import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .cluster import PASSWORD, Server

HTTP_TIMEOUT = 30.0
FEED_PATH = "/ws/admin/audit/"

_STATE_RE = re.compile(r'\bdata-cf-state="([^"]*)"')
_ITEM_RE = re.compile(r'data-cf-item="(\d+)"')
_CSRF_INPUT_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def entry_ids(text: str) -> list[int]:
    """Audit entry ids in a feed frame (`data-cf-item="N"`)."""
    return [int(n) for n in _ITEM_RE.findall(text)]


# -- an HTTP client that behaves like the browser -------------------------------------------------


@dataclass
class Response:
    status: int
    body: str
    #: Header names in lower case.
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        match = _STATE_RE.search(self.body)
        return html_lib.unescape(match.group(1)) if match else None


class Browser:
    """Cookies, CSRF header and component tokens, over a keep-alive connection.

    `server` may be changed between requests: sessions live in the shared database, so
    the same cookies work on every server of the cluster.
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None
        self._conn_port = 0

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None or self._conn_port != self.server.port:
            self.close()
            self._conn = http.client.HTTPConnection(
                "127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT
            )
            self._conn_port = self.server.port
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, fields: dict[str, str] | None = None, csrf: bool = False
    ) -> Response:
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        headers = {"Cookie": self.cookie_header(), "Connection": "keep-alive"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if csrf:
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                raw = conn.getresponse()
                text = raw.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed an idle keep-alive connection: retry once
                if attempt:
                    raise
        for header in raw.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', "") or "Max-Age=0" in rest:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, text, {k.lower(): v for k, v in raw.getheaders()})

    def login(self, username: str, password: str = PASSWORD) -> None:
        page = self.request("GET", "/accounts/login/")
        match = _CSRF_INPUT_RE.search(page.body)
        assert page.status == 200 and match, f"login page: {page.status}"
        answer = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)},
        )
        assert answer.status == 302 and "sessionid" in self.cookies, (
            f"login of {username} failed: {answer.status} {answer.body[:300]}"
        )

    def load(self, path: str, fields: dict[str, str] | None = None) -> Response:
        """A component's first load (GET, or POST with `fields`); remembers its token."""
        if fields is None:
            response = self.request("GET", path)
        else:
            response = self.request("POST", path, fields, csrf=True)
        if response.status == 200 and response.token:
            self.tokens[path] = response.token
        return response

    def event(self, path: str, event: str, **args: str) -> Response:
        """POST `event` with the component's last token and the CSRF header."""
        fields = {"event": event, "state": self.tokens.get(path, ""), **args}
        response = self.request("POST", path, fields, csrf=True)
        if response.status == 200 and response.token:
            self.tokens[path] = response.token
        return response


# -- a WebSocket client that behaves like the browser's feed --------------------------------------


class FeedWatcher:
    """Keeps a feed socket open (reconnecting, resuming) and records every entry id it saw.

    `servers` is the failover order: after a refused connection the next one is tried.
    """

    def __init__(
        self, browser: Browser, servers: list[Server], last_id: int, resume: bool = True
    ) -> None:
        self.browser = browser
        self.servers = servers
        self.current = 0
        #: False: never send resume frames (so everything seen came from live broadcasts).
        self.resume = resume
        self.seen: set[int] = set()
        self.last_id = last_id
        self.connects = 0
        self.drops = 0
        self.frames = 0
        self.errors: list[str] = []
        self.connected = asyncio.Event()

    @property
    def server(self) -> Server:
        return self.servers[self.current % len(self.servers)]

    async def run(self, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        delay = 0.2
        while not stop.is_set():
            server = self.server
            headers = {"Cookie": self.browser.cookie_header(), "Origin": server.url}
            try:
                async with connect(
                    server.ws_url + FEED_PATH,
                    additional_headers=headers,
                    open_timeout=5,
                    close_timeout=2,
                    max_size=2**20,
                ) as ws:
                    self.connects += 1
                    self.connected.set()
                    delay = 0.2
                    if self.resume:
                        await ws.send(json.dumps({"type": "resume", "last_id": self.last_id}))
                    while not stop.is_set():
                        try:
                            frame = await asyncio.wait_for(ws.recv(), 0.25)
                        except TimeoutError:
                            continue
                        self._take(frame)
                    return
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                self.connected.clear()
                self.drops += 1
                if isinstance(exc, OSError | InvalidHandshake | TimeoutError):
                    self.current += 1  # refused or broken handshake: try the next server
                if stop.is_set():
                    return
                await asyncio.sleep(delay)  # back off like the browser: 0.2 s doubling to 1 s
                delay = min(delay * 2, 1.0)

    def _take(self, frame: str | bytes) -> None:
        text = frame.decode() if isinstance(frame, bytes) else frame
        self.frames += 1
        if text.startswith("{"):
            self.errors.append(text)
            return
        ids = entry_ids(text)
        self.seen.update(ids)
        if ids:
            self.last_id = max(self.last_id, *ids)

    def missing(self, expected: Iterable[int]) -> list[int]:
        return sorted(set(expected) - self.seen)


def run_async(coroutine: Any) -> Any:
    """Run `coroutine` on a fresh event loop (the test thread has none running)."""
    return asyncio.run(coroutine)
