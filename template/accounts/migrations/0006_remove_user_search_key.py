"""The user model loses its search column: the user table searches `username` and `email`
themselves, through trigram indexes on `UPPER(username)` and `UPPER(email)` (PostgreSQL).

Dropping the column (and its indexes with it) is quick on PostgreSQL; SQLite rebuilds the
table. Building the two trigram indexes reads the user table once, during which writes to
it wait.
"""

import importlib

from django.db import migrations

squashed = importlib.import_module("accounts.migrations.0002_squashed_0006_remove_user_search_key")


def restore_search_key_indexes(apps, schema_editor):
    """Reverting: the indexes of 0003 and 0004 on the column the reversal adds again."""
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
        migrations.RunPython(migrations.RunPython.noop, restore_search_key_indexes),
        migrations.RemoveField(model_name="user", name="search_key"),
        migrations.RunPython(squashed.create_indexes, squashed.drop_trigram_indexes),
    ]
