"""Permissions: one check path for views, components, events and WebSockets.

A permission answers `has_permission(user, component=None) -> bool` and carries a
`message`. Classes and instances compose with `&`, `|` and `~`:

    permission_classes = [IsStaff | HasPerm("accounts.view_user")]

`check_permissions(perms, user, component)` is the only place a decision is made; it
raises `Forbidden` (403) with the first failing message. The same function backs
`ComponentView`, the `{% component %}` tag, per-event permissions, `ComponentConsumer`
and the view decorator and mixin of `adapters.view_permissions` (importable from here).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from .errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


class _Composable(type):
    """Lets permission *classes* compose too: `IsStaff | IsSuperuser`."""

    def __and__(cls, other: Any) -> BasePermission:
        return And(_instance(cls), _instance(other))

    def __rand__(cls, other: Any) -> BasePermission:
        return And(_instance(other), _instance(cls))

    def __or__(cls, other: Any) -> BasePermission:  # type: ignore[override]
        return Or(_instance(cls), _instance(other))

    def __ror__(cls, other: Any) -> BasePermission:  # type: ignore[override]
        return Or(_instance(other), _instance(cls))

    def __invert__(cls) -> BasePermission:
        return Not(_instance(cls))


class BasePermission(metaclass=_Composable):
    """Base class. Override `has_permission`; set `message` to explain a refusal."""

    message: str = _("Permission denied")

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return True

    def refusal(self, user: Any, component: Any = None) -> str | None:
        """None when allowed, else the message explaining the refusal."""
        return None if self.has_permission(user, component) else self.message

    def __and__(self, other: Any) -> BasePermission:
        return And(self, _instance(other))

    def __rand__(self, other: Any) -> BasePermission:
        return And(_instance(other), self)

    def __or__(self, other: Any) -> BasePermission:
        return Or(self, _instance(other))

    def __ror__(self, other: Any) -> BasePermission:
        return Or(_instance(other), self)

    def __invert__(self) -> BasePermission:
        return Not(self)


class AllowAny(BasePermission):
    """Everybody, anonymous users included."""

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return True


class IsAuthenticated(BasePermission):
    """Logged-in, active users."""

    message = _("Authentication required")

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


class IsStaff(BasePermission):
    """Active staff users."""

    message = _("Staff access required")

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return IsAuthenticated().has_permission(user) and bool(getattr(user, "is_staff", False))


class IsSuperuser(BasePermission):
    """Active superusers."""

    message = _("Superuser access required")

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return IsAuthenticated().has_permission(user) and bool(getattr(user, "is_superuser", False))


class HasPerm(BasePermission):
    """Active users holding a Django permission: `HasPerm("accounts.change_user")`."""

    def __init__(self, perm: str) -> None:
        self.perm = perm
        self.message = f"Permission {perm!r} required"

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return IsAuthenticated().has_permission(user) and bool(user.has_perm(self.perm))


class And(BasePermission):
    """Both must allow; the message is the first refusal's."""

    def __init__(self, first: BasePermission, second: BasePermission) -> None:
        self.first, self.second = first, second

    def refusal(self, user: Any, component: Any = None) -> str | None:
        return self.first.refusal(user, component) or self.second.refusal(user, component)

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return self.refusal(user, component) is None


class Or(BasePermission):
    """Either may allow; a refusal reports the first operand's message."""

    def __init__(self, first: BasePermission, second: BasePermission) -> None:
        self.first, self.second = first, second

    def refusal(self, user: Any, component: Any = None) -> str | None:
        first = self.first.refusal(user, component)
        if first is None or self.second.refusal(user, component) is None:
            return None
        return first

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return self.refusal(user, component) is None


class Not(BasePermission):
    """Allows exactly when the wrapped permission refuses."""

    def __init__(self, inner: BasePermission) -> None:
        self.inner = inner

    def has_permission(self, user: Any, component: Any = None) -> bool:
        return self.inner.refusal(user, component) is not None


PermissionLike = type[BasePermission] | BasePermission


def _instance(perm: Any) -> BasePermission:
    if isinstance(perm, BasePermission):
        return perm
    if isinstance(perm, type) and issubclass(perm, BasePermission):
        return perm()
    raise TypeError(f"{perm!r} is not a permission class or instance")


def check_permissions(perms: Iterable[PermissionLike], user: Any, component: Any = None) -> None:
    """Raise `Forbidden` unless every permission in `perms` allows `user`."""
    if user is None:
        user = AnonymousUser()
    for perm in perms:
        message = _instance(perm).refusal(user, component)
        if message is not None:
            raise Forbidden(message)


def event_permissions(*perms: PermissionLike) -> Callable[[F], F]:
    """Handler decorator: permissions checked for this event on top of the component's.

    @event_permissions(IsSuperuser)
    def on_delete(self, user_id: int): ...
    """

    def decorator(handler: F) -> F:
        handler._cf_event_permissions = tuple(perms)  # type: ignore[attr-defined]
        return handler

    return decorator


def get_event_permissions(handler: Callable[..., Any]) -> tuple[PermissionLike, ...]:
    """Permissions an `@event_permissions` decorator attached to `handler` (or none)."""
    func = getattr(handler, "__func__", handler)
    return tuple(getattr(func, "_cf_event_permissions", ()))


#: Names that live with the Django adapters, importable from here as well.
_ADAPTER_NAMES = {
    "permission_classes": "component_framework.adapters.view_permissions",
    "PermissionRequiredMixin": "component_framework.adapters.view_permissions",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: the adapters import this module.
    if name in _ADAPTER_NAMES:
        return getattr(importlib.import_module(_ADAPTER_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_ADAPTER_NAMES])
