"""The components of a model panel: `ModelListComponent` (the list) and
`ModelFormComponent` (an object's create/edit form).

Both carry the panel's label ("app_label.model_name") in their signed params, so an event
cannot be pointed at another model, and both check the user's model permissions on every
load and event, so a permission taken away applies to the next click.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from component_framework.core import registry
from component_framework.core.component import Component
from component_framework.core.dispatch import HTTP, Source
from component_framework.core.errors import BadRequest, Forbidden, NotFound
from component_framework.core.form import SUBMIT_EVENT, FormComponent
from component_framework.core.permissions import IsStaff

from ..components.user_edit import checkbox
from ..listing import Listing, Page, Results
from .filters import filter_lookups
from .options import ModelPanel, display
from .schema import build_schema
from .sites import site

MAX_QUERY_LENGTH = 100
#: Request parameters of the list that are not filters: the search and the sort column.
SEARCH_PARAM, ORDER_PARAM = "q", "o"


#: The refusal of each model permission, whole sentences so that each language words them.
REFUSALS = {
    "view": gettext_lazy("You may not view %(model)s."),
    "add": gettext_lazy("You may not add %(model)s."),
    "change": gettext_lazy("You may not change %(model)s."),
    "delete": gettext_lazy("You may not delete %(model)s."),
}
#: The refusal of any other permission (a bulk action's own).
REFUSAL = gettext_lazy("You may not do this to %(model)s.")


def panel_of(component: Component) -> ModelPanel:
    """The panel named in `component`'s params (404 when it is not registered)."""
    panel = site.panel_for(str(component.params.get("panel", "")))
    if panel is None:
        raise NotFound(_("No panel for this model."))
    return panel


def require(panel: ModelPanel, user: Any, kind: str, obj: models.Model | None = None) -> None:
    """`Forbidden` (403) unless `user` holds `kind` on the panel's model (and `obj`)."""
    if not panel.has_permission(user, kind, obj):
        raise Forbidden(REFUSALS.get(kind, REFUSAL) % {"model": panel.opts.verbose_name_plural})


def row_of(panel: ModelPanel, obj: models.Model) -> dict[str, Any]:
    """A list row: the object's pk and its cells' display text."""
    return {"pk": obj.pk, "cells": [panel.cell(obj, name) for name in panel.get_list_display()]}


def list_query(panel: ModelPanel, values: Mapping[str, Any]) -> dict[str, Any]:
    """The search, sort column and filter values of request parameters, checked: a bad one
    is a `BadRequest` naming it. Empty values and parameters nobody reads are dropped."""
    plain: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, list):
            value = value[-1] if value else ""
        if not isinstance(value, str):
            raise BadRequest(_("Invalid value for %(param)s.") % {"param": name})
        plain[name] = value
    query = plain.get(SEARCH_PARAM, "")[:MAX_QUERY_LENGTH]
    order = plain.get(ORDER_PARAM, "")
    if order and order.removeprefix("-") not in panel.get_sortable_by():
        raise BadRequest(_("Cannot sort by %(column)r.") % {"column": order[:64]})
    known = {param for item in panel.get_list_filters() for param in item.params}
    filters = {name: value for name, value in plain.items() if name in known and value}
    filter_lookups(panel.get_list_filters(), filters)  # checks every value
    return {"query": query, "order": order, "filters": filters}


def listing_of(panel: ModelPanel, order: str, user: Any = None) -> Listing:
    ordering = [order] if order else panel.get_ordering()
    pk_name = panel.opts.pk.name
    ordering = [
        name.replace("pk", pk_name, 1) if name.lstrip("-") == "pk" else name for name in ordering
    ]
    return Listing(
        panel.get_queryset(user),
        search_fields=panel.get_search_fields(),
        ordering=ordering,
        page_size=panel.list_per_page,
        count_cap=panel.count_cap,
    )


def results_of(
    panel: ModelPanel, query: str, order: str, filters: Mapping[str, str], user: Any = None
) -> Results:
    """The matching rows of a list's search, sort and filters (of the rows `user` sees)."""
    lookups = filter_lookups(panel.get_list_filters(), filters)
    return listing_of(panel, order, user).query(query, lookups)


@registry.register("model_list")
class ModelListComponent(Component):
    """A registered model's list: search, filters, sorting, keyset pages, capped count.

    Params: `panel` ("app_label.model_name") and `initial` (the page's request parameters).
    State: `query`, `order` ("" or a sortable column, "-" first for descending), `filters`
    (request parameter -> value), `rows` ({pk, cells}), `total`, `total_capped`, `page`
    (None on the last page of a capped list), `page_count`, `has_prev`, `has_next`,
    `first`/`last` (keyset cursors).

    Events: `apply(q, **filters)`, `sort(column)`, `first_page`, `prev_page`, `next_page`,
    `last_page`, `refresh`.
    """

    template_name = "admin_panel/panels/model_list.html"
    permission_classes = [IsStaff]

    @property
    def panel(self) -> ModelPanel:
        return panel_of(self)

    def mount(self) -> None:
        panel = self.panel
        require(panel, self.user, "view")
        self.state.update(list_query(panel, dict(self.params.get("initial") or {})))
        self._load_page()

    def handle_event(
        self, event: object, payload: Mapping[str, Any], source: Source = HTTP
    ) -> None:
        require(self.panel, self.user, "view")
        super().handle_event(event, payload, source)

    # -- events ----------------------------------------------------------------------------

    def on_apply(self, **values: Any) -> None:
        """A new search or filter values (the whole filter form): back to page 1."""
        checked = list_query(self.panel, {**values, ORDER_PARAM: self.state.get("order", "")})
        self.state.update(checked)
        self._load_page()

    def on_sort(self, column: str) -> None:
        """Sort by `column`; the same column again reverses the order."""
        order = "-" + column if self.state.get("order") == column else column
        self.state.update(
            list_query(
                self.panel,
                {SEARCH_PARAM: self.state["query"], ORDER_PARAM: order, **self.state["filters"]},
            )
        )
        self._load_page()

    def on_first_page(self) -> None:
        self._load_page()

    def on_next_page(self) -> None:
        cursor = self.state.get("last")
        if not self.state.get("has_next") or not cursor:
            self._load_page()
            return
        page = self.state.get("page")
        self._show(self._results().after(cursor), page + 1 if page is not None else None)

    def on_prev_page(self) -> None:
        cursor = self.state.get("first")
        if not self.state.get("has_prev") or not cursor:
            self._load_page()
            return
        shown = self._results().before(cursor)
        page = self.state.get("page")
        if not shown.has_previous:
            page = 1
        elif page is not None:
            page -= 1
        self._show(shown, page)

    def on_last_page(self) -> None:
        results = self._results()
        if self.state["total_capped"]:
            self._show(results.last(), None)
        else:
            page = self.state["page_count"]
            self._show(results.at((page - 1) * self.panel.list_per_page), page)

    def on_refresh(self) -> None:
        cursor = self.state.get("first")
        if not cursor or self.state.get("page") == 1:
            self._load_page()
            return
        self._show(self._results().after(cursor, inclusive=True), self.state.get("page"))

    # -- template helpers ------------------------------------------------------------------

    @property
    def columns(self) -> list[dict[str, Any]]:
        """Headers: label, name, whether sortable, and the current sort direction."""
        panel, order = self.panel, self.state.get("order", "")
        sortable = set(panel.get_sortable_by())
        return [
            {
                "name": name,
                "label": panel.column_label(name),
                "sortable": name in sortable,
                "sorted": "ascending"
                if order == name
                else "descending"
                if order == "-" + name
                else "",
            }
            for name in panel.get_list_display()
        ]

    @property
    def filters(self) -> list[dict[str, Any]]:
        """The filter controls with their current values and the choices the user may see."""
        panel, values = self.panel, self.state.get("filters", {})
        shown = []
        for item in panel.get_list_filters():
            related = item.field.related_model
            can_view_related = related is not None and (
                (related_panel := site.panel_for(related._meta.label_lower)) is not None
                and related_panel.has_view_permission(self.user)
            )
            shown.append(
                {
                    "name": item.name,
                    "label": item.label,
                    "kind": item.kind,
                    "params": [(param, values.get(param, "")) for param in item.params],
                    "choices": item.choices(self.user, can_view_related),
                }
            )
        return shown

    @property
    def actions(self) -> list[tuple[str, str]]:
        """(name, description) of the bulk actions the user may run at all."""
        panel = self.panel
        return [
            (name, str(function.short_description))
            for name, function in panel.get_actions().items()
            if panel.has_permission(self.user, function.allowed_permission)
        ]

    @property
    def can_add(self) -> bool:
        return self.panel.has_add_permission(self.user)

    @property
    def urls(self) -> dict[str, str]:
        panel = self.panel
        kwargs = {"app_label": panel.opts.app_label, "model_name": panel.opts.model_name}
        return {
            name: reverse(f"panel_{name}", kwargs=kwargs)
            for name in ("list", "rows", "add", "export", "actions")
        }

    @property
    def query_string(self) -> str:
        """The current search and filters as request parameters (for the CSV export link)."""
        params = QueryDict(mutable=True)
        if self.state.get("query"):
            params[SEARCH_PARAM] = self.state["query"]
        if self.state.get("order"):
            params[ORDER_PARAM] = self.state["order"]
        params.update(self.state.get("filters", {}))
        return params.urlencode()

    # -- queries -----------------------------------------------------------------------------

    def _results(self) -> Results:
        panel = self.panel
        state = self.state
        results = results_of(panel, state["query"], state["order"], state["filters"], self.user)
        total, capped = results.count()
        self.state.update(
            total=total,
            total_capped=capped,
            page_count=None if capped else max(1, math.ceil(total / panel.list_per_page)),
        )
        return results

    def _show(self, shown: Page, page: int | None) -> None:
        panel = self.panel
        self.state.update(
            rows=[row_of(panel, obj) for obj in shown.rows],
            first=shown.previous_cursor,
            last=shown.next_cursor,
            page=page,
            has_prev=shown.has_previous,
            has_next=shown.has_next,
        )

    def _load_page(self) -> None:
        self._show(self._results().first(), 1)


@registry.register("model_form")
class ModelFormComponent(FormComponent):
    """The create or edit form of one object, built from the model's fields.

    Params: `panel` and `pk` (None: a new object; set once it is created). State: the form
    values, `saved`. Read-only fields are shown, never accepted: a submission holding one is
    refused (400, unexpected field). The model's rules (`full_clean()`: validators,
    uniqueness, constraints) run before the save, and their errors show inline too.
    """

    template_name = "admin_panel/panels/model_form.html"
    permission_classes = [IsStaff]
    #: The object the form shows (None for a new one), read by every load and event.
    object: models.Model | None = None

    @property
    def panel(self) -> ModelPanel:
        return panel_of(self)

    def mount(self) -> None:
        obj = self._object()
        self._show(obj)
        self.state["saved"] = False

    def handle_event(
        self, event: object, payload: Mapping[str, Any], source: Source = HTTP
    ) -> None:
        self._object()  # the permission check, on every event
        super().handle_event(event, payload, source)

    # -- the form's fields -----------------------------------------------------------------

    def editable_fields(self, obj: models.Model | None) -> list[str]:
        panel = self.panel
        readonly = set(panel.get_readonly_fields(self.user, obj))
        return [name for name in panel.get_fields() if name not in readonly]

    def get_event_arguments(
        self, event: str, handler: Callable[..., Any], payload: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        if event == SUBMIT_EVENT:
            # Refused before the data is read; the schema holds what this user may edit.
            obj = self._object(change=True)
            self.schema = build_schema(self.panel.model, self.editable_fields(obj))  # type: ignore[misc]
        return super().get_event_arguments(event, handler, payload)

    def get_schema_data(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Unchecked checkboxes send nothing: they are False."""
        data = dict(payload)
        for name in self.schema.model_fields:  # type: ignore[union-attr]
            if isinstance(self.panel.opts.get_field(name), models.BooleanField):
                data[name] = checkbox(data.get(name))
        return data

    def on_submit(self) -> None:
        """Check and save the object (one audited save)."""
        panel, data = self.panel, self.validated_data
        self.state["saved"] = False
        with transaction.atomic():
            obj = self._object(change=True, lock=True)
            for name in self.editable_fields(obj):
                field = panel.opts.get_field(name)
                setattr(obj, field.attname, getattr(data, name))
            self.errors = model_errors(obj, panel.get_fields())
            if not self.errors:
                try:
                    with transaction.atomic():
                        obj.save()
                except IntegrityError:
                    self.errors = {"__all__": _("The object could not be saved (it conflicts.)")}
        if self.errors:
            self.state.update(data.model_dump())
            return
        self.params["pk"] = obj.pk
        self.object = obj
        self._show(obj)
        self.state["saved"] = True

    # -- template helpers ------------------------------------------------------------------

    @property
    def form_fields(self) -> list[dict[str, Any]]:
        """Each field with its input kind, value, choices, error and whether read-only."""
        panel = self.panel
        readonly = set(panel.get_readonly_fields(self.user, self.object))
        shown = []
        for name in panel.get_fields():
            field = panel.opts.get_field(name)
            value = self.state.get(name)
            shown.append(
                {
                    "name": name,
                    "label": panel.column_label(name),
                    "kind": input_kind(field),
                    "value": input_value(value),
                    # A read-only field's value as the list shows it ("Yes", local times).
                    "text": display(value),
                    "checked": bool(value) if isinstance(field, models.BooleanField) else False,
                    "choices": [(str(v), str(label)) for v, label in field.flatchoices]
                    if field.choices
                    else None,
                    "readonly": name in readonly,
                    "required": not field.blank,
                    "error": self.errors.get(name, ""),
                }
            )
        return shown

    @property
    def form_error(self) -> str:
        return self.errors.get("__all__", "")

    @property
    def urls(self) -> dict[str, str]:
        panel = self.panel
        kwargs = {"app_label": panel.opts.app_label, "model_name": panel.opts.model_name}
        urls = {
            "form": reverse("panel_form", kwargs=kwargs),
            "list": reverse("panel_list", kwargs=kwargs),
        }
        pk = self.params.get("pk")
        if pk is not None:
            urls["history"] = reverse("panel_history", kwargs={**kwargs, "pk": pk})
            urls["delete"] = reverse("panel_delete", kwargs={**kwargs, "pk": pk})
        return urls

    @property
    def can_change(self) -> bool:
        if self.object is None:
            return self.panel.has_add_permission(self.user)
        return self.panel.has_change_permission(self.user, self.object)

    @property
    def can_delete(self) -> bool:
        return self.object is not None and self.panel.has_delete_permission(self.user, self.object)

    # -- helpers ---------------------------------------------------------------------------

    def _object(self, change: bool = False, lock: bool = False) -> models.Model:
        """The object edited (a new one when `pk` is None), the user's permission to view
        it (and with `change`, to change it) checked; `lock` holds its row until commit."""
        panel = self.panel
        pk = self.params.get("pk")
        if pk is None:
            require(panel, self.user, "add")
            self.object = None
            return panel.model()
        queryset = panel.model._default_manager.all()
        obj = (queryset.select_for_update() if lock else queryset).get(pk=pk)
        require(panel, self.user, "view", obj)
        if change:
            require(panel, self.user, "change", obj)
        self.object = obj
        return obj

    def _show(self, obj: models.Model) -> None:
        panel = self.panel
        for name in panel.get_fields():
            field = panel.opts.get_field(name)
            self.state[name] = getattr(obj, field.attname)


def model_errors(obj: models.Model, names: list[str]) -> dict[str, str]:
    """The model's own rules for `obj` (`full_clean()`): {field or "__all__": message}."""
    exclude = [f.name for f in obj._meta.concrete_fields if f.name not in names]
    try:
        obj.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        errors = {}
        for name, messages in exc.message_dict.items():
            key = "__all__" if name == NON_FIELD_ERRORS or name not in names else name
            errors.setdefault(key, messages[0])
        return errors
    return {}


def input_kind(field: models.Field[Any, Any]) -> str:
    """The form control of a field: select, checkbox, textarea or an input type."""
    if field.choices:
        return "select"
    if isinstance(field, models.BooleanField):
        return "checkbox"
    if isinstance(field, models.TextField):
        return "textarea"
    if isinstance(field, models.EmailField):
        return "email"
    if isinstance(field, models.DateTimeField):
        return "datetime-local"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return "number"
    if field.many_to_one or field.one_to_one:
        return "number"
    return "text"


def input_value(value: Any) -> str:
    """A value as an input's `value` attribute (local time for date-times)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
