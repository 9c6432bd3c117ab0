"""The server the browser tests drive: a real ASGI server in a subprocess, on its own database.

The subprocess runs serve.py, which prepares the database and then serves.

Django's `live_server` serves plain HTTP from a thread; the panel's live feed needs
WebSockets, so the tests start the project's own ASGI server (uvicorn or daphne, whichever
the project runs) as production would: the project's settings with `DEBUG=false`, static
files collected and served by WhiteNoise. Two things differ, to keep the tests fast:
`server_settings.py` swaps in a cheap password hash, and `FAILURE_LIMIT` failed logins
(not the production default) lock an account out. The server gets a database of its own
(a SQLite file in a temporary folder, or the PostgreSQL database `<name>_browser`), the
project's Redis when it has one (under a key prefix no other run shares) and the in-memory
layers otherwise.

The test process never opens that database through Django (no pytest-django test database,
no `django_db` mark): it uses a plain DB-API connection to check what was saved (and to
clear the lockouts a test caused).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

#: Seconds the server may take to prepare its database and answer.
START_TIMEOUT = 180.0
STOP_TIMEOUT = 10.0
#: Failed logins that lock a username or address out (django-axes) on the test server.
FAILURE_LIMIT = 2


@dataclass(frozen=True)
class Account:
    """A user the fixture creates; `password` None means the account cannot log in."""

    username: str
    email: str
    password: str | None = None
    is_staff: bool = False
    is_superuser: bool = False
    first_name: str = ""
    last_name: str = ""


class Database(ABC):
    """The browser tests' own database: created, read with DB-API and dropped."""

    url: str
    placeholder = "%s"

    @abstractmethod
    def create(self) -> None: ...

    @abstractmethod
    def drop(self) -> None: ...

    @abstractmethod
    def connect(self) -> Any: ...

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run a read query (`%s` placeholders) on a fresh connection."""
        sql = sql.replace("%s", self.placeholder)
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def execute(self, sql: str, *params: Any) -> None:
        """Run a write statement (`%s` placeholders) on a fresh connection and commit it."""
        sql = sql.replace("%s", self.placeholder)
        connection = self.connect()
        try:
            connection.cursor().execute(sql, params)
            connection.commit()
        finally:
            connection.close()

    def scalar(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def user(self, username: str) -> dict[str, Any]:
        """The saved state of one user (flags as bools)."""
        rows = self.rows(
            "SELECT id, username, email, first_name, is_active, is_staff, is_superuser "
            "FROM accounts_user WHERE username = %s",
            username,
        )
        assert rows, f"no user {username!r} in the browser-test database"
        pk, name, email, first_name, active, staff, superuser = rows[0]
        return {
            "id": pk,
            "username": name,
            "email": email,
            "first_name": first_name,
            "is_active": bool(active),
            "is_staff": bool(staff),
            "is_superuser": bool(superuser),
        }


class SqliteDatabase(Database):
    placeholder = "?"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"  # absolute path: sqlite:////tmp/...

    def create(self) -> None:
        self.path.unlink(missing_ok=True)

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def connect(self) -> Any:
        import sqlite3

        return sqlite3.connect(self.path, timeout=10)


class PostgresDatabase(Database):
    def __init__(self, config: dict[str, Any]) -> None:
        self.name = f"{config['NAME']}_browser"
        self.params = {
            "user": config.get("USER") or None,
            "password": config.get("PASSWORD") or None,
            "host": config.get("HOST") or None,
            "port": config.get("PORT") or None,
        }
        auth = quote(config.get("USER") or "", safe="")
        if config.get("PASSWORD"):
            auth += ":" + quote(config["PASSWORD"], safe="")
        host = config.get("HOST") or "localhost"
        port = f":{config['PORT']}" if config.get("PORT") else ""
        self.url = f"postgresql://{auth}{'@' if auth else ''}{host}{port}/{self.name}"

    def connect(self, dbname: str | None = None) -> Any:
        import psycopg

        params = {k: v for k, v in self.params.items() if v is not None}
        return psycopg.connect(dbname=dbname or self.name, connect_timeout=10, **params)

    def _admin(self, statement: str) -> None:
        from psycopg import sql

        connection = self.connect("postgres")
        try:
            connection.autocommit = True
            connection.execute(sql.SQL(statement).format(sql.Identifier(self.name)))
        finally:
            connection.close()

    def create(self) -> None:
        self.drop()
        self._admin("CREATE DATABASE {}")

    def drop(self) -> None:
        # FORCE ends connections a killed server may have left behind (PostgreSQL 13+).
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


class PanelServer:
    """The project's ASGI server for the browser tests, its database and its Redis keys."""

    def __init__(self, work_dir: Path) -> None:
        self.project_dir = Path(settings.BASE_DIR)
        self.work_dir = work_dir
        self.log_path = work_dir / "server.log"
        self.port_file = work_dir / "port"
        config = settings.DATABASES["default"]
        if config["ENGINE"] == "django.db.backends.postgresql":
            self.database: Database = PostgresDatabase(config)
        else:
            self.database = SqliteDatabase(work_dir / "browser.sqlite3")
        self.redis_url: str = settings.REDIS_URL
        self.key_prefix = f"{settings.CACHE_KEY_PREFIX}-browser-{secrets.token_hex(4)}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.browser.server_settings",
            "DATABASE_URL": self.database.url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "REDIS_URL": self.redis_url,
            "CACHE_KEY_PREFIX": self.key_prefix,
            # Plain http on 127.0.0.1: no HTTPS redirect, cookies without the Secure flag.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "AXES_FAILURE_LIMIT": str(FAILURE_LIMIT),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.closed = False

    # -- the server ------------------------------------------------------------------------

    def launch(self, accounts: list[Account], demo_users: int) -> None:
        """Start the server process (serve.py), which prepares a fresh database and serves.

        Returns at once: `wait_until_up()` waits for it, so the caller can start the browser
        meanwhile.
        """
        self.database.create()
        admin = next(a for a in accounts if a.username == "admin")
        setup = {
            "demo_users": demo_users,
            "admin_password": admin.password,
            "accounts": [a.__dict__ for a in accounts if a.username != "admin"],
        }
        self.port_file.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed command, our own interpreter
            [sys.executable, "-m", "tests.browser.serve", str(self.port_file)],
            cwd=self.project_dir,
            env={**self.env, "BROWSER_TEST_SETUP": json.dumps(setup)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_until_up(self) -> None:
        """Wait (bounded) until the server has prepared its database and answers."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            if not self.url and self.port_file.exists():
                self.url = f"http://127.0.0.1:{int(self.port_file.read_text())}"
            if self.url and self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"the ASGI server did not start; its log:\n{self.log_tail()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)

    def reset_lockouts(self) -> None:
        """Forget every failed login, as `manage.py axes_reset` does (its database handler)."""
        self.database.execute("DELETE FROM axes_accessattempt")

    def close(self) -> None:
        """Stop the server, drop its database and its Redis keys (once; again does nothing)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.stop()
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        """Drop the database and this run's Redis keys."""
        self.database.drop()
        if self.redis_url:
            import redis

            client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
            try:
                keys = list(client.scan_iter(match=f"{self.key_prefix}*", count=500))
                if keys:
                    client.delete(*keys)
            finally:
                client.close()

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
