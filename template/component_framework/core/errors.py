"""Errors of the component framework, each carrying the HTTP status it maps to.

Views and consumers turn a `ComponentError` into a JSON body `{"error": message}` with
`status`; nothing else about the request (state, database, rendering) happens after one.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _


class ComponentError(Exception):
    """Base class: a request the framework refuses, with a message safe to show the client."""

    status: int = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        # str(): a lazy translation becomes text in the language of the request refused.
        self.message = str(message or self.default_message())

    @classmethod
    def default_message(cls) -> str:
        return _("Bad request")

    def __str__(self) -> str:
        return self.message


class BadRequest(ComponentError):
    """400: the client sent something the framework will not act on."""

    status = 400


class Forbidden(ComponentError, DjangoPermissionDenied):
    """403: the user may not do this. Also a Django `PermissionDenied`."""

    status = 403

    @classmethod
    def default_message(cls) -> str:
        return _("Permission denied")


class NotFound(ComponentError):
    """404: the component or the object an event names does not exist."""

    status = 404

    @classmethod
    def default_message(cls) -> str:
        return _("Not found")


class ComponentNotFound(NotFound, LookupError):
    """`registry.get()` was asked for a name nobody registered."""


class StateError(BadRequest):
    """A state token failed to verify (bad signature, expired, foreign, oversized)."""


class InvalidEvent(BadRequest):
    """An event name that does not map to a handler, or arguments that do not fit it."""
