"""Lists of rows a person pages through: search, filter, order, keyset pages, capped count.

    users = Listing(
        User.objects.values("id", "username", "date_joined"),
        search_fields=["username", "email"],
        ordering=["-date_joined"],
    )
    results = users.query(search="ana", filters={"is_active": True})
    page = results.first()              # page.rows, page.has_next, page.next_cursor
    later = results.after(page.next_cursor)
    count, capped = results.count()     # (1000, True) reads "1,000+"

Any model, any fields: a search keeps the rows where one of `search_fields` contains the
term, case-insensitively (`icontains`); filters are ORM lookups. Rows come in `ordering`,
the primary key breaking ties, and pages are keyset pages: "the rows past this cursor",
never an OFFSET into the whole table. A cursor is a signed token of a row's ordering values;
a forged or garbled one is an `InvalidCursor` (400). Counts stop at `count_cap`.

How a page is found, so that its cost does not grow with the table (given the indexes a
table needs: one on the ordering, and on PostgreSQL a trigram index per searched field):

* Nothing narrows the list: walk the ordering's index from the cursor, one page of entries.
* A search or filter narrows it: look first, then pick the plan.
  1. Read the first `window` rows in order and keep the matches: a common term fills the
     cap there ("1,000+"), and its pages walk the ordering's index. Whenever these matches
     fill a page, they are the first page (no second read for it).
  2. Else ask for the matches in any order (the trigram indexes find them): enough to count
     them when the first rows held a few (`SPREAD_OUT`: likely many in all, spread through
     the list), else up to `sort_bound`. If that is all of them, the count is exact and a
     page is sorted from just those rows; else pages walk the ordering's index.

The plan is chosen here, not by the database: PostgreSQL's planner guesses how many rows a
search matches and assumes they are spread evenly through the ordering, so for a rare term
it walks the whole ordering index looking for a page of matches it will never find, and for
a common term it guessed rare, it sorts every match. A walk writes the search so that no
index serves it, so the planner cannot swap it for a sort.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core import signing
from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Concat

from component_framework.core.errors import BadRequest

Row = Any  # a model instance, or a dict for a `.values()` queryset
SPREAD_OUT = 5  # matches among the first rows that make walking in order the better bet


class InvalidCursor(BadRequest, DjangoBadRequest):
    """400: a page cursor that this listing did not sign, or that no longer fits its fields."""

    @classmethod
    def default_message(cls) -> str:
        return "Invalid page cursor."


class _CursorJSON:
    """Cursor values as JSON, dates and times in full precision."""

    def dumps(self, values: list[Any]) -> bytes:
        def plain(value: Any) -> Any:
            if isinstance(value, dt.date | dt.time):
                return value.isoformat()
            if isinstance(value, Decimal | UUID):
                return str(value)
            raise TypeError(f"A {type(value).__name__} cannot be a cursor value.")

        return json.dumps(values, default=plain, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


@dataclass(frozen=True)
class Page:
    """Up to a page of rows in display order, and where the list goes on."""

    rows: list[Row]
    has_previous: bool
    has_next: bool
    previous_cursor: str | None  # the first row's cursor: `before()` it is the previous page
    next_cursor: str | None  # the last row's cursor: `after()` it is the next page


@dataclass(frozen=True)
class Listing:
    """What a list shows: the rows, which fields a search reads, the order, the page size."""

    queryset: QuerySet[Any]
    search_fields: Sequence[str] = ()
    ordering: Sequence[str] = ()  # e.g. ["-date_joined"]; the primary key is added last
    page_size: int = 25
    count_cap: int = 1000  # rows counted at most
    window: int = 3000  # the first rows in order a search or filter reads first
    sort_bound: int = 2000  # matches sorted at most; more are found walking in order
    keys: tuple[tuple[str, bool], ...] = field(init=False)  # (field name, descending)

    def __post_init__(self) -> None:
        pk = self.queryset.model._meta.pk.attname
        keys = [(name.lstrip("-"), name.startswith("-")) for name in self.ordering]
        if pk not in (name for name, _ in keys):
            keys.append((pk, keys[0][1] if keys else False))
        object.__setattr__(self, "keys", tuple(keys))

    @property
    def order(self) -> list[str]:
        """The `order_by()` of the list."""
        return [f"-{name}" if descending else name for name, descending in self.keys]

    def query(self, search: str = "", filters: Mapping[str, Any] | None = None) -> Results:
        """The rows matching `search` (stripped; "" matches all) and the `filters` lookups."""
        return Results(self, search.strip(), dict(filters or {}))

    def cursor(self, row: Row) -> str:
        """The signed cursor of `row`: its ordering values."""
        get = row.__getitem__ if isinstance(row, dict) else lambda name: getattr(row, name)
        values = [get(name) for name, _ in self.keys]
        return self._signer.sign_object(values, serializer=_CursorJSON)

    def values_of(self, cursor: str) -> list[Any]:
        """The ordering values of a cursor made by `cursor()`; `InvalidCursor` otherwise."""
        try:
            values = self._signer.unsign_object(str(cursor), serializer=_CursorJSON)
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise InvalidCursor()
            meta = self.queryset.model._meta
            return [
                meta.get_field(name).to_python(value)
                for (name, _), value in zip(self.keys, values, strict=True)
            ]
        except (signing.BadSignature, ValueError, ValidationError):
            raise InvalidCursor() from None

    @property
    def _signer(self) -> signing.Signer:
        meta = self.queryset.model._meta
        return signing.Signer(salt=f"listing:{meta.label_lower}:{','.join(self.ordering)}")


class Results:
    """One search and filtering of a listing, for one request: its count and its pages.

    The look at how many rows match is made once, by the first method that needs it.
    """

    def __init__(self, listing: Listing, search: str, filters: dict[str, Any]) -> None:
        self.listing = listing
        self.narrowed = bool(search or filters)
        self.matching = listing.queryset.filter(**filters)
        # The same rows, the search written so that no index serves it: the database can
        # only walk the ordering's index to find them.
        self.walking = self.matching
        if search:
            fields = listing.search_fields
            self.matching = self.matching.filter(_contains(fields, search))
            hidden = {
                f"walk_{i}": Concat(name, Value(""), output_field=TextField())
                for i, name in enumerate(fields)
            }
            self.walking = self.walking.alias(**hidden).filter(_contains(hidden, search))
        self._looked = False
        self._few: list[Any] | None = None  # the pks of all the matches, when few match
        self._first_rows: list[Row] = []  # the first matches in order, when _look read them
        self._counted = (0, False)

    def count(self) -> tuple[int, bool]:
        """(matching rows up to the cap, whether more match)."""
        if self.narrowed:
            self._look()
            return self._counted
        cap = self.listing.count_cap
        found = self.matching.order_by()[: cap + 1].count()
        return min(found, cap), found > cap

    def first(self) -> Page:
        return self._page()

    def after(self, cursor: str, *, inclusive: bool = False) -> Page:
        """The page past `cursor` (starting at the cursor's row when `inclusive`)."""
        return self._page(cursor, inclusive=inclusive)

    def before(self, cursor: str) -> Page:
        """The page ending just before `cursor`; the first page when it reaches the start."""
        return self._page(cursor, backwards=True)

    def last(self) -> Page:
        return self._page(backwards=True)

    def at(self, offset: int) -> Page:
        """The page starting at the `offset`-th row (for offsets within the counted rows)."""
        return self._page(offset=max(0, offset))

    # -- how -------------------------------------------------------------------------------

    def _look(self) -> None:
        """Find out whether many rows match (then pages walk the ordering's index) or few
        (then `_few` holds all of them, and pages are sorted from just those)."""
        if self._looked:
            return
        self._looked = True
        listing, cap, window = self.listing, self.listing.count_cap, self.listing.window
        # 1. The matches among the first `window` rows in order: the rows between the first
        # and the window-th (or the last), one stretch of the ordering's index. A common
        # term fills the cap, and its first page, right there.
        first, descending = listing.keys[0]
        ordered = listing.queryset.order_by(*listing.order).values(first)
        last = Coalesce(Subquery(ordered[window - 1 : window]), Subquery(ordered.reverse()[:1]))
        ends = [Subquery(ordered[:1]), last]
        newest = Q(**{f"{first}__range": ends[::-1] if descending else ends})
        recent = list(self.walking.filter(newest).order_by(*listing.order)[: cap + 1])
        if len(recent) > listing.page_size:
            # The first matches of the whole list, in order: its first page is among them.
            self._first_rows = recent
        if len(recent) > cap:
            self._counted = (cap, True)
            return
        # 2. The matches in any order (from the trigram indexes): enough to count them when
        # the newest rows held some (likely many in all), else up to the sort bound.
        spread = len(recent) >= SPREAD_OUT
        wanted = cap + 1 if spread else max(cap, listing.sort_bound) + 1
        pks = list(self.matching.order_by().values_list("pk", flat=True)[:wanted])
        self._counted = (min(len(pks), cap), len(pks) > cap)
        self._few = pks if len(pks) < wanted else None

    def _page(
        self,
        cursor: str | None = None,
        *,
        inclusive: bool = False,
        backwards: bool = False,
        offset: int = 0,
    ) -> Page:
        listing, size = self.listing, self.listing.page_size
        keys = [(name, descending != backwards) for name, descending in listing.keys]
        rows = self.walking
        if self.narrowed:
            self._look()
            if self._few is not None:
                # All the matches are known: sort just them (through the primary key's index).
                rows = listing.queryset.filter(pk__in=self._few)
        if cursor is not None:
            rows = rows.filter(_past(keys, listing.values_of(cursor), inclusive))
        order = [f"-{name}" if descending else name for name, descending in keys]
        if cursor is None and not backwards and not offset and self._first_rows:
            found = self._first_rows[: size + 1]  # read by the look already
        else:
            found = list(rows.order_by(*order)[offset : offset + size + 1])
        more = len(found) > size
        found = found[:size]
        if backwards:
            found.reverse()
            if not more and cursor is not None:
                # The previous page reached the start, and may be short: show the first page.
                return self._page()
            has_previous, has_next = more, cursor is not None
        else:
            has_previous, has_next = cursor is not None or offset > 0, more
        return Page(
            rows=found,
            has_previous=has_previous,
            has_next=has_next,
            previous_cursor=listing.cursor(found[0]) if found else None,
            next_cursor=listing.cursor(found[-1]) if found else None,
        )


def _contains(fields: Sequence[str], term: str) -> Q:
    """Rows where one of `fields` contains `term`, case-insensitively."""
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": term})
    return condition


def _past(keys: Sequence[tuple[str, bool]], values: Sequence[Any], inclusive: bool) -> Q:
    """The rows past `values` in the order of `keys`: (a, b) > (x, y) as
    `a >= x AND (a > x OR (a = x AND b > y))`; the first term lets an index on `a` serve it."""
    (first, first_descending), equal, past = keys[0], {}, Q()
    for i, ((name, descending), value) in enumerate(zip(keys, values, strict=True)):
        lookup = "lt" if descending else "gt"
        if inclusive and i == len(keys) - 1:
            lookup += "e"
        past |= Q(**equal, **{f"{name}__{lookup}": value})
        equal[name] = value
    return Q(**{f"{first}__{'lte' if first_descending else 'gte'}": values[0]}) & past
