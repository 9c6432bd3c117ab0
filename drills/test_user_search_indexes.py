"""The user table's indexes (accounts/migrations/0002_squashed_0006) fit the queries the
listing of admin_panel/listing.py really runs.

On PostgreSQL an index serves a query only if it is on exactly the expression the query
filters or sorts by, and the trigram index only if the search pattern reaches the planner
as a constant: these tests capture the SQL the listing sends and ask the planner for its
plan, with the competing scans priced out, so only a usable index can win. On SQLite the
index migrations do nothing and the same queries still answer correctly.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from admin_panel.components.user_list import user_listing

pytestmark = pytest.mark.django_db

TRIGRAM_INDEXES = {"accounts_user_username_upper_trgm", "accounts_user_email_upper_trgm"}
ORDER_INDEX = "accounts_user_joined_id_desc"
NOT_ASCII_INDEX = "accounts_user_username_not_ascii"
REMOVED_INDEXES = {"accounts_user_search_key_trgm", "accounts_user_search_key_unindexed"}


def sql_of(action: Callable[[], object], index: int = -1) -> str:
    """The SQL statement `action` ran (the last by default), parameters included."""
    with CaptureQueriesContext(connection) as queries:
        action()
    return queries.captured_queries[index]["sql"]


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
        return [row["username"] for row in user_listing(25).query(term).first().rows]

    assert found("ALICE") == ["Alice.Martin"]
    assert found("smith") == ["bob"]
    assert found("e.mar") == ["Alice.Martin"]
    assert found("qzx") == []


def test_indexes_exist_on_postgresql_only() -> None:
    indexes = user_indexes()
    assert not REMOVED_INDEXES & indexes  # they went with the search column
    if connection.vendor != "postgresql":
        # SQLite: the migrations make no index (and the search above still works).
        assert not (TRIGRAM_INDEXES | {ORDER_INDEX, NOT_ASCII_INDEX}) & indexes
        return
    assert TRIGRAM_INDEXES | {ORDER_INDEX, NOT_ASCII_INDEX} <= indexes
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


@pytest.mark.parametrize("term", ["e.mar", "smith", "@ex", "%%%ab", "a_b12"])
def test_the_trigram_indexes_serve_the_look_at_a_search(term: str) -> None:
    # The look at how many users match asks for them in any order: with sequential scans
    # and the other indexes priced out, the trigram indexes can win only if the pattern
    # folded to a constant they understand, on the very expressions the query reads.
    plan = plan_without(sql_of(user_listing(25).query(term).count), "seqscan", "indexscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan  # the same SQL runs on SQLite, by a table scan
        return
    assert all(index in plan for index in TRIGRAM_INDEXES), plan


def test_few_matches_are_sorted_from_their_ids() -> None:
    get_user_model().objects.create_user("e.martin", "em@example.com")
    plan = plan_without(sql_of(user_listing(25).query("e.mar").first), "seqscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan
        return
    assert "accounts_user_pkey" in plan and "Sort" in plan, plan
    assert ORDER_INDEX not in plan, plan


def test_pages_of_the_whole_table_and_of_many_matches_walk_the_order_index(monkeypatch) -> None:
    from admin_panel.components import user_list

    get_user_model().objects.create_user("e.martin", "em@example.com")
    listing = user_listing(25)
    plan = plan_without(sql_of(listing.query("").first), "seqscan")
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan
        return
    assert ORDER_INDEX in plan, plan
    assert "Sort" not in plan, plan

    monkeypatch.setattr(user_list, "COUNT_CAP", 0)  # every search counts as many matches
    results = user_list.user_listing(25).query("e.mar")
    plan = plan_without(sql_of(results.first), "seqscan", "bitmapscan")
    assert ORDER_INDEX in plan, plan
    assert "Sort" not in plan, plan
    page = user_list.user_listing(25).query("").first()
    plan = plan_without(
        sql_of(lambda: results.after(listing.cursor(page.rows[0]))), "seqscan", "bitmapscan"
    )
    assert ORDER_INDEX in plan, plan


def test_lookalike_checks_read_the_username_indexes() -> None:
    # The ASCII usernames of the same spelling from the trigram index, the others from the
    # partial index (whose condition must be the query's very text).
    from accounts.lookalikes import find_lookalike

    users = get_user_model().objects.all()
    plan = plan_without(
        sql_of(lambda: find_lookalike(users, "admin1")), "seqscan", "indexscan", "indexonlyscan"
    )
    if connection.vendor != "postgresql":
        assert "accounts_user" in plan
        return
    assert "accounts_user_username_upper_trgm" in plan and NOT_ASCII_INDEX in plan, plan
