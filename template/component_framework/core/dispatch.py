"""The one place that maps an event name to a handler and its arguments.

Event `x` calls the component's `on_x` method and nothing else. Arguments arrive as
strings (htmx `hx-vals`, form fields) or JSON values (WebSocket) and are coerced and
validated from the handler's annotations with pydantic:

    def on_change_page(self, page: int): ...   # "5" -> 5, "5abc" -> 400 naming `page`

Every refusal is an `InvalidEvent` (400) whose message names the rule or the field.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from .errors import InvalidEvent
from .permissions import check_permissions, get_event_permissions

if TYPE_CHECKING:
    from .component import Component

HANDLER_PREFIX = "on_"
MAX_EVENT_LENGTH = 64
EVENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: Lifecycle and framework methods that are never events, whatever a subclass defines.
NOT_EVENTS = frozenset(
    {"mount", "render", "dispatch", "hydrate", "state", "params", "user", "request", "load"}
)


def _shown(text: str) -> str:
    return text if len(text) <= 64 else text[:61] + "..."


def validate_event_name(event: object) -> str:
    """Return `event` if it may name a handler, else raise `InvalidEvent` naming the rule."""
    if not isinstance(event, str) or not event:
        raise InvalidEvent("Event name is required.")
    if len(event) > MAX_EVENT_LENGTH:
        raise InvalidEvent(f"Event name is longer than {MAX_EVENT_LENGTH} characters.")
    if event.startswith("_"):
        raise InvalidEvent(f"Event {_shown(event)!r}: names starting with '_' are private.")
    if not EVENT_RE.match(event):
        raise InvalidEvent(
            f"Event {_shown(event)!r}: names may contain only letters, digits and '_'."
        )
    if event in NOT_EVENTS:
        raise InvalidEvent(f"Event {event!r}: lifecycle methods are not events.")
    return event


def resolve_handler(component: Component | type[Component], event: object) -> Callable[..., Any]:
    """The `on_<event>` handler for `event` (bound when given an instance)."""
    name = HANDLER_PREFIX + validate_event_name(event)
    cls = component if isinstance(component, type) else type(component)
    # Looked up on the class so instance attributes can never pose as handlers.
    func = inspect.getattr_static(cls, name, None)
    if not inspect.isfunction(func):
        raise InvalidEvent(f"Unknown event {event!r}.")
    return func if isinstance(component, type) else getattr(component, name)


def handler_events(cls: type[Component]) -> list[str]:
    """Names of the events `cls` handles (its `on_*` methods)."""
    events = []
    for name in dir(cls):
        if not name.startswith(HANDLER_PREFIX):
            continue
        event = name[len(HANDLER_PREFIX) :]
        try:
            resolve_handler(cls, event)
        except InvalidEvent:
            continue
        events.append(event)
    return events


# -- arguments -----------------------------------------------------------------------------


class _ArgsSpec(typing.NamedTuple):
    model: type[BaseModel]
    json_fields: frozenset[str]
    accepts_extra: bool


def _wants_json(annotation: Any) -> bool:
    """Whether a string value for this annotation should be read as JSON first."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _wants_json(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_wants_json(arg) for arg in typing.get_args(annotation) if arg is not str)
    target = origin or annotation
    if isinstance(target, type):
        return issubclass(target, dict | list | tuple | set | frozenset | BaseModel)
    return False


@functools.cache
def _spec(func: Callable[..., Any]) -> _ArgsSpec:
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # unresolvable forward references: treat as untyped
        hints = {}
    fields: dict[str, Any] = {}
    json_fields = set()
    accepts_extra = False
    params = list(inspect.signature(func).parameters.values())[1:]  # drop self
    for param in params:
        if param.kind is param.VAR_KEYWORD:
            accepts_extra = True
            continue
        if param.kind is param.VAR_POSITIONAL:
            continue
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, default)
        if _wants_json(annotation):
            json_fields.add(param.name)
    model = create_model(  # type: ignore[call-overload]
        f"{func.__qualname__}.args",
        __config__=ConfigDict(
            extra="allow" if accepts_extra else "forbid", arbitrary_types_allowed=True
        ),
        **fields,
    )
    return _ArgsSpec(model, frozenset(json_fields), accepts_extra)


def coerce_arguments(handler: Callable[..., Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Validate `payload` against `handler`'s annotations; return keyword arguments."""
    func = getattr(handler, "__func__", handler)
    spec = _spec(func)
    data = dict(payload)
    for name in spec.json_fields:
        value = data.get(name)
        if isinstance(value, str):
            try:
                data[name] = json.loads(value)
            except (ValueError, RecursionError):
                raise InvalidEvent(f"Invalid value for {name!r}: expected JSON.") from None
    try:
        validated = spec.model.model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc)) from None
    arguments = {name: getattr(validated, name) for name in type(validated).model_fields}
    if spec.accepts_extra:
        arguments.update(validated.model_extra or {})
    return arguments


def describe_validation_error(exc: ValidationError) -> str:
    """One sentence naming the first field that failed and why."""
    error = exc.errors(include_url=False)[0]
    field = _shown(".".join(str(part) for part in error["loc"])) or "arguments"
    if error["type"] in ("missing", "missing_argument"):
        return f"Missing argument {field!r}."
    if error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"Unexpected argument {field!r}."
    return f"Invalid value for {field!r}: {error['msg']}."


def dispatch(component: Component, event: object, payload: Mapping[str, Any]) -> None:
    """Run event `event` on `component`: handler lookup, event permissions, arguments, call.

    HTTP (`ComponentView`) and WebSocket (`ComponentConsumer`) both come through here.
    """
    handler = resolve_handler(component, event)
    check_permissions(get_event_permissions(handler), component.user, component)
    arguments = component.get_event_arguments(str(event), handler, payload)
    if arguments is not None:
        handler(**arguments)
