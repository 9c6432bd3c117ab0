"""The live feed delivers only what committed: a socket on `ws/admin/audit/` receives the
row of a committed change exactly once and nothing for a rolled-back transaction or a
refused request; a reconnecting socket gets what it missed (resume by last id)."""

from __future__ import annotations

import re
from typing import Any

import pytest

# Closes the thread's connection after each call (a pooled PostgreSQL connection left open
# would keep the test database from being dropped).
from channels.db import database_sync_to_async
from django.db import transaction

from admin_panel.models import AuditEntry
from component_framework.testing import component_socket, session_headers
from config.asgi import application

from .conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/admin/audit/"
USERS_URL = "/admin-panel/components/users/"


def ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-cf-item="(\d+)"', html)]


async def received_ids(socket: Any, quiet: float = 0.5) -> list[int]:
    found: list[int] = []
    while not await socket.communicator.receive_nothing(timeout=quiet):
        found += ids(await socket.communicator.receive_from(timeout=5))
    return found


class Boom(Exception):
    pass


@database_sync_to_async
def rolled_back_change(user: Any) -> None:
    try:
        with transaction.atomic():
            user.first_name = "Rolled back"
            user.save()
            raise Boom
    except Boom:
        pass


@database_sync_to_async
def committed_change(user: Any) -> int:
    user.refresh_from_db()
    user.first_name = "Committed"
    user.save()
    return AuditEntry.objects.latest("id").pk


async def test_rollback_sends_nothing_and_a_commit_sends_one_row(people, make_user):
    target = await database_sync_to_async(make_user)("feed_target")
    staff = await database_sync_to_async(client_for)(people["staff"])
    async with component_socket(application, PATH, headers=session_headers(staff.client)) as s:
        assert s.connected
        await rolled_back_change(target)
        assert await received_ids(s) == []
        # A refused request (staff may not toggle a superuser) broadcasts nothing either.
        await database_sync_to_async(staff.load)(USERS_URL)
        refused = await database_sync_to_async(staff.event)(
            USERS_URL, "toggle_status", user_id=str(people["superuser"].pk)
        )
        assert refused.status_code == 403
        assert await received_ids(s) == []
        entry_id = await committed_change(target)
        assert await received_ids(s) == [entry_id]


async def test_reconnect_resumes_with_what_was_missed(people, make_user):
    target = await database_sync_to_async(make_user)("feed_resume")
    staff = await database_sync_to_async(client_for)(people["staff"])
    headers = session_headers(staff.client)
    async with component_socket(application, PATH, headers=headers) as s:
        first = await committed_change(target)
        assert await received_ids(s) == [first]
    missed = []
    for name in ("a", "b", "c"):
        target.first_name = name
        await database_sync_to_async(target.save)()
        missed.append(await database_sync_to_async(lambda: AuditEntry.objects.latest("id").pk)())
    async with component_socket(application, PATH, headers=headers) as s:
        await s.communicator.send_json_to({"type": "resume", "last_id": first})
        html = await s.communicator.receive_from(timeout=5)
        # One frame holding every missed row, newest first (the block is prepended to the
        # list, so the browser's list stays newest first), nothing twice.
        assert ids(html) == list(reversed(missed))
        assert await received_ids(s) == []
