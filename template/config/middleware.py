"""Project middleware that answer cleanly where Django would answer 500.

`NulCharacterMiddleware` refuses a URL path, query string or cookie holding a NUL
character with a 400 (JSON for component endpoints): PostgreSQL cannot compare one in a
query (a session cookie `"\\000..."` would reach the session table on every page), and no
page needs one. Form fields are checked where they are decoded: `ComponentView` (its
`core.client_input` rules) and Django's forms (`ProhibitNullCharactersValidator`). It comes
before `SessionMiddleware`.

A database outage answers 503, not 500: a plain page, or JSON for component events.

`DatabaseUnavailableMiddleware` turns `OperationalError` / `InterfaceError` (the database
cannot be reached: connection refused or dropped, pool timeout, missing SQLite file) into a
503 with `Retry-After`, logged as one warning line without a traceback. Component endpoints
(and htmx requests) get `{"error": "..."}` like every other refusal of the framework, so
the browser shows it inline; everything else gets `templates/503.html`, which is rendered
without context processors so that it needs no database. Nothing is cached or retried:
the next request after the database is back is served normally (no restart).

It must come right after `AuthenticationMiddleware`: it loads the user there (the first
database access of most requests), because an exception raised inside a later middleware
is turned into a 500 by Django before it could reach this one. Errors raised by views
arrive through `process_exception`.

`TimeZoneMiddleware` shows each user's pages in their browser's time zone: it activates
the zone named by the `tz` cookie (which `admin_panel/local-time.js` sets from
`Intl.DateTimeFormat().resolvedOptions().timeZone`) for the request, as Django's "Selecting
the current time zone" recipe does. A missing, unknown or malformed name is ignored (the
page is in `TIME_ZONE`), never an error; the zone is deactivated after the response, so a
thread never carries one request's zone into the next.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Awaitable
from functools import lru_cache

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.urls import resolve
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from component_framework.adapters.django_views import ComponentView
from component_framework.adapters.middleware import SyncAndAsyncMiddleware
from component_framework.core.error_responses import json_error

logger = logging.getLogger(__name__)

#: The errors that mean "the database is not reachable right now".
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10
MESSAGE = gettext_noop("The database is unavailable right now. Please try again in a moment.")


def wants_json(request: HttpRequest) -> bool:
    """Component endpoints and htmx requests get JSON; pages get HTML."""
    if request.headers.get("HX-Request"):
        return True
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Http404:
            return False
    view_class = getattr(match.func, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, ComponentView)


def unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 response for `request` (logged in one line, without a traceback)."""
    logger.warning(
        "Database unavailable (%s: %s): %s %s",
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        request.method,
        request.path,
    )
    if wants_json(request):
        response = json_error(gettext(MESSAGE), 503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


NUL = "\x00"


def nul_refusal(request: HttpRequest) -> str | None:
    """What of `request` holds a NUL character (a sentence), or None."""
    if NUL in request.path:
        return "The URL path contains a NUL character."
    query = request.META.get("QUERY_STRING", "")
    if NUL in query or "%00" in query:
        return "The query string contains a NUL character."
    for name, value in request.COOKIES.items():
        if NUL in name or NUL in value:
            return "A cookie contains a NUL character."
    return None


class NulCharacterMiddleware(SyncAndAsyncMiddleware):
    """See the module docstring."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else await self.get_response(request)

    @staticmethod
    def refusal(request: HttpRequest) -> HttpResponse | None:
        """The 400 for a request holding a NUL character, or None."""
        message = nul_refusal(request)
        if message is None:
            return None
        if wants_json(request):
            return json_error(message, 400)
        response = HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response


class DatabaseUnavailableMiddleware(SyncAndAsyncMiddleware):
    """See the module docstring."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        try:
            user = getattr(request, "user", None)
            if user is not None:
                user.is_authenticated  # noqa: B018 - loads the session and the user now
        except DATABASE_DOWN as exc:
            return unavailable(request, exc)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        auser = getattr(request, "auser", None)
        try:
            if auser is not None:
                await auser()  # cached on the request: later middleware reuse it
        except DATABASE_DOWN as exc:
            return unavailable(request, exc)
        return await self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            return unavailable(request, exception)
        return None


TIME_ZONE_COOKIE = "tz"
#: What an IANA zone name looks like ("Europe/Berlin", "America/Argentina/Buenos_Aires",
#: "Etc/GMT+5"): anything else is not even looked up.
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,3}")


@lru_cache(maxsize=512)
def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone called `name`, or None if there is no such zone (or the name is not
    one)."""
    if len(name) > 64 or not ZONE_NAME.fullmatch(name):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


class TimeZoneMiddleware(SyncAndAsyncMiddleware):
    """See the module docstring."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        self.activate(request)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        self.activate(request)
        try:
            return await self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def activate(request: HttpRequest) -> None:
        zone = zone_named(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
