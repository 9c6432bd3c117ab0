"""Listing (admin_panel/listing.py): every page of every search, filter and order is exactly
the rows a plain sort of the matching rows gives, whichever plan the listing picks, on the
database the project runs. The users of the user table are the data; the cap, the window and
the sort bound are shrunk so a few hundred of them reach every plan (`PLANS`), and the data
is skewed (terms only old users have, terms only new users have, date ties) the way real
sign-ups are.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from admin_panel.components.user_list import ROW_FIELDS
from admin_panel.listing import InvalidCursor, Listing

User = get_user_model()
pytestmark = pytest.mark.django_db

SIZE = 5
NAMES = ("ana", "ben", "cruz", "dana", "eli", "fox", "gil", "hana", "ivo", "jo")
DOMAINS = ("example.com", "mail.test", "old-corp.test", "new_co.test")
EPOCH = datetime(2021, 1, 1, tzinfo=UTC)


def users(cap: int = 1000, ordering=("-date_joined",), **options) -> Listing:
    return Listing(
        User.objects.values(*ROW_FIELDS),
        search_fields=["username", "email"],
        ordering=ordering,
        page_size=SIZE,
        count_cap=cap,
        **options,
    )


# (count cap, window, sort bound): which plan a term gets depends on them.
PLANS = {
    "common": (20, 3000, 2000),  # the newest rows hold more matches than the cap
    "few": (1000, 3000, 2000),  # every match counted and sorted
    "spread": (20, 30, 40),  # a few among the newest rows: counted to the cap, then walked
    "sparse": (10, 10, 15),  # hardly any among the newest: sorted up to 15, else walked
}


@pytest.fixture(params=PLANS.values(), ids=PLANS.keys())
def plan(request) -> dict:
    cap, window, sort_bound = request.param
    return {"cap": cap, "window": window, "sort_bound": sort_bound}


@pytest.fixture(scope="module")
def _saved_people(django_db_setup, django_db_blocker) -> Iterator[list[dict]]:
    """The users of `people`, saved once for the module in a transaction rolled back after it.

    Each test runs inside it in a transaction of its own (pytest-django's `db`), rolled back
    after the test, so what a test changes is gone for the next one.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        saved = make_people()
        yield saved
        transaction.set_rollback(True)


@pytest.fixture
def people(_saved_people, db) -> list[dict]:
    """302 users: 1 in 3 shares its date with a neighbour; `old-corp` users all joined in the
    first tenth, `new_co` users in the last tenth; names with punctuation of every kind."""
    return _saved_people


def make_people() -> list[dict]:
    rnd = random.Random(7)
    rows = []
    for i in range(300):
        first, last = rnd.choice(NAMES), rnd.choice(NAMES)
        sep = rnd.choice("._-+")
        if i < 30:
            domain = "old-corp.test"
        elif i >= 270:
            domain = "new_co.test"
        else:
            domain = rnd.choice(DOMAINS[:2])
        joined = EPOCH + timedelta(hours=i - (i % 3 == 1))  # 1 and 0, 4 and 3, ... tie
        rows.append(
            User(
                username=f"{first}{sep}{last}{i}",
                email=f"{first}.{last}{i % 37}@{domain}",
                date_joined=joined,
                password="!",
            )
        )
    rows.append(User(username="Percent", email="100%sure@example.com", date_joined=EPOCH))
    rows.append(User(username="back\\slash", email="b@example.com", date_joined=EPOCH))
    # Characters pg_trgm does not index, in either column.
    for i, (username, email) in enumerate(
        [("ana(x)", "ax@example.com"), ("ben", "ben,cruz@mail.test"), ("fox", "€uro.fox@x.test")]
    ):
        rows.append(User(username=username, email=email, date_joined=EPOCH + timedelta(days=i)))
    User.objects.bulk_create(rows)
    return list(User.objects.values("id", "username", "email", "date_joined"))


def reference(people, term: str, key=lambda p: (p["date_joined"], p["id"]), reverse=True):
    """The ids matching `term`, in the listing's order: what every page must agree with."""
    term = term.strip().upper()
    found = [p for p in people if term in p["username"].upper() or term in p["email"].upper()]
    found.sort(key=key, reverse=reverse)
    return [p["id"] for p in found]


def ids(page) -> list[int]:
    return [row["id"] for row in page.rows]


def walk_forward(results) -> list[int]:
    """Every page from the first, by next-page cursors."""
    page = results.first()
    seen = ids(page)
    while page.has_next:
        page = results.after(page.next_cursor)
        seen += ids(page)
    return seen


def walk_back(results) -> list[int]:
    """Every page from the last, by previous-page cursors."""
    page = results.last()
    seen = ids(page)
    while page.has_previous:
        page = results.before(page.previous_cursor)
        seen = ids(page) + seen[: SIZE * 1000]
        if not page.has_previous:  # the first page, whole: it may repeat rows of the last
            seen = ids(page) + [i for i in seen[len(ids(page)) :] if i not in ids(page)]
    return seen


TERMS = [
    "",  # the whole table
    "ana",  # common
    "ANA",  # case
    "  ana ",  # trimmed
    "a.b",  # punctuation
    "n-c",
    "o+",
    "_co",  # "_" is literal, not LIKE's any-character
    "old-corp",  # only old users
    "new_co",  # only new users
    "fox.hana1",  # rare
    "12@",
    "1@",  # one user in nine, evenly
    "%",  # literal percent
    "\\",  # literal backslash
    "zzz",  # nothing
    "mail",
    "(",  # characters the trigram index does not see
    "a(x",
    ",cr",
    "€uro",
]


@pytest.mark.parametrize("term", TERMS)
def test_every_page_is_the_sorted_matches(people, term, plan):
    expected = reference(people, term)
    cap = plan["cap"]
    results = users(**plan).query(term)
    assert results.count() == (min(len(expected), cap), len(expected) > cap)
    assert ids(results.first()) == expected[:SIZE]
    assert walk_forward(results) == expected
    assert walk_back(results) == expected
    for offset in range(0, min(len(expected), cap), SIZE):
        assert ids(results.at(offset)) == expected[offset : offset + SIZE]


def test_filters_narrow_the_list_like_a_search(people, plan):
    User.objects.filter(username__startswith="ana").update(is_active=False)
    inactive = {p["id"] for p in people if p["username"].startswith("ana")}
    expected = [i for i in reference(people, "mail") if i in inactive]
    results = users(**plan).query("mail", filters={"is_active": False})
    assert walk_forward(results) == expected
    assert walk_back(results) == expected
    cap = plan["cap"]
    assert results.count() == (min(len(expected), cap), len(expected) > cap)


def test_any_order_of_any_directions(people, plan):
    # Ascending by email, newest first among equal emails (the emails repeat), the id last.
    expected = reference(people, "ana", key=lambda p: p["id"], reverse=True)
    expected = reference(people, "ana", key=lambda p: p["date_joined"], reverse=True)
    rows = {p["id"]: p for p in people}
    expected.sort(key=lambda i: rows[i]["email"])  # stable: keeps newest first among ties
    results = users(ordering=["email", "-date_joined"], **plan).query("ana")
    assert walk_forward(results) == expected
    assert walk_back(results) == expected


def test_an_inclusive_cursor_starts_at_its_own_row(people):
    expected = reference(people, "ana")
    results = users().query("ana")
    second = results.first().rows[1]
    page = results.after(users().cursor(second), inclusive=True)
    assert ids(page) == expected[1 : 1 + SIZE]


def test_a_cursor_keeps_the_full_precision_of_its_values(db):
    joined = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    for i in range(3):
        User.objects.create(username=f"tick{i}", date_joined=joined + timedelta(microseconds=i))
    results = users().query("tick")
    page = results.first()
    assert [row["username"] for row in page.rows] == ["tick2", "tick1", "tick0"]
    later = results.after(users().cursor(page.rows[0]))
    assert [row["username"] for row in later.rows] == ["tick1", "tick0"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "WyIyMDIxIiwxXQ:forged-signature",
        users(ordering=["username"]).cursor({"username": "ana", "id": 1}),  # another order
    ],
)
def test_a_cursor_the_listing_did_not_sign_is_invalid(db, cursor):
    with pytest.raises(InvalidCursor) as refused:
        users().query("").after(cursor)
    assert refused.value.status == 400


def test_a_signed_cursor_of_wrong_values_is_invalid(db):
    listing = users()
    bad = listing._signer.sign_object(["not a date", 1])
    with pytest.raises(InvalidCursor):
        listing.query("").after(bad)


@pytest.mark.parametrize("term", ["", "ana", "old-corp", "new_co", "fox.hana1", "zzz"])
def test_a_count_and_a_page_cost_at_most_three_queries(people, term, plan):
    # (Four when a previous page reaches the start: then it is the whole first page.)
    def queries(action) -> int:
        with CaptureQueriesContext(connection) as captured:
            action()
        return len(captured.captured_queries)

    listing = users(**plan)
    results = listing.query(term)
    assert queries(lambda: (results.count(), results.first())) <= 3
    cursor = listing.cursor(people[150])
    for page, most in (("after", 3), ("before", 4)):
        results = listing.query(term)
        assert queries(lambda r=results, p=page: (r.count(), getattr(r, p)(cursor))) <= most
    results = listing.query(term)
    assert queries(lambda: (results.count(), results.last())) <= 3


def test_the_whole_table_is_counted_up_to_its_cap(people):
    assert users(50).query("").count() == (50, True)
    assert users(1000).query("").count() == (len(people), False)


def test_a_term_does_not_match_across_fields(db):
    User.objects.create(username="joinme", email="xyz@example.com", password="!")
    assert users().query("mexyz").count() == (0, False)
    assert users().query("joinme").count() == (1, False)


def test_rows_carry_what_the_table_shows(people):
    row = users().query("fox.hana1").first().rows[0]
    assert set(row) == set(ROW_FIELDS)
    assert isinstance(row["date_joined"], datetime)
    assert row["date_joined"].tzinfo is not None
    assert isinstance(row["is_active"], bool)


def test_the_data_reaches_every_plan(people):
    """Guards the tests above: their terms, data and `PLANS` reach every way of reading."""
    seen = set()
    for cap, window, sort_bound in PLANS.values():
        for term in TERMS:
            results = users(cap, window=window, sort_bound=sort_bound).query(term)
            with CaptureQueriesContext(connection) as looked:
                results.count()
            probed = len(looked.captured_queries) == 2
            seen.add(("probed" if probed else "newest rows", results._few is not None))
    assert seen == {
        ("newest rows", False),  # common: counted among the newest rows, pages walked
        ("probed", True),  # few: all the matches known, pages sorted from them
        ("probed", False),  # more than the probe wanted: pages walked
    }, seen
