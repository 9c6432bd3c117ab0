"""Model panel at scale: the subscription panel against Django admin's subscription changelist.

    uv run python bench/model_panel.py            # 1,000,000 subscriptions (loaded once, reused)
    uv run python bench/model_panel.py --short    # 2,000 subscriptions on a throw-away database

A model that is not the user model, declared in a few lines (`admin_panel.panels`), driven
through the real views with Django's test Client as a superuser, against Django admin on
the same rows in the same run: the list page, a search that hits (a random part of a plan
name), a search that matches nothing (random strings), a filter (cancelled), a sort by an
indexed column (monthly amount) and the last page. Django admin's subscription changelist
searches `plan` for this bench only (the project's has no search). Prints p50/p95/max
latency and the SQL queries per request side by side.
"""

from __future__ import annotations

import math
import random
import re
import string
import sys

from benchlib import MISS_ALPHABET, Bench, print_versus, start, timed

STATE_RE = re.compile(r'data-cf-state="([^"]+)"')
EMPTY_MARK = 'data-testid="panel-empty"'
PLANS = ("starter", "team", "business")  # what Bench.ensure_subscriptions writes
LIST = "/admin-panel/admin_panel/subscription/"
ADMIN = "/django-admin/admin_panel/subscription/"


def options(parser) -> None:
    parser.add_argument("--rows", type=int, help="subscriptions (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="requests per panel case (default 50)")
    parser.add_argument("--admin-rounds", type=int, help="requests per admin case (default 15)")
    parser.add_argument("--seed", type=int, help="random seed for the search terms")


def hit_terms(count: int, rnd: random.Random) -> list[str]:
    """Random parts (3-6 characters) of the plan names."""
    terms = []
    for _ in range(count):
        plan = rnd.choice(PLANS)
        size = rnd.randint(3, min(6, len(plan)))
        begin = rnd.randint(0, len(plan) - size)
        terms.append(plan[begin : begin + size])
    return terms


def miss_terms(count: int, rnd: random.Random) -> list[str]:
    """Random strings of 3-8 characters that are in no plan name."""
    alphabet = MISS_ALPHABET + string.digits
    terms: list[str] = []
    while len(terms) < count:
        term = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(3, 8)))
        if not any(term.upper() in plan.upper() for plan in PLANS):
            terms.append(term)
    return terms


class Panel:
    """Drives the subscription list the way the browser does."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = STATE_RE.search(self._check(client.get(LIST)).content.decode()).group(1)

    @staticmethod
    def _check(response):
        if response.status_code != 200:
            sys.exit(f"panel answered {response.status_code}: {response.content[:300]!r}")
        return response

    def page(self):
        return self._check(self.client.get(LIST))

    def event(self, event: str, **fields):
        data = {"event": event, "state": self.token, **fields}
        return self._check(self.client.post(LIST + "rows/", data))

    def search(self, term: str, expect_rows: bool) -> None:
        html = self.event("apply", q=term).content.decode()
        if (EMPTY_MARK in html) == expect_rows:
            sys.exit(f"search for {term!r} {'found nothing' if expect_rows else 'found rows'}")


class Admin:
    """Drives Django admin's subscription changelist."""

    def __init__(self, client) -> None:
        from django.contrib import admin

        from admin_panel.models import Subscription

        self.client = client
        model_admin = admin.site._registry[Subscription]
        model_admin.search_fields = ["plan"]  # this bench's searches, on both sides
        self.amount_column = list(model_admin.list_display).index("monthly_amount") + 1
        self.per_page = model_admin.list_per_page

    def get(self, **params):
        response = self.client.get(ADMIN, params)
        if response.status_code != 200:
            sys.exit(f"admin answered {response.status_code}")
        return response


def main() -> None:
    bench: Bench = start("model_panel", "subscription panel vs Django admin's changelist", options)
    args = bench.args
    wanted = args.rows or (2_000 if bench.short else 1_000_000)
    rounds = args.rounds or (3 if bench.short else 50)
    admin_rounds = args.admin_rounds or (2 if bench.short else 15)
    rnd = random.Random(args.seed)
    try:
        bench.ensure_users(2_000 if bench.short else 100_000)
        total = bench.ensure_subscriptions(wanted)
        client = bench.staff_client()
        panel = Panel(client)
        admin = Admin(client)
        hits = hit_terms(rounds + admin_rounds + 2, rnd)
        misses = miss_terms(rounds + admin_rounds + 2, rnd)
        print(f"subscriptions: {total:,}; search terms, e.g. hits {hits[:4]}, misses {misses[:4]}")

        ours = [
            timed("list page", [panel.page for _ in range(rounds)]),
            timed(
                "search hit",
                [lambda t=t: panel.search(t, True) for t in hits[1 : rounds + 1]],
                warmup_call=lambda: panel.search(hits[0], True),
            ),
            timed(
                "search miss",
                [lambda t=t: panel.search(t, False) for t in misses[1 : rounds + 1]],
                warmup_call=lambda: panel.search(misses[0], False),
            ),
            timed(
                "filter cancelled",
                [lambda: panel.event("apply", status="cancelled") for _ in range(rounds)],
            ),
            timed(
                "sort by amount",
                [lambda: panel.event("sort", column="monthly_amount") for _ in range(rounds)],
            ),
            timed("last page", [lambda: panel.event("last_page") for _ in range(rounds)]),
        ]
        hits_a, misses_a = hits[rounds + 1 :], misses[rounds + 1 :]
        last = max(1, math.ceil(total / admin.per_page))
        theirs = [
            timed("list page", [admin.get for _ in range(admin_rounds)]),
            timed(
                "search hit",
                [lambda t=t: admin.get(q=t) for t in hits_a[1:]],
                warmup_call=lambda: admin.get(q=hits_a[0]),
            ),
            timed(
                "search miss",
                [lambda t=t: admin.get(q=t) for t in misses_a[1:]],
                warmup_call=lambda: admin.get(q=misses_a[0]),
            ),
            timed(
                "filter cancelled",
                [lambda: admin.get(status__exact="cancelled") for _ in range(admin_rounds)],
            ),
            timed(
                "sort by amount",
                [lambda: admin.get(o=str(admin.amount_column)) for _ in range(admin_rounds)],
            ),
            timed(
                f"last page (p={last})",
                [lambda: admin.get(p=str(last)) for _ in range(admin_rounds)],
            ),
        ]
        print_versus(
            f"model panel, {total:,} subscriptions, {bench.vendor}: panel vs Django admin",
            ours,
            theirs,
        )
    finally:
        bench.close()


if __name__ == "__main__":
    main()
