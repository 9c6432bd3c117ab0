"""Bounded work per socket: a flood of frames or of `resume` requests closes the socket with
1008 (policy violation) once its token bucket is empty; a browser's normal traffic (one
resume per connect, a few messages) is answered in full."""

import pytest

from component_framework.core.rate_limit import RateLimit, TokenBucket
from component_framework.core.ws_manager import CLOSE_POLICY, agroup_send_html
from component_framework.testing import component_socket
from tests.framework.consumers import CounterConsumer

pytestmark = [pytest.mark.django_db(transaction=True)]

PING = "<p id='ping'>ping</p>"


async def answers_until_closed(communicator) -> tuple[list[dict], int | None]:
    """Every JSON answer the socket sent, and its close code (None while still open)."""
    answers = []
    while not await communicator.receive_nothing(timeout=0.5):
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            return answers, output["code"]
        answers.append(output["text"])
    return answers, None


async def test_a_resume_flood_is_answered_up_to_the_limit_then_closed(staff):
    burst = CounterConsumer.resume_limit.burst
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        for last_id in range(burst + 5):
            await socket.communicator.send_json_to({"type": "resume", "last_id": last_id})
        answers, code = await answers_until_closed(socket.communicator)
    assert code == CLOSE_POLICY
    assert len(answers) == burst  # the rest were never read from the database


async def test_a_normal_rate_of_resumes_is_answered(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        for last_id in range(CounterConsumer.resume_limit.burst):
            await socket.communicator.send_json_to({"type": "resume", "last_id": last_id})
            assert await socket.communicator.receive_json_from() == {"resumed_after": last_id}
        await agroup_send_html("test-counter-watchers", PING)
        assert await socket.communicator.receive_from(timeout=5) == PING  # still open


async def test_a_frame_flood_closes_the_socket(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        for _ in range(CounterConsumer.frame_limit.burst + 1):
            await socket.communicator.send_json_to({"type": "hello"})
        _answers, code = await answers_until_closed(socket.communicator)
    assert code == CLOSE_POLICY


async def test_frames_within_the_limit_leave_the_socket_open(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        for _ in range(CounterConsumer.frame_limit.burst):
            await socket.communicator.send_json_to({"type": "hello"})
        await agroup_send_html("test-counter-watchers", PING)
        assert await socket.communicator.receive_from(timeout=5) == PING


def test_the_bucket_refills_at_its_rate():
    now = [100.0]
    bucket = TokenBucket(RateLimit(burst=2, per_second=0.5), clock=lambda: now[0])
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
    now[0] += 1.0  # half a token
    assert bucket.take() is False
    now[0] += 1.0  # one token
    assert [bucket.take(), bucket.take()] == [True, False]
    now[0] += 60.0  # never more than the burst
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
