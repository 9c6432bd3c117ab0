"""CSRF enforcement that answers with the framework's JSON 403 instead of an HTML page."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from ..core.errors import Forbidden

logger = logging.getLogger("django.security.csrf")


class _JsonCsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        logger.warning("Forbidden (%s): %s", reason, request.path)
        raise Forbidden(f"CSRF verification failed: {reason}")


def _unused(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError


def enforce_csrf(request: HttpRequest) -> None:
    """Django's own CSRF check (token, cookie, Origin, Referer); raise `Forbidden` on failure."""
    _JsonCsrfCheck(_unused).process_view(request, None, (), {})
