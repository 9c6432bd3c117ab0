"""The user table's indexes, created once (0002 to 0006 squashed: a new project runs this,
a project that has run some of them runs the rest of them instead).

On PostgreSQL:

* Trigram GIN indexes on exactly the expressions Django compiles `username__icontains` and
  `email__icontains` to: `UPPER("accounts_user"."username"::text) LIKE UPPER(%s)`. An index
  on the bare column would never serve that query; these serve a search for any term with a
  trigram (three letters or digits in a row), hit or miss, without reading the whole table.
* A btree index on (date_joined DESC, id DESC): the user table's order, so its pages read a
  page of index entries instead of sorting the table.
* A larger statistics sample (1000) on the two trigram expressions, so that the planner
  knows how common a term is.
* A partial index of the users whose username holds a character outside printable ASCII
  (usually none or a few): with the username trigram index, the look-alike check of a new
  username reads just its candidates (accounts/lookalikes.py, `NOT_ASCII`).

SQLite has no trigram indexes, and a table a SQLite project holds is read fast enough
without them: there this does nothing. The indexes are made with SQL, so the model state
has none: Django's `GinIndex` in `Meta.indexes` would be created on every database (SQLite
refuses `USING gin`), and the `django.contrib.postgres` operations need psycopg installed.
"""

from django.db import migrations

import accounts.models

STATISTICS_TARGET = 1000
TRIGRAM_INDEXES = {
    "accounts_user_username_upper_trgm": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_username_upper_trgm" ON "accounts_user" '
        'USING gin ((UPPER("username"::text)) gin_trgm_ops)'
    ),
    "accounts_user_email_upper_trgm": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_email_upper_trgm" ON "accounts_user" '
        'USING gin ((UPPER("email"::text)) gin_trgm_ops)'
    ),
}
# The condition must be the very text of the look-alike query's for the planner to use it.
NOT_ASCII_INDEX = (
    'CREATE INDEX IF NOT EXISTS "accounts_user_username_not_ascii" ON "accounts_user" ("id") '
    "WHERE \"username\"::text ~ '[^ -~]'"
)
ORDER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "accounts_user_joined_id_desc" ON "accounts_user" '
    '("date_joined" DESC, "id" DESC)'
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, sql in TRIGRAM_INDEXES.items():
        schema_editor.execute(sql)
        schema_editor.execute(
            f'ALTER INDEX "{name}" ALTER COLUMN 1 SET STATISTICS {STATISTICS_TARGET}'
        )
    schema_editor.execute(NOT_ASCII_INDEX)
    schema_editor.execute(ORDER_INDEX)
    # Fresh statistics so the planner knows the new expression indexes at once.
    schema_editor.execute('ANALYZE "accounts_user"')


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*TRIGRAM_INDEXES, "accounts_user_username_not_ascii"]:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def drop_indexes(apps, schema_editor):
    drop_search_indexes(apps, schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "accounts_user_joined_id_desc"')
    # The extension stays: other tables or apps may use it, and it costs nothing unused.


class Migration(migrations.Migration):
    replaces = [
        ("accounts", "0002_user_search_indexes"),
        ("accounts", "0003_user_search_key"),
        ("accounts", "0004_user_search_key_unindexed"),
        ("accounts", "0005_alter_user_managers"),
        ("accounts", "0006_remove_user_search_key"),
    ]

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", accounts.models.UserManager()),
            ],
        ),
    ]
