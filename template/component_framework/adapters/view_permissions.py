"""`permission_classes` for plain Django views: a function-view decorator and a
class-based-view mixin. Both answer a refusal with the framework's JSON 403.

    @permission_classes(IsStaff)
    def export(request): ...

    class ExportView(PermissionRequiredMixin, View):
        permission_classes = [IsStaff]

The decision is `core.permissions.check_permissions`, the same check `ComponentView`,
the `{% component %}` tag and `ComponentConsumer` make.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from ..core.error_responses import json_error
from ..core.errors import Forbidden
from ..core.permissions import IsAuthenticated, PermissionLike, check_permissions

F = TypeVar("F", bound=Callable[..., Any])


def permission_classes(*perms: PermissionLike) -> Callable[[F], F]:
    """Function-view decorator: JSON 403 unless every permission allows `request.user`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                check_permissions(perms, getattr(request, "user", None))
            except Forbidden as exc:
                return json_error(exc)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


class PermissionRequiredMixin:
    """Class-based-view mixin: JSON 403 unless every `permission_classes` entry allows."""

    permission_classes: list[PermissionLike] = [IsAuthenticated]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_permissions(self.permission_classes, getattr(request, "user", None))
        except Forbidden as exc:
            return json_error(exc)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
