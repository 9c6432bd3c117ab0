"""`manage.py seed_demo`: demo data for the panel, from a thousand users to a million.

    uv run python manage.py seed_demo                      # 1,000 users
    uv run python manage.py seed_demo --users 1000000      # a million, in a few minutes
    uv run python manage.py seed_demo --reset --admin-password 's3cret-Pass'

Creates demo users (email domain `demo.example.com`), subscriptions with cancellations,
activity spread over the last 12 months and some audit history, and creates or updates the
superuser `admin`. Running it again adds only the users that are missing (demo users are
numbered); `--reset` removes the demo data first.

Rows go in with plain multi-row INSERTs in batches (`insert_rows`, which loads millions
of rows sooner than `bulk_create`), which send no model signals: the per-row
audit trail is skipped on purpose (a million "created" entries would be noise, and the
command is data loading, not a user action). The `admin` account is saved normally, so
its creation is audited. Every user shares one password hash computed up front (hashing is
deliberately slow; a million hashes would take hours).
"""

from __future__ import annotations

import datetime
import random
import secrets
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from admin_panel.models import AuditEntry, KpiMonth, Subscription, UserActivity

DEMO_DOMAIN = "demo.example.com"
_FIRST = (
    "alice amelia ana ben bruno carla chen chloe david diego elena emma eric eva felix grace "
    "hana hugo ines ivan jack jade james julia kai kenji laura leo liam lina lucas maria mark "
    "maya mia nadia nina noah nora olga omar oscar paul priya rosa sam sara sofia tom wei yuki zoe"
)
_LAST = (
    "adams ali baker becker brown chen costa cruz diaz dubois evans fischer garcia gupta hall "
    "hansen kim king klein kumar lee lopez martin meyer miller moore muller nguyen novak okafor "
    "park patel perez rossi santos schmidt shah silva singh smith tanaka wang weber wilson zhang"
)
FIRST_NAMES: tuple[str, ...] = tuple(_FIRST.split())
LAST_NAMES: tuple[str, ...] = tuple(_LAST.split())
# (plan, monthly amount, weight)
PLANS: Sequence[tuple[str, Decimal, int]] = (
    ("starter", Decimal("9.00"), 60),
    ("pro", Decimal("29.00"), 30),
    ("business", Decimal("99.00"), 10),
)
HISTORY_DAYS = 365
SUBSCRIBED_SHARE = 0.6
CANCELLED_SHARE = 0.3
STAFF_EVERY = 250


def insert_rows(model: type[Model], fields: list[Field], rows: Iterable[list[Any]]) -> None:
    """INSERT `rows` (values in `fields` order) with one `executemany`.

    `bulk_create` compiles SQL and prepares every value through the field API, which costs
    more than the database write itself at this volume; here the statement is built once
    and each column gets the backend's own adapter (dates, times and decimals).
    """
    ops = connection.ops
    adapters = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapters.append(ops.adapt_datefield_value)
        elif kind == "DecimalField":
            adapters.append(
                partial(
                    ops.adapt_decimalfield_value,
                    max_digits=field.max_digits,  # type: ignore[attr-defined]
                    decimal_places=field.decimal_places,  # type: ignore[attr-defined]
                )
            )
        elif kind in {"CharField", "BooleanField", "TextField", "EmailField"} or field.is_relation:
            adapters.append(None)
        else:
            adapters.append(partial(field.get_db_prep_save, connection=connection))
    # Only quoted names from the model go into the SQL; every value is a parameter.
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    params = [
        [v if adapt is None else adapt(v) for adapt, v in zip(adapters, row, strict=True)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


class Progress:
    """A one-line progress bar on stderr with rate and ETA (plain lines when not a TTY)."""

    def __init__(self, total: int, label: str, stream: OutputWrapper) -> None:
        self.total, self.label, self.stream = total, label, stream
        self.done = 0
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.tty = stream.isatty()
        self.next_line_at = 0.1

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        fraction = self.done / self.total if self.total else 1.0
        if self.tty and (now - self.last_draw >= 0.2 or self.done >= self.total):
            self.last_draw = now
            self.stream.write("\r" + self._line(now, fraction), ending="")
            self.stream.flush()
        elif not self.tty and (fraction >= self.next_line_at or self.done >= self.total):
            self.next_line_at = fraction + 0.1
            self.stream.write(self._line(now, fraction))

    def finish(self) -> None:
        if self.tty:
            self.stream.write("")
            self.stream.flush()

    def _line(self, now: float, fraction: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else 0.0
        filled = int(fraction * 30)
        return (
            f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} "
            f"{self.done:,}/{self.total:,}  {rate:,.0f}/s  "
            f"ETA {datetime.timedelta(seconds=int(eta))}"
        )


class Command(BaseCommand):
    help = "Load demo users, subscriptions, activity and audit history; create the admin user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=1000, help="demo users (default 1000)")
        parser.add_argument("--reset", action="store_true", help="delete the demo data first")
        parser.add_argument(
            "--admin-password",
            help="password of the superuser `admin` (default: generated and printed when the "
            "account is created; an existing admin keeps its password)",
        )
        parser.add_argument(
            "--user-password",
            help="password shared by every demo user (default: none, they cannot log in)",
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable data)")

    def handle(self, *args: Any, **options: Any) -> None:
        total = options["users"]
        if total < 0:
            raise CommandError("--users must be 0 or more.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        rng = random.Random(options["seed"])  # demo data, not secrets
        started = time.monotonic()
        if options["reset"]:
            self._reset()
        self._admin(options["admin_password"])
        User = get_user_model()
        existing = User.objects.filter(email__endswith="@" + DEMO_DOMAIN).count()
        missing = max(0, total - existing)
        if missing == 0:
            self.stdout.write(f"{existing:,} demo users already exist; nothing to add.")
            return
        password = make_password(options["user_password"])
        if connection.vendor == "sqlite":
            # The indexes outgrow SQLite's 2 MB default page cache after a few hundred
            # thousand rows; from then on every insert waits for the disk.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB, this connection only
        now = timezone.now()
        counts = {"users": 0, "subscriptions": 0, "activity": 0, "audit": 0}
        progress = Progress(missing, "users", self.stderr)
        staff: list[Any] = list(
            User.objects.filter(email__endswith="@" + DEMO_DOMAIN, is_staff=True)[:20]
        )
        for first in range(existing + 1, total + 1, options["batch_size"]):
            last = min(total, first + options["batch_size"] - 1)
            with transaction.atomic():
                users = self._users(rng, range(first, last + 1), password, now)
                staff.extend(u for u in users if u.is_staff and len(staff) < 20)
                counts["users"] += len(users)
                counts["subscriptions"] += self._subscriptions(rng, users, now)
                counts["activity"] += self._activity(rng, users, now)
                counts["audit"] += self._audit(rng, users, staff, now)
            progress.advance(len(users))
        progress.finish()
        # The new rows reach into past months: let the KPI trend compute those again.
        KpiMonth.objects.all().delete()
        self.stdout.write(
            f"Added {counts['users']:,} users, {counts['subscriptions']:,} subscriptions, "
            f"{counts['activity']:,} activity days and {counts['audit']:,} audit entries "
            f"in {time.monotonic() - started:.1f} s."
        )

    # --- pieces -------------------------------------------------------------------------------

    def _admin(self, password: str | None) -> None:
        User = get_user_model()
        admin = User.objects.filter(username="admin").first()
        generated = password is None and admin is None
        if generated:
            password = secrets.token_urlsafe(12)
        if admin is None:
            User.objects.create_superuser("admin", "admin@example.com", password)
        else:
            admin.is_staff = admin.is_superuser = admin.is_active = True
            if password is not None:
                admin.set_password(password)
            admin.save()
        if generated:
            self.stdout.write(f"Created superuser admin with password: {password}")
        elif admin is None:
            self.stdout.write("Created superuser admin with the given password.")
        elif password is not None:
            self.stdout.write("Superuser admin exists; password set to the given one.")
        else:
            self.stdout.write("Superuser admin exists; password unchanged (see --admin-password).")

    def _reset(self) -> None:
        """Delete the demo rows with plain DELETEs: an ORM delete would fetch and audit every
        row (a million entries for a million users)."""
        User = get_user_model()
        demo = User.objects.filter(email__endswith="@" + DEMO_DOMAIN)
        using = connection.alias
        with transaction.atomic():
            # Query-set _raw_delete: one DELETE ... WHERE, no per-row signals (on purpose).
            AuditEntry.objects.filter(actor__in=demo)._raw_delete(using)
            UserActivity.objects.filter(user__in=demo)._raw_delete(using)
            Subscription.objects.filter(user__in=demo)._raw_delete(using)
            LogEntry.objects.filter(user__in=demo)._raw_delete(using)
            User.groups.through.objects.filter(user__in=demo)._raw_delete(using)
            User.user_permissions.through.objects.filter(user__in=demo)._raw_delete(using)
            deleted = demo._raw_delete(using)
            KpiMonth.objects.all().delete()
        self.stdout.write(f"Removed {deleted:,} demo users and their data.")

    def _users(
        self, rng: random.Random, numbers: range, password: str, now: datetime.datetime
    ) -> list[Any]:
        User = get_user_model()
        rows = []
        for n in numbers:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            rows.append(
                User(
                    username=f"{first}.{last}.{n}",
                    email=f"{first}.{last}.{n}@{DEMO_DOMAIN}",
                    first_name=first.title(),
                    last_name=last.title(),
                    password=password,
                    is_active=rng.random() > 0.05,
                    is_staff=n % STAFF_EVERY == 1,
                    date_joined=now - datetime.timedelta(seconds=rng.uniform(3600, 400 * 86400)),
                )
            )
        fields = [f for f in User._meta.concrete_fields if not (f.primary_key or f.generated)]
        insert_rows(User, fields, ([f.pre_save(u, True) for f in fields] for u in rows))
        ids = dict(
            User.objects.filter(username__in=[u.username for u in rows]).values_list(
                "username", "pk"
            )
        )
        for user in rows:
            user.pk = ids[user.username]
        return rows

    def _subscriptions(self, rng: random.Random, users: list[Any], now: datetime.datetime) -> int:
        plans = [p for p, _, _ in PLANS]
        amounts = {p: a for p, a, _ in PLANS}
        weights = [w for _, _, w in PLANS]
        rows = []
        for user in users:
            if rng.random() >= SUBSCRIBED_SHARE:
                continue
            plan = rng.choices(plans, weights)[0]
            created = user.date_joined + (now - user.date_joined) * rng.random() * 0.5
            cancelled_at = None
            if rng.random() < CANCELLED_SHARE:
                cancelled_at = created + (now - created) * rng.random()
            status = "cancelled" if cancelled_at else "active"
            rows.append([user.pk, plan, status, amounts[plan], created, cancelled_at])
        columns = ["user", "plan", "status", "monthly_amount", "created", "cancelled_at"]
        insert_rows(Subscription, [Subscription._meta.get_field(c) for c in columns], rows)
        return len(rows)

    def _activity(self, rng: random.Random, users: list[Any], now: datetime.datetime) -> int:
        rows = []
        for user in users:
            span = min(HISTORY_DAYS, (now - user.date_joined).days)
            if not user.is_active or span < 1:
                continue
            # Most users come back a few times; recent days are likelier (people churn).
            k = min(span, rng.randint(1, 6))
            days: dict[datetime.date, datetime.datetime] = {}
            for _ in range(k):
                offset = int(span * rng.random() ** 2)
                seen = now - datetime.timedelta(days=offset, seconds=rng.uniform(0, 36000))
                days[timezone.localdate(seen)] = seen  # one row per (user, day)
            rows.extend([user.pk, day, seen] for day, seen in days.items())
        columns = ["user", "day", "last_seen"]
        insert_rows(UserActivity, [UserActivity._meta.get_field(c) for c in columns], rows)
        return len(rows)

    def _audit(
        self, rng: random.Random, users: list[Any], staff: list[Any], now: datetime.datetime
    ) -> int:
        if not staff:
            return 0
        user_type = ContentType.objects.get_for_model(get_user_model())
        rows = []
        for user in rng.sample(users, max(1, len(users) // 100)):
            actor = rng.choice(staff)
            if rng.random() < 0.5:
                changes: dict[str, Any] = {"is_active": [not user.is_active, user.is_active]}
            else:
                changes = {"first_name": [user.first_name.lower(), user.first_name]}
            rows.append(
                AuditEntry(
                    actor_id=actor.pk,
                    actor_username=actor.username,
                    action=AuditEntry.Action.UPDATE,
                    target_type=user_type,
                    object_id=str(user.pk),
                    target=f"{user._meta.label} #{user.pk} {user.username}",
                    changes=changes,
                    ip=f"198.51.100.{rng.randint(1, 254)}",
                    timestamp=now - datetime.timedelta(seconds=rng.uniform(60, 30 * 86400)),
                )
            )
        AuditEntry.objects.bulk_create(rows)
        return len(rows)
