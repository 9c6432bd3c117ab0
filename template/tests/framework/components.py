"""Small components the framework tests drive (names start with "test_")."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from pydantic import BaseModel, EmailStr, field_validator

from component_framework.adapters.django_model import DjangoModelComponent
from component_framework.adapters.django_views import CacheMixin, OptimisticMixin
from component_framework.core import registry
from component_framework.core.component import Component
from component_framework.core.dispatch import reachable, server_only
from component_framework.core.errors import Forbidden
from component_framework.core.form import FormComponent
from component_framework.core.permissions import (
    AllowAny,
    IsStaff,
    IsSuperuser,
    event_permissions,
)

User = get_user_model()


@registry.register("test_counter")
class CounterComponent(Component):
    """Counts; every handler shape the dispatch tests need."""

    template_name = "framework_tests/counter.html"
    #: Every method that ran, so refusals can assert that nothing did.
    calls: ClassVar[list[str]] = []

    def mount(self) -> None:
        self.state.update({"count": 0, "flag": False, "text": "", "options": {}, "tags": []})

    def on_add(self, amount: int = 1) -> None:
        self.calls.append("add")
        self.state["count"] += amount

    def on_set_flag(self, flag: bool) -> None:
        self.state["flag"] = flag

    def on_configure(self, options: dict[str, int], tags: list[str]) -> None:
        self.state["options"] = options
        self.state["tags"] = tags

    def on_echo(self, text: str) -> None:
        self.state["text"] = text

    def on_missing_object(self) -> None:
        self.calls.append("missing_object")
        raise ObjectDoesNotExist("No such thing.")

    @event_permissions(IsSuperuser)
    def on_reset(self) -> None:
        self.calls.append("reset")
        self.state["count"] = 0

    @server_only
    def on_server_add(self, amount: int = 1) -> None:
        """Only the server may run it (as a channel-layer push does)."""
        self.calls.append("server_add")
        self.state["count"] += amount

    @reachable("http", "socket")
    def on_ping(self) -> None:
        self.calls.append("ping")

    def _private(self) -> None:
        self.calls.append("_private")

    def dispatch(self) -> None:
        self.calls.append("dispatch")

    def render(self) -> Any:
        self.calls.append("render")
        return super().render()


@registry.register("test_staff_only")
class StaffOnlyComponent(Component):
    """Staff-only at the component level (the view allows any logged-in user)."""

    template_name = "framework_tests/counter.html"
    permission_classes: ClassVar[list[Any]] = [IsStaff]

    def mount(self) -> None:
        self.state.update({"count": 0, "flag": False, "text": "secret", "options": {}, "tags": []})

    def on_add(self, amount: int = 1) -> None:
        self.state["count"] += amount


@registry.register("test_public")
class PublicComponent(Component):
    """Anybody, anonymous users included."""

    template_name = "framework_tests/counter.html"
    permission_classes: ClassVar[list[Any]] = [AllowAny]

    def mount(self) -> None:
        self.state.update({"count": 0, "flag": False, "text": "", "options": {}, "tags": []})

    def on_add(self, amount: int = 1) -> None:
        self.state["count"] += amount


@registry.register("test_user_card")
class UserCardComponent(DjangoModelComponent):
    """Shows one user: `user_id` is a server-chosen param carried in the token."""

    template_name = "framework_tests/user_card.html"
    model = User
    state_fields: ClassVar[list[str]] = ["username", "email", "is_active", "date_joined"]

    def mount(self) -> None:
        self.state["user"] = self.serialize(self.get_object(self.params["user_id"]))

    def on_toggle(self) -> None:
        user = self.get_object(self.params["user_id"])
        user.is_active = not user.is_active
        user.save(update_fields=["is_active"])
        self.state["user"] = self.serialize(user)


class ComputeLog:
    """Counts recomputations across threads; optionally blocks them until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()

    def hit(self) -> None:
        with self.lock:
            self.count += 1
        self.started.set()
        self.release.wait()


@registry.register("test_cached")
class CachedComponent(CacheMixin, Component):
    """Counts users (one SQL query) behind the cache; staff only."""

    template_name = "framework_tests/cached.html"
    permission_classes: ClassVar[list[Any]] = [IsStaff]
    cache_ttl = 60
    computes: ClassVar[ComputeLog] = ComputeLog()

    def get_cache_key(self, name: str, params: Any, state: Any) -> str:
        return "test:cached"

    def mount(self) -> None:
        self._compute()

    def _compute(self) -> None:
        type(self).computes.hit()
        self.state["users"] = User.objects.count()
        self.state["secret"] = "staff-eyes-only"

    def on_refresh(self) -> None:
        self.invalidate_cache()
        self._compute()

    def on_bump(self) -> None:
        self.state["users"] += 100


class SignupSchema(BaseModel):
    username: str
    email: EmailStr
    age: int = 0
    is_admin: bool = False

    @field_validator("username")
    @classmethod
    def username_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Username cannot be blank.")
        return value.strip()


@registry.register("test_form")
class SignupFormComponent(OptimisticMixin, FormComponent):
    """A form: `is_admin` may only be sent by superusers (role gating)."""

    template_name = "framework_tests/form.html"
    schema = SignupSchema
    saved: ClassVar[list[Any]] = []

    def mount(self) -> None:
        self.state.update({"username": "", "email": "", "age": 0, "saving": False, "done": False})

    def get_schema_data(self, payload: dict[str, Any]) -> dict[str, Any]:
        if "is_admin" in payload and not self.user.is_superuser:
            raise Forbidden("Only superusers may set 'is_admin'.")
        return payload

    def on_submit(self) -> None:
        type(self).saved.append(self.validated_data)
        self.state["done"] = True

    def get_optimistic_patch(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        return {"saving": True} if event == "submit" else None


@registry.register("test_browser")
class BrowserComponent(OptimisticMixin, Component):
    """For the browser tests: anonymous users allowed; one failing, patched event."""

    template_name = "framework_tests/browser.html"
    permission_classes: ClassVar[list[Any]] = [AllowAny]

    def mount(self) -> None:
        self.state.update({"count": 0, "label": "Idle", "saving": False})

    def on_add(self, amount: int = 1) -> None:
        self.state["count"] += amount

    def on_fail(self) -> None:
        raise ObjectDoesNotExist("That row is gone.")

    def get_optimistic_patch(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if event in ("fail", "add"):
            return {"label": "Saving...", "saving": True}
        return None
