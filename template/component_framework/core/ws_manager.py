"""`ComponentConsumer`: a component behind a WebSocket (Channels), for the htmx ws extension.

    class AuditLogConsumer(ComponentConsumer):
        component_name = "audit_log"

        async def connect(self):
            await super().connect()              # permission check, user group, accept
            if self.accepted:
                await self.group_add("admin-audit")

        async def audit_entry(self, message):    # a group_send of type "audit.entry"
            await self.dispatch_event("new_entry", {"entry": message["entry"]})

- Connect: `permission_classes` (staff by default) and the component's own are checked
  through the same `check_permissions` path as HTTP; a refused socket is closed (4403)
  before it is accepted.
- `dispatch_event(event, payload)` runs `core.dispatch` on this socket's component (loaded
  through `Component.load`, so through the cache for CacheMixin) and sends the HTML, which
  the ws extension swaps out-of-band by element id. It is the server's call (source
  "server": every handler, `@server_only` ones included); a `receive_message` override
  that runs a browser's frame passes `source="socket"`, which reaches only handlers
  declared `@reachable(..., "socket")`.
- The browser sends `{"type": "resume", "last_id": N}` after every (re)connect; override
  `resume(last_id)` to send what it missed.
- Frames over `max_frame_bytes` close the socket (1009); frames that are not JSON, or
  whose strings hold a NUL character or that nest too deep (`core.client_input`), close
  it (1007).
- Bounded work: each socket may send `frame_limit` frames and `resume_limit` resumes (token
  buckets: a burst, then a steady rate); a socket over either limit is closed with 1008
  (policy violation), which htmx's ws extension does not reconnect.
- Every socket joins `cf-user-<pk>`; `close_user_sockets(pk)` closes them (on logout).
- Losing access ends the socket: `recheck_user_sockets(pk)` makes each socket of that user
  re-read its user from its session (`socket_auth.current_user`) and re-run its permission
  check, closing with 4401 (session or user gone, password changed) or 4403 (refused). A
  socket does the same before answering a `resume`, and when its session expires.
  `component_framework.adapters.revocation` sends the rechecks when authority changes.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from typing import Any, ClassVar

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from .client_input import check_value
from .component import Component
from .dispatch import SERVER, Source
from .errors import BadRequest, ComponentError
from .permissions import IsStaff, PermissionDenied, PermissionLike, check_permissions
from .rate_limit import RateLimit, TokenBucket
from .registry import registry
from .socket_auth import current_user, session_expiry

logger = logging.getLogger(__name__)

CLOSE_REFUSED = 4403
CLOSE_LOGGED_OUT = 4401
CLOSE_TOO_BIG = 1009
CLOSE_BAD_DATA = 1007
CLOSE_POLICY = 1008
#: How long a socket waits to re-read a session it could not read (database down).
RETRY_SECONDS = 5.0


def user_group(user_pk: Any) -> str:
    """The channel-layer group every socket of this user joins."""
    return f"cf-user-{user_pk}"


async def aclose_user_sockets(user_pk: Any) -> None:
    """Close every open ComponentConsumer socket of this user (all workers)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_pk), {"type": "cf.close"})


def close_user_sockets(user_pk: Any) -> None:
    """Sync twin of `aclose_user_sockets`."""
    async_to_sync(aclose_user_sockets)(user_pk)


async def arecheck_user_sockets(*user_pks: Any) -> None:
    """Make every open ComponentConsumer socket of these users (all workers) re-check its
    session, user and permissions, closing those that lost access."""
    layer = get_channel_layer()
    if layer is not None:
        for user_pk in user_pks:
            await layer.group_send(user_group(user_pk), {"type": "cf.recheck"})


def recheck_user_sockets(*user_pks: Any) -> None:
    """Sync twin of `arecheck_user_sockets`: call it after writes that send no signals
    (`QuerySet.update()`, `bulk_update()`, raw SQL) and may take access away."""
    if user_pks:
        async_to_sync(arecheck_user_sockets)(*user_pks)


async def agroup_send_html(group: str, html: str) -> None:
    """Send already-rendered HTML to every ComponentConsumer in `group` (render once)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, {"type": "cf.html", "html": str(html)})


def group_send_html(group: str, html: str) -> None:
    """Sync twin of `agroup_send_html`."""
    async_to_sync(agroup_send_html)(group, html)


def close_sockets_on_logout(
    sender: Any, request: Any = None, user: Any = None, **kwargs: Any
) -> None:
    """`user_logged_out` receiver: a logged-out user's sockets must not stay open."""
    if user is None or user.pk is None:
        return
    try:
        close_user_sockets(user.pk)
    except Exception:  # the channel layer being down must not break logging out
        logger.exception("Could not close the WebSockets of user %s", user.pk)


class ComponentConsumer(AsyncJsonWebsocketConsumer):
    """See the module docstring."""

    #: Registered component this socket drives (optional for plain push sockets).
    component_name: ClassVar[str] = ""
    #: Checked on connect and before each event, before the component's own.
    permission_classes: ClassVar[list[PermissionLike]] = [IsStaff]
    max_frame_bytes: ClassVar[int] = 64 * 1024
    #: Frames of any kind a socket may send (a browser sends one resume per connect).
    frame_limit: ClassVar[RateLimit] = RateLimit(burst=20, per_second=2)
    #: `resume` requests (each one reads the database) a socket may send.
    resume_limit: ClassVar[RateLimit] = RateLimit(burst=3, per_second=0.1)

    component: Component | None = None
    #: True once `connect()` accepted the socket (False for refused ones).
    accepted: bool = False
    #: True once the socket is closing or closed: nothing more is sent on it.
    closed: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frames = TokenBucket(self.frame_limit)
        self._resumes = TokenBucket(self.resume_limit)
        self._expiry_watch: asyncio.Task[None] | None = None
        self._user_pk: Any = None

    # -- connection ------------------------------------------------------------------------

    @property
    def user(self) -> Any:
        return self.scope.get("user") or AnonymousUser()

    def check_access(self) -> None:
        """Raise `PermissionDenied` unless this socket's user may use it (sync: may query)."""
        if self.component_name:
            registry.get(self.component_name).check_access(self.user, self.permission_classes)
        else:
            check_permissions(self.permission_classes, self.user)

    async def connect(self) -> None:
        """Check permissions, join the user's group, accept; close with 4403 if refused."""
        try:
            expiry = await database_sync_to_async(self._check_on_connect)()
        except (PermissionDenied, ComponentError):
            await self.close(code=CLOSE_REFUSED)
            return
        self._user_pk = self.user.pk
        await self.group_add(user_group(self._user_pk))
        await self.accept()
        self.accepted = True
        if expiry is not None:
            self._expiry_watch = asyncio.create_task(self._close_at_session_expiry(expiry))

    def _check_on_connect(self) -> datetime.datetime | None:
        """`check_access()`, then the session's expiry (one trip to the sync thread)."""
        self.check_access()
        return session_expiry(self.scope)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket; later sends are dropped (messages already queued for it may
        still run their handlers)."""
        self.closed = True
        await super().close(code=code, reason=reason)

    async def send(  # type: ignore[override]
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if not self.closed:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.closed = True
        if self._expiry_watch is not None:
            self._expiry_watch.cancel()
        for group in list(getattr(self, "_cf_groups", ())):
            await self.group_discard(group)
        await super().websocket_disconnect(message)

    async def group_add(self, group: str) -> None:
        """Join `group`; left automatically on disconnect."""
        if not hasattr(self, "_cf_groups"):
            self._cf_groups: set[str] = set()
        self._cf_groups.add(group)
        await self.channel_layer.group_add(group, self.channel_name)

    async def group_discard(self, group: str) -> None:
        """Leave `group`."""
        getattr(self, "_cf_groups", set()).discard(group)
        await self.channel_layer.group_discard(group, self.channel_name)

    # -- access after connect ----------------------------------------------------------------

    async def recheck_access(self) -> bool:
        """Re-read this socket's user from its session and re-run the connect-time
        permission check; close (4401 / 4403) and return False when access is gone."""
        if self.closed:
            return False
        code = await database_sync_to_async(self._recheck)()
        if code is not None:
            await self.close(code=code)
            return False
        return True

    def _recheck(self) -> int | None:
        """The close code this socket deserves now, or None while access holds."""
        user = current_user(self.scope)
        if self._user_pk is not None and (not user.is_authenticated or user.pk != self._user_pk):
            return CLOSE_LOGGED_OUT
        self.scope["user"] = user  # a fresh row: permissions are not read from a stale cache
        try:
            self.check_access()
        except (PermissionDenied, ComponentError):
            return CLOSE_REFUSED
        return None

    async def _close_at_session_expiry(self, expiry: datetime.datetime | None) -> None:
        """Sleep until the session expires, then re-check (the session may have been
        extended meanwhile: then sleep until its new expiry)."""
        while expiry is not None and not self.closed:
            await asyncio.sleep(max((expiry - timezone.now()).total_seconds(), 0.0))
            try:
                if not await self.recheck_access():
                    return
                expiry = await database_sync_to_async(session_expiry)(self.scope)
            except Exception:  # database down: try again later rather than never
                logger.warning("Could not re-check the session of a socket", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    # -- frames from the browser -----------------------------------------------------------

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        if not self._frames.take():
            await self.close(code=CLOSE_POLICY)
            return
        text, data = message.get("text"), message.get("bytes")
        size = len(text.encode("utf-8")) if text is not None else len(data or b"")
        if size > self.max_frame_bytes:
            await self.close(code=CLOSE_TOO_BIG)
            return
        await super().websocket_receive(message)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            content = json.loads(text_data if text_data is not None else (bytes_data or b""))
            check_value("frame", content)
        except (ValueError, RecursionError, BadRequest):  # "[" * 5000 recurses past the limit
            await self.close(code=CLOSE_BAD_DATA)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Route browser messages: `{"type": "resume", "last_id": N}` calls `resume(N)`
        (rate-limited, and only after the socket's access is re-checked)."""
        if isinstance(content, dict) and content.get("type") == "resume":
            last_id = content.get("last_id")
            if isinstance(last_id, int) and not isinstance(last_id, bool) and last_id >= 0:
                if not self._resumes.take():
                    await self.close(code=CLOSE_POLICY)
                elif await self.recheck_access():
                    await self.resume(last_id)
            else:
                await self.send_json({"error": "Invalid value for 'last_id'."})
            return
        await self.receive_message(content)

    async def resume(self, last_id: int) -> None:
        """Hook: the browser (re)connected holding items up to `last_id`; send the rest."""

    async def receive_message(self, content: Any) -> None:
        """Hook for other browser messages (ignored by default: events come from the server)."""

    # -- server -> browser -----------------------------------------------------------------

    async def send_html(self, html: str) -> None:
        """Send an HTML fragment (the ws extension swaps it by element id)."""
        await self.send(text_data=str(html))

    async def dispatch_event(
        self, event: str, payload: dict[str, Any] | None = None, source: Source = SERVER
    ) -> None:
        """Run `event` from `source` on this socket's component, then send its HTML."""
        try:
            html = await database_sync_to_async(self._dispatch)(event, dict(payload or {}), source)
        except ComponentError as exc:
            await self.send_json({"error": exc.message})
            return
        except ObjectDoesNotExist:
            await self.send_json({"error": "Not found."})
            return
        await self.send_html(html)

    def get_component_params(self) -> dict[str, Any]:
        """Params for this socket's component (default: the URL route's kwargs)."""
        return dict(self.scope.get("url_route", {}).get("kwargs", {}))

    def _dispatch(self, event: str, payload: dict[str, Any], source: Source) -> str:
        cls = registry.get(self.component_name)
        if self.component is None:
            self.component = cls.load(
                user=self.user,
                params=self.get_component_params(),
                permissions=self.permission_classes,
            )
        else:
            cls.check_access(self.user, self.permission_classes)
        self.component.handle_event(event, payload, source)
        return self.component.render()

    # -- channel-layer messages ------------------------------------------------------------

    async def cf_close(self, message: dict[str, Any]) -> None:
        """`close_user_sockets()`: the user logged out."""
        await self.close(code=CLOSE_LOGGED_OUT)

    async def cf_recheck(self, message: dict[str, Any]) -> None:
        """`recheck_user_sockets()`: something the user's access depends on changed."""
        await self.recheck_access()

    async def cf_html(self, message: dict[str, Any]) -> None:
        """`group_send_html()`: forward HTML rendered once for the whole group."""
        await self.send_html(message["html"])
