"""The user model loses its search column: the user table searches `username` and `email`
themselves, through trigram indexes on `UPPER(username)` and `UPPER(email)`, and the
look-alike check reads the username index and a partial index of non-ASCII usernames
(PostgreSQL only; 0002_squashed_0006 has the details).

The column exists in a project that ran 0003 with the previous release: dropping it (its
indexes go with it) is quick on PostgreSQL; SQLite rebuilds the table. Building the new
indexes reads the user table once, during which writes to it wait.
"""

import importlib

from django.db import migrations

squashed = importlib.import_module("accounts.migrations.0002_squashed_0006_remove_user_search_key")


def _has_search_key(schema_editor, table):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, table)
    return "search_key" in {column.name for column in columns}


def drop_search_key(apps, schema_editor):
    user = apps.get_model("accounts", "User")
    if _has_search_key(schema_editor, user._meta.db_table):
        schema_editor.remove_field(user, user._meta.get_field("search_key"))


def add_search_key(apps, schema_editor):
    """Reverting: the column and the indexes the previous release read."""
    user = apps.get_model("accounts", "User")
    if _has_search_key(schema_editor, user._meta.db_table):
        return
    schema_editor.add_field(user, user._meta.get_field("search_key"))
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "accounts_user_search_key_trgm" ON "accounts_user" '
        'USING gin ("search_key" gin_trgm_ops)'
    )
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "accounts_user_search_key_unindexed" ON "accounts_user" '
        "(\"date_joined\", \"id\") WHERE \"search_key\" ~ '[^0-9A-Za-z\\n]'"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_alter_user_managers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_search_key, add_search_key)],
            state_operations=[migrations.RemoveField(model_name="user", name="search_key")],
        ),
        migrations.RunPython(squashed.create_indexes, squashed.drop_search_indexes),
    ]
