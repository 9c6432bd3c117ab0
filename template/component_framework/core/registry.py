"""The component registry: names (as used in URLs, templates and tokens) -> classes.

from component_framework.core import registry

@registry.register("counter")
class Counter(Component): ...

registry.get("counter")  # -> Counter; unknown names raise ComponentNotFound
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ImproperlyConfigured

from .errors import ComponentNotFound

if TYPE_CHECKING:
    from .component import Component

C = TypeVar("C", bound="type[Component]")

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class Registry:
    """Maps component names to component classes."""

    def __init__(self) -> None:
        self._components: dict[str, type[Component]] = {}

    def register(self, name: str) -> Callable[[C], C]:
        """Class decorator registering a component under `name` (sets `component_name`)."""
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ImproperlyConfigured(
                f"Component name {name!r} must start with a letter and contain only letters, "
                "digits, '_' or '-' (at most 64 characters)."
            )

        def decorator(cls: C) -> C:
            existing = self._components.get(name)
            if existing is not None and _qualified(existing) != _qualified(cls):
                raise ImproperlyConfigured(
                    f"Component name {name!r} is already registered by {_qualified(existing)}."
                )
            cls.component_name = name
            self._components[name] = cls
            return cls

        return decorator

    def get(self, name: str) -> type[Component]:
        """Return the class registered as `name`; raise `ComponentNotFound` otherwise."""
        try:
            return self._components[name]
        except (KeyError, TypeError):
            shown = name[:64] if isinstance(name, str) else type(name).__name__
            raise ComponentNotFound(f"Unknown component {shown!r}") from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._components)

    def unregister(self, name: str) -> None:
        """Forget `name` (for tests that register throwaway components)."""
        self._components.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._components


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


registry = Registry()
