"""`{% panel_nav %}`: links to the dashboard and to the model panels the user may view."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from ..panels import site

register = template.Library()


@register.simple_tag(takes_context=True)
def panel_nav(context: template.Context, current: str = "") -> SafeString:
    """The navigation; `current` is the label of the panel shown ("" for the dashboard)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    panels = site.visible_to(user) if user is not None else []
    html = render_to_string(
        "admin_panel/panels/nav.html", {"panels": panels, "current": current}, request=request
    )
    return SafeString(html)


@register.simple_tag
def panel_link(panel: Any, name: str = "panel_list", pk: Any = None) -> str:
    """The URL of a panel's page: `{% panel_link panel "panel_history" pk=obj.pk %}`."""
    kwargs = {"app_label": panel.opts.app_label, "model_name": panel.opts.model_name}
    if pk is not None:
        kwargs["pk"] = str(pk)
    return reverse(name, kwargs=kwargs)
