"""Who a WebSocket belongs to *now*: its user re-read from its session, and when that ends.

Channels' `AuthMiddlewareStack` resolves `scope["user"]` once, when the socket connects.
A socket lives for hours, so `ComponentConsumer` asks again here: after a change that may
take the user's access away, before answering a `resume`, and when the session expires.

`current_user(scope)` verifies the session the way Django's `get_user()` does (the user
exists, may log in, and the session's password hash still matches) but changes nothing:
deciding about one socket must never flush a session that the user's browser may be
renewing at that very moment (a password change rotates it).

Both functions query the database: call them from sync code.
"""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.crypto import constant_time_compare


def fresh_session(scope: dict[str, Any]) -> SessionBase | None:
    """A new store for the scope's session key (re-read from its backend), or None when
    the socket has no session (a consumer mounted without `SessionMiddleware`)."""
    session = scope.get("session")
    if session is None:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=session.session_key)


def current_user(scope: dict[str, Any]) -> Any:
    """The socket's user as the database knows it now (`AnonymousUser` when it is gone,
    inactive, logged out, expired, or its password changed)."""
    session = fresh_session(scope)
    if session is None:  # no session to re-read: re-read the connected user's row
        user = scope.get("user")
        if user is None or not getattr(user, "is_authenticated", False):
            return AnonymousUser()
        return get_user_model()._default_manager.filter(pk=user.pk).first() or AnonymousUser()
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:  # logged out, expired or deleted: the store loads empty
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    if user is None:  # deleted, or refused by the backend (inactive)
        return AnonymousUser()
    if hasattr(user, "get_session_auth_hash"):
        session_hash = session.get(HASH_SESSION_KEY)
        hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
        if not session_hash or not any(constant_time_compare(session_hash, h) for h in hashes):
            return AnonymousUser()  # password changed (Django logs such sessions out)
    return user


def session_expiry(scope: dict[str, Any]) -> datetime.datetime | None:
    """When the socket's session expires (None without a session or a session key).

    Database-backed stores answer with the row's `expire_date`, the moment Django stops
    loading it; other stores with their own expiry date as loaded now.
    """
    session = fresh_session(scope)
    if session is None or session.session_key is None:
        return None
    get_model_class = getattr(session, "get_model_class", None)
    if get_model_class is not None:
        expiry = (
            get_model_class()
            ._default_manager.filter(session_key=session.session_key)
            .values_list("expire_date", flat=True)
            .first()
        )
        return expiry or timezone.now()
    return session.get_expiry_date()
