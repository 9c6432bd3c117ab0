"""`ComponentView`: one URL per component, HTML for htmx, JSON for every refusal.

    class UserListView(ComponentView):
        component_name = "user_list"
        permission_classes = [IsStaff]

Protocol:
- A POST body is form data (`application/x-www-form-urlencoded` or `multipart/form-data`,
  UTF-8, no files), decoded by the view itself: anything else, malformed or too large is a
  400 naming the problem. An empty body of any type is an empty form.
- GET (or POST without `event`): permissions, `get_component_params()`, `mount()` (through
  the cache for `CacheMixin`), render -> 200 HTML.
- POST with `event` and `state`: permissions, event name (a handler reachable from HTTP,
  see `core.dispatch.reachable`), token verification, then the handler with the other POST
  fields as arguments, render -> 200 HTML.
- No field name or value (query string or form) may hold a NUL character
  (`core.client_input`).
- Refusals: JSON `{"error": "..."}` with 400 (bad input or token), 403 (permissions, CSRF),
  404 (unknown component, `ObjectDoesNotExist`/`Http404` from a handler), 405.

Every POST is CSRF-checked by the view itself (Django's check, JSON refusal), so the view
is marked exempt from the middleware's HTML refusal page, never from the check.
"""

from __future__ import annotations

import codecs
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..core.client_input import check_fields, shown
from ..core.component import Component
from ..core.dispatch import HTTP, resolve_handler
from ..core.error_responses import json_error
from ..core.errors import BadRequest, ComponentError, NotFound
from ..core.permissions import IsAuthenticated, PermissionLike
from ..core.registry import registry
from .cache import CacheMixin
from .csrf import enforce_csrf
from .optimistic import OptimisticMixin

__all__ = [
    "CacheMixin",
    "ComponentView",
    "ExampleLoad",
    "OptimisticMixin",
    "event_payload",
    "read_form",
]

#: POST fields that belong to the protocol, never passed to handlers.
RESERVED_FIELDS = frozenset({"event", "state", "csrfmiddlewaretoken"})
#: Content types of a POST body with fields (what htmx and HTML forms send).
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def read_form(request: HttpRequest) -> QueryDict:
    """The POST fields of `request`, decoded here so that a body Django cannot decode is
    a `BadRequest` naming the problem (Django would raise, or answer with an HTML page).

    Nothing may read the body before this: the CSRF check reads its token field.
    """
    content_type = request.content_type or ""
    try:
        if content_type not in FORM_CONTENT_TYPES:
            if request.body:
                raise BadRequest(
                    f"Unsupported content type {shown(content_type)!r}: send form data "
                    "(application/x-www-form-urlencoded or multipart/form-data)."
                )
            return request.POST
        charset = request.content_params.get("charset")
        if charset is not None:
            if not _is_utf8(charset):
                raise BadRequest(f"Form data must be UTF-8 encoded, not {shown(charset)!r}.")
            request.encoding = "utf-8"  # Django accepts only this spelling for forms
        if content_type == "multipart/form-data" and not request.content_params.get("boundary"):
            raise BadRequest("Multipart form data needs a boundary in its Content-Type.")
        if content_type == "application/x-www-form-urlencoded":
            # Django would decode bytes that are not UTF-8 to U+FFFD and save those.
            urllib.parse.unquote_to_bytes(request.body).decode("utf-8")
        data, files = request.POST, request.FILES
    except UnicodeDecodeError:
        raise BadRequest("Form data is not valid UTF-8.") from None
    except RequestDataTooBig:
        raise BadRequest("Request body is too large.") from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise BadRequest("Request has too many fields.") from None
    except MultiPartParserError:
        raise BadRequest("Malformed multipart form data.") from None
    except UnreadablePostError:
        raise BadRequest("Request body could not be read.") from None
    except (DjangoBadRequest, SuspiciousOperation):
        raise BadRequest("Malformed form data.") from None
    if files:
        raise BadRequest("File uploads are not accepted.")
    return data


def _is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def event_payload(data: QueryDict) -> dict[str, Any]:
    """Handler arguments from POST data: reserved fields dropped, repeated fields as lists."""
    payload: dict[str, Any] = {}
    for key in data:
        if key in RESERVED_FIELDS:
            continue
        values = data.getlist(key)
        payload[key] = values[0] if len(values) == 1 else values
    return payload


@dataclass(frozen=True)
class ExampleLoad:
    """A first load of a `ComponentView` that succeeds: its URL kwargs and its query or
    form fields (see `ComponentView.get_example_load()`)."""

    url_kwargs: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)


class ComponentView(View):
    """Serves the component registered as `component_name` (see module docstring)."""

    component_name: ClassVar[str] = ""
    #: Checked before the component's own `permission_classes`.
    permission_classes: ClassVar[list[PermissionLike]] = [IsAuthenticated]
    http_method_names: ClassVar[list[str]] = ["get", "post", "head"]  # type: ignore[misc]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponse]:
        # The view runs Django's CSRF check itself so the refusal is JSON (see dispatch()).
        return csrf_exempt(super().as_view(**initkwargs))

    # -- hooks -----------------------------------------------------------------------------

    def get_component_class(self) -> type[Component]:
        """The registered component class (unknown names are a JSON 404)."""
        return registry.get(self.component_name)

    def get_component_params(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        """Params for a first load, chosen by the server (default: the URL's kwargs).

        Never called for events: their params come back from the signed token.
        """
        return dict(kwargs)

    @classmethod
    def get_example_load(cls, user: Any) -> ExampleLoad:
        """A first load that `user`, who may use this view, can make (default: no params).

        Tests that load every component route (the project's security sweep) call it.
        Override it when the first load needs parameters:

            @classmethod
            def get_example_load(cls, user):
                return ExampleLoad(data={"user_id": str(user.pk)})
        """
        return ExampleLoad()

    def render_component(self, component: Component) -> HttpResponse:
        """200 HTML response for `component`, never cached by browsers or proxies."""
        response = HttpResponse(component.render())
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie", "HX-Request"])
        return response

    # -- protocol --------------------------------------------------------------------------

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method not in ("GET", "HEAD", "POST"):
                response = json_error("Method not allowed.", 405)
                response["Allow"] = "GET, HEAD, POST"
                return response
            if request.method == "POST":
                read_form(request)
                enforce_csrf(request)
            return super().dispatch(request, *args, **kwargs)
        except ComponentError as exc:
            return json_error(exc)
        except ObjectDoesNotExist as exc:
            return json_error(NotFound(str(exc) or "Not found."))
        except Http404:
            return json_error(NotFound("Not found."))
        except ValidationError as exc:
            return json_error(BadRequest("; ".join(exc.messages)))
        except TooManyFieldsSent:
            return json_error(BadRequest("Request has too many fields."))
        except SuspiciousOperation:
            return json_error(BadRequest("Bad request."))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_component(self._load(request, kwargs))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        event = request.POST.get("event")
        if event is None:
            return self.render_component(self._load(request, kwargs))
        cls = self.get_component_class()
        user = request.user
        cls.check_access(user, self.permission_classes)
        # A bad event name, or one not reachable from HTTP, is refused before the token is read.
        resolve_handler(cls, event, HTTP)
        component = cls.restored(request.POST.get("state"), user=user, request=request)
        component.handle_event(event, event_payload(request.POST), HTTP)
        return self.render_component(component)

    def _load(self, request: HttpRequest, kwargs: dict[str, Any]) -> Component:
        cls = self.get_component_class()
        cls.check_access(request.user, self.permission_classes)
        check_fields(request.GET.lists())
        check_fields(request.POST.lists())
        try:
            params = self.get_component_params(request, **kwargs)
        except (ValueError, TypeError, KeyError) as exc:
            raise BadRequest("Invalid component parameters.") from exc
        return cls.mounted(user=request.user, request=request, params=params)
