"""Hostile WebSocket frames against the audit feed's consumer (property-based, hypothesis).

A staff socket on `ws/admin/audit/` (through `config.asgi`: session cookie, Origin check)
is sent random text, random JSON, resume frames with random ids, binary and oversized
frames. The consumer never crashes, answers only with HTML rows or a JSON error, closes
over-limit and non-JSON frames with 1009 / 1007 and floods of resumes with 1008, and no
frame changes the database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from admin_panel.consumers import AuditLogConsumer
from component_framework.core.ws_manager import CLOSE_BAD_DATA, CLOSE_POLICY, CLOSE_TOO_BIG
from component_framework.testing import session_headers
from config.asgi import application

from .conftest import db_snapshot

# Transactional: the consumer closes "obsolete" connections (Channels), which would end the
# test transaction of a plain `db` test on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/admin/audit/"
LIMIT = AuditLogConsumer.max_frame_bytes
FUZZ = hyp_settings(
    max_examples=60,
    deadline=None,
    # No example database: nothing is written into the project (.hypothesis/); a failure
    # prints the falsifying example, which is enough to reproduce it.
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
last_ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=0, max_value=50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)
resume_frames = st.builds(
    lambda last_id, extra: json.dumps({"type": "resume", "last_id": last_id, **extra}),
    last_ids,
    st.dictionaries(st.sampled_from(["event", "component", "id", "pad"]), json_values, max_size=2),
)
typed_frames = st.builds(
    lambda kind, body: json.dumps({"type": kind, **body}),
    st.sampled_from(
        ["resume", "audit.rows", "audit_rows", "cf.close", "cf.html", "websocket.disconnect", "x"]
    ),
    st.dictionaries(
        st.sampled_from(["html", "id", "last_id", "event", "entry"]), json_values, max_size=3
    ),
)
frames = st.one_of(
    st.integers(min_value=0, max_value=60).map(
        lambda n: json.dumps({"type": "resume", "last_id": n})
    ),
    st.text(max_size=300),
    json_values.map(json.dumps),
    resume_frames,
    typed_frames,
    st.binary(max_size=300),
    st.sampled_from([LIMIT - 20, LIMIT + 1, 2 * LIMIT]).map(
        lambda n: json.dumps({"type": "resume", "last_id": 0, "pad": "x" * n})
    ),
    st.just('{"type": "resume", "last_id": ' + "9" * 5000 + "}"),
    st.just("[" * 5000),
)


async def exchange(headers: list[tuple[bytes, bytes]], sent: list[Any]) -> list[dict[str, Any]]:
    """Connect, send `sent` (stopping once the server closes), collect every output."""
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    outputs: list[dict[str, Any]] = []
    try:
        for frame in sent:
            # send_input, not send_to: empty frames are frames too.
            key = "bytes" if isinstance(frame, bytes) else "text"
            await communicator.send_input({"type": "websocket.receive", key: frame})
            while not await communicator.receive_nothing(timeout=0.05):
                outputs.append(await communicator.receive_output(timeout=5))
            if outputs and outputs[-1]["type"] == "websocket.close":
                break
    finally:
        await communicator.disconnect()
        # A crash inside the consumer would surface here.
        if communicator.future.done() and not communicator.future.cancelled():
            exception = communicator.future.exception()
            assert exception is None, f"the consumer crashed: {exception!r}"
    return outputs


@pytest.fixture
def staff_headers(make_user: Any) -> list[tuple[bytes, bytes]]:
    staff = make_user("ws_staff", is_staff=True)
    make_user("ws_someone")  # a few audit entries to resume over
    client = Client()
    client.force_login(staff)
    return session_headers(client)


@FUZZ
@given(sent=st.lists(frames, min_size=1, max_size=4))
def test_hostile_frames_never_crash_and_change_nothing(staff_headers, sent):
    before = db_snapshot()
    outputs = async_to_sync(exchange)(staff_headers, sent)
    for output in outputs:
        if output["type"] == "websocket.close":
            event(f"close {output.get('code')}")
            assert output.get("code") in (CLOSE_BAD_DATA, CLOSE_POLICY, CLOSE_TOO_BIG), output
            continue
        assert output["type"] == "websocket.send", output
        text = output.get("text") or ""
        if text.startswith("{"):
            event("json error")
            assert set(json.loads(text)) == {"error"}, text
        else:
            event("html rows")
            assert text.startswith('<ol id="audit-feed-list"'), text[:200]
            assert "Traceback" not in text
    if not outputs:
        event("no answer")
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (json.dumps({"type": "resume", "last_id": 0, "pad": "x" * (LIMIT + 1)}), CLOSE_TOO_BIG),
        (b"\x00" * (LIMIT + 1), CLOSE_TOO_BIG),
        ("{not json", CLOSE_BAD_DATA),
        (b"\xff\xfe", CLOSE_BAD_DATA),
    ],
    ids=["text over the limit", "bytes over the limit", "not JSON", "not UTF-8"],
)
def test_frames_over_the_limit_or_not_json_close_the_socket(staff_headers, frame, code):
    before = db_snapshot()
    outputs = async_to_sync(exchange)(staff_headers, [frame])
    assert outputs[-1] == {"type": "websocket.close", "code": code}
    assert db_snapshot() == before


def test_a_frame_just_under_the_limit_is_read(staff_headers):
    frame = json.dumps({"type": "resume", "last_id": 0, "pad": ""})
    frame = frame.replace('"pad": ""', '"pad": "' + "x" * (LIMIT - len(frame)) + '"')
    assert len(frame.encode()) == LIMIT
    outputs = async_to_sync(exchange)(staff_headers, [frame])
    assert outputs and outputs[0]["type"] == "websocket.send"
    assert 'data-cf-item="' in outputs[0]["text"]
