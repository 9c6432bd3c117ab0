"""A server-driven UI component framework: Python classes, htmx events, Channels pushes.

Its public names import flat:

    from component_framework import Component, ComponentView, IsStaff, registry

or from the module each lives in (`component_framework.core.component`, ...), which is
what `__getattr__` below imports on first use. Nothing is imported with the package:
Django loads it while the app registry is still filling, before models may be imported.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module it lives in.
PUBLIC_NAMES = {
    "registry": "component_framework.core.registry",
    "Component": "component_framework.core.component",
    "FormComponent": "component_framework.core.form",
    "reachable": "component_framework.core.dispatch",
    "server_only": "component_framework.core.dispatch",
    "BadRequest": "component_framework.core.errors",
    "Forbidden": "component_framework.core.errors",
    "NotFound": "component_framework.core.errors",
    "AllowAny": "component_framework.core.permissions",
    "BasePermission": "component_framework.core.permissions",
    "HasPerm": "component_framework.core.permissions",
    "IsAuthenticated": "component_framework.core.permissions",
    "IsStaff": "component_framework.core.permissions",
    "IsSuperuser": "component_framework.core.permissions",
    "event_permissions": "component_framework.core.permissions",
    "ComponentConsumer": "component_framework.core.ws_manager",
    "DjangoModelComponent": "component_framework.adapters.django_model",
    "CacheMixin": "component_framework.adapters.cache",
    "ComponentView": "component_framework.adapters.django_views",
    "OptimisticMixin": "component_framework.adapters.optimistic",
    "PermissionRequiredMixin": "component_framework.adapters.view_permissions",
    "permission_classes": "component_framework.adapters.view_permissions",
    "ComponentTestCase": "component_framework.testing",
    "MockRenderer": "component_framework.testing",
}

__all__ = sorted(PUBLIC_NAMES)


def __getattr__(name: str) -> Any:
    module = PUBLIC_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *PUBLIC_NAMES})
