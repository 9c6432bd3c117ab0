"""Rules every value a client sends must pass before the framework uses it.

- No string (a field name, a value, a JSON key or string) may contain a NUL character:
  PostgreSQL cannot store one in a text column or compare one in a query, and no form
  field or handler argument needs one.
- A JSON argument is bounded: at most `MAX_JSON_LENGTH` characters of text and
  `MAX_JSON_DEPTH` levels of nesting, so that neither parsing it nor anything that walks
  the value later (validation, state signing, templates) can recurse without end.

Each failure raises `BadRequest` (400) with one sentence naming the field:

    check_value("query", "a\\x00b")   # BadRequest: Invalid value for 'query': NUL ...
    parse_json("tags", '["x"]')       # ["x"]
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .errors import BadRequest

NUL = "\x00"
#: Levels of lists and dicts a value may nest (`[[1]]` has two).
MAX_JSON_DEPTH = 32
#: Characters of JSON text one argument may hold.
MAX_JSON_LENGTH = 64 * 1024


def shown(text: str) -> str:
    """`text` cut to 64 characters, for messages that echo what the client sent."""
    return text if len(text) <= 64 else text[:61] + "..."


def _refuse(field: str, problem: str) -> BadRequest:
    return BadRequest(f"Invalid value for {shown(field)!r}: {problem}.")


def check_value(field: str, value: Any) -> Any:
    """Return `value` (a string, or lists and dicts of JSON values) if it holds no NUL
    character (in strings and keys) and nests at most `MAX_JSON_DEPTH` levels."""
    if NUL in field:
        raise BadRequest("A field name contains a NUL character.")
    # An explicit stack: a value nested too deep must be refused, not recursed into.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                raise _refuse(field, "NUL characters are not allowed")
            continue
        if isinstance(item, dict | list | tuple):
            if depth >= MAX_JSON_DEPTH:
                raise _refuse(field, f"nested deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                if any(isinstance(key, str) and NUL in key for key in item):
                    raise _refuse(field, "NUL characters are not allowed")
                item = item.values()
            pending.extend((child, depth + 1) for child in item)
    return value


def check_fields(fields: Iterable[tuple[str, Iterable[str]]]) -> None:
    """`check_value` for each `(name, values)` pair, e.g. a `QueryDict`'s `lists()`."""
    for name, values in fields:
        check_value(name, list(values))


def parse_json(field: str, text: str) -> Any:
    """The JSON value of `text`, checked by `check_value`; `BadRequest` naming `field`."""
    check_value(field, text)
    if len(text) > MAX_JSON_LENGTH:
        raise _refuse(field, f"JSON longer than {MAX_JSON_LENGTH} characters")
    try:
        value = json.loads(text)
    except RecursionError:
        raise _refuse(field, f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        raise _refuse(field, "expected JSON") from None
    return check_value(field, value)
