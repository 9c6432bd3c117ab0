"""Request middleware of the admin panel: the audit context and user activity.

Both work in sync (WSGI, runserver) and async (ASGI) stacks without adapting the chain.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from component_framework.adapters.middleware import SyncAndAsyncMiddleware

from .audit import audit_context
from .models import UserActivity

logger = logging.getLogger(__name__)


class AuditContextMiddleware(SyncAndAsyncMiddleware):
    """Attribute every model change made while handling a request to its user and IP.

    The user is read lazily (only when something is recorded), so requests that change
    nothing cost no session or user lookup. The IP is `REMOTE_ADDR`: behind a proxy, let
    the ASGI server rewrite it from trusted forwarding headers (uvicorn `--proxy-headers
    --forwarded-allow-ips`), never trust `X-Forwarded-For` here.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        with audit_context(user=_user_of(request), ip=request.META.get("REMOTE_ADDR")):
            return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        # Sync views run in sync_to_async threads, which copy this context: they see it too.
        with audit_context(user=_user_of(request), ip=request.META.get("REMOTE_ADDR")):
            return await self.get_response(request)


def _user_of(request: HttpRequest) -> Callable[[], Any]:
    return lambda: getattr(request, "user", None)


class ActivityMiddleware(SyncAndAsyncMiddleware):
    """Record that a signed-in user was active today (for monthly active users).

    At most one write per user per `THROTTLE_SECONDS`: a `cache.add` decides, so busy users
    cost one cache round trip per request and the database sees an upsert now and then.
    It runs after the view, which has usually loaded the user already, and never turns a
    response into an error: with the database down the view has answered for itself.
    Must come after `AuthenticationMiddleware`.
    """

    THROTTLE_SECONDS = 15 * 60

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        response = self.get_response(request)
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and cache.add(*self._throttle(user)):
                touch_activity(user.pk)
        except DatabaseError:
            logger.warning("Could not record activity", exc_info=True)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response = await self.get_response(request)
        auser = getattr(request, "auser", None)
        try:
            user = await auser() if auser is not None else None
            signed_in = user is not None and user.is_authenticated
            if signed_in and await cache.aadd(*self._throttle(user)):
                await sync_to_async(touch_activity)(user.pk)
        except DatabaseError:
            logger.warning("Could not record activity", exc_info=True)
        return response

    def _throttle(self, user: Any) -> tuple[str, int, int]:
        return f"admin_panel:activity:{user.pk}", 1, self.THROTTLE_SECONDS


def touch_activity(user_pk: Any) -> None:
    """Upsert today's activity row of a user (one query; never fails the request)."""
    now = timezone.now()
    try:
        UserActivity.objects.bulk_create(
            [UserActivity(user_id=user_pk, day=timezone.localdate(now), last_seen=now)],
            update_conflicts=True,
            unique_fields=["user", "day"],
            update_fields=["last_seen"],
        )
    except DatabaseError:
        # Activity is telemetry: a locked or read-only database must not break the page.
        logger.warning("Could not record activity of user %s", user_pk, exc_info=True)
