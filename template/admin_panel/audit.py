"""Audit recording: an `AuditEntry` for every create, update and delete of every model.

How it works, in the order things happen:

1. `AuditContextMiddleware` (or `audit_context()` in a consumer, a command or a task) puts
   the acting user and client IP in a context variable. Context variables follow the code
   into `sync_to_async` threads and back, so the actor is right under ASGI and WSGI alike.
2. `post_init` keeps a shallow copy of each loaded instance's field values (a C-level
   `dict.copy`; mutable JSON values are deep-copied): loading stays almost free, and an
   audited save costs its own UPDATE plus the entry's INSERT, where a `pre_save` re-fetch
   of the row would add a SELECT to every save.
3. `post_save`, `post_delete` and `m2m_changed` write the entry (one INSERT, `_insert`)
   in the same transaction as the change, so a rolled-back change leaves no entry. The
   panel's own writes run in a transaction; code that saves in autocommit mode gets the
   entry in a transaction of its own, right after the change.
4. After the transaction commits, `entry_committed` is sent. The live feed (`feed.py`, only
   in projects with the audit feed) listens to it; without listeners nothing is scheduled.

What is not recorded, on purpose:

* the models in `EXCLUDED_MODELS` and the fields in `IGNORED_FIELDS` (see the comments);
* `QuerySet.update()`, `bulk_create()` and `bulk_update()`: they send no model signals.
  Bulk writes are for data loading (`seed_demo`, imports), not for user actions;
* `raw` saves (fixture loading) and historical models inside migrations;
* a save that changes nothing.

The snapshot is what the code last loaded or saved: after a rolled-back save, an
instance kept in memory still holds its unsaved values (Django does not revert them), and
its next diff starts from those. Load the row again after a rollback.

Values of secret fields (`SECRET_FIELD_MARKERS`) never reach the trail: a changed password
appears as `["(hidden)", "(changed)"]`.
"""

from __future__ import annotations

import copy
import datetime
import functools
import ipaddress
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_delete
from django.dispatch import Signal

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


def loaded_values(instance: models.Model) -> dict[str, Any]:
    """An audited instance's field values (by attname) as last loaded or saved; {} if unknown."""
    return getattr(instance, "_audit_snapshot", {})


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
    secret: frozenset[str]  # attnames whose values are hidden
    mutable: tuple[str, ...]  # attnames holding JSON (deep-copied in the snapshot)


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
            secret=frozenset(
                f.attname for f in fields if any(m in f.name.lower() for m in SECRET_FIELD_MARKERS)
            ),
            mutable=tuple(f.attname for f in fields if isinstance(f, models.JSONField)),
        )
    _plans[model] = plan
    return plan


def _jsonable(value: Any) -> Any:
    """A JSON-safe, size-bounded form of a field value for the trail."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | datetime.timedelta):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return f"({len(value)} bytes)"
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, dict | list):
        return _jsonable(repr(value)) if len(repr(value)) > MAX_VALUE_CHARS else value
    return _jsonable(str(value))


def _snapshot(instance: models.Model, plan: _ModelPlan) -> dict[str, Any]:
    snap = instance.__dict__.copy()
    snap.pop("_audit_snapshot", None)  # never chain one snapshot to the previous one
    for attname in plan.mutable:
        if attname in snap:
            snap[attname] = copy.deepcopy(snap[attname])
    return snap


def _label(instance: models.Model) -> str:
    try:
        text = str(instance)
    except Exception:  # any model's __str__ may fail (a missing related row...): best-effort
        text = ""
    return f"{instance._meta.label} #{instance.pk} {text}".strip()[:255]


def _record(instance: models.Model, action: str, changes: dict[str, Any], using: str) -> AuditEntry:
    actor_id, actor_username, ip = _current_actor()
    entry = AuditEntry(
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
    _insert(entry, using)
    if entry_committed.has_listeners(AuditEntry):

        def deliver() -> None:  # a named function: Django's robust on_commit logs its name
            entry_committed.send_robust(sender=AuditEntry, entry=entry)

        # After commit, never for a rollback; a failing listener cannot fail the request.
        transaction.on_commit(deliver, using=using, robust=True)
    return entry


def _insert(entry: AuditEntry, using: str) -> None:
    """Write `entry` with one INSERT and give it its id.

    Every audited save pays for this write, so it skips the ORM's `save()` machinery, which
    costs more than the write itself: the values go through the same field adapters `save()`
    uses, without the model-save machinery around them. So an
    `AuditEntry` sends no pre_save/post_save of its own: listen to `entry_committed`.
    """
    connection = connections[using]
    sql, fields, returning = _insert_sql(using)
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if returning:
            entry.pk = cursor.fetchone()[0]
        else:
            entry.pk = connection.ops.last_insert_id(
                cursor, AuditEntry._meta.db_table, AuditEntry._meta.pk.column
            )
    entry._state.adding = False
    entry._state.db = using


@functools.cache
def _insert_sql(using: str) -> tuple[str, list[models.Field], bool]:
    """The INSERT of an entry on database `using`, its fields and whether it returns the id."""
    connection = connections[using]
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    # Only quoted names from the model go into the SQL; every value is a parameter.
    table = quote(AuditEntry._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    returning = connection.features.can_return_columns_from_insert
    if returning:
        sql += f" RETURNING {quote(AuditEntry._meta.pk.column)}"
    return sql, fields, returning


def _values(instance: models.Model, plan: _ModelPlan, *, before: bool) -> dict[str, Any]:
    """Every non-empty field as [value, None] (delete) or [None, value] (create)."""
    changes: dict[str, Any] = {}
    for attname in plan.attnames:
        value = instance.__dict__.get(attname)
        if value is None or value == "":
            continue
        shown = HIDDEN if attname in plan.secret else _jsonable(value)
        changes[plan.names[attname]] = [shown, None] if before else [None, shown]
    return changes


def _diff(
    instance: models.Model, plan: _ModelPlan, update_fields: frozenset[str] | None
) -> dict[str, Any]:
    snap = getattr(instance, "_audit_snapshot", {})
    current = instance.__dict__
    changes: dict[str, Any] = {}
    for attname in plan.attnames:
        name = plan.names[attname]
        if update_fields is not None and name not in update_fields and attname not in update_fields:
            continue
        if attname not in current:
            continue  # deferred and never loaded: not written by this save
        after = current[attname]
        before = snap.get(attname, after)
        if before == after:
            continue
        if attname in plan.secret:
            changes[name] = [HIDDEN, CHANGED]
        else:
            changes[name] = [_jsonable(before), _jsonable(after)]
    return changes


# --- signal receivers -------------------------------------------------------------------------


def _on_post_init(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    plan = _plan_for(sender)
    if plan is not None:
        instance._audit_snapshot = _snapshot(instance, plan)  # type: ignore[attr-defined]


def _on_post_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    using: str = "default",
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    plan = _plan_for(sender)
    if plan is None or raw:
        return
    if created:
        _record(instance, AuditEntry.Action.CREATE, _values(instance, plan, before=False), using)
    else:
        changes = _diff(instance, plan, update_fields)
        if changes:
            _record(instance, AuditEntry.Action.UPDATE, changes, using)
    # The next save of this same instance diffs against what is now in the database.
    instance._audit_snapshot = _snapshot(instance, plan)  # type: ignore[attr-defined]


def _on_pre_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    ctx = _context.get()
    if ctx is None or ctx.actor_deleted or instance._meta.label_lower != _user_label():
        return
    user = ctx.get_user()
    if getattr(user, "is_authenticated", False) and user.pk == instance.pk:
        ctx.actor_deleted = True


def _on_post_delete(
    sender: type[models.Model], instance: models.Model, using: str = "default", **kwargs: Any
) -> None:
    plan = _plan_for(sender)
    if plan is not None:
        _record(instance, AuditEntry.Action.DELETE, _values(instance, plan, before=True), using)


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
    post_init.connect(_on_post_init, dispatch_uid="admin_panel.audit.post_init")
    post_save.connect(_on_post_save, dispatch_uid="admin_panel.audit.post_save")
    pre_delete.connect(_on_pre_delete, dispatch_uid="admin_panel.audit.pre_delete")
    post_delete.connect(_on_post_delete, dispatch_uid="admin_panel.audit.post_delete")
    m2m_changed.connect(_on_m2m_changed, dispatch_uid="admin_panel.audit.m2m_changed")
