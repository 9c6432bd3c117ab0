"""No 500 for anything a client can send: bodies, field values, JSON arguments, frames.

Each hostile request is refused with a 400 JSON body naming the problem and runs nothing;
the same request with a sane body succeeds.
"""

import json
import urllib.parse

import pytest

from component_framework.core.client_input import (
    MAX_JSON_DEPTH,
    MAX_JSON_LENGTH,
    check_value,
    parse_json,
)
from component_framework.core.errors import BadRequest
from component_framework.core.ws_manager import CLOSE_BAD_DATA
from component_framework.testing import ComponentClient, component_socket
from tests.framework.components import CounterComponent
from tests.framework.consumers import CounterConsumer

COUNTER = "/t/counter/"
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "cfBoundary42"
NESTED = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)


def urlencoded(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def multipart(fields: dict[str, str], boundary: str = BOUNDARY) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def post_raw(client: ComponentClient, body: bytes, content_type: str):
    return client.client.generic(
        "POST", COUNTER, body, content_type=content_type, headers={"X-CSRFToken": client.csrf_token}
    )


def count_in(response) -> int:
    return int(response.content.decode().split('<span class="count">')[1].split("<")[0])


@pytest.fixture
def loaded(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    return client


def add(token: str, **extra: str) -> dict[str, str]:
    return {"event": "add", "amount": "2", "state": token, **extra}


# name -> (body, content type, words of the error), built from the loaded token
HOSTILE = {
    "utf-16 form": (
        lambda t: urllib.parse.urlencode(add(t)).encode("utf-16"),
        f"{FORM}; charset=utf-16",
        "must be UTF-8",
    ),
    "latin-1 form": (
        lambda t: urllib.parse.urlencode(add(t, note="café"), encoding="latin-1").encode(),
        f"{FORM}; charset=latin-1",
        "must be UTF-8",
    ),
    "unknown charset": (lambda t: urlencoded(add(t)), f"{FORM}; charset=x-nope", "must be UTF-8"),
    "latin-1 bytes, no charset": (
        lambda t: urlencoded(add(t)) + b"&note=caf%E9",
        FORM,
        "not valid UTF-8",
    ),
    "raw bytes that are not UTF-8": (
        lambda t: urlencoded(add(t)) + b"&note=\xff\xfe",
        FORM,
        "not valid UTF-8",
    ),
    "multipart without a boundary": (
        lambda t: multipart(add(t)),
        "multipart/form-data",
        "needs a boundary",
    ),
    "multipart with an empty boundary": (
        lambda t: multipart(add(t)),
        "multipart/form-data; boundary=",
        "needs a boundary",
    ),
    "multipart with an invalid boundary": (
        lambda t: multipart(add(t)),
        "multipart/form-data; boundary=" + "x" * 300,
        "Malformed multipart",
    ),
    "multipart in utf-16": (
        lambda t: multipart(add(t)),
        f"multipart/form-data; boundary={BOUNDARY}; charset=utf-16",
        "must be UTF-8",
    ),
    "a file upload": (
        lambda t: multipart(add(t)).replace(
            f"--{BOUNDARY}--".encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\nhello\r\n--{BOUNDARY}--".encode(),
        ),
        f"multipart/form-data; boundary={BOUNDARY}",
        "File uploads",
    ),
    "JSON body": (lambda t: json.dumps(add(t)).encode(), "application/json", "content type"),
    "text body": (lambda t: b"event=add", "text/plain", "content type"),
    "NUL in a value": (lambda t: urlencoded(add(t, amount="2\x00")), FORM, "NUL"),
    "NUL in a multipart value": (
        lambda t: multipart(add(t, amount="2\x00")),
        f"multipart/form-data; boundary={BOUNDARY}",
        "NUL",
    ),
    "NUL in a field name": (lambda t: urlencoded(add(t, **{"a\x00": "1"})), FORM, "field name"),
    "NUL in a string argument": (
        lambda t: urlencoded({"event": "echo", "text": "a\x00b", "state": t}),
        FORM,
        "Invalid value for 'text': NUL",
    ),
    "NUL inside a JSON argument": (
        lambda t: urlencoded(
            {"event": "configure", "options": "{}", "tags": '["a\\u0000"]', "state": t}
        ),
        FORM,
        "Invalid value for 'tags': NUL",
    ),
    "JSON nested too deep": (
        lambda t: urlencoded({"event": "configure", "options": "{}", "tags": NESTED, "state": t}),
        FORM,
        "nested deeper than",
    ),
    "JSON nested past the recursion limit": (
        lambda t: urlencoded(
            {"event": "configure", "options": "{}", "tags": "[" * 50_000, "state": t}
        ),
        FORM,
        "nested deeper than",
    ),
    "JSON too long": (
        lambda t: urlencoded(
            {
                "event": "configure",
                "options": "{}",
                "tags": json.dumps("x" * MAX_JSON_LENGTH),
                "state": t,
            }
        ),
        FORM,
        "JSON longer than",
    ),
}


@pytest.mark.urls("tests.framework.urls")
@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_are_a_json_400_and_run_nothing(loaded, name):
    body, content_type, words = HOSTILE[name]
    response = post_raw(loaded, body(loaded.token), content_type)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert words in error
    assert "\x00" not in error
    assert CounterComponent.calls == []  # no handler, no render


SANE = {
    "urlencoded": (urlencoded, FORM),
    "urlencoded, charset utf-8": (urlencoded, f"{FORM}; charset=utf-8"),
    "urlencoded, charset UTF8": (urlencoded, f"{FORM}; charset=UTF8"),
    "multipart": (multipart, f"multipart/form-data; boundary={BOUNDARY}"),
    "multipart, charset utf-8": (
        multipart,
        f"multipart/form-data; boundary={BOUNDARY}; charset=utf-8",
    ),
}


@pytest.mark.urls("tests.framework.urls")
@pytest.mark.django_db
@pytest.mark.parametrize("name", list(SANE))
def test_the_same_event_with_a_sane_body_runs(loaded, name):
    encode, content_type = SANE[name]
    response = post_raw(loaded, encode(add(loaded.token, note="café ✓")), content_type)
    assert response.status_code == 400  # `note` is not an argument of on_add
    assert "Unexpected argument 'note'" in json.loads(response.content)["error"]
    response = post_raw(loaded, encode(add(loaded.token)), content_type)
    assert response.status_code == 200, response.content[:300]
    assert count_in(response) == 2
    assert CounterComponent.calls == ["add", "render"]


@pytest.mark.urls("tests.framework.urls")
@pytest.mark.django_db
def test_sane_text_and_json_arguments_reach_the_handlers(loaded):
    fields = {"event": "configure", "options": '{"a": 1}', "tags": '["café"]'}
    response = post_raw(loaded, urlencoded({**fields, "state": loaded.token}), FORM)
    assert response.status_code == 200
    response = post_raw(
        loaded, urlencoded({"event": "echo", "text": "café ✓", "state": loaded.token}), FORM
    )
    assert response.status_code == 200
    assert "café ✓" in response.content.decode()


@pytest.mark.urls("tests.framework.urls")
@pytest.mark.django_db
def test_an_empty_body_of_any_type_is_a_first_load(loaded):
    response = post_raw(loaded, b"", "text/plain")
    assert response.status_code == 200
    assert count_in(response) == 0


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("a\x00", "NUL characters"),
        ({"k\x00": 1}, "NUL characters"),
        ({"k": ["x", {"y": "\x00"}]}, "NUL characters"),
        (json.loads(NESTED), "nested deeper than"),
    ],
)
def test_check_value_refuses_nul_anywhere_and_deep_nesting(value, words):
    with pytest.raises(BadRequest, match=words):
        check_value("field", value)


def test_check_value_accepts_ordinary_values_and_nesting_up_to_the_bound():
    value = {"a": ["b", 1, None, {"c": "ü"}]}
    assert check_value("field", value) is value
    deep = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json("field", deep) is not None


# -- WebSocket frames --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "frame",
    ['{"type": "resume", "last_id": 0, "x": "\\u0000"}', '{"type": "resume", "x": ' + NESTED + "}"],
    ids=["NUL", "nested"],
)
async def test_hostile_frames_close_the_socket_as_bad_data(staff, frame):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await socket.communicator.send_to(text_data=frame)
        output = await socket.communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.close"
        assert output.get("code") == CLOSE_BAD_DATA


@pytest.mark.django_db(transaction=True)
async def test_a_sane_frame_is_answered(staff):
    async with component_socket(CounterConsumer.as_asgi(), user=staff) as socket:
        await socket.communicator.send_json_to({"type": "resume", "last_id": 0, "x": "ü"})
        assert await socket.communicator.receive_json_from(timeout=5) == {"resumed_after": 0}
