"""The user table's search and ordering indexes (accounts/migrations/0002) fit the real queries.

On PostgreSQL the trigram indexes must be on exactly the expression Django compiles
`icontains` to, or the planner never uses them: these tests ask the planner, through
`QuerySet.explain()`, with sequential scans priced out so only a usable index can win.
On SQLite the migration does nothing and the same queries still answer correctly.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q

pytestmark = pytest.mark.django_db

TRIGRAM_INDEXES = {"accounts_user_username_upper_trgm", "accounts_user_email_upper_trgm"}
ORDER_INDEX = "accounts_user_joined_id_desc"


def search(term: str):
    return get_user_model().objects.filter(Q(username__icontains=term) | Q(email__icontains=term))


def plan_without(queryset, *scans: str) -> str:
    """The plan of `queryset` with the given scan types priced out (e.g. "seqscan")."""
    with transaction.atomic(), connection.cursor() as cursor:
        for scan in scans:
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        return queryset.explain()


def user_indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_user")
    return set(constraints)


def test_search_finds_users_case_insensitively_on_every_database() -> None:
    user_model = get_user_model()
    user_model.objects.create_user("Alice.Martin", "alice@example.com")
    user_model.objects.create_user("bob", "BOB.SMITH@example.org")

    assert list(search("ALICE").values_list("username", flat=True)) == ["Alice.Martin"]
    assert list(search("smith").values_list("username", flat=True)) == ["bob"]
    assert not search("qzx").exists()


def test_indexes_exist_on_postgresql_only() -> None:
    if connection.vendor != "postgresql":
        # SQLite: the migration is a no-op (and the search above still works).
        assert not (TRIGRAM_INDEXES | {ORDER_INDEX}) & user_indexes()
        return
    assert TRIGRAM_INDEXES | {ORDER_INDEX} <= user_indexes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


def test_the_planner_can_use_them_for_the_user_table_queries() -> None:
    newest = get_user_model().objects.order_by("-date_joined", "-id")[:26]
    found = search("abc").values("id")
    if connection.vendor != "postgresql":
        assert "accounts_user" in found.explain()  # the same queries run on SQLite
        return
    # Left with bitmap scans only, the search can be served by the trigram indexes only if
    # they are on the very expressions `icontains` compiles to; both OR arms must be.
    plan = plan_without(found, "seqscan", "indexscan")
    for name in TRIGRAM_INDEXES:
        assert name in plan, plan
    plan = plan_without(newest, "seqscan")
    assert ORDER_INDEX in plan, plan
    assert "Sort" not in plan, plan
