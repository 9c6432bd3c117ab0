"""The pages of a model panel, and the endpoints of its components (routes in `urls.py`).

Every view resolves the panel from the URL (404 when the model has none) and checks the
user's model permission before anything is read. Refusals and bad parameters are JSON
errors with their status (403, 400, 404), as for components.
"""

from __future__ import annotations

import csv
import functools
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from component_framework.adapters.django_views import ComponentView, ExampleLoad
from component_framework.core.error_responses import json_error
from component_framework.core.errors import BadRequest, ComponentError, NotFound
from component_framework.core.permissions import IsStaff

from ..models import AuditEntry
from .components import (
    ModelFormComponent,
    ModelListComponent,
    list_query,
    require,
    results_of,
)
from .options import ModelPanel
from .sites import site

#: Entries an object's history page shows (newest first).
HISTORY_LIMIT = 200
#: Objects one bulk action may select.
MAX_SELECTED = 1000
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PanelView = Callable[..., HttpResponse]


def panel_page(kind: str) -> Callable[[PanelView], PanelView]:
    """Decorate a page view taking `(request, panel, **kwargs)`: the user signs in first
    (redirect), must hold `kind` on the URL's model (JSON 403), and component errors are
    JSON with their status."""

    def decorate(view: PanelView) -> PanelView:
        @functools.wraps(view)
        @never_cache
        def wrapper(
            request: HttpRequest, app_label: str, model_name: str, **kwargs: Any
        ) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                panel = site.panel_for(f"{app_label}.{model_name}")
                if panel is None:
                    raise NotFound(_("No panel for this model."))
                require(panel, request.user, kind)
                return view(request, panel, **kwargs)
            except ComponentError as exc:
                return json_error(exc)

        return wrapper

    return decorate


def panel_kwargs(panel: ModelPanel) -> dict[str, str]:
    return {"app_label": panel.opts.app_label, "model_name": panel.opts.model_name}


def pk_value(panel: ModelPanel, raw: Any) -> Any:
    """A primary key from the client, checked to fit the field (400 otherwise: a value the
    database would refuse must not reach it)."""
    field = panel.opts.pk
    try:
        value = field.to_python(raw)
        field.run_validators(value)
    except (ValidationError, ValueError, TypeError):
        raise BadRequest(_("Invalid object id.")) from None
    return value


def get_object(panel: ModelPanel, pk: str) -> Any:
    """The panel's object with primary key `pk` (400 for a malformed pk, 404 if absent)."""
    try:
        return panel.model._default_manager.get(pk=pk_value(panel, pk))
    except panel.model.DoesNotExist:
        raise NotFound(_("No such %(model)s.") % {"model": panel.opts.verbose_name}) from None


# -- pages ---------------------------------------------------------------------------------


@require_GET
@panel_page("view")
def list_page(request: HttpRequest, panel: ModelPanel) -> HttpResponse:
    """The list page; its query string (search, sort, filters) is the list's first state."""
    component = ModelListComponent.load(
        user=request.user,
        request=request,
        params={"panel": panel.label, "initial": dict(request.GET.items())},
    )
    done = request.GET.get("done", "")
    context = {
        "panel": panel,
        "list": component,
        # After a redirect from a delete or a bulk action: what was done.
        "deleted": request.GET.get("deleted") == "1",
        "done": int(done) if done.isdigit() else None,
    }
    return render(request, "admin_panel/panels/list_page.html", context)


@require_GET
@panel_page("view")
def object_page(request: HttpRequest, panel: ModelPanel, pk: str | None = None) -> HttpResponse:
    """An object's form (`pk`), or the form of a new object."""
    params: dict[str, Any] = {"panel": panel.label, "pk": None}
    obj = None
    if pk is not None:
        obj = get_object(panel, pk)
        require(panel, request.user, "view", obj)
        params["pk"] = obj.pk
    component = ModelFormComponent.load(user=request.user, request=request, params=params)
    context = {"panel": panel, "object": obj, "form": component}
    return render(request, "admin_panel/panels/object_page.html", context)


@require_http_methods(["GET", "POST"])
@panel_page("delete")
def delete_page(request: HttpRequest, panel: ModelPanel, pk: str) -> HttpResponse:
    """GET: what will be deleted, and a confirm button. POST: delete (one audited delete)."""
    obj = get_object(panel, pk)
    require(panel, request.user, "delete", obj)
    if request.method == "POST":
        with transaction.atomic():
            obj = panel.model._default_manager.select_for_update().get(pk=obj.pk)
            require(panel, request.user, "delete", obj)
            obj.delete()
        return redirect(reverse("panel_list", kwargs=panel_kwargs(panel)) + "?deleted=1")
    context = {"panel": panel, "objects": [obj], "action": None}
    return render(request, "admin_panel/panels/confirm_page.html", context)


@require_http_methods(["POST"])
@panel_page("view")
def actions_page(request: HttpRequest, panel: ModelPanel) -> HttpResponse:
    """A bulk action: first the confirmation page (the selected objects the user may act
    on), then, with `confirm`, the action once per object, each checked and audited."""
    actions = panel.get_actions()
    name = request.POST.get("action", "")
    function = actions.get(name)
    if function is None:
        raise BadRequest(_("Unknown action %(name)r.") % {"name": name[:64]})
    kind = function.allowed_permission
    require(panel, request.user, kind)
    pks = request.POST.getlist("pk")
    if not pks:
        raise BadRequest(_("Select at least one object."))
    if len(pks) > MAX_SELECTED:
        raise BadRequest(_("Select at most %(count)d objects.") % {"count": MAX_SELECTED})
    values = [pk_value(panel, pk) for pk in pks]
    queryset = panel.model._default_manager.filter(pk__in=values)
    if request.POST.get("confirm") != "yes":
        objects = [obj for obj in queryset if panel.has_permission(request.user, kind, obj)]
        context = {"panel": panel, "objects": objects, "action": (name, function.short_description)}
        return render(request, "admin_panel/panels/confirm_page.html", context)
    done = 0
    with transaction.atomic():
        for obj in queryset.select_for_update():
            if panel.has_permission(request.user, kind, obj):
                function(panel, request, obj)
                done += 1
    return redirect(reverse("panel_list", kwargs=panel_kwargs(panel)) + f"?done={done}")


@require_GET
@panel_page("view")
def history_page(request: HttpRequest, panel: ModelPanel, pk: str) -> HttpResponse:
    """An object's audit trail, newest first (a deleted object's too)."""
    value = pk_value(panel, pk)
    obj = panel.model._default_manager.filter(pk=value).first()
    if obj is not None:
        require(panel, request.user, "view", obj)
    content_type = ContentType.objects.get_for_model(panel.model)
    entries = list(
        AuditEntry.objects.filter(target_type=content_type, object_id=str(value)).order_by(
            "-timestamp", "-id"
        )[:HISTORY_LIMIT]
    )
    if obj is None and not entries:
        raise NotFound(_("No such %(model)s.") % {"model": panel.opts.verbose_name})
    context = {"panel": panel, "object": obj, "pk": value, "entries": entries}
    return render(request, "admin_panel/panels/history_page.html", context)


# -- CSV export ----------------------------------------------------------------------------


class _Echo:
    """A file-like object whose `write` returns the line (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a `'` first."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


async def in_sync_thread(lines: Iterator[str], batch: int = 500) -> AsyncIterator[str]:
    """`lines` for an ASGI server, which streams only asynchronous iterators: `batch` lines
    at a time are read in the sync thread (where the ORM's cursor lives)."""

    def take() -> str:
        return "".join(itertools.islice(lines, batch))

    while chunk := await sync_to_async(take)():
        yield chunk


@require_GET
@panel_page("view")
def export_csv(request: HttpRequest, panel: ModelPanel) -> HttpResponse:
    """The rows of the current search, sort and filters as CSV, streamed."""
    query = list_query(panel, dict(request.GET.items()))
    rows = results_of(panel, query["query"], query["order"], query["filters"], request.user)
    columns = panel.get_list_display()
    order = [query["order"]] if query["order"] else panel.get_ordering()
    objects = rows.matching.order_by(*order, "pk")
    writer = csv.writer(_Echo())

    # The header in the request's language, read now: the rows stream after the view returns.
    header = writer.writerow([safe_cell(panel.column_label(name)) for name in columns])

    def lines() -> Iterator[str]:
        yield header
        for obj in objects.iterator(chunk_size=2000):
            yield writer.writerow([safe_cell(panel.cell(obj, name)) for name in columns])

    content = lines() if not isinstance(request, ASGIRequest) else in_sync_thread(lines())
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"{panel.opts.model_name}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# -- component endpoints ---------------------------------------------------------------------


def _example_panel(user: Any, kind: str) -> ModelPanel | None:
    return next((p for p in site.panels if p.has_permission(user, kind)), None)


class ModelListView(ComponentView):
    """Endpoint of a model's list component (events; a GET loads it for the query string)."""

    component_name = "model_list"
    permission_classes = [IsStaff]

    def get_component_params(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        label = f"{kwargs['app_label']}.{kwargs['model_name']}"
        return {"panel": label, "initial": dict(request.GET.items())}

    @classmethod
    def get_example_load(cls, user: Any) -> ExampleLoad:
        panel = _example_panel(user, "view") or site.panels[0]
        return ExampleLoad(url_kwargs=panel_kwargs(panel))


class ModelFormView(ComponentView):
    """Endpoint of an object's form component (`pk` on the first load only; after that it
    travels in the signed params)."""

    component_name = "model_form"
    permission_classes = [IsStaff]

    def get_component_params(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        label = f"{kwargs['app_label']}.{kwargs['model_name']}"
        panel = site.panel_for(label)
        pk = request.POST.get("pk") or request.GET.get("pk")
        if panel is None:
            raise NotFound(_("No panel for this model."))
        return {"panel": label, "pk": get_object(panel, pk).pk if pk else None}

    @classmethod
    def get_example_load(cls, user: Any) -> ExampleLoad:
        panel = _example_panel(user, "add") or site.panels[0]
        return ExampleLoad(url_kwargs=panel_kwargs(panel))


__all__ = [
    "ModelFormView",
    "ModelListView",
    "actions_page",
    "delete_page",
    "export_csv",
    "history_page",
    "list_page",
    "object_page",
]
