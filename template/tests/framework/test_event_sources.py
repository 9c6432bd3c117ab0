"""Where a handler may be called from: HTTP, a browser's socket frame, or the server only.

`CounterComponent.on_server_add` is `@server_only`, `on_ping` is `@reachable("http",
"socket")`, the other handlers have the default (HTTP and the server).
"""

import json

import pytest

from component_framework.core.dispatch import (
    dispatch,
    handler_events,
    handler_sources,
    reachable,
    resolve_handler,
)
from component_framework.core.errors import InvalidEvent
from component_framework.testing import ComponentClient
from tests.framework.components import CounterComponent
from tests.framework.consumers import CounterConsumer

COUNTER = "/t/counter/"


@pytest.fixture
def counter(make_component):
    component = make_component(CounterComponent)
    component.mount()
    return component


@pytest.mark.parametrize("source", ["http", "socket"])
def test_server_only_handlers_are_unknown_events_to_browsers(counter, source):
    with pytest.raises(InvalidEvent) as info:
        dispatch(counter, "server_add", {"amount": "5"}, source=source)
    assert info.value.message == "Unknown event 'server_add'."
    assert counter.state["count"] == 0
    assert CounterComponent.calls == []


def test_the_server_may_call_server_only_handlers(counter):
    dispatch(counter, "server_add", {"amount": "5"}, source="server")
    assert counter.state["count"] == 5
    assert CounterComponent.calls == ["server_add"]


def test_default_handlers_are_reachable_from_http_and_the_server_not_the_socket(counter):
    dispatch(counter, "add", {"amount": "2"}, source="http")
    dispatch(counter, "add", {"amount": "3"}, source="server")
    with pytest.raises(InvalidEvent, match="Unknown event 'add'"):
        dispatch(counter, "add", {"amount": "4"}, source="socket")
    assert counter.state["count"] == 5


def test_reachable_handlers_accept_the_sources_they_name(counter):
    for source in ("http", "socket", "server"):
        dispatch(counter, "ping", {}, source=source)
    assert CounterComponent.calls == ["ping", "ping", "ping"]


def test_dispatch_defaults_to_http(counter):
    with pytest.raises(InvalidEvent, match="Unknown event 'server_add'"):
        dispatch(counter, "server_add", {})
    assert CounterComponent.calls == []


def test_handler_events_lists_what_each_source_may_call():
    assert "server_add" not in handler_events(CounterComponent)
    assert set(handler_events(CounterComponent, "socket")) == {"ping"}
    assert {"server_add", "add", "ping"} <= set(handler_events(CounterComponent, "server"))
    assert handler_sources(CounterComponent.on_server_add) == {"server"}
    assert handler_sources(CounterComponent.on_add) == {"http", "server"}


def test_unknown_sources_are_a_programming_error():
    with pytest.raises(ValueError, match="Unknown event sources"):
        reachable("htpp")
    with pytest.raises(ValueError, match="Unknown event source"):
        resolve_handler(CounterComponent, "add", "browser")  # type: ignore[arg-type]


# -- over HTTP: refused like an unknown event, before the token is read ----------------------


@pytest.mark.urls("tests.framework.urls")
@pytest.mark.django_db
def test_posting_a_server_only_event_is_a_400_and_runs_nothing(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    token = client.token
    CounterComponent.calls.clear()
    response = client.event(COUNTER, "server_add", amount="5")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"error": "Unknown event 'server_add'."}
    assert CounterComponent.calls == []  # no handler, no render
    # The token is unchanged and still good: the refused event changed no state.
    assert client.token == token
    html = client.event(COUNTER, "add", amount="2").content.decode()
    assert '<span class="count">2</span>' in html


# -- over the socket: `dispatch_event` is the server's call -----------------------------------


def _capturing_consumer(user):
    consumer = CounterConsumer()
    consumer.scope = {"user": user, "type": "websocket"}
    sent: list[str] = []

    async def capture(message):
        sent.append(message["text"])

    consumer.base_send = capture
    return consumer, sent


@pytest.mark.django_db(transaction=True)
async def test_dispatch_event_reaches_server_only_handlers(staff):
    consumer, sent = _capturing_consumer(staff)
    await consumer.dispatch_event("server_add", {"amount": "4"})
    assert '<span class="count">4</span>' in sent[0]


@pytest.mark.django_db(transaction=True)
async def test_dispatch_event_on_behalf_of_a_browser_frame_is_limited_to_socket_handlers(staff):
    consumer, sent = _capturing_consumer(staff)
    await consumer.dispatch_event("server_add", {"amount": "4"}, source="socket")
    await consumer.dispatch_event("ping", {}, source="socket")
    assert json.loads(sent[0]) == {"error": "Unknown event 'server_add'."}
    assert 'data-cf-name="test_counter"' in sent[1]
    assert CounterComponent.calls == ["ping", "render"]
