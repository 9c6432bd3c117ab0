"""KPI dashboard: recomputation cost and stampede protection.

    uv run python bench/kpi.py            # 5,000,000 activity rows, 200,000 subscriptions
    uv run python bench/kpi.py --short    # 20,000 activity rows, 2,000 subscriptions

1. Recompute: the metrics component's full computation (MAU, MRR, churn and their 12-month
   trends) timed on the data above, bypassing the cache, with its SQL query count.
2. Cache hit: a mount served from the cache, with its SQL query count (must be 0).
3. Stampede: 200 concurrent dashboard requests (threads, each its own logged-in Django test
   Client, released together by a barrier) hit the metrics view
     a. right when the cached entry has expired (the TTL is shortened for the run),
     b. right after a refresh (the refresh request first, then the 200),
     c. together with a refresh (the refresh released with the 200).
   Every recomputation is counted (the compute method is wrapped), and printed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from benchlib import (
    Bench,
    Timing,
    count_queries,
    ms,
    percentile,
    print_table,
    start,
    timed,
)

CONCURRENCY = 200


def options(parser) -> None:
    parser.add_argument("--concurrency", type=int, help="concurrent requests (default 200)")
    parser.add_argument("--activity", type=int, help="UserActivity rows (default 5,000,000)")
    parser.add_argument("--subscriptions", type=int, help="subscriptions (default 200,000)")


class Counted:
    """Wraps the component's compute method and counts the calls (thread-safe)."""

    def __init__(self, cls: type, name: str) -> None:
        self.cls = cls
        self.name = name
        self.original = getattr(cls, name)
        self.calls = 0
        self._lock = threading.Lock()
        original = self.original
        counter = self

        def wrapper(component, *args, **kwargs):
            with counter._lock:
                counter.calls += 1
            return original(component, *args, **kwargs)

        setattr(cls, name, wrapper)

    def reset(self) -> None:
        with self._lock:
            self.calls = 0

    def restore(self) -> None:
        setattr(self.cls, self.name, self.original)


def burst(
    clients: list, request: Callable, extra: Callable | None = None
) -> tuple[list[float], list[int], float]:
    """Run `request(client)` in one thread per client, all released at once.

    `extra`, when given, runs in one more thread released with them. Returns the latencies,
    the status codes and the wall time.
    """
    barrier = threading.Barrier(len(clients) + (2 if extra else 1))
    seconds: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(client) -> None:
        from django.db import connections

        barrier.wait()
        begin = time.perf_counter()
        try:
            status = request(client).status_code
        except Exception:  # counted as a failed request, not raised in a thread
            status = 599
        finally:
            # The test client keeps a thread's connection open; give it back to the pool.
            connections.close_all()
        elapsed = time.perf_counter() - begin
        with lock:
            seconds.append(elapsed)
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    if extra:

        def run_extra() -> None:
            from django.db import connections

            barrier.wait()
            try:
                extra()
            finally:
                connections.close_all()

        threads.append(threading.Thread(target=run_extra))
    for thread in threads:
        thread.start()
    barrier.wait()
    begin = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - begin
    return seconds, statuses, wall


def main() -> None:
    bench: Bench = start("kpi", "KPI recompute time and stampede protection", options)
    args = bench.args
    concurrency = args.concurrency or (20 if bench.short else CONCURRENCY)
    counted: Counted | None = None
    try:
        from django.test import Client
        from django.urls import reverse

        from component_framework.core import registry

        bench.ensure_users(2_000 if bench.short else 1_000_000)
        subs = bench.ensure_subscriptions(args.subscriptions or (2_000 if bench.short else 200_000))
        activity = bench.ensure_activity(args.activity or (20_000 if bench.short else 5_000_000))
        print(f"activity rows: {activity:,}; subscriptions: {subs:,}")
        metrics_cls = registry.get("metrics")
        staff = bench.staff_user()

        # 1. Recompute, cache bypassed. The first one after the stored closed months are
        # cleared also computes and stores them (once a month in a real project).
        component = metrics_cls(user=staff)
        from admin_panel import models as panel_models

        rollup = getattr(panel_models, "KpiMonth", None)
        cold = None
        if rollup is not None:
            rollup.objects.all().delete()
            cold = timed(
                "first recompute (+ 11 closed months)", [component._compute_metrics], warmup=0
            )
        recompute = timed(
            "recompute (MAU, MRR, churn + trends)",
            [component._compute_metrics for _ in range(3 if bench.short else 10)],
        )
        state = component.state
        print(
            "figures: "
            + ", ".join(
                f"{key}={state[key]}" for key in ("mau", "mrr", "churn_rate") if key in state
            )
        )

        # 2. A cache hit runs no SQL.
        from django.core.cache import cache

        warm = metrics_cls(user=staff)
        warm.mount()
        hit = metrics_cls(user=staff)
        with count_queries() as counted_sql:
            begin = time.perf_counter()
            hit.mount()
            hit_seconds = time.perf_counter() - begin
        print_table(
            f"KPI recompute, {activity:,} activity rows, {subs:,} subscriptions, {bench.vendor}",
            Timing.headers(),
            [
                *([cold.row()] if cold else []),
                recompute.row(),
                [
                    "cache hit (mount)",
                    1,
                    ms(hit_seconds),
                    ms(hit_seconds),
                    ms(hit_seconds),
                    counted_sql.count,
                ],
            ],
        )

        # 3. Stampedes through the real view.
        url = reverse("admin_metrics")
        login = bench.staff_client()
        session_cookie = login.cookies
        clients = []
        for _ in range(concurrency):
            client = Client()
            client.cookies = session_cookie
            clients.append(client)
        refreshes = 0

        def make_refresh() -> Callable[[], object]:
            """A ready-to-send refresh click, by a new staff user each time (the panel
            limits refreshes per user)."""
            nonlocal refreshes
            refreshes += 1
            refresher = Client()
            refresher.force_login(bench.staff_user(f"bench-refresher-{refreshes}"))
            html = refresher.get(url).content.decode()
            token = re.search(r'data-cf-state="([^"]+)"', html).group(1)
            return lambda: refresher.post(url, {"event": "refresh", "state": token})

        def get(client):
            return client.get(url)

        counted = Counted(metrics_cls, "_compute_metrics")
        ttl_before = metrics_cls.__dict__.get("cache_ttl")
        ttl = 2
        probe = metrics_cls(user=staff)
        name = probe.get_name() if hasattr(probe, "get_name") else "metrics"
        key = probe.get_cache_key(name, probe.params, {})
        rows = []

        def scenario(
            label: str,
            prepare: Callable[[], object],
            extra: Callable | None = None,
            count_prepare: bool = False,
        ):
            if not count_prepare:
                prepare()
            counted.reset()
            if count_prepare:
                prepare()
            seconds, statuses, wall = burst(clients, get, extra)
            time.sleep(0.5)  # a background revalidation, if any, finishes and is counted
            rows.append(
                [
                    label,
                    len(seconds) + (1 if extra else 0),
                    counted.calls,
                    ms(percentile(seconds, 50)),
                    ms(percentile(seconds, 95)),
                    f"{wall:.2f}",
                    ",".join(f"{code}x{statuses.count(code)}" for code in sorted(set(statuses))),
                ]
            )

        def expire():
            # Only the dashboard's entry goes: the rest of the cache (sessions, throttles)
            # stays warm, as in a running site.
            metrics_cls.cache_ttl = ttl  # shortened for this case only
            cache.delete_many([key, f"{key}:lock"])
            get(login)  # fill the cache
            time.sleep(ttl + 0.2)  # and let the entry pass its TTL

        # An untimed burst first: the database pool grows to its size and every thread's
        # first-request costs are paid, as in a server that has been up for a while.
        burst(clients, get)
        scenario("at TTL expiry", expire)
        if ttl_before is None:
            del metrics_cls.cache_ttl
        else:
            metrics_cls.cache_ttl = ttl_before
        refresh_now = make_refresh()
        scenario("right after a refresh", refresh_now, count_prepare=True)
        scenario("together with a refresh", lambda: None, extra=make_refresh())
        print_table(
            f"{concurrency} concurrent dashboard requests (GET {url})",
            ["case", "requests", "recomputations", "p50 ms", "p95 ms", "wall s", "statuses"],
            rows,
        )
        print(
            "recomputations: every call of the compute method during the burst, the "
            "refresh's own recompute included."
        )
    finally:
        if counted is not None:
            counted.restore()
        bench.close()


if __name__ == "__main__":
    main()
