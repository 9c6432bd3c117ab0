"""Scale-out: a change made through server process A reaches a browser socket held by
server process B (two uvicorn/daphne processes sharing Redis and one database)."""

from __future__ import annotations

import asyncio

from .clients import Browser, FeedWatcher, run_async
from .cluster import Cluster

USERS_URL = "/admin-panel/components/users/"
WAIT = 10


def test_a_toggle_through_a_reaches_a_socket_on_b(redis_cluster: Cluster):
    a, b = redis_cluster.servers[:2]
    db = redis_cluster.database
    actor, watcher_browser = Browser(a), Browser(b)
    actor.login("rel_staff0")
    watcher_browser.login("rel_staff1")
    start = db.max_audit_id()

    async def scenario() -> tuple[FeedWatcher, list[int]]:
        stop = asyncio.Event()
        # No resume frames: whatever this socket sees came from the live broadcast.
        watcher = FeedWatcher(watcher_browser, [b], last_id=start, resume=False)
        task = asyncio.create_task(watcher.run(stop))
        try:
            await asyncio.wait_for(watcher.connected.wait(), WAIT)
            assert actor.load(USERS_URL).status == 200
            response = await asyncio.to_thread(
                actor.event, USERS_URL, "toggle_status", user_id=str(user_id("rel_t0"))
            )
            assert response.status == 200, response.body[:300]
            expected = db.audit_ids_after(start)
            for _ in range(WAIT * 10):
                if not watcher.missing(expected):
                    break
                await asyncio.sleep(0.1)
            return watcher, expected
        finally:
            stop.set()
            await task

    def user_id(username: str) -> int:
        return int(db.scalar("SELECT id FROM accounts_user WHERE username = %s", username))

    watcher, expected = run_async(scenario())
    print(
        f"\ntoggle via {a.url} -> entries {expected}; socket on {b.url} saw {sorted(watcher.seen)}"
    )
    assert expected, "the toggle was not audited"
    assert watcher.missing(expected) == []
    assert watcher.connects == 1 and watcher.drops == 0
