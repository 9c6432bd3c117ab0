"""The one state codec: component state <-> signed, compressed, bounded token.

A token is made with Django signing (`TimestampSigner`, a salt of its own, zlib
compression) over a JSON document that names the component, the component id and the
user it was issued to, plus the params the server chose and the state:

    token = sign_state("counter", "c1a2", user, state={"n": 1}, params={})
    payload = unsign_state(token, "counter", user)  # -> StatePayload(state, params, ...)

Any failure (bad signature, expired, issued for another component/user, oversized,
malformed) raises `StateError`, which views turn into a 400 before anything runs.

JSON values are tagged so that datetime, date, time, Decimal and UUID come back as the
same types and values, and dicts whose keys are not strings are refused instead of being
silently changed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from .errors import StateError

SALT = "component_framework.state"
TAG = "__cf__"
#: Largest token accepted or issued, in bytes (after compression and signing).
DEFAULT_MAX_BYTES = 48 * 1024
#: Seconds a token stays valid after it was issued.
DEFAULT_MAX_AGE = 12 * 60 * 60


def max_token_bytes() -> int:
    """Size bound for tokens (setting `COMPONENT_STATE_MAX_BYTES`)."""
    return int(getattr(settings, "COMPONENT_STATE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_token_age() -> int:
    """Maximum token age in seconds (setting `COMPONENT_STATE_MAX_AGE`)."""
    return int(getattr(settings, "COMPONENT_STATE_MAX_AGE", DEFAULT_MAX_AGE))


# -- tagged JSON ---------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Turn `value` into plain JSON types, tagging the types JSON cannot carry."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {TAG: "time", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, uuid.UUID):
        return {TAG: "uuid", "v": str(value)}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"State dict keys must be strings, not {type(key).__name__}")
        items = {key: to_jsonable(item) for key, item in value.items()}
        # A user dict that happens to use the tag key is wrapped so it cannot pose as a tag.
        return {TAG: "dict", "v": list(items.items())} if TAG in items else items
    raise TypeError(f"{type(value).__name__} values cannot be stored in component state")


_DECODERS = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": Decimal,
    "uuid": uuid.UUID,
    "dict": dict,
}


def _object_hook(obj: dict[str, Any]) -> Any:
    tag = obj.get(TAG)
    if tag is None:
        return obj
    if set(obj) != {TAG, "v"} or tag not in _DECODERS:
        raise ValueError("unknown tagged value")
    return _DECODERS[tag](obj["v"])


def dumps(value: Any) -> str:
    """Tagged JSON text of `value`."""
    return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Inverse of `dumps`."""
    return json.loads(text, object_hook=_object_hook)


class TaggedJSONSerializer:
    """Serializer for `django.core.signing` using the tagged JSON above."""

    def dumps(self, obj: Any) -> bytes:
        return dumps(obj).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        return loads(data.decode("utf-8"))


# -- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatePayload:
    """What a verified token carries."""

    component: str
    component_id: str
    state: dict[str, Any]
    params: dict[str, Any]


def user_key(user: Any) -> str:
    """The identity a token is bound to: the user's pk, or "" for anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(user.pk)


def sign_state(
    component: str,
    component_id: str,
    user: Any,
    state: dict[str, Any],
    params: dict[str, Any] | None = None,
) -> str:
    """Issue a token for `state`; raise `StateError` if it would exceed the size bound."""
    document = {
        "c": component,
        "i": component_id,
        "u": user_key(user),
        "s": state,
        "p": params or {},
    }
    try:
        token = signing.dumps(document, salt=SALT, serializer=TaggedJSONSerializer, compress=True)
    except (TypeError, ValueError) as exc:
        raise StateError(f"Component state cannot be serialised: {exc}") from exc
    if len(token) > max_token_bytes():
        raise StateError(
            f"Component state is too large ({len(token)} bytes signed, limit {max_token_bytes()})."
        )
    return token


def unsign_state(
    token: object,
    component: str,
    user: Any,
    component_id: str | None = None,
) -> StatePayload:
    """Verify `token` for this component and user; return its payload or raise StateError."""
    if not isinstance(token, str) or not token:
        raise StateError("Missing state token.")
    # Checked before any decoding so an oversized token costs nothing to refuse.
    if len(token) > max_token_bytes():
        raise StateError("State token is too large.")
    try:
        document = signing.loads(
            token, salt=SALT, serializer=TaggedJSONSerializer, max_age=max_token_age()
        )
    except signing.SignatureExpired:
        raise StateError(_("State token has expired; reload the page.")) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise StateError("State token is invalid.") from None
    if not _well_formed(document):
        raise StateError("State token is invalid.")
    if document["c"] != component:
        raise StateError("State token was issued for another component.")
    if component_id is not None and document["i"] != component_id:
        raise StateError("State token was issued for another component instance.")
    if document["u"] != user_key(user):
        raise StateError("State token was issued to another user.")
    return StatePayload(
        component=document["c"],
        component_id=document["i"],
        state=document["s"],
        params=document["p"],
    )


def _well_formed(document: object) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("c"), str)
        and isinstance(document.get("i"), str)
        and isinstance(document.get("u"), str)
        and isinstance(document.get("s"), dict)
        and isinstance(document.get("p"), dict)
    )
