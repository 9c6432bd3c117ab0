"""Live audit feed under load: WebSocket fan-out across two server processes on Redis.

    uv run python bench/live_feed.py            # 500 clients, 20 changes/s for 30 s
    uv run python bench/live_feed.py --short    # 10 clients, 5 changes/s for 3 s

Starts two ASGI server processes (uvicorn, or daphne if that is the project's server) on
127.0.0.1 serving `bench.asgi` (the project's application plus a bare baseline consumer),
both on the project's Redis channel layer. Half the clients connect to each, logged in as
a staff user. A writer process then makes audited changes (a user's last name, saved
inside an audit context as a request would) at a fixed rate; each change's commit time is
taken by an on-commit hook registered before the save, and each client notes when it
first receives the change's entry. Printed: commit-to-receive latency p50/p95/p99/max,
deliveries expected/received/lost, template renders per change (all processes, counted in
Redis), and each server's memory. Then the same clients, load and layer are measured on a
bare Channels consumer that only forwards the same HTML (the writer sends it to the group
itself): the transport's own cost, for comparison.

Every process, socket and loop here is bounded: the servers and the writer are stopped
when the run ends, and all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import PROJECT_DIR, Bench, count_renders, ms, percentile, print_table, start

FEED_PATH = "/ws/admin/audit/"
BARE_PATH = "/ws/bench/bare/"
# How a feed frame names its entries: the row's `data-cf-item` (or its element id), as
# plain HTML or inside a JSON-escaped frame.
ENTRY_ID_RE = re.compile(r'data-cf-item=\\?"(\d+)|id=\\?"audit-entry-(\d+)')
BARE_ID_RE = re.compile(r'data-bench-id="(\d+)"')


def options(parser) -> None:
    parser.add_argument("--clients", type=int, help="WebSocket clients (default 500)")
    parser.add_argument("--rate", type=float, help="audited changes per second (default 20)")
    parser.add_argument("--seconds", type=float, help="seconds of changes (default 30)")
    parser.add_argument("--role", default="main", help=argparse_hidden())
    parser.add_argument("--mode", default="panel", help=argparse_hidden())
    parser.add_argument("--html-file", help=argparse_hidden())


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


# -- the writer (a child process) ---------------------------------------------------------


def run_writer(bench: Bench) -> None:
    """Make changes at a fixed rate; print one JSON line {"id", "t0"} per change."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from admin_panel import audit

    args = bench.args
    if os.environ.get("BENCH_RENDER_KEY"):
        count_renders(os.environ["BENCH_REDIS_URL"], os.environ["BENCH_RENDER_KEY"])
    total = int(args.rate * args.seconds)
    user_model = get_user_model()
    actor = bench.staff_user()
    pks = list(user_model.objects.order_by("id").values_list("id", flat=True)[:100])
    committed: list[dict] = []
    layer = get_channel_layer()
    html = Path(args.html_file).read_text() if args.html_file else ""
    send = async_to_sync(layer.group_send) if args.mode == "bare" else None

    last_entry: dict[str, int] = {}

    def on_entry(sender, entry, **kwargs) -> None:
        last_entry["id"] = entry.pk

    audit.entry_committed.connect(on_entry, dispatch_uid="bench-writer")
    begin = time.perf_counter()
    with audit.audit_context(user=actor, ip="127.0.0.1"):
        for i in range(total):
            delay = begin + i / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if args.mode == "bare":
                t0 = time.time()
                send(
                    "bench-bare",
                    {"type": "bench.forward", "html": f'<div data-bench-id="{i}">{html}</div>'},
                )
                committed.append({"id": i, "t0": t0})
                continue
            stamp: dict[str, float] = {}
            user = user_model.objects.get(pk=pks[i % len(pks)])
            user.last_name = f"Bench{i}"
            with transaction.atomic():
                # Registered before the save's own hooks, so it runs first after COMMIT.
                transaction.on_commit(lambda s=stamp: s.setdefault("t0", time.time()))
                user.save()
            committed.append({"id": last_entry.get("id"), "t0": stamp["t0"]})
    # The run lasts until the slot after the last change: rate = changes / that time.
    elapsed = time.perf_counter() - begin + 1 / args.rate
    for row in committed:
        print(json.dumps(row))
    print(json.dumps({"done": len(committed), "seconds": elapsed}))
    sys.stdout.flush()


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int) -> list[str]:
    import importlib.util

    if importlib.util.find_spec("uvicorn") is not None:
        return [
            sys.executable, "-m", "uvicorn", "bench.asgi:application",
            "--host", "127.0.0.1", "--port", str(port),
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0",
        "bench.asgi:application",
    ]  # fmt: skip


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start in {timeout:.0f} s")


def rss_mib(pid: int) -> float:
    """Resident memory of a process (and its children: uvicorn may fork a worker)."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


# -- clients ------------------------------------------------------------------------------


@dataclass
class ClientLog:
    seen: dict[int, float] = field(default_factory=dict)
    frames: int = 0
    sample: str = ""
    error: str = ""


class MiniWebSocket:
    """A minimal RFC 6455 client: text frames in, close out; no extensions.

    Used when the `websockets` package is not installed (it comes with uvicorn[standard],
    not with daphne). It offers no permessage-deflate, so the server sends frames
    uncompressed, which costs the server a little less than browsers that negotiate it.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, url: str, headers: dict) -> MiniWebSocket:
        import base64

        host_port, _, path = url.removeprefix("ws://").partition("/")
        host, _, port = host_port.partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET /{path} HTTP/1.1",
            f"Host: {host_port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            writer.close()
            raise ConnectionError(response.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    def _send(self, opcode: int, payload: bytes = b"") -> None:
        mask = os.urandom(4)  # client frames are masked (RFC 6455, 5.3)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.writer.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    async def _frame(self) -> tuple[int, bool, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(await self.reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await self.reader.readexactly(8), "big")
        mask = await self.reader.readexactly(4) if second & 0x80 else b""
        payload = await self.reader.readexactly(length)
        if mask:
            payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        return first & 0x0F, bool(first & 0x80), payload

    async def __aiter__(self):
        parts: list[bytes] = []
        try:
            while True:
                opcode, fin, payload = await self._frame()
                if opcode == 0x8:  # close
                    return
                if opcode == 0x9:  # ping
                    self._send(0xA, payload[:125])
                    continue
                if opcode in (0x0, 0x1, 0x2):
                    parts.append(payload)
                    if fin:
                        yield b"".join(parts).decode()
                        parts = []
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            self._send(0x8, (1000).to_bytes(2, "big"))
            await self.writer.drain()
        self.writer.close()


@contextlib.asynccontextmanager
async def ws_connect(url: str, headers: dict):
    """A WebSocket client: the `websockets` package when installed, else MiniWebSocket."""
    try:
        from websockets.asyncio.client import connect
    except ImportError:
        ws = await MiniWebSocket.connect(url, headers)
        try:
            yield ws
        finally:
            await ws.close()
        return
    async with connect(url, additional_headers=headers, max_size=2**22, ping_interval=None) as ws:
        yield ws


def client_library() -> str:
    try:
        import websockets
    except ImportError:
        return "built-in minimal client, no compression"
    return f"websockets {websockets.__version__}, permessage-deflate"


async def run_client(
    url: str, headers: dict, pattern: re.Pattern, log: ClientLog, sockets: list, ready
) -> None:
    """One browser: connect, then note when each entry id is first seen, until closed."""
    try:
        async with ws_connect(url, headers) as ws:
            sockets.append(ws)
            ready()
            async for frame in ws:  # ends when the phase closes the socket
                now = time.time()
                text = frame if isinstance(frame, str) else frame.decode()
                log.frames += 1
                for match in pattern.finditer(text):
                    entry_id = int(match.group(1) or match.group(match.lastindex or 1))
                    if entry_id not in log.seen:
                        log.seen[entry_id] = now
                        if not log.sample and pattern is ENTRY_ID_RE:
                            log.sample = text
    except Exception as exc:  # a refused or dropped socket is reported, not raised
        log.error = f"{type(exc).__name__}: {exc}"
        ready()


def run_loop(coroutine) -> None:
    """asyncio.run, on uvloop when it is installed (uvicorn[standard] brings it)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


@dataclass
class Phase:
    label: str
    latencies: list[float]
    expected: int
    received: int
    changes: int
    renders: int
    rate: float
    errors: list[str]
    rss: list[float]
    sample: str
    cpu: dict[str, float]


def run_phase(
    bench: Bench,
    label: str,
    mode: str,
    ports: list[int],
    servers: list[subprocess.Popen],
    cookie: str,
    env: dict,
    render_key: str,
    html_file: str | None,
) -> Phase:
    import redis

    args = bench.args
    path = BARE_PATH if mode == "bare" else FEED_PATH
    pattern = BARE_ID_RE if mode == "bare" else ENTRY_ID_RE
    logs = [ClientLog() for _ in range(args.clients)]
    counter = redis.Redis.from_url(env["BENCH_REDIS_URL"])
    result: dict = {}

    async def phase() -> None:
        sockets: list = []
        connected = 0
        all_ready = asyncio.Event()

        def ready() -> None:
            nonlocal connected
            connected += 1
            if connected == len(logs):
                all_ready.set()

        tasks = []
        for i, log in enumerate(logs):
            port = ports[i % len(ports)]
            headers = {"Cookie": f"sessionid={cookie}", "Origin": f"http://127.0.0.1:{port}"}
            url = f"ws://127.0.0.1:{port}{path}"
            tasks.append(
                asyncio.create_task(run_client(url, headers, pattern, log, sockets, ready))
            )
            if i % 50 == 49:
                await asyncio.sleep(0.2)  # connect in waves, as browsers would
        await asyncio.wait_for(all_ready.wait(), timeout=120)
        await asyncio.sleep(1.0)  # initial frames, group joins
        counter.set(render_key, 0)
        cpu_before = [cpu_seconds(server.pid) for server in servers] + [time.process_time()]
        command = [
            sys.executable, str(Path(__file__).resolve()), "--role", "writer", "--mode", mode,
            "--rate", str(args.rate), "--seconds", str(args.seconds),
        ]  # fmt: skip
        if html_file:
            command += ["--html-file", html_file]
        writer = await asyncio.create_subprocess_exec(
            *command,
            env={**os.environ, **env, "BENCH_CHILD": "1"},
            cwd=PROJECT_DIR,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(writer.communicate(), timeout=args.seconds * 4 + 120)
        # Wait for the last deliveries: until no frame has arrived for 2 s (at most 60 s),
        # so "lost" counts what never came, not what came late.
        frames, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + 60
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 2.0:
            await asyncio.sleep(0.25)
            now_frames = sum(log.frames for log in logs)
            if now_frames != frames:
                frames, quiet_since = now_frames, time.monotonic()
        result["rss"] = [rss_mib(server.pid) for server in servers]
        cpu_after = [cpu_seconds(server.pid) for server in servers] + [time.process_time()]
        result["cpu"] = [
            after - before for before, after in zip(cpu_before, cpu_after, strict=True)
        ]
        result["renders"] = int(counter.get(render_key) or 0)
        await asyncio.gather(*(ws.close() for ws in sockets))
        await asyncio.gather(*tasks)
        result["writer"] = [
            json.loads(line) for line in out.decode().splitlines() if line[:1] == "{"
        ]
        if writer.returncode:
            raise SystemExit(f"the writer failed ({writer.returncode})")

    run_loop(phase())
    rows = result["writer"]
    summary = rows[-1]
    changes = [row for row in rows[:-1] if row.get("id") is not None]
    latencies: list[float] = []
    received = 0
    for log in logs:
        for change in changes:
            seen = log.seen.get(change["id"])
            if seen is not None:
                received += 1
                latencies.append(seen - change["t0"])
    return Phase(
        label=label,
        latencies=latencies,
        expected=len(changes) * len(logs),
        received=received,
        changes=len(changes),
        renders=result["renders"],
        rate=summary["done"] / summary["seconds"] if summary["seconds"] else 0.0,
        errors=sorted({log.error for log in logs if log.error}),
        rss=result["rss"],
        sample=next((log.sample for log in logs if log.sample), ""),
        cpu={
            **{f"server {i + 1}": cpu for i, cpu in enumerate(result["cpu"][:-1])},
            "clients (this process)": result["cpu"][-1],
        },
    )


def main() -> None:
    bench: Bench = start("live_feed", "WebSocket fan-out of the audit feed", options)
    args = bench.args
    if args.role == "writer":
        try:
            run_writer(bench)
        finally:
            bench.close()
        return
    args.clients = args.clients or (10 if bench.short else 500)
    args.rate = args.rate or (5.0 if bench.short else 20.0)
    args.seconds = args.seconds or (3.0 if bench.short else 30.0)
    servers: list[subprocess.Popen] = []
    tmp = tempfile.mkdtemp(prefix="bench-live-")
    render_key = f"{bench.prefix}:renders"
    try:
        from django.conf import settings

        redis_url = settings.REDIS_URL
        if not redis_url or "CONFIG" not in settings.CHANNEL_LAYERS["default"]:
            raise SystemExit(
                "live_feed needs Redis: set REDIS_URL (several server processes share its layer)"
            )
        bench.ensure_users(1_000)
        client = bench.staff_client()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_DB_NAME": bench.db_name,
            "BENCH_PREFIX": bench.prefix,
            "BENCH_REDIS_URL": redis_url,
            "BENCH_RENDER_KEY": render_key,
            "PYTHONPATH": str(PROJECT_DIR),
        }
        ports = [free_port(), free_port()]
        for port in ports:
            servers.append(
                subprocess.Popen(server_command(port), cwd=PROJECT_DIR, env={**os.environ, **env})
            )
        for port, server in zip(ports, servers, strict=True):
            wait_for_port(port, server)
        idle = [rss_mib(server.pid) for server in servers]
        print(
            f"servers: {' and '.join(str(p) for p in ports)} on 127.0.0.1, "
            f"{args.clients} clients ({client_library()}), "
            f"{args.rate:g} changes/s for {args.seconds:g} s",
            flush=True,
        )
        panel = run_phase(
            bench, "live feed", "panel", ports, servers, cookie, env, render_key, None
        )
        html_file = str(Path(tmp) / "sample.html")
        sample = panel.sample or '<tr class="audit-row"><td>bench</td><td>updated</td></tr>'
        # The same bytes, with the entry ids taken out (the bare frames carry their own).
        Path(html_file).write_text(
            re.sub(r"(data-cf-item=\\?\"|audit-entry-)\d+", r"\g<1>0", sample)
        )
        bare = run_phase(
            bench, "bare consumer", "bare", ports, servers, cookie, env, render_key, html_file
        )
        print_table(
            f"live feed, {args.clients} clients on 2 processes, {args.rate:g} changes/s "
            f"for {args.seconds:g} s (commit-to-receive)",
            [
                "consumer",
                "changes",
                "rate/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "delivered",
                "lost",
                "renders/change",
            ],
            [
                [
                    phase.label,
                    phase.changes,
                    f"{phase.rate:.1f}",
                    ms(percentile(phase.latencies, 50)),
                    ms(percentile(phase.latencies, 95)),
                    ms(percentile(phase.latencies, 99)),
                    ms(max(phase.latencies)) if phase.latencies else "-",
                    f"{phase.received:,}/{phase.expected:,}",
                    phase.expected - phase.received,
                    f"{phase.renders / phase.changes:.2f}" if phase.changes else "-",
                ]
                for phase in (panel, bare)
            ],
        )
        print_table(
            "server memory (RSS MiB)",
            ["process", "idle", "after live feed", "after bare consumer"],
            [
                [f"server {i + 1}", f"{idle[i]:.0f}", f"{panel.rss[i]:.0f}", f"{bare.rss[i]:.0f}"]
                for i in range(len(servers))
            ],
        )
        print_table(
            "CPU seconds used during each phase (2 cores: at most 2 s per second of wall time)",
            ["process", panel.label, bare.label],
            [[name, f"{panel.cpu[name]:.1f}", f"{bare.cpu[name]:.1f}"] for name in panel.cpu],
        )
        for phase in (panel, bare):
            if phase.errors:
                print(f"{phase.label}: client errors: {'; '.join(phase.errors[:3])}")
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        _forget_counter(render_key)
        bench.close()


def _forget_counter(key: str) -> None:
    """Delete the render counter (a plain Redis key, outside the cache's prefix)."""
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(settings.REDIS_URL).delete(key)


if __name__ == "__main__":
    main()
