"""The state codec: exact round trips, binding, expiry, size bounds."""

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import signing
from django.utils import timezone

from component_framework.core import state as codec
from component_framework.core.encoding import dumps_tagged
from component_framework.core.errors import StateError

ALICE = SimpleNamespace(is_authenticated=True, pk=1)
BOB = SimpleNamespace(is_authenticated=True, pk=2)
ANON = SimpleNamespace(is_authenticated=False, pk=None)

RICH_STATE = {
    "when": dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
    "naive": dt.datetime(2025, 1, 2, 3, 4, 5),
    "day": dt.date(2025, 1, 2),
    "at": dt.time(13, 14, 15),
    "amount": Decimal("9800.10"),
    "precise": Decimal("0.1000000000000000000000001"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": [{"d": Decimal("1.5")}, (1, 2)],
    "tag_lookalike": {"__cf__": "decimal", "v": "1"},
    "text": "</script><img src=x onerror=alert(1)>",
    "none": None,
    "flag": True,
    "ratio": 2.5,
}


def test_rich_state_round_trips_exactly():
    token = codec.sign_state("counter", "c1", ALICE, RICH_STATE, {"user_id": 5})
    payload = codec.unsign_state(token, "counter", ALICE, component_id="c1")
    expected = {**RICH_STATE, "nested": [{"d": Decimal("1.5")}, [1, 2]]}
    assert payload.state == expected
    assert payload.params == {"user_id": 5}
    assert type(payload.state["amount"]) is Decimal
    assert type(payload.state["day"]) is dt.date
    assert type(payload.state["when"]) is dt.datetime
    assert payload.state["when"].utcoffset() == dt.timedelta(0)
    assert payload.state["tag_lookalike"] == {"__cf__": "decimal", "v": "1"}


def test_non_string_keys_are_refused_not_changed():
    with pytest.raises(StateError, match="keys must be strings"):
        codec.sign_state("counter", "c1", ALICE, {"rows": {1: "a"}})


def test_unsupported_types_are_refused():
    with pytest.raises(StateError, match="set values cannot be stored"):
        codec.sign_state("counter", "c1", ALICE, {"s": {1, 2}})


def test_token_is_compressed():
    state = {"rows": ["same row of text"] * 500}
    token = codec.sign_state("counter", "c1", ALICE, state)
    assert token.startswith(".")  # signing's marker for a compressed payload
    assert len(token) < len(dumps_tagged(state)) / 10


def test_flipped_byte_is_refused():
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    for index in (1, len(token) // 2, len(token) - 1):
        flipped = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
        with pytest.raises(StateError, match="invalid"):
            codec.unsign_state(flipped, "counter", ALICE)


def test_token_of_another_component_is_refused():
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    with pytest.raises(StateError, match="another component"):
        codec.unsign_state(token, "metrics", ALICE)


def test_token_of_another_instance_is_refused():
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    with pytest.raises(StateError, match="another component instance"):
        codec.unsign_state(token, "counter", ALICE, component_id="c2")


def test_token_of_another_user_is_refused():
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    with pytest.raises(StateError, match="another user"):
        codec.unsign_state(token, "counter", BOB)
    with pytest.raises(StateError, match="another user"):
        codec.unsign_state(token, "counter", ANON)


def test_anonymous_token_is_refused_for_a_logged_in_user():
    token = codec.sign_state("counter", "c1", ANON, {"n": 1})
    with pytest.raises(StateError, match="another user"):
        codec.unsign_state(token, "counter", ALICE)


def test_expired_token_is_refused(settings):
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    settings.COMPONENT_STATE_MAX_AGE = -1
    with pytest.raises(StateError, match="expired"):
        codec.unsign_state(token, "counter", ALICE)


def test_token_carries_issue_time(monkeypatch):
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    later = timezone.now().timestamp() + codec.DEFAULT_MAX_AGE + 10
    monkeypatch.setattr("time.time", lambda: later)
    with pytest.raises(StateError, match="expired"):
        codec.unsign_state(token, "counter", ALICE)


def test_token_signed_with_another_salt_is_refused():
    forged = signing.dumps({"c": "counter", "i": "c1", "u": "1", "s": {}, "p": {}}, compress=True)
    with pytest.raises(StateError, match="invalid"):
        codec.unsign_state(forged, "counter", ALICE)


def test_malformed_document_is_refused():
    forged = signing.dumps(
        ["not", "a", "dict"], salt=codec.SALT, serializer=codec.TaggedJSONSerializer
    )
    with pytest.raises(StateError, match="invalid"):
        codec.unsign_state(forged, "counter", ALICE)


@pytest.mark.parametrize("token", [None, "", 5, "garbage", "a:b:c", "." * 10])
def test_garbage_is_refused(token):
    with pytest.raises(StateError):
        codec.unsign_state(token, "counter", ALICE)


def test_oversized_state_is_refused_when_issuing(settings):
    settings.COMPONENT_STATE_MAX_BYTES = 2048
    noise = uuid.uuid4().hex * 200  # incompressible enough
    with pytest.raises(StateError, match="too large"):
        codec.sign_state("counter", "c1", ALICE, {"blob": [uuid.uuid4().hex for _ in range(200)]})
    assert codec.sign_state("counter", "c1", ALICE, {"blob": noise[:10]})


def test_oversized_token_is_refused_before_decoding(settings, monkeypatch):
    token = codec.sign_state("counter", "c1", ALICE, {"n": 1})
    settings.COMPONENT_STATE_MAX_BYTES = len(token) - 1

    def explode(*args, **kwargs):
        raise AssertionError("an oversized token must not be decoded")

    monkeypatch.setattr(signing, "loads", explode)
    with pytest.raises(StateError, match="too large"):
        codec.unsign_state(token, "counter", ALICE)
