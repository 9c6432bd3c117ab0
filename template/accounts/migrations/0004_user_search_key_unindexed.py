"""A partial index of the users whose search key holds a character pg_trgm may not see.

Terms made of such characters (`(((`, `a(b`, `€€€`) give the
trigram index nothing to look up, so their search read the whole table. Only keys holding
one of them can match such a term, and this index lists those users, usually none or a
few: `UserPages` adds its condition to such a search.

On PostgreSQL only. Building it reads the user table once, during which writes to the table
wait.
"""

from django.db import migrations

INDEX = "accounts_user_search_key_unindexed"
# The condition the search of this release added; the query's condition had to be
# this very text for the planner to use the index.
PATTERN = r"[^0-9A-Za-z\n]"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "accounts_user" ("date_joined", "id") '
        f"WHERE \"search_key\" ~ '{PATTERN}'"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_search_key"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
