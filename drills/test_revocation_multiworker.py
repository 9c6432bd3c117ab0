"""Losing authority closes a user's feed sockets on every server process.

Two uvicorn/daphne processes share Redis and one database (the `redis_cluster` fixture of
the reliability drills). A staff user holds a feed socket on each; a THIRD process
(`manage.py shell`, as an operator or a script would) takes their access away. Both
sockets must close without receiving anything first (not even the audit entry of their
own demotion), while another staff member's socket stays open and receives the entry of
an unrelated change made right after.
The time from the start of the change to each close is printed.

Built on the drills' `cluster.py` (`Cluster.manage`, `CREATE_ACCOUNTS`, `PASSWORD`) and
`clients.py` (`Browser`); needs a rendering with Redis and the audit feed.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from .clients import FEED_PATH, Browser, entry_ids, run_async
from .cluster import CREATE_ACCOUNTS, PASSWORD, Cluster, Server

WAIT = 10.0

# Run in the third process.
REVOKE = {
    "staff flag removed": "u.is_staff = False; u.save()",
    "deactivated": "u.is_active = False; u.save()",
    "password changed": "u.set_password('another-password-7'); u.save()",
    "session deleted": (
        "from django.contrib.sessions.models import Session\n"
        "for s in Session.objects.all():\n"
        "    if s.get_decoded().get('_auth_user_id') == str(u.pk): s.delete()"
    ),
    "deleted": "u.delete()",
}
# The moment the change starts (its commit is later), the change, then an unrelated audited
# change (the positive control).
SHELL = """
import time
from django.contrib.auth import get_user_model
u = get_user_model().objects.get(username={username!r})
print(time.time())
{change}
other = get_user_model().objects.get(username="rel_t0")
other.first_name = str(time.time())
other.save()
"""


def make_staff(cluster: Cluster, username: str) -> None:
    accounts = json.dumps([{"username": username, "is_staff": True}])
    cluster.manage(
        "shell",
        "-c",
        CREATE_ACCOUNTS,
        extra_env={"RELIABILITY_ACCOUNTS": accounts, "RELIABILITY_PASSWORD": PASSWORD},
    )


async def open_feed(browser: Browser, server: Server) -> Any:
    from websockets.asyncio.client import connect

    headers = {"Cookie": browser.cookie_header(), "Origin": server.url}
    return await connect(server.ws_url + FEED_PATH, additional_headers=headers, open_timeout=5)


async def close_of(ws: Any) -> tuple[int | None, float, list[str]]:
    """(close code, time.time() of the close, frames received before it); the caller
    bounds the wait."""
    from websockets.exceptions import ConnectionClosed

    frames = []
    try:
        while True:
            frames.append(await ws.recv())
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
        return code, time.time(), frames


@pytest.mark.parametrize("how", list(REVOKE))
def test_losing_access_closes_the_users_sockets_on_every_server(redis_cluster: Cluster, how):
    a, b = redis_cluster.servers[:2]
    username = "rel_rv_" + "".join(c for c in how if c.isalnum())[:20]
    make_staff(redis_cluster, username)
    revoked, bystander = Browser(a), Browser(b)
    revoked.login(username)
    bystander.login("rel_admin")
    shell = SHELL.format(username=username, change=REVOKE[how])

    async def scenario() -> tuple[list[tuple[int | None, float, list[str]]], float, list[str]]:
        sockets = [await open_feed(revoked, a), await open_feed(revoked, b)]
        watcher = await open_feed(bystander, b)
        waits = [asyncio.create_task(close_of(ws)) for ws in sockets]
        output = await asyncio.to_thread(redis_cluster.manage, "shell", "-c", shell)
        started = float(output.strip().splitlines()[-1])
        closes = [await asyncio.wait_for(w, WAIT) for w in waits]
        seen = [await asyncio.wait_for(watcher.recv(), WAIT)]
        while "rel_t0" not in seen[-1]:  # the unrelated change reaches the other staff
            seen.append(await asyncio.wait_for(watcher.recv(), WAIT))
        await watcher.close()
        return closes, started, seen

    closes, started, seen = run_async(scenario())
    delays = [f"{(at - started) * 1000:.0f} ms" for _code, at, _frames in closes]
    print(f"\n{how}: sockets on {a.url} and {b.url} closed {delays} after the change began")
    assert [code for code, _at, _frames in closes] in ([4401, 4401], [4403, 4403])
    assert [frames for _code, _at, frames in closes] == [[], []]  # nothing before the close
    assert all(entry_ids(frame) for frame in seen)
