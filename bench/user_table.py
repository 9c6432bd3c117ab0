"""User table at scale: the panel's user list against Django admin's user changelist.

    uv run python bench/user_table.py            # 1,000,000 users (loaded once, then reused)
    uv run python bench/user_table.py --short    # 2,000 users on a throw-away database

Both are driven through the real views with Django's test Client, logged in as a superuser,
on the same database in the same run: page 1, a search that hits, a search that matches
nothing, the last page, and the second page of a search. Every search uses a fresh term:
hits are random substrings of random existing users' names or emails, misses are random
strings (letters, digits, some punctuation) checked to match nothing. Prints p50/p95/max
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
# The user list's "Next" button when there is no next page.
NEXT_DISABLED_RE = re.compile(r'data-testid="page-next"[^>]*\sdisabled')
PAGED_TERMS_TRIED = 4  # fresh terms drawn per "search, next page" sample wanted
# What the user list shows when a search matches nothing.
EMPTY_MARK = 'data-testid="user-list-empty"'


def options(parser) -> None:
    parser.add_argument("--users", type=int, help="users in the table (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="requests per panel case (default 50)")
    parser.add_argument("--admin-rounds", type=int, help="requests per admin case (default 15)")
    parser.add_argument("--seed", type=int, help="random seed for the search terms")


def search_q(term: str):
    """The panel's search filter (the one the trigram indexes serve)."""
    from django.db.models import Q

    return Q(username__icontains=term) | Q(email__icontains=term)


def hit_terms(count: int, rnd: random.Random) -> list[str]:
    """Random substrings (3-6 characters) of random users' usernames or emails."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    max_id = user_model.objects.order_by("-id").values_list("id", flat=True).first() or 0
    terms: list[str] = []
    while len(terms) < count:
        row = user_model.objects.filter(id__gte=rnd.randint(1, max_id)).order_by("id")
        row = row.values_list("username", "email").first()
        if row is None:
            continue
        text = rnd.choice([value for value in row if value])
        size = rnd.randint(3, min(6, len(text)))
        begin = rnd.randint(0, len(text) - size)
        terms.append(text[begin : begin + size])
    return terms


def domain_terms(count: int, rnd: random.Random) -> list[str]:
    """Random substrings (3-6 characters) of random users' email domains: terms shared by
    many users at any table size."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    max_id = user_model.objects.order_by("-id").values_list("id", flat=True).first() or 0
    terms: list[str] = []
    while len(terms) < count:
        email = user_model.objects.filter(id__gte=rnd.randint(1, max_id)).order_by("id")
        email = email.values_list("email", flat=True).first()
        if not email or "@" not in email:
            continue
        domain = email.split("@", 1)[1]
        size = rnd.randint(3, min(6, len(domain)))
        begin = rnd.randint(0, len(domain) - size)
        terms.append(domain[begin : begin + size])
    return terms


def miss_terms(count: int, rnd: random.Random) -> list[str]:
    """Random strings of 3-8 characters that match no user (checked before timing)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    # Mostly letters that are rare in the names, then any letters and digits, then
    # punctuation and symbols, some of which pg_trgm does not index ("a(b", ",,,", "€x€").
    alphabets = [
        (0.6, MISS_ALPHABET),
        (0.8, string.ascii_lowercase + string.digits),
        (1.0, MISS_ALPHABET + string.punctuation + "€é"),
    ]
    terms: list[str] = []
    while len(terms) < count:
        draw = rnd.random()
        alphabet = next(letters for bound, letters in alphabets if draw < bound)
        term = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(3, 8)))
        if not user_model.objects.filter(search_q(term)).exists():
            terms.append(term)
    return terms


class Panel:
    """Drives the user list component view the way the browser does."""

    def __init__(self, client) -> None:
        from django.urls import reverse

        self.client = client
        self.url = reverse("admin_users")
        self.token = STATE_RE.search(self.get().content.decode()).group(1)

    def _check(self, response):
        if response.status_code != 200:
            sys.exit(f"panel answered {response.status_code}: {response.content[:300]!r}")
        return response

    def get(self):
        return self._check(self.client.get(self.url))

    def event(self, event: str, **fields):
        return self._check(
            self.client.post(self.url, {"event": event, "state": self.token, **fields})
        )

    def searched(self, term: str) -> tuple[str, bool]:
        """Search `term`: the state token of its first page, and whether it has a next page."""
        html = self.event("search", query=term).content.decode()
        return STATE_RE.search(html).group(1), NEXT_DISABLED_RE.search(html) is None

    def next_page(self, token: str):
        return self._check(self.client.post(self.url, {"event": "next_page", "state": token}))

    def last_page(self):
        from component_framework.core import registry

        component = registry.get("user_list")
        if hasattr(component, "on_last_page"):
            return self.event("last_page")
        # A panel without keyset paging: jump to the page count it reports.
        html = self.get().content.decode()
        pages = re.search(r"of\s+([\d,]+)", html)
        return self.event("change_page", page=pages.group(1).replace(",", "") if pages else "1")


class Admin:
    """Drives Django admin's user changelist."""

    def __init__(self, client, total: int) -> None:
        from django.contrib import admin
        from django.contrib.auth import get_user_model

        self.client = client
        self.url = "/django-admin/accounts/user/"
        self.per_page = admin.site._registry[get_user_model()].list_per_page
        self.last = max(1, math.ceil(total / self.per_page))

    def has_page_2(self, term: str) -> bool:
        """Whether a search for `term` fills more than one changelist page."""
        from django.contrib.auth import get_user_model

        matches = get_user_model().objects.filter(search_q(term)).order_by()
        return matches[: self.per_page + 1].count() > self.per_page

    def get(self, **params):
        response = self.client.get(self.url, params)
        if response.status_code != 200:
            sys.exit(f"admin answered {response.status_code}")
        return response


def main() -> None:
    bench: Bench = start("user_table", "user list vs Django admin's user changelist", options)
    args = bench.args
    total_wanted = args.users or (2_000 if bench.short else 1_000_000)
    rounds = args.rounds or (3 if bench.short else 50)
    admin_rounds = args.admin_rounds or (2 if bench.short else 15)
    rnd = random.Random(args.seed)
    try:
        total = bench.ensure_users(total_wanted)
        client = bench.staff_client()
        panel = Panel(client)
        admin = Admin(client, total)
        hits = hit_terms(rounds + admin_rounds + 2, rnd)
        misses = miss_terms(rounds + admin_rounds + 2, rnd)
        print(f"users: {total:,}; search terms, e.g. hits {hits[:4]}, misses {misses[:4]}")
        unindexed = [term for term in misses if not all(char.isalnum() for char in term)]
        print(f"misses with characters pg_trgm does not index: {len(unindexed)} {unindexed[:4]}")
        # Second pages of searches: each term searched first (untimed, as a person types
        # before clicking "Next"), its second page timed. Random hit terms first, then parts
        # of email domains if too few of those fill two pages (a small table, big pages).
        paged, paged_a = [], []
        wanted = rounds + admin_rounds + 2
        tried = PAGED_TERMS_TRIED * wanted
        for term in hit_terms(tried, rnd) + domain_terms(tried, rnd):
            if len(paged) < rounds + 1:
                token, many = panel.searched(term)
                if many:
                    paged.append(token)
            elif len(paged_a) < admin_rounds + 1:
                if admin.has_page_2(term):
                    paged_a.append(term)
            else:
                break
        if len(paged) < 2 or len(paged_a) < 2:
            sys.exit("too few search terms fill two pages for the next-page case")

        checked = {"hit": 0, "miss": 0}

        def search(term: str, expect_rows: bool):
            html = panel.event("search", query=term).content.decode()
            if (EMPTY_MARK in html) == expect_rows:
                sys.exit(f"search for {term!r} {'found nothing' if expect_rows else 'found rows'}")
            checked["hit" if expect_rows else "miss"] += 1

        ours = [
            timed("page 1", [panel.get for _ in range(rounds)]),
            timed(
                "search hit",
                [lambda t=t: search(t, True) for t in hits[1 : rounds + 1]],
                warmup_call=lambda: search(hits[0], True),
            ),
            timed(
                "search miss",
                [lambda t=t: search(t, False) for t in misses[1 : rounds + 1]],
                warmup_call=lambda: search(misses[0], False),
            ),
            timed("last page", [panel.last_page for _ in range(rounds)]),
            timed(
                "search, next page",
                [lambda t=t: panel.next_page(t) for t in paged[1 : rounds + 1]],
                warmup_call=lambda: panel.next_page(paged[0]),
            ),
        ]
        print(
            f"checked: {checked['hit']} hit searches showed rows, "
            f"{checked['miss']} miss searches showed none"
        )
        hits_a, misses_a = hits[rounds + 1 :], misses[rounds + 1 :]
        theirs = [
            timed("page 1", [admin.get for _ in range(admin_rounds)]),
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
                f"last page (p={admin.last})",
                [lambda: admin.get(p=admin.last) for _ in range(admin_rounds)],
            ),
            timed(
                "search, page 2",
                [lambda t=t: admin.get(q=t, p=2) for t in paged_a[1:]],
                warmup_call=lambda: admin.get(q=paged_a[0], p=2),
            ),
        ]
        print_versus(
            f"user table, {total:,} users, {bench.vendor}: panel vs Django admin",
            ours,
            theirs,
        )
    finally:
        bench.close()


if __name__ == "__main__":
    main()
