"""`Component`: a Python class with state, a `mount()`, `on_<event>` handlers and a template.

    @registry.register("counter")
    class Counter(Component):
        template_name = "counter.html"

        def mount(self):
            self.state["count"] = 0

        def on_add(self, amount: int = 1):
            self.state["count"] += amount

Lifecycle: a first load checks permissions (`check_access()`) and runs `mount()`; a
later event checks them again, gets state and params back from the signed token
(`restored()`) and runs `handle_event()`; both end in `render()`, which adds the new token
to the root element. `Component.load()` is the first load in one call; `ComponentView`
makes the same steps itself, checking permissions before it reads the request's
parameters, so each permission class runs once per request.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString

from . import state as state_codec
from .dispatch import HTTP, Source, coerce_arguments, dispatch
from .permissions import IsAuthenticated, PermissionLike, check_permissions
from .rendering import DjangoTemplateRenderer, Renderer, inject_root_attributes


def new_component_id() -> str:
    """A fresh, unguessable id usable in HTML ids and CSS selectors."""
    return "c" + secrets.token_hex(6)


class Component:
    """Base class of every component. See the module docstring for the lifecycle."""

    #: Set by `@registry.register(name)`; the name tokens are bound to.
    component_name: ClassVar[str] = ""
    #: Django template rendered by `render()`.
    template_name: ClassVar[str | None] = None
    #: Who may load this component or send it events (checked before anything else).
    permission_classes: ClassVar[Sequence[PermissionLike]] = [IsAuthenticated]
    #: Turns the component into HTML; tests swap in `MockRenderer()`.
    renderer: ClassVar[Renderer] = DjangoTemplateRenderer()

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        user: Any = None,
        request: HttpRequest | None = None,
        component_id: str | None = None,
    ) -> None:
        if user is None:
            user = getattr(request, "user", None) or AnonymousUser()
        self.params: dict[str, Any] = dict(params or {})
        self.user = user
        self.request = request
        self.component_id = component_id or new_component_id()
        self.state: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def mount(self) -> None:
        """Build the initial `self.state` (from `self.params`, the database, ...)."""

    @classmethod
    def get_name(cls) -> str:
        """The registered name (the class name for unregistered test classes)."""
        return cls.component_name or cls.__name__

    @classmethod
    def check_access(
        cls, user: Any, permissions: Iterable[PermissionLike] = (), component: Any = None
    ) -> None:
        """Raise `Forbidden` unless `user` passes `permissions` and the class's own."""
        check_permissions([*permissions, *cls.permission_classes], user, component)

    @classmethod
    def load(
        cls,
        *,
        user: Any,
        request: HttpRequest | None = None,
        params: Mapping[str, Any] | None = None,
        permissions: Iterable[PermissionLike] = (),
    ) -> Self:
        """First load: check permissions, then `mounted()`."""
        cls.check_access(user, permissions)
        return cls.mounted(user=user, request=request, params=params)

    @classmethod
    def mounted(
        cls,
        *,
        user: Any,
        request: HttpRequest | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Self:
        """Construct and `mount()` (through the cache for CacheMixin); permissions are the
        caller's (`load()` checks them first)."""
        component = cls(params=params, user=user, request=request)
        component.mount()
        return component

    @classmethod
    def restored(cls, token: object, *, user: Any, request: HttpRequest | None = None) -> Self:
        """Verify the token and restore state and params (permissions are the caller's:
        run `check_access()` first)."""
        payload = state_codec.unsign_state(token, cls.get_name(), user)
        component = cls(
            params=payload.params, user=user, request=request, component_id=payload.component_id
        )
        component.state = payload.state
        return component

    def handle_event(
        self, event: object, payload: Mapping[str, Any], source: Source = HTTP
    ) -> None:
        """Dispatch `event` from `source` with `payload` (see `core.dispatch`), then
        `after_event()`."""
        dispatch(self, event, payload, source)
        self.after_event(str(event))

    def after_event(self, event: str) -> None:
        """Hook run after a handler completed (CacheMixin writes fresh state back here)."""

    def get_event_arguments(
        self, event: str, handler: Callable[..., Any], payload: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Keyword arguments for `handler`; None means "do not call it" (FormComponent)."""
        return coerce_arguments(handler, payload)

    # -- rendering -------------------------------------------------------------------------

    def get_context_data(self) -> dict[str, Any]:
        """Template context: state, params, component_id, component, errors, request, csrf."""
        return {
            "state": self.state,
            "params": self.params,
            "component_id": self.component_id,
            "component": self,
            "errors": self.errors,
            "request": self.request,
            "csrf_token": get_token(self.request) if self.request is not None else "",
        }

    def get_state_token(self) -> str:
        """A signed token for the current state, bound to this component and user."""
        return state_codec.sign_state(
            self.get_name(), self.component_id, self.user, self.state, self.params
        )

    def get_root_attributes(self) -> dict[str, str]:
        """Attributes added to the root element: name, id, the signed state token, and
        `hx-sync` so that htmx sends one request of this component at a time, later ones
        waiting in order (each carries the token the previous response rendered)."""
        return {
            "data-cf-name": self.get_name(),
            "data-cf-id": self.component_id,
            "data-cf-state": self.get_state_token(),
            "hx-sync": "this:queue all",
        }

    def render(self) -> SafeString:
        """Render the template and stamp the root element with `get_root_attributes()`."""
        html = self.renderer.render(self, self.get_context_data())
        return inject_root_attributes(str(html), self.get_root_attributes() if html else {})
