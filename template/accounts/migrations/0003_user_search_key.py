"""The search key column of the previous release (0006 removes it).

This release creates nothing here: a project that has not run this migration yet records
the column in Django's migration state only, and 0006 has nothing to drop. A project that
ran it holds the column and its indexes until 0006. The `SearchKey` expression stays so that
the state, and reverting 0006, still know the column.
"""

from django.db import NotSupportedError, migrations, models
from django.db.models.functions import Concat


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


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="user",
                    name="search_key",
                    field=models.GeneratedField(
                        db_persist=True,
                        expression=SearchKey(
                            Concat(
                                "username",
                                models.Value("\n"),
                                "email",
                                output_field=models.TextField(),
                            ),
                            spelled=".@_-+'!#$&*/=?^`{|}~ \"\\%",
                            letters="qzxjkvwybcdfghmnoprsltea",
                        ),
                        output_field=models.TextField(),
                    ),
                ),
            ],
        ),
    ]
