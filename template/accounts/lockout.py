"""The answer to a login that django-axes has locked out (`settings.AXES_LOCKOUT_CALLABLE`).

A 429 page in the site's own layout that says how long the lock lasts, with the same
`Retry-After`, instead of axes' bare one-line message.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKOUT_TEMPLATE = "registration/lockout.html"


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The lockout page (axes passes the refused response and credentials; unused here)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {
        "cooloff_minutes": math.ceil(seconds / 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = render(request, LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response
