"""Live access follows authority: a change that may take a user's access away re-checks
every socket of theirs, on every worker, once its transaction commits.

Call `connect_signals()` once (from an `AppConfig.ready`). Each change below sends
`cf.recheck` to the affected users' socket groups (`consumer.recheck_user_sockets`);
each of their `ComponentConsumer` sockets re-reads its user from its session and re-runs its
permission check, closing with 4401 or 4403 when access is gone. Sockets of other users,
and sockets whose access still holds, stay open.

Watched, with the signal that reports it:

- a user saved with another `password`, `is_active`, `is_staff` or `is_superuser`
  (`pre_save` reads the stored row: one query per save of the user model only);
- a user deleted (`post_delete`);
- `user.groups` / `user.user_permissions`: remove, clear or set, from either side
  (`m2m_changed`);
- `group.permissions`: remove, clear or set, from either side (`m2m_changed`: the members
  of the groups);
- a group or a permission deleted, a content type's deletion included (`pre_delete`:
  members and holders);
- a session row deleted: logout elsewhere, `clearsessions`, `Session.objects…delete()`
  (`post_delete` of the session model, for database-backed session engines).

A session that expires needs no signal: each socket wakes up when its own session expires.
Logging out closes the user's sockets at once (`consumer.close_sockets_on_logout`).

Writes that send no signals are not seen: `QuerySet.update()`, `bulk_create()`,
`bulk_update()`, raw SQL, `manage.py flush`, sessions evicted from a cache. After such a
write call `recheck_user_sockets(*user_pks)` (or `recheck_after_commit(user_pks)` inside a
transaction) from `component_framework.adapters.consumer` / this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from .consumer import recheck_user_sockets

logger = logging.getLogger(__name__)

#: User fields whose change can end a session or a permission check.
AUTHORITY_FIELDS = ("password", "is_active", "is_staff", "is_superuser")
#: `m2m_changed` actions that take something away (`set()` removes through "pre_remove").
REMOVALS = ("pre_remove", "pre_clear")


def recheck_after_commit(user_pks: Iterable[Any], using: str = DEFAULT_DB_ALIAS) -> None:
    """Re-check these users' sockets once the current transaction commits (at once in
    autocommit); nothing is sent if it rolls back."""
    pks = list(dict.fromkeys(user_pks))
    if not pks:
        return

    def recheck() -> None:  # a named function: Django logs on_commit callbacks by name
        try:
            recheck_user_sockets(*pks)
        except Exception:  # the write is committed: a Redis outage must not turn it into a 500
            logger.exception("Could not re-check the WebSockets of users %s", pks)

    transaction.on_commit(recheck, using=using)


def _users(using: str, condition: Q) -> list[Any]:
    users = get_user_model()._base_manager.using(using)
    return list(users.filter(condition).values_list("pk", flat=True).distinct())


# -- the user model --------------------------------------------------------------------------------


def _authority_fields(model: type[Model]) -> list[str]:
    names = {field.name for field in model._meta.concrete_fields}
    return [name for name in AUTHORITY_FIELDS if name in names]


def _on_user_pre_save(
    sender: type[Model],
    instance: Any,
    raw: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    fields = [f for f in _authority_fields(sender) if update_fields is None or f in update_fields]
    instance._cf_authority_changed = False
    if raw or instance._state.adding or not fields:
        return
    stored = sender._base_manager.using(using).filter(pk=instance.pk).values(*fields).first()
    instance._cf_authority_changed = stored is not None and any(
        stored[name] != getattr(instance, name) for name in fields
    )


def _on_user_post_save(
    sender: type[Model], instance: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    # Scheduled after the save, not in pre_save: in autocommit on_commit runs at once.
    if getattr(instance, "_cf_authority_changed", False):
        instance._cf_authority_changed = False
        recheck_after_commit([instance.pk], using)


def _on_user_deleted(
    sender: type[Model], instance: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    recheck_after_commit([instance.pk], using)


# -- groups and permissions ------------------------------------------------------------------------


def _membership_receiver(field: str) -> Any:
    """`m2m_changed` receiver for `user.<field>` (groups or user_permissions)."""

    def receiver(
        sender: type[Model],
        instance: Any,
        action: str,
        reverse: bool,
        pk_set: set[Any] | None,
        using: str = DEFAULT_DB_ALIAS,
        **kwargs: Any,
    ) -> None:
        if action not in REMOVALS:
            return
        if not reverse:  # user.groups.remove(...): this user
            recheck_after_commit([instance.pk], using)
        elif pk_set is not None:  # group.user_set.remove(users)
            recheck_after_commit(pk_set, using)
        else:  # group.user_set.clear(): everyone in it, read before they are removed
            recheck_after_commit(_users(using, Q(**{field: instance})), using)

    return receiver


_on_user_groups_changed = _membership_receiver("groups")
_on_user_permissions_changed = _membership_receiver("user_permissions")


def _on_group_permissions_changed(
    sender: type[Model],
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    using: str = DEFAULT_DB_ALIAS,
    **kwargs: Any,
) -> None:
    if action not in REMOVALS:
        return
    if not reverse:  # group.permissions.remove(...): the group's members
        condition = Q(groups=instance)
    elif pk_set is not None:  # permission.group_set.remove(groups)
        condition = Q(groups__in=pk_set)
    else:  # permission.group_set.clear()
        condition = Q(groups__permissions=instance)
    recheck_after_commit(_users(using, condition), using)


def _on_group_deleted(
    sender: type[Model], instance: Group, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    recheck_after_commit(_users(using, Q(groups=instance)), using)


def _on_permission_deleted(
    sender: type[Model], instance: Permission, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    holders = Q(user_permissions=instance) | Q(groups__permissions=instance)
    recheck_after_commit(_users(using, holders), using)


# -- sessions --------------------------------------------------------------------------------------


def _on_session_deleted(
    sender: type[Model], instance: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    user_pk = instance.get_decoded().get(SESSION_KEY)
    if user_pk is not None:
        recheck_after_commit([user_pk], using)


def _session_model() -> type[Model] | None:
    """The model of a database-backed `SESSION_ENGINE` (None for cache/cookie engines)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    get_model_class = getattr(store, "get_model_class", None)
    return get_model_class() if get_model_class is not None else None


def _has_permissions_mixin(user_model: type[Model]) -> bool:
    try:
        user_model._meta.get_field("groups")
        user_model._meta.get_field("user_permissions")
    except FieldDoesNotExist:
        return False
    return True


def connect_signals() -> None:
    """Start watching authority changes (call once, from an `AppConfig.ready`)."""
    user_model = get_user_model()
    uid = "component_framework.revocation."
    pre_save.connect(_on_user_pre_save, sender=user_model, dispatch_uid=uid + "user_pre")
    post_save.connect(_on_user_post_save, sender=user_model, dispatch_uid=uid + "user_post")
    post_delete.connect(_on_user_deleted, sender=user_model, dispatch_uid=uid + "user_deleted")
    if _has_permissions_mixin(user_model):
        for field, receiver in (
            ("groups", _on_user_groups_changed),
            ("user_permissions", _on_user_permissions_changed),
        ):
            through = user_model._meta.get_field(field).remote_field.through
            m2m_changed.connect(receiver, sender=through, dispatch_uid=uid + field)
        m2m_changed.connect(
            _on_group_permissions_changed,
            sender=Group.permissions.through,
            dispatch_uid=uid + "group_permissions",
        )
        pre_delete.connect(_on_group_deleted, sender=Group, dispatch_uid=uid + "group")
        pre_delete.connect(_on_permission_deleted, sender=Permission, dispatch_uid=uid + "perm")
    session_model = _session_model()
    if session_model is not None:
        post_delete.connect(_on_session_deleted, sender=session_model, dispatch_uid=uid + "session")
