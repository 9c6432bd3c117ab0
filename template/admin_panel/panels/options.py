"""`ModelPanel`: how one model shows in the panel, declared as in Django admin.

    @site.register(Subscription)
    class SubscriptionPanel(ModelPanel):
        list_display = ["plan", "user", "status", "monthly_amount", "created"]
        search_fields = ["plan"]
        list_filter = ["status", "user", "created"]
        ordering = ["-created"]
        readonly_fields = ["created"]

Permissions are Django's model permissions (`view_`, `add_`, `change_`, `delete_`), from
the user's own and their groups'; superusers have them all, and only active staff use the
panel at all. The `has_*_permission(user, obj)` hooks are where a panel narrows them per
object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_permission_codename
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .filters import ListFilter, list_filter

#: Characters a cell keeps (a cell's whole value is in the object's form).
CELL_CHARS = 80


def action(
    function: Callable[..., Any] | None = None,
    *,
    description: str | None = None,
    permission: str = "change",
) -> Any:
    """Declare a bulk action: a function run once per selected object, after a
    confirmation step, for the objects the user holds `permission` on.

        @action(description=gettext_lazy("Cancel subscriptions"))
        def cancel(panel, request, obj):
            obj.status = "cancelled"
            obj.save()          # a save per object: each one checked and audited

    Never `QuerySet.update()`: it would skip the per-object check and the audit trail.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.short_description = description or capfirst(func.__name__.replace("_", " "))  # type: ignore[attr-defined]
        func.allowed_permission = permission  # type: ignore[attr-defined]
        return func

    return decorate(function) if function is not None else decorate


@action(description=gettext_lazy("Delete selected"), permission="delete")
def delete_selected(panel: ModelPanel, request: Any, obj: models.Model) -> None:
    """The built-in bulk action: delete each selected object (one audited delete each)."""
    obj.delete()


class ModelPanel:
    """A model's list, forms, history and export in the panel (see the module docstring)."""

    #: Columns: field names, "__str__", or names of panel methods taking the object.
    list_display: Sequence[str] = ("__str__",)
    #: Fields a search reads (substring, case-insensitive).
    search_fields: Sequence[str] = ()
    #: Fields filtered on: booleans, fields with choices, foreign keys, dates.
    list_filter: Sequence[str] = ()
    #: Default order (default: the model's `Meta.ordering`, else newest primary key first).
    ordering: Sequence[str] = ()
    #: Columns a user may sort by (default: the `list_display` entries that are fields).
    sortable_by: Sequence[str] | None = None
    #: Bulk actions (`@action` functions); the built-in delete comes first.
    actions: Sequence[Callable[..., Any]] = ()
    #: Fields shown on the form but never changed through it.
    readonly_fields: Sequence[str] = ()
    #: Fields on the form (default: every editable field).
    fields: Sequence[str] | None = None
    list_per_page: int = 25
    #: Matching rows counted at most (past it the list reads "1,000+").
    count_cap: int = 1000

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.opts = model._meta

    def __str__(self) -> str:
        return self.opts.label_lower

    # -- names -------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """ "app_label.model_name", the panel's id in URLs, tokens and channel groups."""
        return self.opts.label_lower

    @property
    def verbose_name(self) -> str:
        return capfirst(str(self.opts.verbose_name))

    @property
    def verbose_name_plural(self) -> str:
        return capfirst(str(self.opts.verbose_name_plural))

    # -- permissions -------------------------------------------------------------------------

    def has_perm(self, user: Any, kind: str) -> bool:
        """Whether active staff `user` holds the model permission `kind` ("view", ...)."""
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return False
        codename = get_permission_codename(kind, self.opts)
        return bool(user.has_perm(f"{self.opts.app_label}.{codename}"))

    def has_view_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        """View, or change (which implies seeing what one changes), as in Django admin."""
        return self.has_perm(user, "view") or self.has_perm(user, "change")

    def has_add_permission(self, user: Any) -> bool:
        return self.has_perm(user, "add")

    def has_change_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return self.has_perm(user, "change")

    def has_delete_permission(self, user: Any, obj: models.Model | None = None) -> bool:
        return self.has_perm(user, "delete")

    def has_permission(self, user: Any, kind: str, obj: models.Model | None = None) -> bool:
        """The `has_<kind>_permission` hook, by name."""
        if kind == "add":
            return self.has_add_permission(user)
        check = getattr(self, f"has_{kind}_permission", None)
        return bool(check(user, obj)) if check is not None else False

    # -- the list ----------------------------------------------------------------------------

    def get_queryset(self, user: Any = None) -> models.QuerySet[Any]:
        """Every row the panel lists to `user` (foreign keys shown as columns are joined);
        override to narrow it per user (`user` is None where no one in particular asks)."""
        related = [
            name
            for name in self.get_list_display()
            if (field := self.field(name)) is not None and field.many_to_one
        ]
        queryset = self.model._default_manager.all()
        return queryset.select_related(*related) if related else queryset

    def get_list_display(self) -> list[str]:
        return list(self.list_display)

    def get_search_fields(self) -> list[str]:
        return list(self.search_fields)

    def get_ordering(self) -> list[str]:
        return list(self.ordering or self.opts.ordering or ["-pk"])

    def get_list_filters(self) -> list[ListFilter]:
        return [list_filter(self.opts.get_field(name)) for name in self.list_filter]

    def get_sortable_by(self) -> list[str]:
        if self.sortable_by is not None:
            return list(self.sortable_by)
        return [
            name
            for name in self.get_list_display()
            if (field := self.field(name)) is not None and field.concrete and not field.is_relation
        ]

    def get_actions(self) -> dict[str, Callable[..., Any]]:
        """Bulk actions by name: the built-in delete, then the declared ones."""
        found = {"delete_selected": delete_selected}
        for function in self.actions:
            if not hasattr(function, "allowed_permission"):
                function = action(function)
            found[function.__name__] = function
        return found

    # -- the form ----------------------------------------------------------------------------

    def get_fields(self) -> list[str]:
        """Fields on the object's form, in order."""
        if self.fields is not None:
            return list(self.fields)
        return [
            field.name
            for field in self.opts.get_fields()
            if field.concrete
            and not field.auto_created
            and not field.many_to_many
            and (field.editable or field.name in self.readonly_fields)
        ]

    def get_readonly_fields(self, user: Any, obj: models.Model | None = None) -> list[str]:
        return list(self.readonly_fields)

    # -- cells -------------------------------------------------------------------------------

    def field(self, name: str) -> models.Field[Any, Any] | None:
        """The model field called `name`, or None (a method or "__str__")."""
        try:
            return self.opts.get_field(name)
        except FieldDoesNotExist:
            return None

    def column_label(self, name: str) -> str:
        if name == "__str__":
            return self.verbose_name
        field = self.field(name)
        if field is not None:
            return capfirst(str(field.verbose_name))
        method = getattr(self, name, None)
        return str(getattr(method, "short_description", capfirst(name.replace("_", " "))))

    def cell(self, obj: models.Model, name: str) -> str:
        """A column's value for `obj` as display text."""
        if name == "__str__":
            return short(str(obj))
        field = self.field(name)
        if field is None:
            return short(display(getattr(self, name)(obj)))
        if field.choices:
            return short(str(getattr(obj, f"get_{field.name}_display")()))
        return short(display(getattr(obj, field.name)))


def display(value: Any) -> str:
    """A value as the panel shows it: local dates and times, "Yes"/"No", "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "Y-m-d H:i")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def short(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"
