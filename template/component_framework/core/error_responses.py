"""JSON error responses shared by views, decorators and mixins."""

from __future__ import annotations

from django.http import HttpResponse

from .encoding import dumps
from .errors import ComponentError

# Escaped so an error echoing client text can never become markup if mis-served.
_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_error(error: ComponentError | str, status: int | None = None) -> HttpResponse:
    """`{"error": message}` with the error's status (or `status`), never cached."""
    if isinstance(error, ComponentError):
        message, code = error.message, status or error.status
    else:
        message, code = error, status or 400
    body = dumps({"error": message}).translate(_ESCAPES)
    response = HttpResponse(body, status=code, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response
