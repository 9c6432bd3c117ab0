"""The search key: username and email in one column that a substring search can use.

`User.search_key` (a column the database computes, see models.py) holds the username and
the email, upper-cased, on two lines, with the punctuation of usernames and emails spelled
as lowercase letters (`.@_-+` as `qzxjk`): `Ana.Lee` and `ana.lee@example.com` give
`ANAqLEE` newline `ANAqLEEzEXAMPLEqCOM`.

Why this shape (numbers in docs/performance.md):

* Upper-casing makes a plain, case-sensitive `LIKE` on one stored column the whole
  case-insensitive test. Reading it costs a quarter of `UPPER(username) LIKE ... OR
  UPPER(email) LIKE ...`, which a search pays on every row it looks at.
* pg_trgm splits text into words at every character that is not a letter or a digit, so an
  index on the raw text cannot see "r.sa" as one piece: it looks up "words ending in r" and
  "words starting with sa" and rechecks tens of thousands of rows. Spelled `RqSA`, the term
  is one word with strong trigrams. Upper-casing removed every ASCII lowercase letter, so
  the letters that stand for punctuation cannot be confused with letters of the text: the
  match stays exact, `LIKE` is case-sensitive.
* The newline keeps a term from matching across the end of the username and the start of
  the email; `searchable()` takes newlines out of a term.

PostgreSQL indexes the column with a trigram GIN index (accounts/migrations/0003); SQLite
keeps it too, so both databases answer the same question the same way (`instr`, exact).
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import Func, TextField

# How a key is spelled in each database's SQL ({} is the text it is made from). Both sides
# of a search, the stored column and the term, go through the same SQL, so they agree on
# what upper-casing means (PostgreSQL's UPPER follows the database's collation; SQLite's
# changes ASCII letters only).
KEY_SQL = {
    "postgresql": "TRANSLATE(UPPER({}), '.@_-+', 'qzxjk')",
    "sqlite": (
        "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(UPPER({}), "
        "'.', 'q'), '@', 'z'), '_', 'x'), '-', 'j'), '+', 'k')"
    ),
}
SEPARATOR = "\n"  # between the username and the email in the key


class SearchKey(Func):
    """The search key of a text expression (see the module docstring)."""

    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        try:
            template = KEY_SQL[connection.vendor].format("%(expressions)s")
        except KeyError:
            raise NotSupportedError(f"No search key for {connection.vendor}.") from None
        return super().as_sql(compiler, connection, template=template, **extra_context)


def searchable(term: str) -> str:
    """`term` without the separator, so that it cannot match across username and email."""
    return term.replace(SEPARATOR, "")
