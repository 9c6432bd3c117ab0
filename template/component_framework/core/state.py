"""The one state codec: component state <-> signed, compressed, bounded token.

A token is made with Django signing (`TimestampSigner`, a salt of its own, zlib
compression) over a JSON document that names the component, the component id and the
user it was issued to, plus the params the server chose and the state:

    token = sign_state("counter", "c1a2", user, state={"n": 1}, params={})
    payload = unsign_state(token, "counter", user)  # -> StatePayload(state, params, ...)

Any failure (bad signature, expired, issued for another component/user, oversized,
malformed) raises `StateError`, which views turn into a 400 before anything runs.

Values are tagged JSON (`core.encoding.to_tagged`): datetime, date, time, timedelta,
Decimal and UUID come back as the same types and values, and dicts whose keys are not
strings are refused instead of being silently changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from .encoding import dumps_tagged, loads_tagged
from .errors import StateError

SALT = "component_framework.state"
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


class TaggedJSONSerializer:
    """Serializer for `django.core.signing`: tagged JSON (`core.encoding`), types kept."""

    def dumps(self, obj: Any) -> bytes:
        return dumps_tagged(obj).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        return loads_tagged(data.decode("utf-8"))


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
