"""Live access follows the user's flags: losing staff or active status closes their sockets.

On every save of the user model (the panel's toggle and edit form, Django's admin, a shell,
a script), a change that takes `is_active` or `is_staff` away closes every WebSocket of that
user once the transaction commits, so a demoted or deactivated user stops receiving the
live feed at once (their next HTTP event is refused by the permission checks anyway).
`QuerySet.update()` sends no signals: code that demotes users in bulk closes the sockets
itself (`component_framework.core.ws_manager.close_user_sockets`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

from component_framework.core.ws_manager import close_user_sockets

from .audit import loaded_values

logger = logging.getLogger(__name__)

ACCESS_FLAGS = ("is_active", "is_staff")


def _on_pre_save(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    before = loaded_values(instance)
    instance._access_lost = not raw and any(
        before.get(flag) is True and not getattr(instance, flag) for flag in ACCESS_FLAGS
    )


def _on_post_save(
    sender: type[Model], instance: Any, using: str = "default", **kwargs: Any
) -> None:
    if getattr(instance, "_access_lost", False):
        instance._access_lost = False
        user_pk = instance.pk

        def close() -> None:  # a named function: Django's robust on_commit logs its name
            close_sockets(user_pk)

        transaction.on_commit(close, using=using, robust=True)


def close_sockets(user_pk: Any) -> None:
    """Close the user's sockets; a channel layer outage is logged, never raised."""
    try:
        close_user_sockets(user_pk)
    except Exception:  # the save is committed: a Redis outage must not turn it into a 500
        logger.exception("Could not close the WebSockets of user %s", user_pk)


def connect_signals() -> None:
    """Start watching user saves (called once from `AdminPanelConfig.ready`)."""
    user_model = settings.AUTH_USER_MODEL
    pre_save.connect(_on_pre_save, sender=user_model, dispatch_uid="admin_panel.access.pre")
    post_save.connect(_on_post_save, sender=user_model, dispatch_uid="admin_panel.access.post")
