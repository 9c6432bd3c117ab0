"""UserPages (admin_panel/user_pages.py): every way it reads a page gives exactly the rows a
plain sort of the matching users would, on the database the project runs.

The strategy switches between reading in date order, the trigram index and a sort by what it
finds; the windows and caps are shrunk here so a few hundred users exercise every branch,
and the data is skewed (terms only old users have, terms only new users have, date ties)
the way real sign-ups are.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.search import LETTERS, SPELLED
from admin_panel import user_pages
from admin_panel.user_pages import UserPages, cursor_of

User = get_user_model()
pytestmark = pytest.mark.django_db

SIZE = 5
NAMES = ("ana", "ben", "cruz", "dana", "eli", "fox", "gil", "hana", "ivo", "jo")
DOMAINS = ("example.com", "mail.test", "old-corp.test", "new_co.test")
EPOCH = datetime(2021, 1, 1, tzinfo=UTC)


@pytest.fixture
def small_windows(monkeypatch):
    # A window of 30 rows and a search cap of 20 matches (4 pages of 5).
    monkeypatch.setattr(user_pages, "WINDOW_PAGES", 6)
    monkeypatch.setattr(user_pages, "SPREAD_OUT", 3)
    monkeypatch.setattr(user_pages, "WALK_PAGES", 20)  # and walks of 100 rows


@pytest.fixture
def people():
    """302 users: 1 in 3 shares its date with a neighbour; `old-corp` users all joined in the
    first tenth, `new_co` users in the last tenth; names with punctuation of every kind."""
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
    # Characters pg_trgm does not index (accounts/migrations/0004), in either column.
    for i, (username, email) in enumerate(
        [("ana(x)", "ax@example.com"), ("ben", "ben,cruz@mail.test"), ("fox", "€uro.fox@x.test")]
    ):
        rows.append(User(username=username, email=email, date_joined=EPOCH + timedelta(days=i)))
    User.objects.bulk_create(rows)
    return list(User.objects.values("id", "username", "email", "date_joined"))


def reference(people, term: str) -> list[int]:
    """The ids matching `term`, newest first: what every page must agree with."""
    term = term.strip().upper()
    found = [p for p in people if term in p["username"].upper() or term in p["email"].upper()]
    found.sort(key=lambda p: (p["date_joined"], p["id"]), reverse=True)
    return [p["id"] for p in found]


def ids(rows) -> list[int]:
    return [row["id"] for row in rows]


def walk_forward(pages: UserPages) -> list[int]:
    """Every page from the first, by next-page cursors."""
    rows = pages.first()
    seen = ids(rows[:SIZE])
    while len(rows) > SIZE:
        rows = pages.after(cursor_of(rows[SIZE - 1]))
        seen += ids(rows[:SIZE])
    return seen


def walk_back(pages: UserPages) -> list[int]:
    """Every page from the last, by previous-page cursors, put back newest first."""
    rows = pages.last()
    seen = ids(rows[:SIZE])
    while len(rows) > SIZE:
        rows = pages.before(cursor_of(rows[SIZE - 1]))
        seen += ids(rows[:SIZE])
    return list(reversed(seen))


TERMS = [
    "",  # the whole table
    "ana",  # common
    "ANA",  # case
    "a.b",  # punctuation, exact: not "aqb" (the letter standing in for ".")
    "n-c",
    "o+",
    "_co",  # "_" is literal, not LIKE's any-character
    "old-corp",  # only old users
    "new_co",  # only new users
    "fox.hana1",  # rare
    "12@",
    "1@",  # one user in nine, evenly: a few in each window
    "%",  # literal percent
    "\\",  # literal backslash
    "zzz",  # nothing
    "ana.ben",
    "mail",
    "o.c",
    "(",  # characters the trigram index does not see (accounts/migrations/0004)
    "a(x",
    ",cr",
    "€uro",
    ")",
]


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("few", [False, True], ids=["no-hint", "few-hint"])
def test_every_page_is_the_sorted_matches(people, small_windows, term, few):
    expected = reference(people, term)
    pages = UserPages(term, SIZE, few=few)
    total, capped = pages.count()
    assert (total, capped) == (min(len(expected), pages.cap), len(expected) > pages.cap)
    assert ids(pages.first()) == expected[: SIZE + 1]
    # A hint that is wrong costs time, never rows: the pages do not depend on it.
    hinted = UserPages(term, SIZE, few=few)
    assert walk_forward(hinted) == expected
    assert walk_back(hinted) == expected
    assert ids(hinted.last()) == list(reversed(expected))[: SIZE + 1]
    for offset in range(0, min(len(expected), pages.cap), SIZE):
        assert ids(hinted.at(offset)) == expected[offset : offset + SIZE + 1]


def test_an_inclusive_cursor_starts_at_its_own_row(people, small_windows):
    expected = reference(people, "ana")
    pages = UserPages("ana", SIZE)
    third = next(p for p in people if p["id"] == expected[2])
    assert (
        ids(pages.after([third["date_joined"], third["id"]], inclusive=True))
        == expected[2 : 3 + SIZE]
    )


def test_a_term_cannot_match_across_username_and_email(people):
    User.objects.create(username="joinme", email="xyz@example.com", password="!")
    assert UserPages("mexyz").count() == (0, False)
    assert UserPages("me\nxyz").count() == (0, False)  # the separator is taken out of terms
    assert UserPages("joinme").count() == (1, False)


def test_the_stand_in_letters_do_not_match_punctuation(people):
    User.objects.create(username="AQB", email="aqb@example.com", password="!")
    User.objects.create(username="a.b", email="ab@example.com", password="!")
    found = {row["username"] for row in UserPages("a.b").first()}
    assert "a.b" in found
    assert "AQB" not in found
    assert {row["username"] for row in UserPages("aqb").first()} == {"AQB"}


@pytest.mark.parametrize(("char", "letter"), list(zip(SPELLED, LETTERS, strict=True)))
def test_each_spelled_character_matches_itself_and_not_its_letter(db, char, letter):
    User.objects.create(username="punct", email=f"p{char}q@example.com", password="!")
    User.objects.create(username="lettr", email=f"p{letter}q@example.com", password="!")

    def found(term: str) -> list[str]:
        return [row["username"] for row in UserPages(term).first()]

    assert found(f"p{char}q") == ["punct"]
    assert found(f"P{letter.upper()}Q") == ["lettr"]
    assert found(f"p{char}q@e") == ["punct"]


def test_terms_with_unindexed_characters_find_only_the_users_holding_them(db):
    User.objects.create(username="ann(a)", email="ann@example.com", password="!")
    User.objects.create(username="anna", email="ann(a)@example.com", password="!")
    User.objects.create(username="ann_a", email="anna@example.com", password="!")
    assert {row["username"] for row in UserPages("ann(").first()} == {"ann(a)", "anna"}
    assert {row["username"] for row in UserPages("n(a)").first()} == {"ann(a)", "anna"}
    assert UserPages("(((").count() == (0, False)


def test_non_ascii_terms_match_their_own_spelling(db):
    User.objects.create(username="josé", email="jose@example.com", password="!")
    assert UserPages("josé").count() == (1, False)
    if connection.vendor == "postgresql":
        assert UserPages("JOSÉ").count() == (1, False)  # PostgreSQL upper-cases Unicode
        # A dotless i upper-cases to "I": not an unindexed character, the plain search finds "ian".
        User.objects.create(username="ian", email="ian@example.com", password="!")
        assert UserPages("\u0131an@").count() == (1, False)


def test_the_search_key_follows_renames(db):
    user = User.objects.create(username="before", email="b@example.com", password="!")
    user.username = "after"
    user.save()
    assert UserPages("before").count() == (0, False)
    assert UserPages("after").count() == (1, False)


@pytest.mark.parametrize("term", ["", "ana", "old-corp", "new_co", "fox.hana1", "zzz"])
def test_a_page_costs_at_most_three_queries(people, small_windows, term):
    def queries(action) -> int:
        with CaptureQueriesContext(connection) as captured:
            action()
        return len(captured.captured_queries)

    pages = UserPages(term, SIZE)
    assert queries(lambda: (pages.count(), pages.first())) <= 3
    cursor = cursor_of(pages.first()[0]) if pages.first() else [EPOCH, 0]
    for few in (False, True):
        hinted = UserPages(term, SIZE, few=few)
        assert queries(lambda h=hinted: h.after(cursor)) <= 2
        assert queries(lambda h=hinted: h.before(cursor)) <= 2
        assert queries(hinted.last) <= 2


def test_the_whole_table_is_counted_up_to_its_cap(people, monkeypatch):
    monkeypatch.setattr(user_pages, "COUNT_CAP", 50)
    assert UserPages("", SIZE).count() == (50, True)
    assert UserPages("", SIZE).cap == 50


def test_a_search_is_counted_up_to_four_pages(people):
    pages = UserPages("a", SIZE)
    assert pages.cap == 4 * SIZE == 20
    assert pages.count() == (20, True)


def test_rows_carry_what_the_table_shows(people):
    row = UserPages("fox.hana1", SIZE).first()[0]
    assert set(row) == set(user_pages.ROW_FIELDS)
    assert isinstance(row["date_joined"], datetime)
    assert row["date_joined"].tzinfo is not None
    assert isinstance(row["is_active"], bool)


def test_the_data_exercises_every_way_of_reading(people, small_windows, monkeypatch):
    """Guards the tests above: their terms and data reach every branch of the strategy."""
    seen = set()
    select, window, any_matches = UserPages._select, UserPages._window, UserPages._any_matches_sql
    walked_or_sorted = UserPages._walked_or_sorted

    def spy_select(self, *args, match=False, index=True, **kwargs):
        seen.add(("select", match, index))
        return select(self, *args, match=match, index=index, **kwargs)

    def spy_window(self, *args, **kwargs):
        rows = window(self, *args, **kwargs)
        seen.add(("window", "filled" if len(rows) >= args[-1] else "short"))
        return rows

    def spy_walked_or_sorted(self, fetched, want):
        walked = sum(1 for values in fetched if values[0] == 0)
        seen.add(("walk", "filled" if walked >= want else "short"))
        return walked_or_sorted(self, fetched, want)

    def spy_any(self, *args, **kwargs):
        seen.add(("any matches",))
        return any_matches(self, *args, **kwargs)

    monkeypatch.setattr(UserPages, "_select", spy_select)
    monkeypatch.setattr(UserPages, "_window", spy_window)
    monkeypatch.setattr(UserPages, "_any_matches_sql", spy_any)
    monkeypatch.setattr(UserPages, "_walked_or_sorted", spy_walked_or_sorted)
    for term in TERMS:
        pages = UserPages(term, SIZE)
        pages.count()
        walk_forward(pages)
        walk_back(UserPages(term, SIZE))
    assert seen >= {
        ("select", False, True),  # the whole table, by the date index
        ("window", "filled"),  # a common term: its page among the newest rows
        ("window", "short"),
        ("any matches",),  # counting a rarer term from the trigram index
        ("walk", "filled"),  # past the window in date order (matches spread out)
        ("walk", "short"),  # ... too far apart (a cluster): sorted in the same query
        ("select", True, False),  # past the window sorted from the trigram index
    }, seen
