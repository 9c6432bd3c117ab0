"""The user table's indexes (accounts/migrations/0002, 0003, 0004) fit the queries it really runs.

On PostgreSQL an index serves a query only if it is on exactly the expression the query
filters or sorts by, and the trigram index only if the search pattern reaches the planner
as a constant: these tests capture the SQL `UserPages` sends and ask the planner for its
plan, with the competing scans priced out, so only a usable index can win. On SQLite the
index migrations do nothing and the same queries still answer correctly.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.search import UNINDEXED_KEY_PATTERN, has_unindexed
from admin_panel.user_pages import NEWEST_FIRST, UserPages

pytestmark = pytest.mark.django_db

TRIGRAM_INDEX = "accounts_user_search_key_trgm"
REPLACED_INDEXES = {"accounts_user_username_upper_trgm", "accounts_user_email_upper_trgm"}
ORDER_INDEX = "accounts_user_joined_id_desc"
UNINDEXED_INDEX = "accounts_user_search_key_unindexed"


def sql_of(action: Callable[[], object]) -> str:
    """The last SQL statement `action` ran, parameters included."""
    with CaptureQueriesContext(connection) as queries:
        action()
    return queries.captured_queries[-1]["sql"]


def plan_without(sql: str, *scans: str) -> str:
    """The plan of `sql` with the given scan types priced out (e.g. "seqscan"); on SQLite,
    which has no such switches, its plain query plan."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        for scan in scans:
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def user_indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_user")
    return set(constraints)


def test_search_finds_users_case_insensitively_on_every_database() -> None:
    user_model = get_user_model()
    user_model.objects.create_user("Alice.Martin", "alice@example.com")
    user_model.objects.create_user("bob", "BOB.SMITH@example.org")

    def found(term: str) -> list[str]:
        return [row["username"] for row in UserPages(term).first()]

    assert found("ALICE") == ["Alice.Martin"]
    assert found("smith") == ["bob"]
    assert found("e.mar") == ["Alice.Martin"]
    assert found("qzx") == []


def test_indexes_exist_on_postgresql_only() -> None:
    indexes = user_indexes()
    if connection.vendor != "postgresql":
        # SQLite: the migrations make no index (and the search above still works).
        assert not ({TRIGRAM_INDEX, ORDER_INDEX, UNINDEXED_INDEX} | REPLACED_INDEXES) & indexes
        return
    assert {TRIGRAM_INDEX, ORDER_INDEX, UNINDEXED_INDEX} <= indexes
    assert not REPLACED_INDEXES & indexes  # 0003 dropped the indexes nothing uses any more
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


def test_the_trigram_index_serves_the_search() -> None:
    # Counting a rare search ends by asking for its matches in any order: with sequential
    # scans and the date index priced out, the trigram index can win only if the pattern
    # folded to a constant the index understands, on the very column the query reads.
    plan = plan_without(sql_of(UserPages("e.mar").count), "seqscan", "indexscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan  # the same SQL runs on SQLite, by a table scan
        return
    assert TRIGRAM_INDEX in plan, plan


@pytest.mark.parametrize("term", ["!!!", "a.b", "@ex", "%%%", "a b"])
def test_terms_of_punctuation_are_served_by_the_trigram_index_too(term: str) -> None:
    # Spelled as letters in the key, punctuation makes words pg_trgm can look up.
    plan = plan_without(sql_of(UserPages(term).count), "seqscan", "indexscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan
        return
    assert TRIGRAM_INDEX in plan, plan


@pytest.mark.parametrize("term", ["(((", "a(b", ",,,", "€€€", "x)y@"])
def test_terms_the_trigram_index_cannot_see_read_the_partial_index(term: str) -> None:
    # `(((` gives pg_trgm no trigram, `a(b` only those of single letters: without the
    # partial index such a search reads the whole table.
    get_user_model().objects.create_user("odd(name)", "odd@example.com")
    plan = plan_without(sql_of(UserPages(term).count), "seqscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan
        return
    assert UNINDEXED_INDEX in plan, plan
    assert TRIGRAM_INDEX not in plan, plan


def test_the_partial_index_has_the_condition_the_search_adds() -> None:
    # The planner uses a partial index only for a query holding its very condition.
    migration = importlib.import_module("accounts.migrations.0004_user_search_key_unindexed")
    assert migration.PATTERN == UNINDEXED_KEY_PATTERN
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_expr(indpred, indrelid) FROM pg_index "
                "WHERE indexrelid = %s::regclass",
                [UNINDEXED_INDEX],
            )
            [(condition,)] = cursor.fetchall()
        assert UNINDEXED_KEY_PATTERN in condition, condition


@pytest.mark.parametrize(
    ("term", "unindexed"),
    [
        ("ana.lee@x", False),  # letters, digits, spelled punctuation
        ("josé", False),  # letters of any script are indexed
        ("\u0131an", False),  # a dotless i: upper-cases to ASCII "I"
        ("٣٤", False),  # digits of any script
        ("a(b", True),
        ("x,y", True),
        ("<>", True),
        ("€", True),
        ("😀", True),
        ("tab\there", True),
    ],
)
def test_which_terms_hold_unindexed_characters(term: str, unindexed: bool) -> None:
    assert has_unindexed(term) is unindexed


def test_a_walk_reads_the_date_index_and_sorts_only_when_it_comes_up_short() -> None:
    pages = UserPages("e.mar")
    plan = plan_without(sql_of(lambda: pages._walk(NEWEST_FIRST, None, False, 26)), "seqscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan
        return
    assert ORDER_INDEX in plan and TRIGRAM_INDEX in plan, plan
    # The sort sits behind a filter evaluated once, on the walk's count: it runs only when
    # the walk found too few.
    assert "One-Time Filter" in plan, plan


def test_no_character_but_a_letter_or_digit_upper_cases_to_an_ascii_one() -> None:
    # What `has_unindexed` relies on: upper-casing never turns a character it picks into
    # one outside UNINDEXED_KEY_PATTERN (checked over every code point).
    turned = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if not chr(code).isalnum()
        and any(upper.isascii() and upper.isalnum() for upper in chr(code).upper())
    ]
    assert turned == []


def test_a_few_matches_are_sorted_and_pages_walk_the_date_index() -> None:
    few = UserPages("e.mar", few=True)
    plan = plan_without(sql_of(few.first), "seqscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan  # the same SQL runs on SQLite
        return
    assert TRIGRAM_INDEX in plan and "Sort" in plan, plan
    assert ORDER_INDEX not in plan, plan

    window = UserPages("e.mar")
    plan = plan_without(sql_of(lambda: window._window(NEWEST_FIRST, None, False, 26)), "seqscan")
    assert ORDER_INDEX in plan, plan

    listing = UserPages("")
    plan = plan_without(sql_of(listing.first), "seqscan")
    assert ORDER_INDEX in plan, plan
    assert "Sort" not in plan, plan
