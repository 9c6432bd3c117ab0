"""`{% component "name" key=value %}`: embed a component in a page.

    {% load components %}
    {% component "user_edit" user_id=user.pk %}

The component is loaded like a first HTTP load: permissions are checked for the
template's `request.user` first (a refused component renders as nothing, never its
data), then `mount()` runs (through the cache for CacheMixin components). The keyword
arguments become `params`, carried in the signed token for later events; they must be
values the state codec stores (str, int, date, Decimal, ...), not model instances.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from ..core.errors import Forbidden
from ..core.registry import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def component(context: template.Context, name: str, **params: Any) -> SafeString:
    """Render component `name` with `params` for the current request's user."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    cls = registry.get(name)
    try:
        instance = cls.load(user=user, request=request, params=params)
    except Forbidden:
        return SafeString("")  # nothing, so nothing leaks
    return instance.render()
