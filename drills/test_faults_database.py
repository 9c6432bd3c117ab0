"""Fault drill: the database becomes unreachable under a running server (marker `slow`).

How the outage is made (honest about what it is):
* PostgreSQL renderings: the server reaches PostgreSQL through a TCP proxy on 127.0.0.1
  that the test owns; cutting it drops every open connection and refuses new ones, as a
  database host going away does. The real PostgreSQL keeps running for everyone else.
* SQLite renderings: the database file's path is replaced by a directory (the file is
  renamed aside, its -wal/-shm files untouched), so every connection fails with "unable to
  open database file", as with a lost volume. Permissions cannot be used: tests run as root.

While it lasts, the panel page answers a clean 503 page and component events a JSON 503,
with no traceback in either; when the database is back the same server process (no
restart) answers 200 again and the page's component tokens still work.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.conf import settings

from .clients import Browser
from .cluster import Account, Cluster, make_database, wait_until

pytestmark = pytest.mark.slow

PAGE_URL = "/admin-panel/"
USERS_URL = "/admin-panel/components/users/"
RECOVERY_SECONDS = 90
ACCOUNTS = [Account("rel_admin", is_staff=True, is_superuser=True), Account("rel_t0")]


def test_database_outage_gives_clean_503s_and_recovers_without_restart(tmp_path: Path):
    database = make_database(tmp_path, proxied=True)
    with Cluster(tmp_path, redis_url=settings.REDIS_URL, database=database) as cluster:
        cluster.prepare(ACCOUNTS)
        (server,) = cluster.start_servers(1)
        pid = server.pid
        browser = Browser(server)
        browser.login("rel_admin")
        assert browser.request("GET", PAGE_URL).status == 200
        assert browser.load(USERS_URL).status == 200
        target = cluster.database.scalar("SELECT id FROM accounts_user WHERE username = 'rel_t0'")
        log_before = len(server.log())

        with database.unreachable():  # type: ignore[attr-defined]
            started = time.monotonic()
            page = browser.request("GET", PAGE_URL)
            event = browser.event(USERS_URL, "toggle_status", user_id=str(target))
            load = browser.request("GET", USERS_URL)
            took = time.monotonic() - started
        outage_log = server.log()[log_before:]
        print(
            f"\nduring the outage ({took:.1f} s for 3 requests): page {page.status} "
            f"{page.headers.get('content-type')}, event {event.status} "
            f"{event.headers.get('content-type')} {event.body[:80]!r}, load {load.status}; "
            f"tracebacks in the server log: {outage_log.count('Traceback')}"
        )
        assert page.status == 503
        assert page.headers.get("content-type", "").startswith("text/html")
        assert event.status == 503
        assert event.headers.get("content-type", "").startswith("application/json")
        assert isinstance(json.loads(event.body).get("error"), str)
        assert load.status == 503
        for response in (page, event, load):
            assert "Traceback" not in response.body
            assert 'File "' not in response.body
        assert outage_log.count("Traceback") == 0, outage_log[-3000:]

        started = time.monotonic()
        recovered = wait_until(
            lambda: browser.request("GET", PAGE_URL).status == 200, RECOVERY_SECONDS, 0.5
        )
        print(
            f"recovered after {time.monotonic() - started:.1f} s, same process: {server.pid == pid}"
        )
        assert recovered, "the server did not recover when the database came back"
        assert server.pid == pid and server.process is not None and server.process.poll() is None
        # The page's tokens survive the outage: the refused event can simply be sent again.
        again = browser.event(USERS_URL, "toggle_status", user_id=str(target))
        assert again.status == 200
        assert not cluster.database.is_active("rel_t0")
