"""The framework's one JSON encoding: responses, state tokens, model values and audit diffs.

JSON has no type for dates, times, durations, decimals or UUIDs; each is written as text
the same way everywhere (ISO 8601 at full precision, the decimal's and UUID's own string):

    json.dumps(value, cls=JSONEncoder)          # a response body, a data attribute
    models.JSONField(encoder=JSONEncoder)       # a JSON column
    plain(value)                                # the JSON-typed value itself

Component state must come back with its types, so `to_tagged()` writes the same text
inside a tag (`{"__cf__": "date", "v": "2025-01-31"}`) and `loads_tagged()` turns it back
into a `date`. Dicts whose keys are not strings are refused there instead of being
silently changed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise

TAG = "__cf__"


def _duration(text: str) -> dt.timedelta:
    value = parse_duration(text)
    if value is None:
        raise ValueError(f"invalid duration {text!r}")
    return value


class TextType(NamedTuple):
    """A Python type JSON carries as text: its tag, how to write it and read it back."""

    type: type
    tag: str
    encode: Callable[[Any], str]
    decode: Callable[[str], Any]


#: Checked in order (a datetime is also a date).
TEXT_TYPES: tuple[TextType, ...] = (
    TextType(dt.datetime, "datetime", dt.datetime.isoformat, dt.datetime.fromisoformat),
    TextType(dt.date, "date", dt.date.isoformat, dt.date.fromisoformat),
    TextType(dt.time, "time", dt.time.isoformat, dt.time.fromisoformat),
    TextType(dt.timedelta, "duration", duration_iso_string, _duration),
    TextType(Decimal, "decimal", str, Decimal),
    TextType(uuid.UUID, "uuid", str, uuid.UUID),
)
_DECODERS: dict[str, Callable[[str], Any]] = {kind.tag: kind.decode for kind in TEXT_TYPES}


def _text_type(value: Any) -> TextType | None:
    for kind in TEXT_TYPES:
        if isinstance(value, kind.type):
            return kind
    return None


def as_text(value: Any) -> str | None:
    """The text JSON carries for a `TEXT_TYPES` value; None for any other value."""
    kind = _text_type(value)
    return None if kind is None else kind.encode(value)


class JSONEncoder(json.JSONEncoder):
    """`json.JSONEncoder` that writes the `TEXT_TYPES` and lazy translations as text."""

    def default(self, o: Any) -> Any:
        text = as_text(o)
        if text is not None:
            return text
        if isinstance(o, Promise):
            return str(o)
        return super().default(o)


def dumps(value: Any) -> str:
    """Compact JSON text of `value` (`JSONEncoder`)."""
    return json.dumps(value, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False)


def plain(value: Any) -> Any:
    """`value` with every `TEXT_TYPES` value inside it turned into its text."""
    return json.loads(dumps(value))


# -- tagged values (component state) -------------------------------------------------------


def to_tagged(value: Any) -> Any:
    """`value` in JSON types, the `TEXT_TYPES` as tagged text; TypeError for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    kind = _text_type(value)
    if kind is not None:
        return {TAG: kind.tag, "v": kind.encode(value)}
    if isinstance(value, list | tuple):
        return [to_tagged(item) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"State dict keys must be strings, not {type(key).__name__}")
        items = {key: to_tagged(item) for key, item in value.items()}
        # A user dict that happens to use the tag key is wrapped so it cannot pose as a tag.
        return {TAG: "dict", "v": list(items.items())} if TAG in items else items
    raise TypeError(f"{type(value).__name__} values cannot be stored in component state")


def _from_tagged(obj: dict[str, Any]) -> Any:
    tag = obj.get(TAG)
    if tag is None:
        return obj
    if set(obj) != {TAG, "v"}:
        raise ValueError("unknown tagged value")
    if tag == "dict":
        return dict(obj["v"])
    if tag not in _DECODERS:
        raise ValueError("unknown tagged value")
    return _DECODERS[tag](obj["v"])


def dumps_tagged(value: Any) -> str:
    """Compact JSON text of `to_tagged(value)`."""
    return json.dumps(to_tagged(value), separators=(",", ":"), ensure_ascii=False)


def loads_tagged(text: str | bytes) -> Any:
    """Inverse of `dumps_tagged`: tagged values come back as their types."""
    return json.loads(text, object_hook=_from_tagged)
