"""Audit recording: an `AuditEntry` for every create, update and delete of every model.

How it works, in the order things happen:

1. `AuditContextMiddleware` (or `audit_context()` in a consumer, a command or a task) puts
   the acting user and client IP in a context variable. Context variables follow the code
   into `sync_to_async` threads and back, so the actor is right under ASGI and WSGI alike.
2. Loading instances costs nothing: no receiver runs when a model is read.
3. `pre_save` of an instance that may already be stored reads its stored row (one SELECT by
   primary key, through the model's base manager, on the save's database); `post_save`
   compares the fields this save writes with it. A save that creates the row, or that
   writes only ignored fields, reads nothing.
4. `post_save`, `post_delete` and `m2m_changed` write the entry (`AuditEntry.objects.create`)
   in the same transaction as the change, so a rolled-back change leaves no entry. The
   panel's own writes run in a transaction; code that saves in autocommit mode gets the
   entry in a transaction of its own, right after the change.
5. After the transaction commits, `entry_committed` is sent. The live feed (`feed.py`, only
   in projects with the audit feed) listens to it; without listeners nothing is scheduled.

The "before" of an update is the row as stored when the save starts, whatever the instance
held when it was loaded: a save after a rolled-back one, or after a concurrent change, shows
what really changed. Lock the row (`select_for_update()`) when two writers may race.

Write paths Django sends no model signals for, so nothing here records them:

* `QuerySet.update()`, `bulk_create()`, `bulk_update()` (one statement for many rows);
* raw SQL (`connection.cursor()`);
* `raw` saves (fixture loading) and historical models inside migrations.

Deleting is always recorded, one entry per row: `QuerySet.delete()` and cascades load every
row and send `pre_delete`/`post_delete` for each one, since these receivers listen to every
model (Django skips its fast, signal-less delete when a model has delete receivers).
The panel's own writes all go through `save()`, `delete()` and related managers, except
rows of excluded models (activity telemetry, KPI months) and `seed_demo`'s bulk load of
demo data, which is not recorded. Code that must take one of these paths on audited data
writes its `AuditEntry` itself.

What is not recorded, on purpose:

* the models in `EXCLUDED_MODELS` and the fields in `IGNORED_FIELDS` (see the comments);
* a save that changes nothing.

Values of secret fields (`SECRET_FIELD_MARKERS`) never reach the trail: a changed password
appears as `["(hidden)", "(changed)"]`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.utils import translation

from component_framework.core.encoding import as_text

from .models import AuditEntry

# Models whose changes are never recorded ("app_label.modelname"). Keep this the only list.
EXCLUDED_MODELS: frozenset[str] = frozenset(
    {
        # Written on every login and by every session-backed request; not a business change.
        "sessions.session",
        # Schema bookkeeping written by `migrate`.
        "migrations.migration",
        # Created automatically by `migrate`; they name models, they hold no data.
        "contenttypes.contenttype",
        # Django admin's own history: the same changes are already recorded here.
        "admin.logentry",
        # The trail itself: recording it would recurse.
        "admin_panel.auditentry",
        # Telemetry written on each signed-in user's first request per throttle period
        # (see ActivityMiddleware): recording it would double that write load and bury the
        # real changes in the feed.
        "admin_panel.useractivity",
        # Derived numbers, recomputable from the audited data at any time.
        "admin_panel.kpimonth",
        # django-axes' failed-login counters: written by anonymous visitors on every failed
        # login (a password-guessing run would flood the feed) and holding the usernames
        # they typed, which can be a mistyped password.
        "axes.accessattempt",
        "axes.accessattemptexpiration",
        "axes.accessfailurelog",
        "axes.accesslog",
    }
)

# Fields Django writes on its own, not changes anyone made: `last_login` is set by every
# login, and recording it would fill the feed with sign-ins.
IGNORED_FIELDS: frozenset[str] = frozenset({"last_login"})

# A field whose name contains one of these never has its value recorded.
SECRET_FIELD_MARKERS: tuple[str, ...] = ("password", "secret", "token", "api_key")
HIDDEN = "(hidden)"
CHANGED = "(changed)"
# Long text values are cut so one entry stays small (the feed sends whole rows).
MAX_VALUE_CHARS = 200

# Sent after the transaction that wrote `entry` commits (never for a rollback).
entry_committed = Signal()


@dataclass
class AuditContext:
    """Who is acting and from where, for the duration of a request or a task."""

    get_user: Callable[[], Any] = lambda: None
    ip: str | None = None
    # Set when the actor's own row is deleted in this context: later entries must not
    # point at a row that will be gone at commit.
    actor_deleted: bool = field(default=False)


_context: ContextVar[AuditContext | None] = ContextVar("admin_panel_audit", default=None)


@contextmanager
def audit_context(user: Any = None, ip: str | None = None) -> Iterator[AuditContext]:
    """Attribute every change made inside the block to `user` (a user, or a callable
    returning one, evaluated only when something is recorded) from address `ip`.

        with audit_context(user=request.user, ip="203.0.113.9"):
            obj.save()
    """
    ctx = AuditContext(get_user=user if callable(user) else (lambda: user), ip=clean_ip(ip))
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def clean_ip(value: str | None) -> str | None:
    """`value` if it is an IPv4/IPv6 address, else None (test clients send odd values)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _current_actor() -> tuple[int | None, str, str | None]:
    """(actor pk, actor username, ip) from the context; (None, "", None) outside one."""
    ctx = _context.get()
    if ctx is None:
        return None, "", None
    user = ctx.get_user()
    if user is None or not getattr(user, "is_authenticated", False):
        return None, "", ctx.ip
    pk = None if ctx.actor_deleted else user.pk
    return pk, user.get_username(), ctx.ip


# --- what to record for a model -------------------------------------------------------------


@dataclass(frozen=True)
class _ModelPlan:
    attnames: tuple[str, ...]  # concrete fields but the pk, generated and auto_now ones
    names: dict[str, str]  # attname -> field name shown in the trail
    fields: dict[str, models.Field]  # attname -> field
    secret: frozenset[str]  # attnames whose values are hidden


_plans: dict[type[models.Model], _ModelPlan | None] = {}


def _plan_for(model: type[models.Model]) -> _ModelPlan | None:
    """The recording plan for `model`, or None when it is not audited (cached per class)."""
    try:
        return _plans[model]
    except KeyError:
        pass
    opts = model._meta
    if opts.apps is not global_apps or opts.label_lower in EXCLUDED_MODELS:
        # Historical models (inside migrations) and the excluded list.
        plan = None
    else:
        fields = [
            f
            for f in opts.concrete_fields
            if not f.primary_key
            and not f.generated  # computed by the database from fields that are recorded
            and not getattr(f, "auto_now", False)
            and f.name not in IGNORED_FIELDS
        ]
        plan = _ModelPlan(
            attnames=tuple(f.attname for f in fields),
            names={f.attname: f.name for f in fields},
            fields={f.attname: f for f in fields},
            secret=frozenset(
                f.attname for f in fields if any(m in f.name.lower() for m in SECRET_FIELD_MARKERS)
            ),
        )
    _plans[model] = plan
    return plan


def _jsonable(value: Any) -> Any:
    """A JSON-safe, size-bounded form of a field value for the trail."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"
    if (text := as_text(value)) is not None:  # dates, times, decimals, UUIDs: the framework's text
        return text
    if isinstance(value, bytes | memoryview | bytearray):
        return f"({len(value)} bytes)"
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, dict | list):
        return _jsonable(repr(value)) if len(repr(value)) > MAX_VALUE_CHARS else value
    return _jsonable(str(value))


def _label(instance: models.Model) -> str:
    """The stored text copy of `instance`, in the project's language (`LANGUAGE_CODE`)
    whatever the language of the request that changed it: one trail, one language."""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            text = str(instance)
    except Exception:  # any model's __str__ may fail (a missing related row...): best-effort
        text = ""
    return f"{instance._meta.label} #{instance.pk} {text}".strip()[:255]


def _record(instance: models.Model, action: str, changes: dict[str, Any], using: str) -> AuditEntry:
    actor_id, actor_username, ip = _current_actor()
    entry = AuditEntry.objects.using(using).create(
        actor_id=actor_id,
        actor_username=actor_username,
        action=action,
        target_type=ContentType.objects.db_manager(using).get_for_model(
            instance, for_concrete_model=False
        ),
        object_id=str(instance.pk)[:64],
        target=_label(instance),
        changes=changes,
        ip=ip,
    )
    if entry_committed.has_listeners(AuditEntry):

        def deliver() -> None:  # a named function: Django's robust on_commit logs its name
            entry_committed.send_robust(sender=AuditEntry, entry=entry)

        # After commit, never for a rollback; a failing listener cannot fail the request.
        transaction.on_commit(deliver, using=using, robust=True)
    return entry


def _values(values: dict[str, Any], plan: _ModelPlan, *, before: bool) -> dict[str, Any]:
    """Every non-empty field of `values` (by attname) as [value, None] (delete) or
    [None, value] (create)."""
    changes: dict[str, Any] = {}
    for attname in plan.attnames:
        value = values.get(attname)
        if value is None or value == "":
            continue
        shown = HIDDEN if attname in plan.secret else _jsonable(value)
        changes[plan.names[attname]] = [shown, None] if before else [None, shown]
    return changes


def _written(
    instance: models.Model, plan: _ModelPlan, update_fields: frozenset[str] | None
) -> list[str]:
    """The audited attnames this save writes: loaded ones (a deferred field that was never
    loaded is not written), limited to `update_fields` when given."""
    loaded = instance.__dict__
    return [
        attname
        for attname in plan.attnames
        if attname in loaded
        and (
            update_fields is None
            or attname in update_fields
            or plan.names[attname] in update_fields
        )
    ]


def _may_be_stored(instance: models.Model) -> bool:
    """False when Django will INSERT for sure: no primary key yet, or a new instance whose
    primary key has a default (Django skips the UPDATE attempt for those)."""
    if instance.pk is None:
        return False
    pk = instance._meta.pk
    return not (instance._state.adding and (pk.has_default() or pk.has_db_default()))


def _same(field: models.Field, stored: Any, saved: Any) -> bool:
    """Whether the value read from the database equals the one just saved. The instance may
    hold what the code assigned ("29.00" for a Decimal), so compare in the field's type."""
    if stored == saved:
        return True
    try:
        return stored == field.to_python(saved)
    except ValidationError:
        return False


def _diff(instance: models.Model, plan: _ModelPlan, stored: dict[str, Any]) -> dict[str, Any]:
    """[before, after] of every field whose saved value differs from the stored one."""
    changes: dict[str, Any] = {}
    current = instance.__dict__
    for attname, before in stored.items():
        after = current[attname]
        if _same(plan.fields[attname], before, after):
            continue
        name = plan.names[attname]
        if attname in plan.secret:
            changes[name] = [HIDDEN, CHANGED]
        else:
            changes[name] = [_jsonable(before), _jsonable(after)]
    return changes


# --- signal receivers -------------------------------------------------------------------------

# Instance attribute holding the stored values from `pre_save` until `post_save` (or from
# `pre_delete` until `post_delete`): set and removed within one save or delete.
_STORED = "_audit_stored"


def _on_pre_save(
    sender: type[models.Model],
    instance: models.Model,
    raw: bool = False,
    using: str = "default",
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    instance.__dict__.pop(_STORED, None)
    plan = _plan_for(sender)
    if plan is None or raw or not _may_be_stored(instance):
        return
    attnames = _written(instance, plan, update_fields)
    if not attnames:
        return  # e.g. a login's save(update_fields=["last_login"])
    # The whole row, as any load reads it: a plain query, no field list to resolve.
    found = list(sender._base_manager.using(using).filter(pk=instance.pk)[:1])
    if found:
        row = found[0].__dict__
        instance.__dict__[_STORED] = {attname: row[attname] for attname in attnames}


def _on_post_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    using: str = "default",
    **kwargs: Any,
) -> None:
    stored = instance.__dict__.pop(_STORED, None)
    plan = _plan_for(sender)
    if plan is None or raw:
        return
    if created:
        values = _values(instance.__dict__, plan, before=False)
        _record(instance, AuditEntry.Action.CREATE, values, using)
    elif stored is not None:
        changes = _diff(instance, plan, stored)
        if changes:
            _record(instance, AuditEntry.Action.UPDATE, changes, using)


def _on_pre_delete(
    sender: type[models.Model], instance: models.Model, using: str = "default", **kwargs: Any
) -> None:
    instance.__dict__.pop(_STORED, None)
    plan = _plan_for(sender)
    if plan is None:
        return
    # The entry shows the deleted row's values: read the ones deferred when it was loaded.
    deferred = [attname for attname in plan.attnames if attname not in instance.__dict__]
    if deferred and instance.pk is not None:
        rows = sender._base_manager.using(using).filter(pk=instance.pk).values(*deferred)
        stored = rows.first()
        if stored is not None:
            instance.__dict__[_STORED] = stored
    _note_actor_deleted(instance)


def _note_actor_deleted(instance: models.Model) -> None:
    ctx = _context.get()
    if ctx is None or ctx.actor_deleted or instance._meta.label_lower != _user_label():
        return
    user = ctx.get_user()
    if getattr(user, "is_authenticated", False) and user.pk == instance.pk:
        ctx.actor_deleted = True


def _on_post_delete(
    sender: type[models.Model], instance: models.Model, using: str = "default", **kwargs: Any
) -> None:
    stored = instance.__dict__.pop(_STORED, {})
    plan = _plan_for(sender)
    if plan is not None:
        values = {**stored, **instance.__dict__}
        _record(instance, AuditEntry.Action.DELETE, _values(values, plan, before=True), using)


def _on_m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    pk_set: set[Any] | None,
    using: str = "default",
    **kwargs: Any,
) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    plan = _plan_for(type(instance))
    if plan is None or (action != "post_clear" and not pk_set):
        return
    relation = _m2m_name(instance, sender)
    ids = sorted(str(pk) for pk in pk_set or ())
    if action == "post_add":
        change = [None, ids]
    elif action == "post_remove":
        change = [ids, None]
    else:
        change = ["(all)", None]
    _record(instance, AuditEntry.Action.UPDATE, {relation: change}, using)


def _m2m_name(instance: models.Model, through: type[models.Model]) -> str:
    """The name of the many-to-many relation of `instance` that uses `through`."""
    for f in instance._meta.get_fields():
        if not f.many_to_many:
            continue
        # A ManyToManyField keeps its through model on remote_field, the reverse side on itself.
        rel = getattr(f, "remote_field", None) if not f.auto_created else f
        if getattr(rel, "through", None) is through:
            return f.name
    return through._meta.model_name or "relation"


def _user_label() -> str:
    from django.contrib.auth import get_user_model

    return get_user_model()._meta.label_lower


def connect_signals() -> None:
    """Start recording (called once from `AdminPanelConfig.ready`)."""
    pre_save.connect(_on_pre_save, dispatch_uid="admin_panel.audit.pre_save")
    post_save.connect(_on_post_save, dispatch_uid="admin_panel.audit.post_save")
    pre_delete.connect(_on_pre_delete, dispatch_uid="admin_panel.audit.pre_delete")
    post_delete.connect(_on_post_delete, dispatch_uid="admin_panel.audit.post_delete")
    m2m_changed.connect(_on_m2m_changed, dispatch_uid="admin_panel.audit.m2m_changed")
