"""`UserListComponent`: the searchable, paginated user table with status toggles.

State and events live here; the queries, built to stay fast at a million users, are in
`admin_panel/user_pages.py` (capped counts, keyset pages, a search that picks its own plan).
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from component_framework.adapters.django_model import DjangoModelComponent
from component_framework.core import registry
from component_framework.core.permissions import IsStaff

from ..roles import can_manage, check_can_toggle, is_self
from ..user_pages import UserPages, cursor_of

User = get_user_model()

MAX_QUERY_LENGTH = 100


def row_view(actor: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A table row plus what `actor` may do with it (for the template's buttons) and the
    day the user joined in the panel's time zone (a `date` filter per row costs more than
    the rest of the row)."""
    target = SimpleNamespace(pk=row["id"], is_superuser=row["is_superuser"])
    manageable = can_manage(actor, target)
    return {
        **row,
        "joined_on": timezone.localdate(row["date_joined"]),
        "can_edit": manageable,
        "can_toggle": manageable and not is_self(actor, target),
    }


@registry.register("user_list")
class UserListComponent(DjangoModelComponent):
    """Searchable, paginated user table for staff.

    State: `query`, `page` (1-based; None on the last page of a capped list), `users`
    (rows of the page), `total` (exact up to the cap: 1,000 users, or four pages of a
    search's results), `total_capped`, `page_count`
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
        pages = self._pages()
        self._count(pages)
        page = self.state.get("page")
        self._show(pages.after(cursor), page=page + 1 if page is not None else None, has_prev=True)

    def on_prev_page(self) -> None:
        cursor = self.state.get("first")
        if not self.state.get("has_prev") or not cursor:
            self._load_page()
            return
        pages = self._pages()
        self._count(pages)
        rows = pages.before(cursor)
        if len(rows) <= self.page_size:
            # Reached the start (the rows before may be fewer than a page): show page 1.
            self._show(pages.first(), page=1, has_prev=False)
            return
        rows = rows[: self.page_size]
        rows.reverse()
        page = self.state.get("page")
        self.state["users"] = rows
        self._set_cursors(rows)
        self.state.update(page=page - 1 if page is not None else None, has_prev=True, has_next=True)

    def on_last_page(self) -> None:
        self.state["notice"] = ""
        pages = self._pages()
        self._count(pages)
        if not self.state["total_capped"]:
            self._offset_page(pages, self.state["page_count"])
            return
        rows = pages.last()
        has_prev = len(rows) > self.page_size
        rows = rows[: self.page_size]
        rows.reverse()
        self.state["users"] = rows
        self._set_cursors(rows)
        self.state.update(page=None, has_prev=has_prev, has_next=False)

    def on_toggle_status(self, user_id: int) -> None:
        """Flip a user's `is_active` (role rules apply) and show the page again."""
        # One transaction: the row is locked while it is flipped (two staff toggling at once
        # flip it twice, not once) and the audit entry commits with the change.
        with transaction.atomic():
            target = User.objects.select_for_update().get(pk=user_id)
            check_can_toggle(self.user, target)
            target.is_active = not target.is_active
            # Deactivation also closes the user's sockets (admin_panel.access, after commit).
            target.save(update_fields=["is_active"])
        if target.is_active:
            notice = _("%(username)s activated.")
        else:
            notice = _("%(username)s deactivated.")
        self._reload()
        self.state["notice"] = notice % {"username": target.get_username()}

    def on_refresh(self) -> None:
        """Show the current page again with fresh data and count (after an edit elsewhere)."""
        self.state["notice"] = ""
        self._reload(recount=True)

    # -- queries (admin_panel/user_pages.py) ---------------------------------------------

    def _pages(self) -> UserPages:
        # A search counted as few (not capped) has its pages sorted from the search index.
        few = not self.state.get("total_capped", True)
        return UserPages(str(self.state.get("query", "")), self.page_size, few=few)

    def _count(self, pages: UserPages, *, recount: bool = False) -> None:
        """Count the table again, or a search when it is typed or refreshed (`recount`): the
        pages of a search keep that count, which saves its queries on every page turn."""
        if pages.term and not recount:
            return
        total, capped = pages.count()
        self.state.update(
            total=total,
            total_capped=capped,
            page_count=None if capped else max(1, math.ceil(total / self.page_size)),
        )

    def _set_cursors(self, rows: list[dict[str, Any]]) -> None:
        self.state["first"] = cursor_of(rows[0]) if rows else None
        self.state["last"] = cursor_of(rows[-1]) if rows else None

    def _show(self, rows: list[dict[str, Any]], *, page: int | None, has_prev: bool) -> None:
        has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self.state["users"] = rows
        self._set_cursors(rows)
        self.state.update(page=page, has_prev=has_prev, has_next=has_next)

    def _load_page(self) -> None:
        """Page 1 of the current search, counted afresh."""
        pages = self._pages()
        self._count(pages, recount=True)
        self._show(pages.first(), page=1, has_prev=False)

    def _offset_page(self, pages: UserPages, page: int) -> None:
        rows = pages.at((page - 1) * self.page_size)
        self._show(rows, page=page, has_prev=page > 1)

    def _jump(self, page: int) -> None:
        """An arbitrary page: by offset inside the counted range, else the last page."""
        pages = self._pages()
        self._count(pages)
        if self.state["total_capped"]:
            if page > math.ceil(pages.cap / self.page_size):
                self.on_last_page()
                return
        else:
            page = min(page, self.state["page_count"])
        self._offset_page(pages, page)

    def _reload(self, *, recount: bool = False) -> None:
        """The page that is shown, from its first row on, with fresh values."""
        cursor = self.state.get("first")
        if not cursor or self.state.get("page") == 1:
            self._load_page()
            return
        pages = self._pages()
        self._count(pages, recount=recount)
        rows = pages.after(cursor, inclusive=True)
        self._show(rows, page=self.state.get("page"), has_prev=bool(self.state.get("has_prev")))
