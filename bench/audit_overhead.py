"""Cost of the audit trail: the same model save with auditing on and off.

    uv run python bench/audit_overhead.py            # 2,000 saves in each mode, 100,000 loads
    uv run python bench/audit_overhead.py --short    # 100 saves in each mode, 10,000 loads

First, the cost of auditing to code that only reads: the same 100,000 users loaded as model
instances with the audit receivers connected and disconnected (alternating, 9 rounds each;
the best and the median round of each mode).

Then the cost to a write: each save changes one field of a user inside an audit context
(actor + IP, as a request sets it) in a transaction of its own, as the panel's edit form and
toggle do, so the "on" figure includes all the audit's work for a save (reading the stored
row when the audit does, the diff, the AuditEntry insert) and the after-commit hooks (the
live feed's broadcast when the project has it). "Off" is the same save with the audit
signal receivers disconnected.
The modes alternate in blocks so that drift (autovacuum, cache warm-up) hits both alike.

Measured in two contexts: inside an ASGI request (sync code in sync_to_async's thread while
the server's event loop runs: how views run under uvicorn or daphne) and in plain
synchronous code (management commands, task workers, WSGI), where a broadcast through
`async_to_sync` has no running loop to reuse.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from benchlib import Bench, count_queries, ms, percentile, print_table, start


def options(parser) -> None:
    parser.add_argument("--saves", type=int, help="saves per mode (default 2,000)")


@contextlib.contextmanager
def auditing_off() -> Iterator[None]:
    """Disconnect the audit receivers for the block (by the dispatch_uids audit.py uses)."""
    from django.db.models import signals

    from admin_panel import audit

    disconnect = getattr(audit, "disconnect_signals", None)
    if disconnect is not None:
        disconnect()
    else:
        names = ("post_init", "pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed")
        for name in names:
            getattr(signals, name).disconnect(dispatch_uid=f"admin_panel.audit.{name}")
    try:
        yield
    finally:
        audit.connect_signals()


@contextlib.contextmanager
def listeners_off() -> Iterator[None]:
    """Record entries but run no after-commit listener (the live feed's broadcast)."""
    from admin_panel import audit

    signal = audit.entry_committed
    saved = signal.receivers
    signal.receivers = []
    signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        signal.receivers = saved
        signal.sender_receivers_cache.clear()


MODES = {
    "audit on": contextlib.nullcontext,
    "audit on, no broadcast": listeners_off,
    "audit off": auditing_off,
}


def one_save(user_model, pk: int, value: str) -> None:
    """Load a user, change one field, save, in one transaction: what the panel's edit form
    and status toggle do."""
    from django.db import transaction

    with transaction.atomic():
        user = user_model.objects.get(pk=pk)
        user.last_name = value
        user.save()


def measure(
    user_model, pks: list[int], actor, saves: int, tag: str
) -> dict[str, tuple[list[float], int, list[float]]]:
    """Alternate blocks of audited and unaudited saves; per mode, the latencies, the most
    SQL statements of one save, and the saving thread's CPU time per save (which waiting
    for a busy machine's CPU does not inflate as it does the latencies).

    Every save writes a value not used before (`tag` + a counter): a save that changes
    nothing records nothing, and would flatter the audited figure.
    """
    from admin_panel.audit import audit_context

    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    queries: dict[str, int] = dict.fromkeys(MODES, 0)
    block = 50
    counter = 0
    with audit_context(user=actor, ip="127.0.0.1"):
        # Warm-up: first loads, prepared plans, the audit plan cache, layer connections.
        for i in range(20):
            one_save(user_model, pks[i % len(pks)], f"{tag}w{i}")
        for start_at in range(0, saves, block):
            for mode, guard in MODES.items():
                with guard():
                    for _ in range(min(block, saves - start_at)):
                        counter += 1
                        pk = pks[counter % len(pks)]
                        with count_queries() as counted:
                            begin, begin_cpu = time.perf_counter(), time.thread_time()
                            one_save(user_model, pk, f"{tag}v{counter}")
                            times[mode].append(time.perf_counter() - begin)
                            cpu[mode].append(time.thread_time() - begin_cpu)
                        queries[mode] = max(queries[mode], counted.count)
    return {mode: (values, queries[mode], cpu[mode]) for mode, values in times.items()}


def measure_loads(user_model, count: int, rounds: int = 9) -> dict[str, list[float]]:
    """Seconds to load `count` users as model instances, per round, audit on and off."""
    query = user_model.objects.order_by("id")[:count]
    times: dict[str, list[float]] = {"audit on": [], "audit off": []}
    list(query.all())  # warm-up: the rows in PostgreSQL's buffers, the audit plan cache
    for _ in range(rounds):
        for mode, guard in (("audit on", contextlib.nullcontext), ("audit off", auditing_off)):
            with guard():
                begin = time.perf_counter()
                loaded = list(query.all())  # a new queryset: no result cache
                times[mode].append(time.perf_counter() - begin)
                del loaded
    return times


def in_request_context(func, *args):
    """Run `func` the way an ASGI server runs a sync view: in sync_to_async's thread while
    the server's event loop runs (so after-commit broadcasts reuse that loop's layer)."""
    import asyncio

    from asgiref.sync import sync_to_async

    async def runner():
        return await sync_to_async(func, thread_sensitive=True)(*args)

    return asyncio.run(runner())


def main() -> None:
    bench: Bench = start("audit_overhead", "audited save vs the same save unaudited", options)
    saves = bench.args.saves or (100 if bench.short else 2_000)
    loads = 10_000 if bench.short else 100_000
    try:
        from django.contrib.auth import get_user_model

        from admin_panel.models import AuditEntry

        user_model = get_user_model()
        bench.ensure_users(loads)
        actor = bench.staff_user()
        load_times = measure_loads(user_model, loads)
        off_best, off_median = min(load_times["audit off"]), percentile(load_times["audit off"], 50)
        print_table(
            f"loading {loads:,} users as instances, {len(load_times['audit on'])} rounds per mode",
            ["mode", "best ms", "median ms", "best vs off", "median vs off"],
            [
                [
                    mode,
                    ms(min(values)),
                    ms(percentile(values, 50)),
                    f"{(min(values) / off_best - 1) * 100:+.1f}%",
                    f"{(percentile(values, 50) / off_median - 1) * 100:+.1f}%",
                ]
                for mode, values in load_times.items()
            ],
        )
        from django.db.models.signals import post_init

        # Whether any receiver (the audit's, in releases that had one) runs per loaded user.
        receivers = "some" if post_init.has_listeners(user_model) else "none"
        print(f"post_init receivers of the user model, audit on: {receivers}")
        pks = list(user_model.objects.order_by("id").values_list("id", flat=True)[:200])
        entries_before = AuditEntry.objects.count()
        run = f"{time.time():.0f}"[-6:]
        contexts = {
            # A request under the ASGI server (uvicorn/daphne): the deployed case.
            "ASGI request": in_request_context(measure, user_model, pks, actor, saves, f"a{run}"),
            # Plain synchronous code: a management command, a task worker, WSGI.
            "plain sync": measure(user_model, pks, actor, saves, f"s{run}"),
        }
        recorded = AuditEntry.objects.count() - entries_before
        rows = []
        for context, results in contexts.items():
            for mode, (values, queries, cpu) in results.items():
                rows.append(
                    [
                        context,
                        mode,
                        len(values),
                        ms(percentile(values, 50)),
                        ms(percentile(values, 95)),
                        ms(percentile(values, 99)),
                        ms(percentile(cpu, 50)),
                        queries,
                    ]
                )
        print_table(
            f"audit overhead, {saves:,} saves per mode, {bench.vendor}",
            ["context", "mode", "n", "p50 ms", "p95 ms", "p99 ms", "CPU p50 ms", "SQL per save"],
            rows,
        )
        diff_rows = []
        for context, results in contexts.items():
            off, _, off_cpu = results["audit off"]
            for mode in ("audit on", "audit on, no broadcast"):
                on, _, on_cpu = results[mode]
                diff_rows.append(
                    [
                        context,
                        mode,
                        ms(percentile(on, 50) - percentile(off, 50)),
                        ms(percentile(on, 95) - percentile(off, 95)),
                        ms(percentile(on_cpu, 50) - percentile(off_cpu, 50)),
                    ]
                )
        print_table(
            "audit overhead (minus audit off)",
            ["context", "mode", "p50 ms", "p95 ms", "CPU p50 ms"],
            diff_rows,
        )
        expected = 2 * (2 * saves + 20)
        print(f"audit entries written: {recorded:,} (expected {expected:,})")
    finally:
        bench.close()


if __name__ == "__main__":
    main()
