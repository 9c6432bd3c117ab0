"""Losing authority ends live access, whatever took it away.

Each way a user can lose the right to a socket closes it (4401: the session or user is
gone; 4403: the permission check refuses), after which nothing is delivered and a `resume`
gets no answer; each change that takes nothing away leaves the socket open and delivering.
Over the configured channel layer (Redis in the default rendering), with real sessions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from component_framework.core.ws_manager import (
    CLOSE_LOGGED_OUT,
    CLOSE_REFUSED,
    agroup_send_html,
    recheck_user_sockets,
)
from component_framework.testing import Socket, component_socket, session_headers
from tests.framework.consumers import application

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
STAFF_SOCKET = "/ws/test/counter/"  # staff only
VIEWERS_SOCKET = "/ws/test/group-viewers/"  # staff holding auth.view_group
WATCHERS = "test-counter-watchers"  # both sockets join it
PING = "<p id='ping'>ping</p>"
WAIT = 5
#: Seconds a closed socket must stay silent after a broadcast and a resume.
SILENCE = 0.15


@dataclass
class World:
    """Staff users holding `auth.view_group` in each way, each logged in with a client."""

    perm: Permission  # auth.view_group: what VIEWERS_SOCKET needs
    other_perm: Permission  # auth.view_permission: needed by nothing
    viewers: Group  # holds perm
    others: Group  # holds other_perm
    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)

    def session_key(self, who: str) -> str:
        return self.clients[who].session.session_key


def build_world() -> World:
    perm = Permission.objects.get(content_type__app_label="auth", codename="view_group")
    other_perm = Permission.objects.get(content_type__app_label="auth", codename="view_permission")
    world = World(
        perm, other_perm, Group.objects.create(name="viewers"), Group.objects.create(name="others")
    )
    world.viewers.permissions.add(perm)
    world.others.permissions.add(other_perm)
    for name in ("direct", "member", "bystander"):
        world.users[name] = User.objects.create_user(
            name, f"{name}@example.com", "pw", is_staff=True
        )
        world.clients[name] = Client()
        world.clients[name].force_login(world.users[name])
    world.users["direct"].user_permissions.add(perm)  # the permission itself
    world.users["direct"].groups.add(world.others)
    world.users["member"].groups.add(world.viewers)  # the permission through a group
    world.users["member"].user_permissions.add(other_perm)
    return world


@asynccontextmanager
async def open_socket(world: World, who: str, path: str) -> AsyncIterator[Socket]:
    headers = session_headers(world.clients[who])
    async with component_socket(application, path, headers=headers) as socket:
        assert socket.connected, f"{who} could not connect to {path}"
        yield socket


async def closed_with(socket: Socket) -> int:
    """The close code, asserting nothing was sent before the close."""
    output = await socket.communicator.receive_output(timeout=WAIT)
    assert output["type"] == "websocket.close", output
    return int(output["code"])


async def assert_delivering(socket: Socket) -> None:
    await agroup_send_html(WATCHERS, PING)
    assert await socket.communicator.receive_from(timeout=WAIT) == PING
    await socket.communicator.send_json_to({"type": "resume", "last_id": 7})
    assert await socket.communicator.receive_json_from(timeout=WAIT) == {"resumed_after": 7}


async def assert_silent(socket: Socket) -> None:
    """Closed for good: no broadcast reaches it and a resume is not answered."""
    await socket.communicator.send_json_to({"type": "resume", "last_id": 0})
    await agroup_send_html(WATCHERS, PING)
    # A socket that still forwarded would have the ping within milliseconds.
    assert await socket.communicator.receive_nothing(timeout=SILENCE)


# -- what takes access away ------------------------------------------------------------------------


def set_password(user: Any) -> None:
    user.set_password("a-new-password-9")
    user.save()


def set_flag(user: Any, name: str, value: bool) -> None:
    setattr(user, name, value)
    user.save()


def demote_a_fresh_copy(user: Any) -> None:
    """Drop `is_staff` on a copy loaded without it: the check reads the stored row itself."""
    copy = User.objects.only("pk").get(pk=user.pk)
    copy.is_staff = False
    copy.save()


def expire_and_clear(world: World, who: str) -> None:
    Session.objects.filter(session_key=world.session_key(who)).update(
        expire_date=timezone.now() - timedelta(minutes=1)  # an update: no signal by itself
    )
    call_command("clearsessions")


Revoke = Callable[[World], Any]
LOSSES: list[tuple[str, str, str, int, Revoke]] = [
    (
        "user deleted",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: w.users["direct"].delete(),
    ),
    (
        "password changed",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: set_password(w.users["direct"]),
    ),
    (
        "logged out elsewhere",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: w.clients["direct"].logout(),
    ),
    (
        "session row deleted",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: Session.objects.get(session_key=w.session_key("direct")).delete(),
    ),
    (
        "every session flushed",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: Session.objects.all().delete(),
    ),
    (
        "expired session cleared",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: expire_and_clear(w, "direct"),
    ),
    (
        "deactivated",
        "direct",
        STAFF_SOCKET,
        CLOSE_LOGGED_OUT,
        lambda w: set_flag(w.users["direct"], "is_active", False),
    ),
    (
        "staff flag removed",
        "direct",
        STAFF_SOCKET,
        CLOSE_REFUSED,
        lambda w: set_flag(w.users["direct"], "is_staff", False),
    ),
    (
        "staff flag removed on an instance loaded without it",
        "direct",
        STAFF_SOCKET,
        CLOSE_REFUSED,
        lambda w: demote_a_fresh_copy(w.users["direct"]),
    ),
    (
        "permission removed",
        "direct",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.users["direct"].user_permissions.remove(w.perm),
    ),
    (
        "permissions cleared",
        "direct",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.users["direct"].user_permissions.clear(),
    ),
    (
        "permission taken from its side",
        "direct",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.perm.user_set.remove(w.users["direct"]),
    ),
    (
        "removed from the group",
        "member",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.users["member"].groups.remove(w.viewers),
    ),
    (
        "groups replaced",
        "member",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.users["member"].groups.set([w.others]),
    ),
    (
        "group emptied",
        "member",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.viewers.user_set.clear(),
    ),
    (
        "group lost the permission",
        "member",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.viewers.permissions.remove(w.perm),
    ),
    (
        "permission taken from every group",
        "member",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.perm.group_set.clear(),
    ),
    ("group deleted", "member", VIEWERS_SOCKET, CLOSE_REFUSED, lambda w: w.viewers.delete()),
    (
        "permission deleted (group)",
        "member",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.perm.delete(),
    ),
    (
        "permission deleted (direct)",
        "direct",
        VIEWERS_SOCKET,
        CLOSE_REFUSED,
        lambda w: w.perm.delete(),
    ),
]


@pytest.mark.parametrize(
    ("who", "path", "code", "revoke"),
    [loss[1:] for loss in LOSSES],
    ids=[loss[0] for loss in LOSSES],
)
async def test_losing_authority_closes_every_socket_of_the_user(who, path, code, revoke):
    world = await database_sync_to_async(build_world)()
    async with open_socket(world, who, path) as first, open_socket(world, who, path) as second:
        await database_sync_to_async(revoke)(world)
        assert [await closed_with(first), await closed_with(second)] == [code, code]
        await assert_silent(first)


# -- what takes nothing away -----------------------------------------------------------------------


def end_another_session(world: World, who: str) -> None:
    other = Client()
    other.force_login(world.users[who])
    Session.objects.get(session_key=other.session.session_key).delete()


KEPT: list[tuple[str, str, str, Revoke]] = [
    ("another user deleted", "direct", STAFF_SOCKET, lambda w: w.users["bystander"].delete()),
    (
        "another user's password changed",
        "direct",
        STAFF_SOCKET,
        lambda w: set_password(w.users["bystander"]),
    ),
    ("another user logged out", "direct", STAFF_SOCKET, lambda w: w.clients["bystander"].logout()),
    (
        "another session of the same user ended",
        "direct",
        STAFF_SOCKET,
        lambda w: end_another_session(w, "direct"),
    ),
    (
        "another user's session cleared",
        "direct",
        STAFF_SOCKET,
        lambda w: expire_and_clear(w, "bystander"),
    ),
    (
        "name changed",
        "direct",
        STAFF_SOCKET,
        lambda w: set_flag(w.users["direct"], "first_name", "Renamed"),
    ),
    (
        "made superuser",
        "direct",
        STAFF_SOCKET,
        lambda w: set_flag(w.users["direct"], "is_superuser", True),
    ),
    (
        "unrelated permission removed",
        "member",
        VIEWERS_SOCKET,
        lambda w: w.users["member"].user_permissions.remove(w.other_perm),
    ),
    (
        "removed from an unrelated group",
        "direct",
        VIEWERS_SOCKET,
        lambda w: w.users["direct"].groups.remove(w.others),
    ),
    ("unrelated group deleted", "direct", VIEWERS_SOCKET, lambda w: w.others.delete()),
    ("unrelated permission deleted", "member", VIEWERS_SOCKET, lambda w: w.other_perm.delete()),
    (
        "the group gained a permission",
        "member",
        VIEWERS_SOCKET,
        lambda w: w.viewers.permissions.add(w.other_perm),
    ),
]


@pytest.mark.parametrize(
    ("who", "path", "change"), [kept[1:] for kept in KEPT], ids=[kept[0] for kept in KEPT]
)
async def test_changes_that_take_nothing_away_leave_the_socket_open(who, path, change):
    world = await database_sync_to_async(build_world)()
    async with open_socket(world, who, path) as socket:
        await database_sync_to_async(change)(world)
        # Any re-check the change caused is handled before this broadcast (one channel, in order).
        await assert_delivering(socket)


# -- writes that send no signals: caught before a resume, or by an explicit re-check ---------------


def update_staff_flag(world: World) -> None:
    User.objects.filter(pk=world.users["direct"].pk).update(is_staff=False)


def update_password(world: World) -> None:
    User.objects.filter(pk=world.users["direct"].pk).update(password="!unusable")


def delete_session_with_sql(world: World) -> None:
    with connection.cursor() as cursor:
        table = Session._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE session_key = %s", [world.session_key("direct")])  # noqa: S608


def delete_permission_rows(world: World) -> None:
    through = User.user_permissions.through
    through.objects.filter(user_id=world.users["direct"].pk).delete()  # not m2m_changed


SILENT: list[tuple[str, str, int, Revoke]] = [
    ("staff flag updated", STAFF_SOCKET, CLOSE_REFUSED, update_staff_flag),
    ("password updated", STAFF_SOCKET, CLOSE_LOGGED_OUT, update_password),
    ("session deleted with SQL", STAFF_SOCKET, CLOSE_LOGGED_OUT, delete_session_with_sql),
    ("permission rows deleted", VIEWERS_SOCKET, CLOSE_REFUSED, delete_permission_rows),
]


@pytest.mark.parametrize(
    ("path", "code", "revoke"), [s[1:] for s in SILENT], ids=[s[0] for s in SILENT]
)
async def test_a_resume_rechecks_access_first(path, code, revoke):
    world = await database_sync_to_async(build_world)()
    async with (
        open_socket(world, "direct", path) as socket,
        open_socket(world, "bystander", STAFF_SOCKET) as bystander,
    ):
        await database_sync_to_async(revoke)(world)
        await socket.communicator.send_json_to({"type": "resume", "last_id": 0})
        assert await closed_with(socket) == code  # no {"resumed_after": 0} before it
        await assert_silent(socket)
        await assert_delivering(bystander)


@pytest.mark.parametrize(
    ("path", "code", "revoke"), [s[1:] for s in SILENT], ids=[s[0] for s in SILENT]
)
async def test_recheck_user_sockets_after_a_write_without_signals(path, code, revoke):
    world = await database_sync_to_async(build_world)()
    async with (
        open_socket(world, "direct", path) as socket,
        open_socket(world, "bystander", STAFF_SOCKET) as bystander,
    ):
        await database_sync_to_async(revoke)(world)
        await database_sync_to_async(recheck_user_sockets)(
            world.users["direct"].pk, world.users["bystander"].pk
        )
        assert await closed_with(socket) == code
        await assert_delivering(bystander)


# -- session expiry --------------------------------------------------------------------------------


#: Seconds a session lives in the expiry tests: ample to open a socket (milliseconds).
SHORT_LIFE = 0.5


def expire_in(world: World, who: str, seconds: float) -> None:
    session = world.clients[who].session
    session.set_expiry(timedelta(seconds=seconds))
    session.save()


async def test_a_socket_closes_when_its_session_expires():
    world = await database_sync_to_async(build_world)()
    await database_sync_to_async(expire_in)(world, "direct", SHORT_LIFE)
    async with open_socket(world, "direct", STAFF_SOCKET) as socket:
        # Nothing else happens: the socket's own timer fires at the session's expiry.
        output = await socket.communicator.receive_output(timeout=WAIT + 1)
        assert output == {"type": "websocket.close", "code": CLOSE_LOGGED_OUT}
        await assert_silent(socket)


async def test_a_session_extended_before_it_expires_keeps_its_socket():
    world = await database_sync_to_async(build_world)()
    await database_sync_to_async(expire_in)(world, "direct", SHORT_LIFE)
    async with open_socket(world, "direct", STAFF_SOCKET) as socket:
        await database_sync_to_async(expire_in)(world, "direct", 3600)
        # Past the first expiry, by as long again.
        assert await socket.communicator.receive_nothing(timeout=2 * SHORT_LIFE)
        await assert_delivering(socket)
