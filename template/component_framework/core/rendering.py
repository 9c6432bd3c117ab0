"""Renderers turn a component into HTML; the root element gets the framework attributes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from .component import Component


class Renderer(Protocol):
    """Anything with `render(component, context) -> str`."""

    def render(self, component: Component, context: dict[str, Any]) -> str: ...


class DjangoTemplateRenderer:
    """Renders `component.template_name` with Django templates (autoescaping on)."""

    def render(self, component: Component, context: dict[str, Any]) -> str:
        if not component.template_name:
            raise ValueError(f"{type(component).__name__} has no template_name")
        return render_to_string(component.template_name, context, request=component.request)


# The first start tag, after optional whitespace, comments and a doctype.
_FIRST_TAG = re.compile(r"^(\s*(?:<!--.*?-->\s*|<!doctype[^>]*>\s*)*<[A-Za-z][A-Za-z0-9-]*)", re.S)


def inject_root_attributes(html: str, attributes: dict[str, str]) -> SafeString:
    """Add `attributes` (escaped) to the first element of `html`.

    They are inserted right after the tag name so they come before any attribute of the
    same name the template wrote: browsers keep the first, so the framework's win.
    """
    match = _FIRST_TAG.match(html)
    if match is None or not attributes:
        return mark_safe(html)  # noqa: S308 - renderer output is already escaped HTML
    rendered = "".join(f' {name}="{escape(value)}"' for name, value in attributes.items())
    return mark_safe(html[: match.end()] + rendered + html[match.end() :])  # noqa: S308
