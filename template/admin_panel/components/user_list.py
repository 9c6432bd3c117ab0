"""`UserListComponent`: the searchable, paginated user table with status toggles.

Built to stay fast at a million users (numbers in docs/performance.md):

* the count is capped (`COUNT_CAP`): past it the table says "1,000+" instead of counting
  the whole table on every request;
* next/previous/first/last pages use keyset pagination on (date_joined, id), which the
  user table's index serves directly; only a jump to an arbitrary page uses OFFSET, and
  only inside the capped range.
"""

from __future__ import annotations

import math
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Q, QuerySet

from component_framework.adapters.django_model import DjangoModelComponent
from component_framework.core import registry
from component_framework.core.permissions import IsStaff

from ..roles import can_manage, check_can_toggle, is_self

User = get_user_model()

COUNT_CAP = 1000
MAX_QUERY_LENGTH = 100
ROW_FIELDS = ("id", "username", "email", "is_active", "is_staff", "is_superuser", "date_joined")
NEWEST_FIRST = ("-date_joined", "-id")
OLDEST_FIRST = ("date_joined", "id")


def row_view(actor: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A table row plus what `actor` may do with it (for the template's buttons)."""
    target = SimpleNamespace(pk=row["id"], is_superuser=row["is_superuser"])
    manageable = can_manage(actor, target)
    return {
        **row,
        "can_edit": manageable,
        "can_toggle": manageable and not is_self(actor, target),
    }


@registry.register("user_list")
class UserListComponent(DjangoModelComponent):
    """Searchable, paginated user table for staff.

    State: `query`, `page` (1-based; None on the last page of a capped list), `users`
    (rows of the page), `total` (exact up to `COUNT_CAP`), `total_capped`, `page_count`
    (None when capped), `has_prev`, `has_next`, `first`/`last` (keyset cursors
    `[date_joined, id]` of the page's first and last rows) and `notice`.

    Events: `search(query)`, `change_page(page)`, `first_page`, `prev_page`, `next_page`,
    `last_page`, `toggle_status(user_id)`, `refresh`.
    """

    template_name = "admin_panel/user_list.html"
    model = User
    state_fields = ["username", "email", "is_active", "date_joined"]
    permission_classes = [IsStaff]

    @property
    def page_size(self) -> int:
        return int(settings.ADMIN_PANEL_PAGE_SIZE)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The page's rows with the acting user's permissions on each."""
        return [row_view(self.user, row) for row in self.state["users"]]

    # -- lifecycle -------------------------------------------------------------------------

    def mount(self) -> None:
        self.state.update(
            {
                "query": "",
                "page": 1,
                "users": [],
                "total": 0,
                "total_capped": False,
                "page_count": 1,
                "has_prev": False,
                "has_next": False,
                "first": None,
                "last": None,
                "notice": "",
            }
        )
        self._load_page()

    # -- events ----------------------------------------------------------------------------

    def on_search(self, query: str) -> None:
        """New search term: back to page 1."""
        # Kept as typed (the search box is re-rendered with it); trimmed when matching.
        self.state["query"] = query[:MAX_QUERY_LENGTH]
        self.state["page"] = 1
        self.state["notice"] = ""
        self._load_page()

    def on_change_page(self, page: int) -> None:
        """Go to page `page`, clamped into the pages that exist."""
        self.state["notice"] = ""
        current = self.state.get("page")
        if page <= 1:
            self._load_page()
        elif current is not None and page == current + 1 and self.state.get("has_next"):
            self.on_next_page()
        elif current is not None and page == current - 1:
            self.on_prev_page()
        else:
            self._jump(page)

    def on_first_page(self) -> None:
        self.state["notice"] = ""
        self._load_page()

    def on_next_page(self) -> None:
        cursor = self.state.get("last")
        if not self.state.get("has_next") or not cursor:
            self._reload()
            return
        self._count()
        date_joined, pk = cursor
        qs = self._matching().filter(date_joined__lte=date_joined)
        rows = self._rows(qs.exclude(date_joined=date_joined, id__gte=pk), NEWEST_FIRST)
        page = self.state.get("page")
        self._show(rows, page=page + 1 if page is not None else None, has_prev=True)

    def on_prev_page(self) -> None:
        cursor = self.state.get("first")
        if not self.state.get("has_prev") or not cursor:
            self._load_page()
            return
        self._count()
        date_joined, pk = cursor
        qs = self._matching().filter(date_joined__gte=date_joined)
        rows = self._rows(qs.exclude(date_joined=date_joined, id__lte=pk), OLDEST_FIRST)
        if len(rows) <= self.page_size:
            # Reached the start (the rows before may be fewer than a page): show page 1.
            self._show(self._rows(self._matching(), NEWEST_FIRST), page=1, has_prev=False)
            return
        rows = rows[: self.page_size]
        rows.reverse()
        page = self.state.get("page")
        self.state["users"] = rows
        self._set_cursors(rows)
        self.state.update(page=page - 1 if page is not None else None, has_prev=True, has_next=True)

    def on_last_page(self) -> None:
        self.state["notice"] = ""
        self._count()
        if not self.state["total_capped"]:
            self._offset_page(self.state["page_count"])
            return
        rows = self._rows(self._matching(), OLDEST_FIRST)
        has_prev = len(rows) > self.page_size
        rows = rows[: self.page_size]
        rows.reverse()
        self.state["users"] = rows
        self._set_cursors(rows)
        self.state.update(page=None, has_prev=has_prev, has_next=False)

    def on_toggle_status(self, user_id: int) -> None:
        """Flip a user's `is_active` (role rules apply) and show the page again."""
        target = User.objects.get(pk=user_id)
        check_can_toggle(self.user, target)
        target.is_active = not target.is_active
        # Deactivation also closes the user's sockets (admin_panel.access, after commit).
        target.save(update_fields=["is_active"])
        state = "activated" if target.is_active else "deactivated"
        self._reload()
        self.state["notice"] = f"{target.get_username()} {state}."

    def on_refresh(self) -> None:
        """Show the current page again with fresh data (after an edit elsewhere)."""
        self.state["notice"] = ""
        self._reload()

    # -- queries ---------------------------------------------------------------------------

    def _matching(self) -> QuerySet[Any]:
        qs = User.objects.all()
        query = str(self.state.get("query", "")).strip()
        if query:
            qs = qs.filter(Q(username__icontains=query) | Q(email__icontains=query))
        return qs

    def _rows(self, qs: QuerySet[Any], order: tuple[str, ...], offset: int = 0) -> list[dict]:
        """Up to page_size + 1 rows (the extra one tells whether there is more)."""
        rows = qs.order_by(*self._ordering(order)).values(*ROW_FIELDS)
        return list(rows[offset : offset + self.page_size + 1])

    def _ordering(self, order: tuple[str, ...]) -> tuple[Any, ...]:
        """`order`, or on PostgreSQL for a search with few matches the same order written so
        the date index cannot serve it.

        Walking the (date_joined, id) index from one end and filtering is right for terms
        that match many users, but a term matching a few hundred users who all joined long
        ago makes PostgreSQL filter half the table to fill one page (120 ms at a million
        users). When the capped count (run first on every path) says the term matches at
        most COUNT_CAP users, sorting those few rows from the trigram indexes costs a few
        milliseconds; `date_joined + 0` has the same values and order but is not indexed.
        """
        few = bool(str(self.state.get("query", "")).strip()) and not self.state.get("total_capped")
        if not few or connection.vendor != "postgresql":
            return order
        joined = F("date_joined") + timedelta(0)
        if order == NEWEST_FIRST:
            return (joined.desc(), F("id").desc())
        return (joined.asc(), F("id").asc())

    def _count(self) -> None:
        found = self._matching().order_by()[: COUNT_CAP + 1].count()
        capped = found > COUNT_CAP
        total = min(found, COUNT_CAP)
        self.state.update(
            total=total,
            total_capped=capped,
            page_count=None if capped else max(1, math.ceil(total / self.page_size)),
        )

    def _set_cursors(self, rows: list[dict[str, Any]]) -> None:
        self.state["first"] = [rows[0]["date_joined"], rows[0]["id"]] if rows else None
        self.state["last"] = [rows[-1]["date_joined"], rows[-1]["id"]] if rows else None

    def _show(self, rows: list[dict[str, Any]], *, page: int | None, has_prev: bool) -> None:
        has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self.state["users"] = rows
        self._set_cursors(rows)
        self.state.update(page=page, has_prev=has_prev, has_next=has_next)

    def _load_page(self) -> None:
        """Page 1 of the current search."""
        self._count()
        self._show(self._rows(self._matching(), NEWEST_FIRST), page=1, has_prev=False)

    def _offset_page(self, page: int) -> None:
        offset = (page - 1) * self.page_size
        rows = self._rows(self._matching(), NEWEST_FIRST, offset)
        self._show(rows, page=page, has_prev=page > 1)

    def _jump(self, page: int) -> None:
        """An arbitrary page: OFFSET inside the counted range, else the last page."""
        self._count()
        if self.state["total_capped"]:
            reachable = math.ceil(COUNT_CAP / self.page_size)
            if page > reachable:
                self.on_last_page()
                return
        else:
            page = min(page, self.state["page_count"])
        self._offset_page(page)

    def _reload(self) -> None:
        """The page that is shown, from its first row on, with fresh values."""
        cursor = self.state.get("first")
        if not cursor or self.state.get("page") == 1:
            self._load_page()
            return
        self._count()
        date_joined, pk = cursor
        qs = self._matching().filter(date_joined__lte=date_joined)
        rows = self._rows(qs.exclude(date_joined=date_joined, id__gt=pk), NEWEST_FIRST)
        self._show(rows, page=self.state.get("page"), has_prev=bool(self.state.get("has_prev")))
