"""WebSocket Origin checked like Django's CSRF Origin check (WebSocketOriginValidator):
the page's own scheme, host and port with the host in ALLOWED_HOSTS, or an entry of
CSRF_TRUSTED_ORIGINS (wildcards included). Refused handshakes never reach the consumer."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from component_framework.testing import session_headers
from tests.framework.components import CounterComponent
from tests.framework.consumers import application

pytestmark = [pytest.mark.django_db(transaction=True)]

PATH = "/ws/test/counter/"


async def connects(staff, origin: str | None, host: str, scheme: str = "ws", extra=()) -> bool:
    client = Client()
    await database_sync_to_async(client.force_login)(staff)
    headers = [
        (name, value)
        for name, value in session_headers(client, origin or "http://x", host=host)
        if origin is not None or name != b"origin"
    ]
    communicator = WebsocketCommunicator(application, PATH, headers=[*headers, *extra])
    communicator.scope["scheme"] = scheme
    connected, _code = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["panel.example.com", "localhost"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.trusted.example"]


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://localhost", "localhost", "ws"),
        ("https://panel.example.com", "panel.example.com", "wss"),
        ("http://panel.example.com:8000", "panel.example.com:8000", "ws"),
        ("https://app.example.com", "panel.example.com", "wss"),
        ("https://a.trusted.example", "panel.example.com", "wss"),
        ("https://trusted.example", "panel.example.com", "wss"),
    ],
    ids=[
        "same origin",
        "same origin over TLS",
        "same port",
        "trusted",
        "wildcard",
        "wildcard apex",
    ],
)
async def test_allowed_origins_connect(staff, origin, host, scheme):
    assert await connects(staff, origin, host, scheme)


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://panel.example.com:8001", "panel.example.com:8000", "ws"),
        ("http://panel.example.com:8000", "panel.example.com", "ws"),
        ("https://panel.example.com", "panel.example.com", "ws"),
        ("http://panel.example.com", "panel.example.com", "wss"),
        ("http://evil.example", "evil.example", "ws"),
        ("https://evil.example", "panel.example.com", "wss"),
        ("http://app.example.com", "panel.example.com", "ws"),
        ("https://app.example.com:8443", "panel.example.com", "wss"),
        ("https://a.trusted.example:8443", "panel.example.com", "wss"),
        ("http://a.trusted.example", "panel.example.com", "ws"),
        ("https://nottrusted.example", "panel.example.com", "wss"),
        ("null", "panel.example.com", "ws"),
        (None, "panel.example.com", "ws"),
    ],
    ids=[
        "other port",
        "port on the origin only",
        "https page, ws socket",
        "http page, wss socket",
        "host not allowed",
        "foreign site",
        "trusted origin, wrong scheme",
        "trusted origin, wrong port",
        "wildcard, wrong port",
        "wildcard, wrong scheme",
        "wildcard lookalike",
        "null origin",
        "no origin",
    ],
)
async def test_other_origins_are_refused_before_the_consumer_runs(staff, origin, host, scheme):
    assert not await connects(staff, origin, host, scheme)
    assert CounterComponent.calls == []


async def test_the_proxy_header_says_https_when_django_trusts_it(staff, settings):
    forwarded = [(b"x-forwarded-proto", b"https")]
    origin, host = "https://panel.example.com", "panel.example.com"
    assert not await connects(staff, origin, host, "ws", forwarded)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert await connects(staff, origin, host, "ws", forwarded)
    assert not await connects(staff, "http://panel.example.com", host, "ws", forwarded)
