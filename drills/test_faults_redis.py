"""Fault drills with Redis and server processes (marker `slow`; each bounded, ~30 s).

1. Redis stops for 10 s while audited changes keep arriving. The servers use a throwaway
   `redis-server` this test owns (never the machine's shared one). Every change is
   committed and audited, pages keep loading (the cache degrades to the database), and
   every browser socket ends with every entry: nothing missing. That includes four sockets
   open through the outage and one opened during it (refused until Redis is back).
2. A server process is SIGKILLed mid-stream. Its browsers reconnect to the other process,
   resume from the last id they hold, and end with nothing missing.

Browsers are `clients.FeedWatcher`s: they reconnect and resume like component-client.js.
Latencies are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from .clients import Browser, FeedWatcher, run_async
from .cluster import Cluster, Server, ThrowawayRedis
from .conftest import CLUSTER_ACCOUNTS

pytestmark = pytest.mark.slow

USERS_URL = "/admin-panel/components/users/"
PAGE_URL = "/admin-panel/"
OUTAGE_SECONDS = 10
CATCH_UP_SECONDS = 20


class Writer(threading.Thread):
    """Toggles users through the given servers in turn, `rate` changes a second, and loads
    pages in between; records every status and how long pages took."""

    def __init__(self, servers: list[Server], user_ids: list[int], rate: float) -> None:
        super().__init__(daemon=True)
        self.browsers = []
        for server in servers:
            browser = Browser(server)
            browser.login("rel_admin")
            assert browser.load(USERS_URL).status == 200
            self.browsers.append(browser)
        self.user_ids = user_ids
        self.interval = 1 / rate
        self.stop = threading.Event()
        self.changes: list[int] = []  # status of each toggle
        self.toggled: dict[int, int] = dict.fromkeys(user_ids, 0)  # toggles per user
        self.pages: list[tuple[int, float, bool]] = []  # (status, seconds, during outage)
        self.outage = threading.Event()

    def run(self) -> None:
        turn = 0
        while not self.stop.is_set():
            browser = self.browsers[turn % len(self.browsers)]
            user_id = self.user_ids[turn % len(self.user_ids)]
            response = browser.event(USERS_URL, "toggle_status", user_id=str(user_id))
            self.changes.append(response.status)
            self.toggled[user_id] += 1
            if turn % 3 == 0:
                started = time.monotonic()
                page = browser.request("GET", PAGE_URL)
                self.pages.append((page.status, time.monotonic() - started, self.outage.is_set()))
            turn += 1
            self.stop.wait(self.interval)


def assert_every_change_committed(cluster: Cluster, writer: Writer, expected: list[int]) -> None:
    """Each toggle is in the database (the user's flag) and in the audit trail (an entry)."""
    assert len(expected) == len(writer.changes), "a change was not audited (or audited twice)"
    for user_id, count in writer.toggled.items():
        active = cluster.database.scalar(
            "SELECT is_active FROM accounts_user WHERE id = %s", user_id
        )
        assert bool(active) == (count % 2 == 0), f"user {user_id}: {count} toggles, active={active}"


def user_ids(cluster: Cluster, count: int) -> list[int]:
    rows = cluster.database.rows(
        "SELECT id FROM accounts_user WHERE username LIKE %s ORDER BY id", "rel_t%"
    )
    return [row[0] for row in rows][:count]


async def watch(watchers: list[FeedWatcher], body: Any) -> None:
    """Run `watchers` (all connected first) while `body(stop)` runs; stop them after it."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in watchers]
    try:
        await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in watchers)), 15)
        await body(stop)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def until_nothing_missing(watchers: list[FeedWatcher], expected: list[int]) -> None:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while time.monotonic() < deadline and any(w.missing(expected) for w in watchers):
        await asyncio.sleep(0.2)


def report(title: str, watchers: list[FeedWatcher], expected: list[int]) -> None:
    print(f"\n{title}: {len(expected)} entries committed")
    for i, w in enumerate(watchers):
        print(
            f"  socket {i}: saw {len(w.seen & set(expected))}/{len(expected)}, "
            f"missing {len(w.missing(expected))}, connects {w.connects}, drops {w.drops}, "
            f"now on {w.server.name}"
        )


def test_redis_outage_loses_nothing(tmp_path: Path):
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    try:
        with Cluster(tmp_path, redis_url=redis.url) as cluster:
            cluster.prepare(CLUSTER_ACCOUNTS)
            a, b = cluster.start_servers(2)
            watchers = []
            for i, server in enumerate((a, b, a, b)):
                browser = Browser(server)
                browser.login(f"rel_staff{i}")
                watchers.append(FeedWatcher(browser, [server, b if server is a else a], 0))
            writer = Writer([a, b], user_ids(cluster, 20), rate=3)
            start = cluster.database.max_audit_id()
            for w in watchers:
                w.last_id = start

            # A browser that opens the page during the outage: its socket is refused until
            # Redis is back, then it connects and resumes from where the page started.
            late_browser = Browser(a)
            late_browser.login("rel_staff0")
            late = FeedWatcher(late_browser, [a, b], start)

            async def drill(stop: asyncio.Event) -> None:
                writer.start()
                await asyncio.sleep(3)
                writer.outage.set()
                await asyncio.to_thread(redis.stop)
                print(f"\nRedis stopped at {time.strftime('%X')}")
                late_task = asyncio.create_task(late.run(stop))
                await asyncio.sleep(OUTAGE_SECONDS)
                await asyncio.to_thread(redis.start)
                writer.outage.clear()
                print(f"Redis back at {time.strftime('%X')}")
                await asyncio.sleep(5)
                writer.stop.set()
                await asyncio.to_thread(writer.join, 30)
                expected = cluster.database.audit_ids_after(start)
                await until_nothing_missing([*watchers, late], expected)
                stop.set()
                await late_task

            run_async(watch(watchers, drill))
            expected = cluster.database.audit_ids_after(start)
            report("Redis outage", [*watchers, late], expected)
            outage_pages = [p for p in writer.pages if p[2]]
            print(
                f"  toggles: {len(writer.changes)} sent, statuses {sorted(set(writer.changes))}; "
                f"pages during the outage: {len(outage_pages)}, statuses "
                f"{sorted({p[0] for p in outage_pages})}, median "
                f"{statistics.median([p[1] for p in outage_pages] or [0]):.2f} s; "
                f"server tracebacks (Redis errors logged): {cluster.tracebacks()}"
            )
            assert set(writer.changes) == {200}, "a change failed"
            assert_every_change_committed(cluster, writer, expected)
            assert outage_pages and {p[0] for p in outage_pages} == {200}
            assert late.connects >= 1
            for w in [*watchers, late]:
                assert w.missing(expected) == []
    finally:
        redis.stop()


def test_killed_server_loses_nothing(tmp_path: Path):
    assert settings.REDIS_URL, "this drill needs Redis: REDIS_URL is empty"
    with Cluster(tmp_path, redis_url=settings.REDIS_URL) as cluster:
        cluster.prepare(CLUSTER_ACCOUNTS)
        a, b = cluster.start_servers(2)
        watchers = []
        for i, server in enumerate((a, a, a, b)):
            browser = Browser(server)
            browser.login(f"rel_staff{i}")
            watchers.append(FeedWatcher(browser, [server, b if server is a else a], 0))
        # Changes keep arriving through the surviving process.
        writer = Writer([b], user_ids(cluster, 20), rate=4)
        start = cluster.database.max_audit_id()
        for w in watchers:
            w.last_id = start

        async def drill(stop: asyncio.Event) -> None:
            writer.start()
            await asyncio.sleep(3)
            await asyncio.to_thread(a.kill)
            print(f"\nserver {a.name} killed at {time.strftime('%X')}")
            await asyncio.sleep(6)
            writer.stop.set()
            await asyncio.to_thread(writer.join, 30)
            expected = cluster.database.audit_ids_after(start)
            await until_nothing_missing(watchers, expected)

        run_async(watch(watchers, drill))
        expected = cluster.database.audit_ids_after(start)
        report("Server killed mid-stream", watchers, expected)
        assert set(writer.changes) == {200}
        assert_every_change_committed(cluster, writer, expected)
        for w in watchers[:3]:
            assert w.server is b, "a browser of the killed server did not move to the other"
        for w in watchers:
            assert w.missing(expected) == []
