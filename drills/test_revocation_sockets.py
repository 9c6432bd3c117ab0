"""Losing access closes the live feed too: removing a user's staff flag (in the panel or
anywhere else), deactivating them or logging them out closes every socket they have open
(each `WebsocketCommunicator` receives a close), and their next HTTP event gets 403."""

from __future__ import annotations

from typing import Any

import pytest

# Closes the thread's connection after each call (a pooled PostgreSQL connection left open
# would keep the test database from being dropped).
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from component_framework.testing import component_socket, session_headers
from config.asgi import application

from .conftest import client_for, db_snapshot
from .test_revocation import (
    USERS_URL,
    deactivate_through_the_panel,
    demote_outside_the_panel,
    demote_through_the_panel,
    log_out,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/admin/audit/"
CLOSE_WAIT = 5


async def assert_closed(socket: Any, who: str) -> int:
    output = await socket.communicator.receive_output(timeout=CLOSE_WAIT)
    # Rows broadcast before the close (the change itself is audited) may come first.
    while output["type"] == "websocket.send":
        output = await socket.communicator.receive_output(timeout=CLOSE_WAIT)
    assert output["type"] == "websocket.close", f"{who}: {output}"
    return int(output.get("code", 1000))


@pytest.mark.parametrize(
    "revoke",
    [demote_through_the_panel, demote_outside_the_panel, deactivate_through_the_panel, "logout"],
    ids=[
        "staff flag removed in the panel",
        "staff flag removed elsewhere",
        "deactivated",
        "logged out",
    ],
)
async def test_revoking_access_closes_every_open_socket(people, make_user, revoke):
    staff = await database_sync_to_async(make_user)("rel_watcher", is_staff=True)
    client = await database_sync_to_async(client_for)(staff)
    await database_sync_to_async(client.load)(USERS_URL)
    headers = session_headers(client.client)
    async with (
        component_socket(application, PATH, headers=headers) as first,
        component_socket(application, PATH, headers=headers) as second,
        component_socket(application, PATH, headers=await root_headers(people)) as bystander,
    ):
        assert first.connected and second.connected and bystander.connected
        if revoke == "logout":
            await database_sync_to_async(log_out)(client)
        else:
            user = await database_sync_to_async(get_user_model().objects.get)(pk=staff.pk)
            await database_sync_to_async(revoke)(people["superuser"], user)
        codes = [await assert_closed(first, "first"), await assert_closed(second, "second")]
        print(f"\nsockets closed with codes {codes}")
        # The superuser's own socket stays open.
        while not await bystander.communicator.receive_nothing(timeout=0.2):
            output = await bystander.communicator.receive_output()
            assert output["type"] == "websocket.send"
    before = await database_sync_to_async(db_snapshot)()
    response = await database_sync_to_async(client.event)(USERS_URL, "refresh")
    assert response.status_code == 403
    assert await database_sync_to_async(db_snapshot)() == before


async def root_headers(people: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    root = await database_sync_to_async(client_for)(people["superuser"])
    return session_headers(root.client)
