"""ComponentConsumer over the real channel layer (Redis in the default rendering)."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.test import Client

from component_framework.adapters import consumer
from component_framework.adapters.consumer import group_send_soon
from component_framework.core.ws_manager import (
    CLOSE_BAD_DATA,
    CLOSE_LOGGED_OUT,
    CLOSE_REFUSED,
    CLOSE_TOO_BIG,
    aclose_user_sockets,
    agroup_send_html,
    close_user_sockets,
)
from component_framework.testing import component_socket, session_headers
from tests.framework.components import CounterComponent
from tests.framework.consumers import CounterConsumer, StaffOnlyComponentConsumer, application

pytestmark = [pytest.mark.django_db(transaction=True)]

XSS = ["</script><script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


async def closed_with(communicator):
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return output.get("code")


def test_the_configured_layer_is_used(settings):
    layer = get_channel_layer()
    if settings.REDIS_URL:
        assert type(layer).__module__.startswith("channels_redis")


async def test_staff_connects_and_events_render_html(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        assert socket.connected
        await socket.communicator.send_json_to({"type": "resume", "last_id": 0})
        assert await socket.communicator.receive_json_from() == {"resumed_after": 0}
        consumer_event = {"type": "counter.add", "amount": "3"}
        # Through the channel layer, as a broadcast would arrive.
        layer = get_channel_layer()
        await layer.group_send(f"cf-user-{staff.pk}", consumer_event)
        html = await socket.communicator.receive_from(timeout=5)
        assert '<span class="count">3</span>' in html
        assert 'data-cf-name="test_counter"' in html


@pytest.mark.parametrize("who", ["anonymous", "user"])
async def test_anonymous_and_non_staff_are_refused(user, staff, who):
    async with (
        component_socket(
            CounterConsumer.as_asgi(), user=None if who == "anonymous" else user
        ) as refused,
        component_socket(CounterConsumer.as_asgi(), user=staff) as accepted,
    ):
        assert not refused.connected
        assert refused.close_code == CLOSE_REFUSED
        # Only the accepted socket joined the subclass's group.
        await agroup_send_html("test-counter-watchers", "<p id='ping'>ping</p>")
        assert await accepted.communicator.receive_from(timeout=5) == "<p id='ping'>ping</p>"
        assert await refused.communicator.receive_nothing()
    assert CounterComponent.calls == []


async def test_component_permissions_apply_on_a_permissive_socket(user, staff):
    async with component_socket(StaffOnlyComponentConsumer.as_asgi(), user=user) as socket:
        assert socket.close_code == CLOSE_REFUSED
    async with component_socket(StaffOnlyComponentConsumer.as_asgi(), user=staff) as socket:
        assert socket.connected


async def test_refusals_through_the_asgi_stack_with_sessions(user, staff):
    anonymous = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    async with component_socket(application, "/ws/test/counter/", headers=anonymous) as socket:
        assert socket.close_code == CLOSE_REFUSED
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    headers = session_headers(client)
    async with component_socket(application, "/ws/test/counter/", headers=headers) as socket:
        assert socket.close_code == CLOSE_REFUSED
    client = Client()
    await database_sync_to_async(client.force_login)(staff)
    headers = session_headers(client)
    async with component_socket(application, "/ws/test/counter/", headers=headers) as socket:
        assert socket.connected


async def test_foreign_origin_is_refused_by_config_asgi(staff):
    from config.asgi import application as project_application

    client = Client()
    await database_sync_to_async(client.force_login)(staff)
    headers = session_headers(client, origin="http://evil.example")
    async with component_socket(project_application, "/ws/admin/audit/", headers=headers) as s:
        assert not s.connected
    async with component_socket(application, "/ws/test/counter/", headers=headers) as socket:
        assert not socket.connected
    good = session_headers(client)
    async with component_socket(application, "/ws/test/counter/", headers=good) as socket:
        assert socket.connected


async def test_oversized_frames_close_the_socket(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        frame = json.dumps({"type": "resume", "last_id": 1, "pad": "x" * 70_000})
        await socket.communicator.send_to(text_data=frame)
        assert await closed_with(socket.communicator) == CLOSE_TOO_BIG


@pytest.mark.parametrize("frame", ["{not json", "[" * 5000], ids=["malformed", "deeply-nested"])
async def test_non_json_frames_close_the_socket(staff, frame):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await socket.communicator.send_to(text_data=frame)
        assert await closed_with(socket.communicator) == CLOSE_BAD_DATA


@pytest.mark.parametrize("last_id", ["5", -1, True, None, 1.5])
async def test_resume_needs_a_non_negative_integer(staff, last_id):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await socket.communicator.send_json_to({"type": "resume", "last_id": last_id})
        assert await socket.communicator.receive_json_from() == {
            "error": "Invalid value for 'last_id'."
        }


async def test_client_messages_cannot_run_events(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await socket.communicator.send_json_to({"event": "add", "amount": "1"})
        await socket.communicator.send_json_to({"type": "counter.add", "amount": "1"})
        assert await socket.communicator.receive_nothing()
    assert CounterComponent.calls == []


async def test_dispatch_event_refusals_are_json_and_run_nothing(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        layer = get_channel_layer()
        await layer.group_send(f"cf-user-{staff.pk}", {"type": "counter.add", "amount": "5abc"})
        reply = await socket.communicator.receive_json_from(timeout=5)
        assert reply == {
            "error": "Invalid value for 'amount': Input should be a valid integer, "
            "unable to parse string as an integer."
        }
    assert "add" not in CounterComponent.calls


async def test_dispatch_event_uses_event_permissions(staff):
    consumer = CounterConsumer()
    consumer.scope = {"user": staff, "type": "websocket"}
    sent = []

    async def capture(message):
        sent.append(message["text"])

    consumer.base_send = capture
    await consumer.dispatch_event("add", {"amount": "2"})
    await consumer.dispatch_event("reset", {})
    assert '<span class="count">2</span>' in sent[0]
    assert json.loads(sent[1]) == {"error": "Superuser access required"}
    assert CounterComponent.calls.count("reset") == 0


@pytest.mark.parametrize("payload", XSS)
async def test_state_values_stay_escaped_in_ws_frames(staff, payload):
    consumer = CounterConsumer()
    consumer.scope = {"user": staff, "type": "websocket"}
    sent = []

    async def capture(message):
        sent.append(message["text"])

    consumer.base_send = capture
    await consumer.dispatch_event("echo", {"text": payload})
    assert payload not in sent[0]
    assert "<img" not in sent[0] and "<script>" not in sent[0]


async def test_group_html_is_forwarded_as_rendered(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await agroup_send_html(f"cf-user-{staff.pk}", "<li id='x'>row</li>")
        assert await socket.communicator.receive_from(timeout=5) == "<li id='x'>row</li>"


async def test_close_user_sockets_closes_only_that_users_sockets(staff, superuser):
    async with (
        component_socket(CounterConsumer.as_asgi(), user=staff) as mine,
        component_socket(CounterConsumer.as_asgi(), user=superuser) as theirs,
    ):
        await aclose_user_sockets(staff.pk)
        assert await closed_with(mine.communicator) == CLOSE_LOGGED_OUT
        assert await theirs.communicator.receive_nothing()


async def test_logout_closes_the_users_sockets(staff):
    client = Client()
    await database_sync_to_async(client.force_login)(staff)
    headers = session_headers(client)
    async with component_socket(application, "/ws/test/counter/", headers=headers) as socket:
        assert socket.connected
        await database_sync_to_async(logout_through_the_view)(client)
        assert await closed_with(socket.communicator) == CLOSE_LOGGED_OUT


def logout_through_the_view(client):
    from django.contrib.auth import logout
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/logout/")
    request.session = client.session
    request.user = get_user_model().objects.get(pk=int(client.session["_auth_user_id"]))
    logout(request)


async def test_sync_close_user_sockets_closes_them_too(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await database_sync_to_async(close_user_sockets)(staff.pk)
        assert await closed_with(socket.communicator) == CLOSE_LOGGED_OUT


class RecordingLayer:
    """A channel layer that records its group sends; the first `fail` of them raise."""

    def __init__(self, fail: int = 0) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.fail = fail

    async def group_send(self, group: str, message: dict) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("the layer is down")
        self.sent.append((group, message))


def test_group_send_soon_sends_in_order_and_survives_a_failed_send():
    layer = RecordingLayer(fail=1)
    for i in range(20):
        group_send_soon(layer, "test-group", {"type": "test.message", "n": i})
    consumer._sender.flush()  # what runs at exit: every queued message is sent first
    assert [message["n"] for _, message in layer.sent] == list(range(1, 20))
    assert {group for group, _ in layer.sent} == {"test-group"}
