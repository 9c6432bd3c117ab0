"""Real server processes for the multi-worker, fault and load tests.

A `Cluster` is what production runs, made small: N ASGI server processes (uvicorn, or daphne
when the project was rendered with it) of `config.settings` with `DEBUG=false`, all on
127.0.0.1 free ports, sharing one database made for the test (a SQLite file, or a PostgreSQL
database `<slug>_rel_<hex>`) and one Redis (the project's, under a key prefix no other run
shares, or a throwaway `redis-server` the test owns and may stop). Nothing here opens the
test database through Django: the servers' database is read with plain DB-API connections.

Clients that talk to the servers the way a browser does are in `clients.py`.

Every wait is bounded; every process started here is stopped by the code that started it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection as django_connection

PROJECT_DIR = Path(settings.BASE_DIR)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 180.0
PASSWORD = "reliability-cluster-password-7"


def free_port() -> int:
    """A TCP port nobody listens on right now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stable_port() -> int:
    """A free port below Linux's ephemeral range (32768+), for a listener that stops and
    starts again on the same port: no outgoing connection can take it in between."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def wait_until(predicate: Any, timeout: float, interval: float = 0.1) -> bool:
    """Poll `predicate()` until it is true or `timeout` seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# -- Redis ---------------------------------------------------------------------------------------


class ThrowawayRedis:
    """A `redis-server` on a free port that only this test uses, so it may stop it."""

    def __init__(self, work_dir: Path) -> None:
        self.port = stable_port()
        self.work_dir = work_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart, same port) and wait until it answers PING."""
        for _attempt in range(3):
            self._spawn()
            if wait_until(lambda: self.answers() or self._exited(), 15) and self.answers():
                self.started = True
                return
            self.stop()
            if self.started:
                break  # a restart must keep its port: the servers are configured with it
            self.port = stable_port()  # taken meanwhile by someone else: another port
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def _exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def _spawn(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "the Redis drill needs redis-server on PATH (Debian: redis-server)"
        log = (self.work_dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.work_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)


# -- a TCP proxy we can cut (PostgreSQL outage) ---------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target`; `cut()` drops every connection and refuses new
    ones (like a database host going away), `restore()` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = stable_port()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    restore = start

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._connections.difference_update((source, sink))


# -- the servers' database ------------------------------------------------------------------------


class Database(ABC):
    """The cluster's own database, read with DB-API (`%s` placeholders)."""

    url: str
    placeholder = "%s"

    @abstractmethod
    def create(self) -> None: ...

    @abstractmethod
    def drop(self) -> None: ...

    @abstractmethod
    def connect(self) -> Any: ...

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql.replace("%s", self.placeholder), params)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def scalar(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def audit_ids_after(self, last_id: int) -> list[int]:
        rows = self.rows("SELECT id FROM admin_panel_auditentry WHERE id > %s ORDER BY id", last_id)
        return [row[0] for row in rows]

    def max_audit_id(self) -> int:
        return int(self.scalar("SELECT COALESCE(MAX(id), 0) FROM admin_panel_auditentry"))

    def is_active(self, username: str) -> bool:
        value = self.scalar("SELECT is_active FROM accounts_user WHERE username = %s", username)
        return bool(value)


class SqliteDatabase(Database):
    placeholder = "?"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"

    def create(self) -> None:
        self.drop()

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def connect(self) -> Any:
        import sqlite3

        return sqlite3.connect(self.path, timeout=20)

    @contextlib.contextmanager
    def unreachable(self) -> Iterator[None]:
        """Make the database file unreachable: its path becomes a directory, so every new
        connection fails with "unable to open database file" (what a lost volume gives).

        The file is moved aside and back with renames only; its `-wal`/`-shm` files stay
        where they are, untouched, so the database comes back exactly as it was.
        """
        aside = self.path.with_name(self.path.name + ".aside")
        os.replace(self.path, aside)
        self.path.mkdir()
        try:
            yield
        finally:
            self.path.rmdir()
            os.replace(aside, self.path)


class PostgresDatabase(Database):
    def __init__(self, name: str, proxy: TcpProxy | None = None) -> None:
        config = django_connection.settings_dict
        self.name = name
        self.host = config.get("HOST") or "127.0.0.1"
        self.port = int(config.get("PORT") or 5432)
        self.user = config.get("USER") or ""
        self.password = config.get("PASSWORD") or ""
        self.proxy = proxy
        auth = urllib.parse.quote(self.user, safe="")
        if self.password:
            auth += ":" + urllib.parse.quote(self.password, safe="")
        # The servers connect through the proxy when there is one (so it can be cut).
        host, port = ("127.0.0.1", proxy.port) if proxy else (self.host, self.port)
        self.url = f"postgresql://{auth}{'@' if auth else ''}{host}:{port}/{name}"

    def connect(self, dbname: str | None = None) -> Any:
        import psycopg

        return psycopg.connect(
            dbname=dbname or self.name,
            host=self.host,
            port=self.port,
            user=self.user or None,
            password=self.password or None,
            connect_timeout=10,
        )

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
        # FORCE ends the connections a killed server left behind (PostgreSQL 13+).
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    @contextlib.contextmanager
    def unreachable(self) -> Iterator[None]:
        """Cut the proxy between the servers and PostgreSQL (open connections drop, new
        ones are refused), then restore it on the same port."""
        assert self.proxy is not None, "make the database with a proxy to cut it"
        self.proxy.cut()
        try:
            yield
        finally:
            self.proxy.restore()


def make_database(work_dir: Path, proxied: bool = False) -> Database:
    """A database for the cluster, of the kind this project was rendered with."""
    if django_connection.vendor == "postgresql":
        slug = re.sub(r"[^a-z0-9_]", "_", settings.CACHE_KEY_PREFIX.lower())[:40]
        name = f"{slug}_rel_{secrets.token_hex(4)}"
        proxy = None
        if proxied:
            config = django_connection.settings_dict
            proxy = TcpProxy(config.get("HOST") or "127.0.0.1", int(config.get("PORT") or 5432))
            proxy.start()
        return PostgresDatabase(name, proxy)
    return SqliteDatabase(work_dir / "reliability.sqlite3")


# -- accounts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    is_staff: bool = False
    is_superuser: bool = False


# Run by `manage.py shell -c`; the accounts come as JSON in the environment.
CREATE_ACCOUNTS = """
import json, os
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
User = get_user_model()
# One hash for all: the production hasher takes a good fraction of a second per call.
hashed = make_password(os.environ["RELIABILITY_PASSWORD"])
User.objects.bulk_create(
    User(email=spec["username"] + "@example.com", password=hashed, **spec)
    for spec in json.loads(os.environ["RELIABILITY_ACCOUNTS"])
)
"""

# -- servers --------------------------------------------------------------------------------------


class Server:
    """One ASGI server process of the cluster."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster = cluster
        self.name = name
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = cluster.work_dir / f"server-{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        app = "config.asgi:application"
        try:
            import uvicorn  # noqa: F401
        except ImportError:
            return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), app]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--lifespan",
            "off",
            "--no-access-log",
        ]

    def start(self) -> None:
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            log = self.log_path.open("ab")
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT_DIR,
                env=self.cluster.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            if wait_until(self.is_up, START_TIMEOUT, 0.1):
                return
            self.stop()
        raise RuntimeError(f"server {self.name} did not start; log:\n{self.log_tail()}")

    def is_up(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the process dies mid-stream, closing nothing cleanly."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

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

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


class Cluster:
    """Servers sharing one database and one Redis (or in-memory layers when there is none).

    with Cluster(tmp_path, redis_url=settings.REDIS_URL) as cluster:
        cluster.prepare([Account("boss", is_staff=True)])
        a, b = cluster.start_servers(2)
    """

    def __init__(
        self,
        work_dir: Path,
        redis_url: str = "",
        database: Database | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.database = database or make_database(work_dir)
        self.redis_url = redis_url
        self.key_prefix = f"{settings.CACHE_KEY_PREFIX}-rel-{secrets.token_hex(4)}"
        self.servers: list[Server] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database.url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": self.key_prefix,
            # Plain http on 127.0.0.1: no HTTPS redirect, cookies without the Secure flag.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_DIR,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def prepare(self, accounts: Iterable[Account]) -> None:
        """A fresh, migrated database with `accounts` (password `PASSWORD`); static files."""
        self.database.create()
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        specs = [a.__dict__ for a in accounts]
        self.manage(
            "shell",
            "-c",
            CREATE_ACCOUNTS,
            extra_env={"RELIABILITY_ACCOUNTS": json.dumps(specs), "RELIABILITY_PASSWORD": PASSWORD},
        )

    def start_servers(self, count: int) -> list[Server]:
        started = []
        for _ in range(count):
            server = Server(self, chr(ord("a") + len(self.servers)))
            self.servers.append(server)
            server.start()
            started.append(server)
        return started

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        with contextlib.suppress(Exception):
            self.database.drop()
        proxy = getattr(self.database, "proxy", None)
        if proxy is not None:
            proxy.stop()
        if self.redis_url:
            self._delete_redis_keys()

    def _delete_redis_keys(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        # A throwaway Redis may already be gone: then there is nothing left to delete.
        try:
            with contextlib.suppress(redis.RedisError):
                keys = list(client.scan_iter(match=f"{self.key_prefix}*", count=500))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()

    def tracebacks(self) -> int:
        return sum(server.log().count("Traceback") for server in self.servers)
