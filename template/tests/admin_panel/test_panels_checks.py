"""The system check that a panel's searched and sorted fields have their indexes on
PostgreSQL (the demo's panels pass it; an unindexed field warns)."""

import pytest
from django.db import connection

from admin_panel.models import Subscription, UserActivity
from admin_panel.panels import ModelPanel
from admin_panel.panels.checks import (
    check_panel_indexes,
    has_sort_index,
    has_trigram_index,
    panel_warnings,
    table_indexes,
)

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="indexes are checked on PostgreSQL only"
)


def test_the_demo_panels_have_every_index_they_need():
    assert check_panel_indexes(databases=["default"]) == []


def test_index_definitions_are_read_as_postgresql_writes_them():
    trigram = (
        "CREATE INDEX t ON public.admin_panel_subscription "
        "USING gin (upper((plan)::text) gin_trgm_ops)"
    )
    assert has_trigram_index([trigram], "plan")
    assert not has_trigram_index([trigram], "status")
    btree = "CREATE INDEX s ON public.admin_panel_subscription USING btree (created DESC, id)"
    assert has_sort_index([btree], "created")
    assert not has_sort_index([btree], "id")


def test_unindexed_search_and_sort_fields_warn():
    class Unindexed(ModelPanel):
        list_display = ["day", "last_seen"]
        search_fields = ["day"]
        ordering = ["-last_seen"]

    indexes = ["CREATE INDEX a ON public.admin_panel_useractivity USING btree (last_seen, user_id)"]
    ids = [w.id for w in panel_warnings(Unindexed(UserActivity), indexes)]
    assert ids == ["admin_panel.W101", "admin_panel.W102"]  # search on day, sort by day


@on_postgresql
def test_the_check_reads_the_databases_indexes():
    indexes = table_indexes("default", Subscription._meta.db_table)
    assert has_trigram_index(indexes, "plan")

    class ByDay(ModelPanel):
        list_display = ["day"]

    warnings = panel_warnings(
        ByDay(UserActivity), table_indexes("default", "admin_panel_useractivity")
    )
    assert [w.id for w in warnings] == ["admin_panel.W102"]
