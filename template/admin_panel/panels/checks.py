"""System check: on PostgreSQL, every field a panel searches or sorts by has its index.

A search (`icontains`) is served by a trigram GIN index on `UPPER("column"::text)` (the
expression Django compiles it to); a sort by a btree index that starts with the column.
Without them a list of a million rows reads the whole table. The check reads the indexes
the database has (panels' indexes are made with SQL in migrations, so the model state does
not know them); it runs with the database checks (`migrate`, `check --database default`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core import checks
from django.db import DatabaseError, connections, router

from ..database import connection_params, missing_database_error
from .options import ModelPanel
from .sites import site

FIRST_BTREE_COLUMN = re.compile(r'USING btree \("?([^"\s,)]+)"?')


def table_indexes(alias: str, table: str) -> list[str]:
    """The definitions (`pg_indexes.indexdef`) of a PostgreSQL table's indexes."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes "
            "WHERE schemaname = ANY(current_schemas(false)) AND tablename = %s",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def has_trigram_index(indexes: Iterable[str], column: str) -> bool:
    expression = f"upper(({column})::text)"
    return any("gin_trgm_ops" in d and expression in d.lower().replace('"', "") for d in indexes)


def has_sort_index(indexes: Iterable[str], column: str) -> bool:
    return any(
        (match := FIRST_BTREE_COLUMN.search(d)) is not None and match.group(1) == column
        for d in indexes
    )


def panel_warnings(panel: ModelPanel, indexes: list[str]) -> list[checks.CheckMessage]:
    table = panel.opts.db_table
    found: list[checks.CheckMessage] = []
    for name in panel.get_search_fields():
        if "__" in name:
            continue  # a related model's field: its own table's index serves it
        column = panel.opts.get_field(name).column
        if not has_trigram_index(indexes, column):
            found.append(
                checks.Warning(
                    f"{panel.label} is searched by {name!r}, which has no trigram index.",
                    hint=(
                        "Create it in a migration (migrations.RunSQL, PostgreSQL only): "
                        f'CREATE INDEX ON "{table}" USING gin ((UPPER("{column}"::text)) '
                        "gin_trgm_ops), after CREATE EXTENSION IF NOT EXISTS pg_trgm."
                    ),
                    obj=type(panel),
                    id="admin_panel.W101",
                )
            )
    ordering = [name.lstrip("-") for name in panel.get_ordering()[:1]]
    for name in dict.fromkeys([*ordering, *panel.get_sortable_by()]):
        field = panel.field(name) if name != "pk" else panel.opts.pk
        if field is None or field.primary_key:
            continue
        if not has_sort_index(indexes, field.column):
            found.append(
                checks.Warning(
                    f"{panel.label} is sorted by {name!r}, which has no index starting with it.",
                    hint=(
                        "Add models.Index(fields=[...]) starting with it to the model's "
                        "Meta.indexes, or leave it out of the panel's sortable_by."
                    ),
                    obj=type(panel),
                    id="admin_panel.W102",
                )
            )
    return found


def check_panel_indexes(
    app_configs: Any = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Warnings for searched or sorted fields without an index (PostgreSQL databases)."""
    found: list[checks.CheckMessage] = []
    for alias in databases or ():
        if connections[alias].vendor != "postgresql":
            continue
        params = connection_params(alias)
        if params is not None and missing_database_error(params, alias) is not None:
            continue  # no database yet, or it does not answer: `check_database_exists` says so
        for panel in site.panels:
            if not router.allow_migrate_model(alias, panel.model):
                continue
            try:
                indexes = table_indexes(alias, panel.opts.db_table)
            except DatabaseError:
                break  # it stopped answering meanwhile: `check_database_exists` says so
            found.extend(panel_warnings(panel, indexes))
    return found
