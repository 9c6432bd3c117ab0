"""The Channels glue: `ComponentConsumer`, a component behind a WebSocket (for the htmx ws
extension), the helpers that reach its sockets through the channel layer, and
`SharedGroup`, one subscription per process to a group that many sockets watch.

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
- A consumer with a `shared_group` receives that group's messages (and its user group's)
  through the process's `SharedGroup` instead of a channel of its own: see `SharedGroup`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import datetime
import json
import logging
import os
import threading
import weakref
from typing import Any, ClassVar

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone, translation
from django.utils.functional import cached_property

from ..core.client_input import check_value
from ..core.component import Component
from ..core.dispatch import SERVER, Source
from ..core.errors import BadRequest, ComponentError
from ..core.permissions import IsStaff, PermissionLike, check_permissions
from ..core.rate_limit import RateLimit, TokenBucket
from ..core.registry import registry
from ..core.socket_auth import current_user, session_expiry

logger = logging.getLogger(__name__)

CLOSE_REFUSED = 4403
CLOSE_LOGGED_OUT = 4401
CLOSE_TOO_BIG = 1009
CLOSE_BAD_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013
CLOSE_ERROR = 1011
#: How long a socket waits to re-read a session it could not read (database down).
RETRY_SECONDS = 5.0


def user_group(user_pk: Any) -> str:
    """The channel-layer group every socket of this user joins."""
    return f"cf-user-{user_pk}"


async def aclose_user_sockets(user_pk: Any) -> None:
    """Close every open ComponentConsumer socket of this user (all workers)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_pk), {"type": "cf.close", "user": str(user_pk)})


def close_user_sockets(user_pk: Any) -> None:
    """Sync twin of `aclose_user_sockets`."""
    async_to_sync(aclose_user_sockets)(user_pk)


async def arecheck_user_sockets(*user_pks: Any) -> None:
    """Make every open ComponentConsumer socket of these users (all workers) re-check its
    session, user and permissions, closing those that lost access."""
    layer = get_channel_layer()
    if layer is not None:
        for user_pk in user_pks:
            message = {"type": "cf.recheck", "user": str(user_pk)}
            await layer.group_send(user_group(user_pk), message)


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


def group_send_soon(layer: Any, group: str, message: dict[str, Any]) -> None:
    """Send a group message from synchronous code without waiting for the channel layer
    (an on-commit hook, say: the request does not wait for Redis).

    Messages go out in the order of the calls, through `layer.group_send` on one event loop
    thread per process (`GroupSender`); a failed send is logged, not raised. The in-memory
    layer's queues belong to the server's own event loop, so it gets `async_to_sync`, which
    runs there when called from a request.
    """
    if isinstance(layer, InMemoryChannelLayer):
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.warning("Could not send a message to group %s", group, exc_info=True)
        return
    _sender.send(layer, group, message)


class GroupSender:
    """A daemon thread running an event loop that sends queued group messages one by one.

    `async_to_sync(layer.group_send)` from synchronous code outside a running loop
    (management commands, task workers, WSGI) builds an event loop, and channels-redis a
    connection, for every call; this thread keeps one loop, so the layer keeps its
    connection. At most `MAX_QUEUED` messages wait (a channel layer that hangs would
    otherwise hold them all): later ones are dropped with a warning. A process that exits
    first sends what is queued (`flush`, run at exit), so a short script loses nothing.
    """

    MAX_QUEUED = 1000
    TIMEOUT = 5.0  # seconds one group_send may take

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[Any, str, dict[str, Any]]] = asyncio.Queue()
        self._warned = False

    def send(self, layer: Any, group: str, message: dict[str, Any]) -> None:
        with self._lock:
            # First use, or a forked process (the thread stayed in the parent): start one.
            if self._loop is None or self._pid != os.getpid():
                self._loop = self._start()
            loop = self._loop
        loop.call_soon_threadsafe(self._enqueue, (layer, group, message))

    def _start(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        self._queue = asyncio.Queue(self.MAX_QUEUED)
        threading.Thread(target=self._serve, args=(loop,), name="group-sender", daemon=True).start()
        self._pid = os.getpid()
        atexit.register(self.flush)
        return loop

    def flush(self, timeout: float = TIMEOUT) -> None:
        """Wait, at most `timeout` seconds, until every queued message has been sent."""
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                return
            loop, queue = self._loop, self._queue
        done = asyncio.run_coroutine_threadsafe(queue.join(), loop)
        with contextlib.suppress(Exception):
            done.result(timeout)

    def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._send_queued())

    def _enqueue(self, item: tuple[Any, str, dict[str, Any]]) -> None:
        if self._queue.full():
            if not self._warned:  # once per backlog, not once per message
                self._warned = True
                logger.warning("The channel layer is not taking messages; dropping some")
            return
        self._warned = False
        self._queue.put_nowait(item)

    async def _send_queued(self) -> None:
        while True:
            layer, group, message = await self._queue.get()
            try:
                await asyncio.wait_for(layer.group_send(group, message), self.TIMEOUT)
            except Exception:
                logger.warning("Could not send a message to group %s", group, exc_info=True)
            finally:
                self._queue.task_done()


_sender = GroupSender()


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
    #: A `SharedGroup` subclass: this socket gets that group's messages, and its user
    #: group's, through the process's one subscription (see `SharedGroup`).
    shared_group: ClassVar[type[SharedGroup] | None] = None
    #: Shared-group messages that may wait for this socket; one that falls further behind
    #: is closed (1013) and its browser reconnects and resumes.
    outbox_size: ClassVar[int] = 200

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
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.outbox_size)
        self._outbox_task: asyncio.Task[None] | None = None
        self._joined: SharedGroup | None = None
        self._closing: asyncio.Task[None] | None = None

    # -- connection ------------------------------------------------------------------------

    @cached_property
    def language(self) -> str:
        """The language of the page that opened the socket: the first language of the
        browser's Accept-Language the project supports (as `LocaleMiddleware` picks it),
        else `LANGUAGE_CODE`. Send a socket HTML rendered in it."""
        headers = dict(self.scope.get("headers", ()))
        for part in headers.get(b"accept-language", b"").decode("latin-1").split(","):
            try:
                return translation.get_supported_language_variant(part.split(";")[0].strip())
            except LookupError:
                continue
        return settings.LANGUAGE_CODE

    @property
    def user(self) -> Any:
        return self.scope.get("user") or AnonymousUser()

    def check_access(self) -> None:
        """Raise `Forbidden` unless this socket's user may use it (sync: may query)."""
        if self.component_name:
            registry.get(self.component_name).check_access(self.user, self.permission_classes)
        else:
            check_permissions(self.permission_classes, self.user)

    async def connect(self) -> None:
        """Check permissions, join the user's group, accept; close with 4403 if refused."""
        try:
            expiry = await database_sync_to_async(self._check_on_connect)()
        except ComponentError:
            await self.close(code=CLOSE_REFUSED)
            return
        self._user_pk = self.user.pk
        if self.shared_group is None:
            await self.group_add(user_group(self._user_pk))
        else:
            self._joined = await self.shared_group.join(self)
        await self.accept()
        self.accepted = True
        if self._joined is not None:
            self._outbox_task = asyncio.create_task(self._send_outbox())
        if expiry is not None:
            self._expiry_watch = asyncio.create_task(self._close_at_session_expiry(expiry))

    def _check_on_connect(self) -> datetime.datetime | None:
        """`check_access()`, then the session's expiry (one trip to the sync thread)."""
        self.check_access()
        return session_expiry(self.scope)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket; later sends are dropped (messages already queued for it may
        still run their handlers). Closing a closed socket does nothing."""
        if self.closed:
            return
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
        if self._outbox_task is not None:
            self._outbox_task.cancel()
        if self._joined is not None:
            await self._joined.leave(self)
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
        except ComponentError:
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

    # -- shared-group messages -------------------------------------------------------------

    def deliver(self, message: dict[str, Any]) -> None:
        """Queue a message for this socket's handler of its type (the `SharedGroup` calls
        this; the handlers run in order, in a task of this socket's own)."""
        if self.closed:
            return
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            logger.warning("A socket fell %s messages behind; closing it", self.outbox_size)
            self._closing = asyncio.create_task(self.close(code=CLOSE_TRY_AGAIN))

    async def _send_outbox(self) -> None:
        while not self.closed:
            message = await self._outbox.get()
            try:
                await getattr(self, get_handler_name(message))(message)
            except Exception:
                logger.exception("Handling a %r message failed; closing the socket", message)
                await self.close(code=CLOSE_ERROR)

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


class SharedGroup:
    """One subscription per process to a channel-layer group, fanned out to its sockets.

    A group that many sockets of one process watch (a live feed) would cost, for each
    message, one delivery per socket from the channel layer and one Channels dispatch per
    socket (each a trip to a thread for `close_old_connections`). Instead the first socket of
    a process starts a task that takes a channel (`new_channel`), joins the group with it
    (`group_add`) and reads it (`receive`); each message is passed through `prepare()` once,
    then queued on every socket (`ComponentConsumer.deliver`), whose own task runs the
    handler named by its type (`audit.rows` -> `audit_rows`) as Channels would. A slow
    socket delays only itself.

    The same channel joins the user group of each of its sockets' users, so `cf.close` and
    `cf.recheck` arrive in order with the group's messages: a message sent after a
    revocation is handed out only once the revoked sockets are closed. Messages of a user
    group carry `user` (as `close_user_sockets` and `recheck_user_sockets` send them) and
    reach that user's sockets only; messages of the shared group carry `group`. Others
    are dropped.

    Subclass it with a `group` name (one instance per event loop) and set it as a consumer's
    `shared_group`. The last socket to leave ends the task and its memberships.
    """

    group: ClassVar[str] = ""
    #: Memberships are renewed this often (layers forget them after `group_expiry`, a day).
    REJOIN_SECONDS: ClassVar[float] = 3600.0
    RETRY_SECONDS: ClassVar[float] = 1.0
    _instances: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedGroup]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._instances = weakref.WeakKeyDictionary()

    @classmethod
    async def join(cls, socket: ComponentConsumer) -> SharedGroup:
        """Add `socket` to this loop's instance (started if needed); returns the instance."""
        loop = asyncio.get_running_loop()
        shared = cls._instances.get(loop)
        if shared is None:
            shared = cls._instances[loop] = cls()
        await shared.add(socket)
        return shared

    def __init__(self) -> None:
        self.layer: Any = None
        self.channel = ""
        self.sockets: set[ComponentConsumer] = set()
        self.users: dict[Any, set[ComponentConsumer]] = {}
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def prepare(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Hook: the message as every socket gets it, or None to drop it (runs once per
        message per process: work done here is not repeated per socket)."""
        return message

    async def add(self, socket: ComponentConsumer) -> None:
        async with self._lock:
            if not self._tasks:
                self.layer = get_channel_layer()
                self.channel = await self.layer.new_channel()
                await self.layer.group_add(self.group, self.channel)
                self._tasks = [
                    asyncio.create_task(self._receive()),
                    asyncio.create_task(self._keep_joined()),
                ]
            user_pk = str(socket.user.pk)
            if user_pk not in self.users:
                await self.layer.group_add(user_group(user_pk), self.channel)
                self.users[user_pk] = set()
            self.users[user_pk].add(socket)
            self.sockets.add(socket)

    async def leave(self, socket: ComponentConsumer) -> None:
        async with self._lock:
            if socket not in self.sockets:
                return
            self.sockets.discard(socket)
            user_pk = str(socket.user.pk)
            mine = self.users.get(user_pk, set())
            mine.discard(socket)
            left = []
            if not mine:
                self.users.pop(user_pk, None)
                left.append(user_group(user_pk))
            if not self.sockets:
                for task in self._tasks:
                    task.cancel()
                self._tasks = []
                left.append(self.group)
            for group in left:
                try:
                    await self.layer.group_discard(group, self.channel)
                except Exception:  # the layer is down: its memberships go with it
                    logger.warning("Could not leave group %s", group, exc_info=True)

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except Exception:  # the layer lost its connection: messages meanwhile are lost
                logger.warning("Shared group %s could not receive", self.group, exc_info=True)
                await asyncio.sleep(self.RETRY_SECONDS)
                continue
            try:
                await self.handle(message)
            except Exception:
                logger.exception("Shared group %s could not hand out a message", self.group)

    async def handle(self, message: dict[str, Any]) -> None:
        """Route one message: revocations to the user's sockets (awaited, so later
        messages wait for them), the group's messages to every socket."""
        if "user" in message:
            sockets = list(self.users.get(message["user"], ()))
            if message.get("type") == "cf.close":
                closes = (s.close(code=CLOSE_LOGGED_OUT) for s in sockets)
                await asyncio.gather(*closes, return_exceptions=True)
            elif message.get("type") == "cf.recheck":
                rechecks = (s.recheck_access() for s in sockets)
                await asyncio.gather(*rechecks, return_exceptions=True)
            else:
                for socket in sockets:
                    socket.deliver(message)
            return
        if message.get("group") != self.group:
            logger.warning("Shared group %s dropped a %r message", self.group, message.get("type"))
            return
        prepared = await self.prepare(message)
        if prepared is not None:
            for socket in list(self.sockets):
                socket.deliver(prepared)

    async def _keep_joined(self) -> None:
        while True:
            await asyncio.sleep(self.REJOIN_SECONDS)
            for group in [self.group, *(user_group(pk) for pk in list(self.users))]:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:
                    logger.warning("Could not renew group %s", group, exc_info=True)
