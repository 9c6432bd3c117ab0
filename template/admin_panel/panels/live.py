"""Live rows: a change to a listed object reaches every open list of its model.

`audit.entry_committed` is sent once per committed change; `broadcast_row` renders the
object's row once (the row is the same for every user) and sends that HTML to the model's
channel-layer group, where each `PanelRowsConsumer` socket forwards it and htmx swaps it
in by id: a row on screen updates, a deleted one is marked gone, others are ignored.

Only users who may view the model join its group: checked when the socket connects, and
again whenever their permissions or groups lose something
(`component_framework.adapters.revocation` re-checks their sockets, which close).
"""

from __future__ import annotations

import logging
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from component_framework.adapters.consumer import ComponentConsumer, group_send_soon
from component_framework.core.errors import Forbidden

from ..audit import entry_committed
from ..models import AuditEntry
from .components import row_of
from .options import ModelPanel
from .sites import site

logger = logging.getLogger(__name__)


def group_name(panel: ModelPanel) -> str:
    """The channel-layer group of a model's open lists."""
    return f"panel-{panel.opts.app_label}-{panel.opts.model_name}"


def row_html(panel: ModelPanel, pk: Any) -> dict[str, str]:
    """The row of object `pk` as an out-of-band swap, once in each language of `LANGUAGES`:
    its cells, or "gone" when it was deleted."""
    obj = panel.get_queryset().filter(pk=pk).first()
    html = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            context = {
                "panel": panel,
                "rows": [row_of(panel, obj) if obj is not None else {"pk": pk, "cells": []}],
                "gone": obj is None,
                "span": len(panel.get_list_display()),
                "oob": True,
            }
            # Bare: htmx parses a message inside a <template>, where a <tr> survives.
            html[language] = render_to_string("admin_panel/panels/rows.html", context)
    return html


@receiver(entry_committed, dispatch_uid="admin_panel.panels.live.broadcast_row")
def broadcast_row(sender: type[AuditEntry], entry: AuditEntry, **kwargs: Any) -> None:
    """Send a committed change's row to the open lists of its model (one render per
    language, whatever the number of open lists)."""
    if entry.target_type_id is None:
        return
    model = ContentType.objects.get_for_id(entry.target_type_id).model_class()
    panel = site.panel_for(model._meta.label_lower) if model is not None else None
    if panel is None:
        return
    try:
        pk = panel.opts.pk.to_python(entry.object_id)
        layer = get_channel_layer()
        if layer is not None:  # the save does not wait for the channel layer
            message = {"type": "panel.row", "html": row_html(panel, pk)}
            group_send_soon(layer, group_name(panel), message)
    except Exception:  # the change is committed: the request must still succeed
        logger.warning(
            "Could not send the live row of %s %s", panel, entry.object_id, exc_info=True
        )


class PanelRowsConsumer(ComponentConsumer):
    """The socket of one model's list (`ws/admin/panels/<app_label>/<model_name>/`)."""

    def get_panel(self) -> ModelPanel | None:
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        return site.panel_for(f"{kwargs.get('app_label')}.{kwargs.get('model_name')}")

    def check_access(self) -> None:
        super().check_access()  # active staff
        panel = self.get_panel()
        if panel is None or not panel.has_view_permission(self.user):
            raise Forbidden(_("You may not view this model."))

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        # Accepted only after the permission check: join the model's group first so no
        # change committed from now on is missed.
        panel = self.get_panel()
        if panel is not None:
            await self.group_add(group_name(panel))
        await super().accept(subprotocol, headers)

    async def panel_row(self, message: dict[str, Any]) -> None:
        """A changed row, rendered once per language: send this socket's page's one."""
        html = message["html"]
        await self.send_html(html.get(self.language) or html[settings.LANGUAGE_CODE])
