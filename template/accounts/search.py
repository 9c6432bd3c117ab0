"""The search key: username and email in one column that a substring search can use.

`User.search_key` (a column the database computes, see models.py) holds the username and
the email, upper-cased, on two lines, with the punctuation of usernames and email addresses
spelled as lowercase letters (`SPELLED` as `LETTERS`: `.` as `q`, `@` as `z`, ...):
`Ana.Lee` and `ana.lee@example.com` give `ANAqLEE` newline `ANAqLEEzEXAMPLEqCOM`.

Why this shape:

* Upper-casing makes a plain, case-sensitive `LIKE` on one stored column the whole
  case-insensitive test, much cheaper than `UPPER(username) LIKE ... OR UPPER(email) LIKE
  ...`, which a search would pay on every row it looks at.
* pg_trgm splits text into words at every character that is not a letter or a digit, so an
  index on the raw text cannot see "r.sa" as one piece: it looks up "words ending in r" and
  "words starting with sa" and rechecks every row holding either. Spelled `RqSA`, the term
  is one word with strong trigrams, and a term of punctuation only (`!!!`) has trigrams at
  all. Upper-casing removed every ASCII lowercase letter, so the letters that stand for
  punctuation cannot be confused with letters of the text: the match stays exact, `LIKE`
  is case-sensitive.
* The newline keeps a term from matching across the end of the username and the start of
  the email; `searchable()` takes newlines out of a term.

PostgreSQL indexes the column with a trigram GIN index (accounts/migrations/0003); SQLite
keeps it too, so both databases answer the same question the same way (`instr`, exact).

Other characters but letters and digits (`(`, `,`, `<`, `€`...) are rare in usernames and
emails (Django's validators refuse them), and pg_trgm does not see them: `(((` has no
trigram at all, and its search would read the whole table. A key holding one matches
`UNINDEXED_KEY_PATTERN`, and a partial index lists just those users
(accounts/migrations/0004, usually almost empty): the search of a term holding one
(`has_unindexed()`) adds that condition, and reads only them.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import Func, TextField

# The characters besides letters and digits that usernames (`.@+-_`) and unquoted email
# addresses (RFC 5322 atext) may hold, then the space, the double quote and the backslash
# (of quoted addresses, and of terms people type) and `%`, and the lowercase letters that
# spell them in the key, in the same order; the most common get the rarest letters. With
# LIKE's `%`, `_` and `\` spelled too, a term's key needs no LIKE escaping at all.
# The spelling is part of the stored column: `SearchKey` records it in the migration, so a
# change to it shows up in `makemigrations` (and must recompute the column).
SPELLED = ".@_-+'!#$&*/=?^`{|}~ \"\\%"
LETTERS = "qzxjkvwybcdfghmnoprsltea"
# `%` is also the placeholder mark of Django's SQL: it is written as a character code.
_CHAR_FUNCTION = {"postgresql": "CHR", "sqlite": "CHAR"}


def _sql_text(vendor: str, text: str) -> str:
    """`text` as an SQL string expression on `vendor` (no `%` sign in the SQL itself)."""
    pieces = []
    for i, run in enumerate(text.split("%")):
        if i:
            pieces.append(f"{_CHAR_FUNCTION[vendor]}(37)")
        if run:
            pieces.append("'" + run.replace("'", "''") + "'")
    return " || ".join(pieces) or "''"


def key_sql(vendor: str, text: str, spelled: str = SPELLED, letters: str = LETTERS) -> str:
    """The SQL computing the key of the SQL expression `text` on `vendor`.

    Both sides of a search, the stored column and the term, go through this SQL, so they
    agree on what upper-casing means (PostgreSQL's UPPER follows the database's collation;
    SQLite's changes ASCII letters only).
    """
    if vendor == "postgresql":
        spelled_sql, letters_sql = _sql_text(vendor, spelled), _sql_text(vendor, letters)
        return f"TRANSLATE(UPPER({text}), {spelled_sql}, {letters_sql})"
    if vendor == "sqlite":
        sql = f"UPPER({text})"
        for char, letter in zip(spelled, letters, strict=True):  # SQLite has no TRANSLATE
            sql = f"REPLACE({sql}, {_sql_text(vendor, char)}, {_sql_text(vendor, letter)})"
        return sql
    raise NotSupportedError(f"No search key for {vendor}.")


SEPARATOR = "\n"  # between the username and the email in the key


class SearchKey(Func):
    """The search key of a text expression (see the module docstring)."""

    output_field = TextField()

    def __init__(
        self, expression: Any, *, spelled: str = SPELLED, letters: str = LETTERS, **extra: Any
    ) -> None:
        if len(spelled) != len(letters) or set(letters) - set("abcdefghijklmnopqrstuvwxyz"):
            raise ValueError("Each spelled character needs one ASCII lowercase letter.")
        self.spelled, self.letters = spelled, letters
        super().__init__(expression, **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        template = key_sql(connection.vendor, "%(expressions)s", self.spelled, self.letters)
        return super().as_sql(compiler, connection, template=template, **extra_context)


#: A key character outside the ASCII letters and digits (and the separator), as a PostgreSQL
#: regular expression: the condition of the partial index of accounts/migrations/0004.
UNINDEXED_KEY_PATTERN = r"[^0-9A-Za-z\n]"


def has_unindexed(term: str) -> bool:
    """Whether `term` holds a character pg_trgm does not index, which stays one matching
    `UNINDEXED_KEY_PATTERN` in the key: then only keys matching it can contain the term.

    Such a character is neither a letter nor a digit (of any script: pg_trgm indexes those
    in a UTF-8 database) nor spelled. None of them upper-cases to an ASCII letter or digit
    (the dotless i does, and it is a letter), so the key keeps it as a character outside those.
    """
    return any(not char.isalnum() and char not in SPELLED and char != SEPARATOR for char in term)


def searchable(term: str) -> str:
    """`term` without the separator, so that it cannot match across username and email."""
    return term.replace(SEPARATOR, "")
