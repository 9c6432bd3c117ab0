"""The one place that maps an event name to a handler and its arguments.

Event `x` calls the component's `on_x` method and nothing else. Arguments arrive as
strings (htmx `hx-vals`, form fields) or JSON values (WebSocket) and are coerced and
validated from the handler's annotations with pydantic:

    def on_change_page(self, page: int): ...   # "5" -> 5, "5abc" -> 400 naming `page`

Every handler declares where it may be called from: `"http"` (a browser's POST through
`ComponentView`), `"socket"` (a browser's WebSocket frame) or `"server"` (code of the
project, e.g. `ComponentConsumer.dispatch_event` after a channel-layer message):

    def on_search(self, query: str): ...              # default: HTTP (and the server)

    @reachable("http", "socket")
    def on_typing(self, text: str): ...

    @server_only
    def on_new_entry(self, entry: dict): ...          # never from a browser

The server may call every handler (it could call the method directly anyway). A source
a handler does not accept is refused exactly like an unknown event: 400, nothing runs.

Every refusal is an `InvalidEvent` (400) whose message names the rule or the field;
every argument value first passes `client_input.check_value` (no NUL, bounded nesting).
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from .client_input import check_value, parse_json, shown
from .errors import BadRequest, InvalidEvent
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

F = TypeVar("F", bound=Callable[..., Any])

#: Where a dispatch comes from (see the module docstring).
Source = Literal["http", "socket", "server"]
HTTP: Source = "http"
SOCKET: Source = "socket"
SERVER: Source = "server"
SOURCES: frozenset[Source] = frozenset({HTTP, SOCKET, SERVER})
#: Sources of a handler without `@reachable` / `@server_only`.
DEFAULT_SOURCES: frozenset[Source] = frozenset({HTTP, SERVER})


def reachable(*sources: Source) -> Callable[[F], F]:
    """Handler decorator: the sources `"http"` / `"socket"` this handler may be called from.

        @reachable("http", "socket")
        def on_typing(self, text: str): ...

    The server may always call it. Without this decorator a handler is reachable from
    HTTP only (and the server).
    """
    unknown = set(sources) - SOURCES
    if unknown:
        raise ValueError(f"Unknown event sources {sorted(unknown)}; use {sorted(SOURCES)}.")

    def decorator(handler: F) -> F:
        handler._cf_sources = frozenset({*sources, SERVER})  # type: ignore[attr-defined]
        return handler

    return decorator


def server_only(handler: F) -> F:
    """Handler decorator: only the server may dispatch this event (no browser source).

    @server_only
    def on_new_entry(self, entry: dict): ...
    """
    return reachable(SERVER)(handler)


def handler_sources(handler: Callable[..., Any]) -> frozenset[Source]:
    """The sources `handler` may be called from (`@reachable`, or `DEFAULT_SOURCES`)."""
    func = getattr(handler, "__func__", handler)
    return frozenset(getattr(func, "_cf_sources", DEFAULT_SOURCES))


def validate_event_name(event: object) -> str:
    """Return `event` if it may name a handler, else raise `InvalidEvent` naming the rule."""
    if not isinstance(event, str) or not event:
        raise InvalidEvent("Event name is required.")
    if len(event) > MAX_EVENT_LENGTH:
        raise InvalidEvent(f"Event name is longer than {MAX_EVENT_LENGTH} characters.")
    if event.startswith("_"):
        raise InvalidEvent(f"Event {shown(event)!r}: names starting with '_' are private.")
    if not EVENT_RE.match(event):
        raise InvalidEvent(
            f"Event {shown(event)!r}: names may contain only letters, digits and '_'."
        )
    if event in NOT_EVENTS:
        raise InvalidEvent(f"Event {event!r}: lifecycle methods are not events.")
    return event


def resolve_handler(
    component: Component | type[Component], event: object, source: Source = HTTP
) -> Callable[..., Any]:
    """The `on_<event>` handler for `event` (bound when given an instance), if `source`
    may call it; else `InvalidEvent`, the same for a handler hidden from `source` as for
    one that does not exist."""
    if source not in SOURCES:
        raise ValueError(f"Unknown event source {source!r}; use {sorted(SOURCES)}.")
    name = HANDLER_PREFIX + validate_event_name(event)
    cls = component if isinstance(component, type) else type(component)
    # Looked up on the class so instance attributes can never pose as handlers.
    func = inspect.getattr_static(cls, name, None)
    if not inspect.isfunction(func) or source not in handler_sources(func):
        raise InvalidEvent(f"Unknown event {event!r}.")
    return func if isinstance(component, type) else getattr(component, name)


def handler_events(cls: type[Component], source: Source = HTTP) -> list[str]:
    """Names of the events of `cls` (its `on_*` methods) that `source` may call; by
    default the events a browser may post over HTTP."""
    events = []
    for name in dir(cls):
        if not name.startswith(HANDLER_PREFIX):
            continue
        event = name[len(HANDLER_PREFIX) :]
        try:
            resolve_handler(cls, event, source)
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
                data[name] = parse_json(name, value)
            except BadRequest as exc:
                raise InvalidEvent(exc.message) from None
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
    field = shown(".".join(str(part) for part in error["loc"])) or "arguments"
    if error["type"] in ("missing", "missing_argument"):
        return f"Missing argument {field!r}."
    if error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"Unexpected argument {field!r}."
    return f"Invalid value for {field!r}: {error['msg']}."


def check_payload(payload: Mapping[str, Any]) -> None:
    """`InvalidEvent` unless every name and value passes `client_input.check_value`."""
    try:
        for name, value in payload.items():
            check_value(str(name), value)
    except BadRequest as exc:
        raise InvalidEvent(exc.message) from None


def dispatch(
    component: Component, event: object, payload: Mapping[str, Any], source: Source = HTTP
) -> None:
    """Run event `event` from `source` on `component`: handler lookup (refused when
    `source` may not call it), event permissions, argument checks, arguments, call.

    HTTP (`ComponentView`, source "http") and WebSocket (`ComponentConsumer`, source
    "server" for `dispatch_event`) both come through here.
    """
    handler = resolve_handler(component, event, source)
    check_permissions(get_event_permissions(handler), component.user, component)
    check_payload(payload)
    arguments = component.get_event_arguments(str(event), handler, payload)
    if arguments is not None:
        handler(**arguments)
