"""Health check for load balancers and container orchestrators: `GET /healthz`.

Answers 200 `{"status": "ok"}` when the default database answers `SELECT 1`, and 503
`{"status": "unavailable", "database": "unreachable"}` when it does not. Redis is not checked:
its outage degrades the cache to misses, and marking every web process unhealthy at once
would turn that into a full outage.

The check is served by a middleware placed first in `MIDDLEWARE` rather than by a URL route,
because Docker's HEALTHCHECK and load balancers call the process by IP address over plain
HTTP: behind the normal stack Django would answer 400 (host not in `ALLOWED_HOSTS`) or 301
(`SECURE_SSL_REDIRECT`) and the process would look dead while it is fine.
"""

import logging
from collections.abc import Awaitable

from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from component_framework.adapters.middleware import SyncAndAsyncMiddleware

HEALTH_PATH = "/healthz"

logger = logging.getLogger(__name__)


def database_is_reachable(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Return True when the database `alias` answers a trivial query."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: database %r is unreachable", alias)
        return False
    return True


def health_response() -> JsonResponse:
    """Build the health check response (never cached by proxies)."""
    if database_is_reachable():
        response = JsonResponse({"status": "ok"})
    else:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    response["Cache-Control"] = "no-store"
    return response


def _is_health_check(request: HttpRequest) -> bool:
    return request.path == HEALTH_PATH and request.method in {"GET", "HEAD"}


class HealthCheckMiddleware(SyncAndAsyncMiddleware):
    """Answer `GET /healthz` before host validation, HTTPS redirect, sessions and CSRF."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        if _is_health_check(request):
            return health_response()
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if _is_health_check(request):
            return await sync_to_async(health_response)()
        return await self.get_response(request)
