"""Shared plumbing for the benchmark scripts in this folder.

Each bench calls `start("name", description)` first: it parses `--short`, points Django at
the bench database (created and migrated when missing) and returns a `Bench` with helpers to
load data, count SQL queries, time requests and print tables. Nothing here touches the
project's own database: full runs keep `<database>_bench` (PostgreSQL, reused across runs
because loading a million rows takes a while) or `bench.sqlite3`; `--short` runs use a
throw-away database that is dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The project is the folder the bench is run from (`uv run python bench/x.py`), else the
# folder above this file.
PROJECT_DIR = (
    Path.cwd() if (Path.cwd() / "manage.py").is_file() else Path(__file__).resolve().parent.parent
)
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    """
    aaron adam adrian aiden alex alice amelia amir ana andrea andrew angela anna arjun ava
    ben bianca boris bruno carla carlos chen chloe chris clara daniel david diego dmitri
    elena eli emma eric erik eva fatima felix finn frank gabriel grace hana hannah hector
    helen hugo ian ines isaac ivan jack jade james jan jana javier jin john jonas jose julia
    kai karen kate kenji khalid laura lea leo liam lina lucas lucia luis maria mark marta
    mateo maya mia mohamed nadia nina noah nora olga omar oscar paul pedro peter priya
    rafael rosa ruth sam sara sofia sven tara theo tom valentina victor wei yara yuki zoe
"""
)
LAST_NAMES = _words(
    """
    abbott acosta adams ali alvarez anderson baker becker bennett berg brown campbell castro
    chen clark collins cooper costa cruz davies diaz dubois edwards evans fischer flores
    garcia gomez gonzalez green gupta hall hansen harris hernandez hill hoffmann hughes
    ivanova jackson jensen johnson jones kahn kim king klein kowalski kumar lambert larsen
    lee lewis lopez martin martinez meyer miller moore morales moreau muller murphy nakamura
    nguyen nielsen novak okafor olsen ortiz park patel perez petrov phillips ramirez reyes
    richter rivera roberts robinson rodriguez rossi sanchez santos schmidt schneider scott
    shah silva singh smith sousa stewart suzuki tanaka taylor thomas torres turner walker
    wang weber white williams wilson wright yamamoto young zhang
"""
)
DOMAINS = _words(
    """
    example.com example.org example.net mail.test acme.test globex.test initech.test
    umbrella.test hooli.test stark.test wayne.test wonka.test
"""
)
# Letters that are rare in the generated names: random terms drawn from them almost never
# match, and the bench checks each miss term really matches nothing before timing it.
MISS_ALPHABET = "bcdfghjkpqvwxyz"
JOIN_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def user_row(i: int) -> tuple[str, str, str, str, datetime, bool]:
    """The i-th generated user: (username, email, first, last, date_joined, is_active).

    Deterministic, so a reused database and a fresh one hold the same users. Usernames carry
    the index so they are unique; date_joined grows with i (plus jitter), as sign-ups do.
    """
    rnd = random.Random(i)
    first = rnd.choice(FIRST_NAMES)
    last = rnd.choice(LAST_NAMES)
    username = f"{first}.{last}{i}"
    email = f"{first}{rnd.choice('._')}{last}{i % 997}@{rnd.choice(DOMAINS)}"
    joined = JOIN_EPOCH + timedelta(seconds=i * 120 + rnd.randint(0, 119))
    return username, email, first.title(), last.title(), joined, rnd.random() > 0.05


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    """Print a plain-text table (the format docs/performance.md quotes)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "+".join("-" * (w + 2) for w in widths)
    print(f"\n== {title} ==")
    print(" " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)))
    print("-" + line + "-")
    for row in cells[1:]:
        print(" " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


@dataclass
class QueryCounter:
    """Counts SQL statements run on the default connection while active."""

    count: int = 0
    statements: list[str] = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.statements.append(sql)
        return execute(sql, params, many, context)


@contextlib.contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count the queries of a block (cheaper than DEBUG's query log, which it does not need)."""
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


@dataclass
class Timing:
    """Latencies (seconds) and SQL query counts of repeated calls."""

    label: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    def row(self) -> list[object]:
        return [
            self.label,
            len(self.seconds),
            ms(percentile(self.seconds, 50)),
            ms(percentile(self.seconds, 95)),
            ms(max(self.seconds)),
            max(self.queries) if self.queries else "-",
        ]

    @staticmethod
    def headers() -> list[str]:
        return ["case", "n", "p50 ms", "p95 ms", "max ms", "max SQL"]


def timed(
    label: str,
    calls: list[Callable[[], object]],
    *,
    warmup: int = 1,
    warmup_call: Callable[[], object] | None = None,
) -> Timing:
    """Run each call once, timing it and counting its SQL.

    First `warmup` untimed runs of `warmup_call` (default: the first call), so connections,
    caches and prepared plans are as warm as in a running server.
    """
    for _ in range(warmup):
        if warmup_call is not None:
            warmup_call()
        elif calls:
            calls[0]()
    result = Timing(label)
    for call in calls:
        with count_queries() as counter:
            begin = time.perf_counter()
            call()
            result.seconds.append(time.perf_counter() - begin)
        result.queries.append(counter.count)
    return result


def count_renders(redis_url: str, key: str) -> None:
    """Count every Django template render in this process in Redis under `key`."""
    import redis
    from django.template.backends.django import Template

    client = redis.Redis.from_url(redis_url)
    original = Template.render
    if getattr(original, "_bench_counted", False):
        return

    def render(self, context=None, request=None):
        client.incr(key)
        return original(self, context, request)

    render._bench_counted = True  # type: ignore[attr-defined]
    Template.render = render  # type: ignore[method-assign]


def machine_line() -> str:
    """One line describing this machine, printed by every bench."""
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) // 1024 // 1024} GiB RAM"
    # Other work on the machine skews every figure: the load average says how much there was.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {load}"
    )


class Bench:
    """One bench run: the database, the data loaders and the clean-up."""

    def __init__(self, name: str, short: bool, args: argparse.Namespace) -> None:
        self.name = name
        self.short = short
        self.args = args
        self.prefix = f"bench-{name}-{os.getpid()}"
        self._drop_db: Callable[[], None] | None = None
        self.child = False

    # -- set-up -------------------------------------------------------------------------

    def setup_django(self) -> None:
        os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        if os.environ.get("BENCH_CHILD") and os.environ.get("BENCH_DB_NAME"):
            # A helper process started by a bench: its parent made the database.
            import django
            from django.db import connection

            self.child = True
            self.db_name = os.environ["BENCH_DB_NAME"]
            self.prefix = os.environ.get("BENCH_PREFIX", self.prefix)
            django.setup()
            self.vendor = connection.vendor
            return
        import config.settings as project_settings

        db = project_settings.DATABASES["default"]
        if db["ENGINE"] == "django.db.backends.postgresql":
            base = db["NAME"]
            name = f"{base}_bshort_{os.getpid()}" if self.short else f"{base}_bench"
            self._create_pg_database(db, name)
            if self.short:
                self._drop_db = lambda: self._drop_pg_database(db, name)
        else:
            if self.short:
                import tempfile

                tmp = tempfile.mkdtemp(prefix="bench-")
                name = str(Path(tmp) / "bench.sqlite3")
                self._drop_db = lambda: _rmtree(tmp)
            else:
                name = str(PROJECT_DIR / "bench.sqlite3")
        os.environ["BENCH_DB_NAME"] = name
        os.environ["BENCH_PREFIX"] = self.prefix
        self.db_name = name

        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        from django.db import connection

        self.vendor = connection.vendor

    @staticmethod
    def _admin_connect(db: dict):
        import psycopg

        return psycopg.connect(
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        )

    def _create_pg_database(self, db: dict, name: str) -> None:
        from psycopg import sql

        with self._admin_connect(db) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def _drop_pg_database(self, db: dict, name: str) -> None:
        from psycopg import sql

        with self._admin_connect(db) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def close(self) -> None:
        """Forget this run's cache keys; drop the throw-away database of a short run."""
        if not self.child:
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"# load average at the end: {load}", flush=True)
        from django.core.cache import cache
        from django.db import connections

        if not self.child:  # a child process's keys belong to the parent bench's run
            delete_pattern = getattr(cache, "delete_pattern", None)
            if delete_pattern is not None:
                delete_pattern("*")
            else:
                cache.clear()
        for conn in connections.all():
            close_pool = getattr(conn, "close_pool", None)
            conn.close()
            if close_pool is not None:
                close_pool()
        if self._drop_db is not None:
            self._drop_db()

    # -- data ---------------------------------------------------------------------------

    def ensure_users(self, total: int) -> int:
        """Make the user table hold at least `total` generated users; return the row count.

        PostgreSQL loads with COPY (a million rows in well under a minute); SQLite with
        bulk_create. Rows already there are kept, so a second run starts at once.
        """
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        have = user_model.objects.filter(username__contains=".").count()
        if have < total:
            begin = time.perf_counter()
            print(f"loading users {have:,} -> {total:,} ...", flush=True)
            if self.vendor == "postgresql":
                self._copy_users(have, total)
            else:
                self._bulk_users(have, total)
            print(f"  loaded in {time.perf_counter() - begin:.1f} s", flush=True)
        return user_model.objects.count()

    def _copy_users(self, start: int, stop: int) -> None:
        from django.db import connection

        # An unusable password: bench users never log in.
        columns = (
            "password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined"
        )
        chunk = 100_000
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3 cursor, which speaks COPY
            for lo in range(start, stop, chunk):
                buf = io.StringIO()
                for i in range(lo, min(stop, lo + chunk)):
                    username, email, first, last, joined, active = user_row(i)
                    buf.write(
                        f"!\tf\t{username}\t{first}\t{last}\t{email}\tf\t"
                        f"{'t' if active else 'f'}\t{joined.isoformat()}\n"
                    )
                with raw.copy(f"COPY accounts_user ({columns}) FROM STDIN") as copy:
                    copy.write(buf.getvalue())
            # VACUUM also flushes the GIN indexes' pending lists, so the first searches
            # are as fast as the later ones.
            cursor.execute("VACUUM ANALYZE accounts_user")

    def _bulk_users(self, start: int, stop: int) -> None:
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        batch = []
        for i in range(start, stop):
            username, email, first, last, joined, active = user_row(i)
            batch.append(
                user_model(
                    password="!",
                    username=username,
                    email=email,
                    first_name=first,
                    last_name=last,
                    date_joined=joined,
                    is_active=active,
                )
            )
            if len(batch) == 5000:
                user_model.objects.bulk_create(batch)
                batch = []
        user_model.objects.bulk_create(batch)

    def ensure_activity(self, rows: int, days: int = 395) -> int:
        """Make UserActivity hold about `rows` rows (one per user and day) ending today.

        Each day a different slice of the first users is active, so monthly active users
        overlap from day to day as real ones do. Generated in the database (PostgreSQL) with
        generate_series, or in batches of bulk_create (SQLite).
        """
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.utils import timezone

        from admin_panel.models import UserActivity

        have = UserActivity.objects.count()
        if have >= rows * 0.99:
            return have
        UserActivity.objects.all().delete()
        ids = get_user_model().objects.order_by("id").values_list("id", flat=True)
        first_id = ids.first() or 1
        pool = min(get_user_model().objects.count(), max(1000, rows // 15))
        per_day = max(1, rows // days)
        per_day = min(per_day, pool - 1)
        start_day = timezone.localdate() - timedelta(days=days - 1)
        begin = time.perf_counter()
        print(f"loading activity: {per_day * days:,} rows over {days} days ...", flush=True)
        if self.vendor == "postgresql":
            # k -> (k * 104729) mod pool is a bijection when pool is not a multiple of the
            # prime 104729: no user appears twice on one day.
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO admin_panel_useractivity (user_id, day, last_seen)
                    SELECT %s + ((d * 7919 + k * 104729) %% %s), %s::date + d,
                           (%s::date + d) + make_interval(secs => (k * 37) %% 86400)
                    FROM generate_series(0, %s - 1) AS d, generate_series(0, %s - 1) AS k
                    """,
                    [first_id, pool, start_day, start_day, days, per_day],
                )
                cursor.execute("VACUUM ANALYZE admin_panel_useractivity")
        else:
            batch = []
            for d in range(days):
                day = start_day + timedelta(days=d)
                midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
                for k in range(per_day):
                    batch.append(
                        UserActivity(
                            user_id=first_id + (d * 7919 + k * 104729) % pool,
                            day=day,
                            last_seen=midnight + timedelta(seconds=(k * 37) % 86400),
                        )
                    )
                if len(batch) >= 5000:
                    UserActivity.objects.bulk_create(batch)
                    batch = []
            UserActivity.objects.bulk_create(batch)
        print(f"  loaded in {time.perf_counter() - begin:.1f} s", flush=True)
        return UserActivity.objects.count()

    def ensure_subscriptions(self, rows: int) -> int:
        """Make Subscription hold `rows` rows: two years of sign-ups, about a fifth cancelled."""
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.utils import timezone

        from admin_panel.models import Subscription

        have = Subscription.objects.count()
        if have >= rows:
            return have
        Subscription.objects.all().delete()
        first_id = get_user_model().objects.order_by("id").values_list("id", flat=True).first()
        users = get_user_model().objects.count()
        now = timezone.now()
        begin = time.perf_counter()
        print(f"loading subscriptions: {rows:,} rows ...", flush=True)
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO admin_panel_subscription
                        (user_id, plan, status, monthly_amount, created, cancelled_at)
                    SELECT %s + (i %% %s),
                           (ARRAY['starter', 'team', 'business'])[1 + i %% 3],
                           CASE WHEN i %% 5 = 0 THEN 'cancelled' ELSE 'active' END,
                           (ARRAY[9, 29, 99])[1 + i %% 3],
                           %s - make_interval(secs => (i * 7717) %% (730 * 86400)),
                           CASE WHEN i %% 5 = 0
                                THEN %s - make_interval(secs => (i * 7717) %% (730 * 86400))
                                     + make_interval(secs => 86400 + (i * 131) %% (300 * 86400))
                           END
                    FROM generate_series(0::bigint, %s - 1) AS i
                    """,
                    [first_id, users, now, now, rows],
                )
                # A cancellation generated in the future is moved to now.
                cursor.execute(
                    "UPDATE admin_panel_subscription SET cancelled_at = %s WHERE cancelled_at > %s",
                    [now, now],
                )
                cursor.execute("VACUUM ANALYZE admin_panel_subscription")
        else:
            batch = []
            for i in range(rows):
                created = now - timedelta(seconds=(i * 7717) % (730 * 86400))
                cancelled = None
                if i % 5 == 0:
                    cancelled = min(
                        now, created + timedelta(seconds=86400 + (i * 131) % (300 * 86400))
                    )
                batch.append(
                    Subscription(
                        user_id=first_id + i % users,
                        plan=("starter", "team", "business")[i % 3],
                        status="cancelled" if cancelled else "active",
                        monthly_amount=(9, 29, 99)[i % 3],
                        created=created,
                        cancelled_at=cancelled,
                    )
                )
            Subscription.objects.bulk_create(batch, batch_size=5000)
        print(f"  loaded in {time.perf_counter() - begin:.1f} s", flush=True)
        return Subscription.objects.count()

    def staff_user(self, username: str = "bench-admin"):
        """The superuser the benches log in as (created once)."""
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.com"},
        )
        return user

    def staff_client(self):
        """A Django test Client logged in as the bench superuser."""
        from django.test import Client

        client = Client()
        client.force_login(self.staff_user())
        return client


def _rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def start(name: str, description: str, extra: Callable | None = None) -> Bench:
    """Parse the command line, set up Django on the bench database, print the header."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--short", action="store_true", help="small and fast (used by CI)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    bench = Bench(name, args.short, args)
    bench.setup_django()
    if bench.child:
        return bench
    print(f"# bench {name}{' (short)' if args.short else ''}: {description}")
    print(f"# machine: {machine_line()}")
    print(f"# database: {bench.vendor} {bench.db_name}")
    sys.stdout.flush()
    return bench


def mean_ms(values: list[float]) -> str:
    return ms(statistics.fmean(values)) if values else "-"


def _side_by_side(ours: Timing, theirs: Timing) -> list[object]:
    p95_ours = percentile(ours.seconds, 95)
    p95_theirs = percentile(theirs.seconds, 95)
    return [
        ours.label,
        ms(percentile(ours.seconds, 50)),
        ms(p95_ours),
        max(ours.queries),
        ms(percentile(theirs.seconds, 50)),
        ms(p95_theirs),
        max(theirs.queries),
        f"{p95_theirs / p95_ours:.0f}x" if p95_ours else "-",
    ]


def print_versus(title: str, ours: list[Timing], theirs: list[Timing]) -> None:
    """The panel's and Django admin's timings of the same cases: side by side, then each."""
    print_table(
        title,
        [
            "case",
            "panel p50 ms",
            "panel p95 ms",
            "panel SQL",
            "admin p50 ms",
            "admin p95 ms",
            "admin SQL",
            "p95 ratio",
        ],
        [_side_by_side(a, b) for a, b in zip(ours, theirs, strict=True)],
    )
    print_table("panel detail", Timing.headers(), [t.row() for t in ours])
    print_table("Django admin detail", Timing.headers(), [t.row() for t in theirs])
