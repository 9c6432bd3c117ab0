"""The user table's queries: pages of users, newest first, with or without a search, at a cost
that does not grow with the number of users.

Rows are ordered by (date_joined, id), newest first, and paged by keyset: a page is "the
next rows past this cursor", never an OFFSET into the whole table. Without a search every
page is a walk of the (date_joined, id) index from its cursor: one page of index entries.

A search keeps the users whose username or email contains the term (`User.search_key`,
accounts/search.py). Two ways to find the newest of them, each fast where the other is slow:

* walk the date index and keep the rows that match: cheap per row, so right for a common
  term (one row in fifty matches: a page after about 1,300 rows), hopeless for a rare one
  (a million rows for nothing);
* ask the trigram index for the matches: it finds them all at once, in no order, and each
  costs a row fetch to sort: right for a few hundred, slow for tens of thousands.

PostgreSQL's planner chooses from its estimate of how many rows match and assumes they are
spread evenly over the years, so a term whose users all joined long ago walks half the
table. The choice is made here instead, by looking (each step is one query):

1. Read the newest `WINDOW_PAGES` pages' worth of rows in date order and keep the matches.
   A common term has its page, and its capped count, by then.
2. If a few matched (`SPREAD_OUT` or more: spread over the years, so likely many in all),
   count the rest from the trigram index up to the cap, and read on past the window in
   date order for the page, up to `WALK_PAGES` pages' worth of rows: matches that only
   looked spread out (a cluster of users who joined together) are then sorted from the
   trigram index, as in step 3.
3. If hardly any matched (few in all, or all of them elsewhere), fetch every match from the
   trigram index, up to `SORT_BOUND_PAGES` pages' worth, and sort them: when that is all of
   them, it is the page and the count in one query. Past the bound, sort every match.

Counts stop at a cap, shown as "1,000+": `COUNT_CAP` rows for the whole table, and
`SEARCH_PAGES_COUNTED` pages of results ("100+") for a search, which the steps above
tell on the way. Later pages of a search keep that count (the component passes `few`).

SQLite renderings run the same queries (SQLite reads `instr` on the key, without indexes
to choose from); the results are the same on both databases, only the speed differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.functional import cached_property

from accounts.search import UNINDEXED_KEY_PATTERN, has_unindexed, key_sql, searchable

# The SQL below is assembled from quoted names of the user model's table and columns and
# fixed text; every value (term, cursor, limits) is a query parameter (hence the S608 noqa).

ROW_FIELDS = ("id", "username", "email", "is_active", "is_staff", "is_superuser", "date_joined")
NEWEST_FIRST = "DESC"
OLDEST_FIRST = "ASC"
COUNT_CAP = 1000  # the whole table is counted up to here
SEARCH_PAGES_COUNTED = 4  # a search is counted up to this many pages (100 at 25 a page)
WINDOW_PAGES = 120  # rows a search reads in date order first, in pages (3,000 at 25 a page)
SPREAD_OUT = 5  # matches in the window that make reading on in date order the better bet
SORT_BOUND_PAGES = 80  # matches a search sorts at most, in pages (2,000 at 25 a page)
WALK_PAGES = 400  # rows a page of a spread-out search walks at most (10,000 at 25 a page)

Row = dict[str, Any]
Cursor = Sequence[Any]  # [date_joined, id] of a row


def cursor_of(row: Row) -> list[Any]:
    """The keyset cursor of a row."""
    return [row["date_joined"], row["id"]]


class UserPages:
    """Pages of the user table for one request: `size + 1` rows each (the extra row says
    whether there are more), optionally only the users matching `term`.

    `few` is a hint from an earlier count that the search matches at most `cap` users: their
    pages are then sorted from the trigram index at once. A wrong hint costs time, never rows.
    """

    def __init__(
        self, term: str = "", size: int = 25, *, few: bool = False, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        self.term = searchable(term.strip())
        self.size = size
        self.few = bool(self.term) and few
        self.cap = SEARCH_PAGES_COUNTED * size if self.term else COUNT_CAP
        self.window = WINDOW_PAGES * size
        self.walk = WALK_PAGES * size
        self.sort_bound = SORT_BOUND_PAGES * size
        self._connection = connections[using]
        self._model = get_user_model()
        self._recent: list[Row] | None = None  # the newest matches, when count() read them

    # -- what the user table asks ---------------------------------------------------------

    def count(self) -> tuple[int, bool]:
        """(rows up to the cap, whether there are more)."""
        if not self.term:
            [(found,)] = self._fetch(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {self._table} LIMIT %s) AS capped",  # noqa: S608
                [self.cap + 1],
            )
            return min(found, self.cap), found > self.cap
        # Counting a search reads its first page on the way; only that page is fetched.
        keep = self.size + 1
        recent, found = self._counted(
            *self._window_sql(NEWEST_FIRST, None, False, self.cap + 1), keep
        )
        if found > self.cap:  # common: the newest rows hold more than the cap
            self.few, self._recent = False, recent
            return self.cap, True
        if found >= SPREAD_OUT:
            # Spread out: likely many matches in all. Fetch just enough to count them.
            matches, total = self._counted(*self._any_matches_sql(self.cap + 1), keep)
            complete = total <= self.cap
        else:
            # Hardly any among the newest: few in all, or all of them elsewhere. Fetch them
            # all, up to a bound, sorted: when that is all of them, it is the whole answer.
            matches, total = self._counted(*self._any_matches_sql(self.sort_bound), keep)
            complete = total < self.sort_bound
        self.few = total <= self.cap
        self._recent = matches if complete else recent
        return min(total, self.cap), total > self.cap

    def first(self) -> list[Row]:
        """The newest rows."""
        return self._scan(NEWEST_FIRST, start=self._recent)

    def after(self, cursor: Cursor, *, inclusive: bool = False) -> list[Row]:
        """The rows older than `cursor` (and the cursor's own row when `inclusive`), newest
        first."""
        return self._scan(NEWEST_FIRST, cursor, inclusive=inclusive)

    def before(self, cursor: Cursor) -> list[Row]:
        """The rows newer than `cursor`, oldest first."""
        return self._scan(OLDEST_FIRST, cursor)

    def last(self) -> list[Row]:
        """The oldest rows, oldest first."""
        return self._scan(OLDEST_FIRST)

    def at(self, offset: int) -> list[Row]:
        """The rows from the `offset`-th newest on (offsets inside the counted range)."""
        if not self.term:
            return self._select(NEWEST_FIRST, offset=offset, limit=self.size + 1)
        if self.few:
            return self._select(
                NEWEST_FIRST, offset=offset, limit=self.size + 1, match=True, index=False
            )
        return self._scan(NEWEST_FIRST, want=offset + self.size + 1)[offset:]

    # -- the three ways to read a page ------------------------------------------------------

    def _scan(
        self,
        order: str,
        cursor: Cursor | None = None,
        *,
        inclusive: bool = False,
        want: int | None = None,
        start: list[Row] | None = None,
    ) -> list[Row]:
        want = want or self.size + 1
        if not self.term:
            return self._select(order, cursor, inclusive, limit=want)
        if self.few and start is None:
            return self._select(order, cursor, inclusive, limit=want, match=True, index=False)
        rows = start if start is not None else self._window(order, cursor, inclusive, want)
        if len(rows) >= want or self.few:  # (a few matches counted: `start` holds them all)
            return rows[:want]
        # The window is read and held too few: go on past its last match (or the cursor).
        if rows:
            cursor, inclusive = cursor_of(rows[-1]), False
        need = want - len(rows)
        if len(rows) >= SPREAD_OUT:
            # Spread out: the rest of the page is likely close by in date order.
            return rows + self._walk(order, cursor, inclusive, need)
        # Hardly any: sort the matches past here from the trigram index.
        return rows + self._select(order, cursor, inclusive, limit=need, match=True, index=False)

    def _walk(self, order: str, cursor: Cursor | None, inclusive: bool, want: int) -> list[Row]:
        """The next `want` matches past `cursor`, walked in date order, in one query.

        The walk reads at most `self.walk` rows: a cluster of matches (users who joined
        together) makes a rare term look common, and an unbounded walk would then read the
        table to its end. When the walk comes up short, the same query sorts the matches
        from the trigram index instead; PostgreSQL runs that part only then (a one-time
        filter on the walk's count).
        """
        walk_sql, walk_params = self._window_sql(order, cursor, inclusive, want, self.walk)
        sort_sql, sort_params = self._select_sql(
            order, cursor, inclusive, limit=want, match=True, index=False
        )
        sql = (
            f"WITH walk AS ({walk_sql}) SELECT 0, * FROM walk UNION ALL "  # noqa: S608
            f"SELECT 1, * FROM ({sort_sql}) AS sorted WHERE (SELECT COUNT(*) FROM walk) < %s"
        )
        return self._walked_or_sorted(self._fetch(sql, [*walk_params, *sort_params, want]), want)

    def _walked_or_sorted(self, fetched: list[tuple[Any, ...]], want: int) -> list[Row]:
        walked = [values[1:] for values in fetched if values[0] == 0]
        if len(walked) < want:
            walked = [values[1:] for values in fetched if values[0] == 1]
        return [self._row(values) for values in walked]

    def _select(
        self,
        order: str,
        cursor: Cursor | None = None,
        inclusive: bool = False,
        *,
        limit: int,
        offset: int = 0,
        match: bool = False,
        index: bool = True,
    ) -> list[Row]:
        """Rows past `cursor` in `order`, matching the term if `match`. `index=False` orders
        them so that no date index can serve it: PostgreSQL then fetches the matches from
        the trigram index and sorts them, instead of walking the date index to find them."""
        return self._rows(
            *self._select_sql(
                order, cursor, inclusive, limit=limit, offset=offset, match=match, index=index
            )
        )

    def _select_sql(
        self,
        order: str,
        cursor: Cursor | None,
        inclusive: bool,
        *,
        limit: int,
        offset: int = 0,
        match: bool = False,
        index: bool = True,
    ) -> tuple[str, list[Any]]:
        where, params = self._beyond(order, cursor, inclusive)
        if match:
            where.append(self._match_sql)
            params.append(self.term)
        sql = (
            f"SELECT {self._columns} FROM {self._table}{self._where(where)} "  # noqa: S608
            f"ORDER BY {self._order(order, index=index)} LIMIT %s OFFSET %s"
        )
        return sql, [*params, limit, offset]

    def _window(self, order: str, cursor: Cursor | None, inclusive: bool, limit: int) -> list[Row]:
        return self._rows(*self._window_sql(order, cursor, inclusive, limit))

    def _window_sql(
        self,
        order: str,
        cursor: Cursor | None,
        inclusive: bool,
        limit: int,
        rows_read: int | None = None,
    ) -> tuple[str, list[Any]]:
        """Up to `limit` matches among the next `rows_read` rows (`self.window` by default)
        past `cursor` in `order`; fewer only when that is all of them. The inner LIMIT
        makes the database walk the date index, however rare it thinks the term is."""
        where, params = self._beyond(order, cursor, inclusive)
        sql = (
            f"SELECT {self._columns} FROM ("  # noqa: S608
            f"SELECT {self._columns}, {self._key} FROM {self._table}{self._where(where)} "
            f"ORDER BY {self._order(order)} LIMIT %s"
            f") AS window_rows WHERE {self._match_sql} ORDER BY {self._order(order)} LIMIT %s"
        )
        return sql, [*params, rows_read or self.window, self.term, limit]

    def _any_matches_sql(self, limit: int) -> tuple[str, list[Any]]:
        """Up to `limit` matches found in any order (from the trigram index)."""
        sql = f"SELECT {self._columns} FROM {self._table} WHERE {self._match_sql} LIMIT %s"  # noqa: S608
        return sql, [self.term, limit]

    def _counted(self, sql: str, params: list[Any], keep: int) -> tuple[list[Row], int]:
        """The newest `keep` rows of `sql`, and how many rows it has."""
        counted = (
            f"SELECT {self._columns}, COUNT(*) OVER () FROM ({sql}) AS counted "  # noqa: S608
            f"ORDER BY {self._order(NEWEST_FIRST)} LIMIT %s"
        )
        fetched = self._fetch(counted, [*params, keep])
        return [self._row(values) for values in fetched], (fetched[0][-1] if fetched else 0)

    # -- SQL pieces --------------------------------------------------------------------------

    @property
    def _table(self) -> str:
        return self._connection.ops.quote_name(self._model._meta.db_table)

    @property
    def _columns(self) -> str:
        return ", ".join(self._column(name) for name in ROW_FIELDS)

    @property
    def _key(self) -> str:
        return self._column("search_key")

    def _column(self, name: str) -> str:
        return self._connection.ops.quote_name(self._model._meta.get_field(name).column)

    @cached_property
    def _match_sql(self) -> str:
        """The condition "the key contains the term's key" (one %s: the term)."""
        term_key = key_sql(self._connection.vendor, "%s")
        if self._connection.vendor == "postgresql":
            # LIKE, which the trigram index serves. The key spells LIKE's "%", "_" and "\"
            # as letters, so the term's key needs no escaping.
            if not has_unindexed(self.term):
                return f"{self._key} LIKE '%%' || {term_key} || '%%'"
            # Only the keys in the partial index (accounts/migrations/0004) can hold this
            # term, and the trigram index knows little of it: `|| ''` keeps the planner from
            # asking the trigram index anyway (it would fetch the rows of a letter or two).
            return (
                f"(({self._key} || '') LIKE '%%' || {term_key} || '%%' "
                f"AND {self._key} ~ '{UNINDEXED_KEY_PATTERN}')"
            )
        return f"INSTR({self._key}, {term_key}) > 0"

    def _order(self, order: str, *, index: bool = True) -> str:
        joined, pk = self._column("date_joined"), self._column("id")
        if not index and self._connection.vendor == "postgresql":
            joined = f"({joined} + INTERVAL '0 seconds')"  # same order, no index serves it
        return f"{joined} {order}, {pk} {order}"

    def _beyond(
        self, order: str, cursor: Cursor | None, inclusive: bool
    ) -> tuple[list[str], list[Any]]:
        if cursor is None:
            return [], []
        joined, pk = cursor
        op = ("<" if order == NEWEST_FIRST else ">") + ("=" if inclusive else "")
        columns = f"({self._column('date_joined')}, {self._column('id')})"
        value = self._connection.ops.adapt_datetimefield_value(joined)
        return [f"{columns} {op} (%s, %s)"], [value, int(pk)]

    @staticmethod
    def _where(conditions: list[str]) -> str:
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _rows(self, sql: str, params: list[Any]) -> list[Row]:
        return [self._row(values) for values in self._fetch(sql, params)]

    def _row(self, values: Sequence[Any]) -> Row:
        """A row as a dict of Python values (SQLite's dates and booleans converted the way
        the ORM converts them)."""
        row = dict(zip(ROW_FIELDS, values, strict=False))
        for name, expression, converters in self._converters:
            for convert in converters:
                row[name] = convert(row[name], expression, self._connection)
        return row

    @cached_property
    def _converters(self) -> list[tuple[str, Any, list[Any]]]:
        found = []
        for name in ROW_FIELDS:
            field = self._model._meta.get_field(name)
            expression = field.get_col(self._model._meta.db_table)
            converters = [
                *self._connection.ops.get_db_converters(expression),
                *field.get_db_converters(self._connection),
            ]
            if converters:
                found.append((name, expression, converters))
        return found
