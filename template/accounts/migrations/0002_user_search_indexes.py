"""Indexes that keep the user table fast however many users it holds (PostgreSQL only).

* Trigram GIN indexes on exactly the expressions Django compiles `username__icontains` and
  `email__icontains` to on PostgreSQL: `UPPER("accounts_user"."username"::text) LIKE UPPER(%s)`.
  An index on the bare column would never be used by that query; this one serves a search for
  any term of 3+ characters, hit or miss, without reading the whole table.
* A btree index on (date_joined DESC, id DESC): the user table's order, so page 1 and keyset
  pages read 25 index entries instead of sorting the table.
* A larger statistics sample (1000) on the two indexed expressions. With the default (100)
  the planner overestimates how many rows a common 3-letter term like "tho" matches and
  scans the whole table instead of using the index, even for the capped count.

SQLite has neither pg_trgm nor a use for these indexes: there the migration does nothing.
The indexes are made with SQL, so the autodetector does not see them (`makemigrations --check`
stays clean) and the model state is unchanged.
"""

from django.db import migrations

# The trigram indexes whose expression gets the larger statistics sample.
STATISTICS_TARGET = 1000
TRIGRAM_INDEXES = ("accounts_user_username_upper_trgm", "accounts_user_email_upper_trgm")

INDEXES = {
    "accounts_user_username_upper_trgm": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_username_upper_trgm" ON "accounts_user" '
        'USING gin ((UPPER("username"::text)) gin_trgm_ops)'
    ),
    "accounts_user_email_upper_trgm": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_email_upper_trgm" ON "accounts_user" '
        'USING gin ((UPPER("email"::text)) gin_trgm_ops)'
    ),
    "accounts_user_joined_id_desc": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_joined_id_desc" ON "accounts_user" '
        '("date_joined" DESC, "id" DESC)'
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES.values():
        schema_editor.execute(sql)
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'ALTER INDEX "{name}" ALTER COLUMN 1 SET STATISTICS {STATISTICS_TARGET}'
        )
    # Fresh statistics so the planner knows the new expression indexes at once.
    schema_editor.execute('ANALYZE "accounts_user"')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    # The extension stays: other tables or apps may use it, and it costs nothing unused.


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
