"""The search key column and its trigram index (0006 removes them again).

* `search_key`: username and email in one upper-cased, punctuation-spelled column that the
  database computes on every write (a stored generated column, on both databases).
* On PostgreSQL, a trigram GIN index on it, and a larger statistics sample (1000) so the
  planner knows how common a term is. It replaces the two indexes of 0002 on
  `UPPER(username)` and `UPPER(email)`, which no query uses any more.

Adding a stored generated column rewrites the user table: on PostgreSQL the table is locked
while that runs, for a time that grows with the number of users. SQLite rebuilds the table.
"""

from django.db import NotSupportedError, migrations, models
from django.db.models.functions import Concat

TRIGRAM_INDEX = "accounts_user_search_key_trgm"
STATISTICS_TARGET = 1000
# The indexes of 0002 this one replaces, to drop now and to make again if this is reverted.
OLD_INDEXES = {
    "accounts_user_username_upper_trgm": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_username_upper_trgm" ON "accounts_user" '
        'USING gin ((UPPER("username"::text)) gin_trgm_ops)'
    ),
    "accounts_user_email_upper_trgm": (
        'CREATE INDEX IF NOT EXISTS "accounts_user_email_upper_trgm" ON "accounts_user" '
        'USING gin ((UPPER("email"::text)) gin_trgm_ops)'
    ),
}


def _sql_text(vendor, text):
    """`text` as an SQL string expression (no `%` sign in the SQL itself)."""
    char = {"postgresql": "CHR", "sqlite": "CHAR"}[vendor]
    pieces = []
    for i, run in enumerate(text.split("%")):
        if i:
            pieces.append(f"{char}(37)")
        if run:
            pieces.append("'" + run.replace("'", "''") + "'")
    return " || ".join(pieces) or "''"


class SearchKey(models.Func):
    """The column's expression: upper-cased, punctuation spelled as lowercase letters."""

    output_field = models.TextField()

    def __init__(self, expression, *, spelled, letters, **extra):
        self.spelled, self.letters = spelled, letters
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        vendor, sql = connection.vendor, "UPPER(%(expressions)s)"
        if vendor == "postgresql":
            spelled, letters = _sql_text(vendor, self.spelled), _sql_text(vendor, self.letters)
            sql = f"TRANSLATE({sql}, {spelled}, {letters})"
        elif vendor == "sqlite":
            for char, letter in zip(self.spelled, self.letters, strict=True):
                sql = f"REPLACE({sql}, {_sql_text(vendor, char)}, {_sql_text(vendor, letter)})"
        else:
            raise NotSupportedError(f"No search key for {vendor}.")
        return super().as_sql(compiler, connection, template=sql, **extra_context)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in OLD_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{TRIGRAM_INDEX}" ON "accounts_user" '
        'USING gin ("search_key" gin_trgm_ops)'
    )
    schema_editor.execute(
        f'ALTER TABLE "accounts_user" ALTER COLUMN "search_key" SET STATISTICS {STATISTICS_TARGET}'
    )
    schema_editor.execute('ANALYZE "accounts_user"')


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{TRIGRAM_INDEX}"')
    for sql in OLD_INDEXES.values():
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_key",
            field=models.GeneratedField(
                db_persist=True,
                expression=SearchKey(
                    Concat("username", models.Value("\n"), "email", output_field=models.TextField()),
                    spelled=".@_-+'!#$&*/=?^`{|}~ \"\\%",
                    letters="qzxjkvwybcdfghmnoprsltea",
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
