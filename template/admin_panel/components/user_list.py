"""`UserListComponent`: the searchable, paginated user table with status toggles.

State and events live here; the rows come from a `Listing` (admin_panel/listing.py: search,
keyset pages, capped count, fast at a million users).
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

from ..listing import Listing, Page, Results
from ..roles import can_manage, check_can_toggle, is_self

User = get_user_model()

MAX_QUERY_LENGTH = 100
ROW_FIELDS = ("id", "username", "email", "is_active", "is_staff", "is_superuser", "date_joined")
COUNT_CAP = 1000  # users counted at most; past it the table reads "1,000+"
SEARCH_PAGES_COUNTED = 4  # a search is counted up to this many pages ("100+" at 25 a page)


def user_listing(page_size: int, *, searching: bool = False) -> Listing:
    """The user table's rows: newest first, searched by username and email."""
    return Listing(
        User.objects.values(*ROW_FIELDS),
        search_fields=["username", "email"],
        ordering=["-date_joined"],
        page_size=page_size,
        count_cap=SEARCH_PAGES_COUNTED * page_size if searching else COUNT_CAP,
    )


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
    (rows of the page), `total` (exact up to `COUNT_CAP` users, or `SEARCH_PAGES_COUNTED`
    pages of a search's results), `total_capped`, `page_count`
    (None when capped), `has_prev`, `has_next`, `first`/`last` (the signed keyset cursors
    of the page's first and last rows) and `notice`.

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
        page = self.state.get("page")
        self._show(self._results().after(cursor), page + 1 if page is not None else None)

    def on_prev_page(self) -> None:
        cursor = self.state.get("first")
        if not self.state.get("has_prev") or not cursor:
            self._load_page()
            return
        shown = self._results().before(cursor)
        page = self.state.get("page")
        if not shown.has_previous:  # reached the start: `before` gave the first page
            page = 1
        elif page is not None:
            page -= 1
        self._show(shown, page)

    def on_last_page(self) -> None:
        self.state["notice"] = ""
        results = self._results()
        if not self.state["total_capped"]:
            self._offset_page(results, self.state["page_count"])
            return
        self._show(results.last(), None)

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
        self._reload()

    # -- queries (admin_panel/listing.py) ----------------------------------------------------

    def _results(self) -> Results:
        """The current search, counted (each request counts afresh: the count is the look
        that picks the search's plan, so it costs nothing extra)."""
        query = str(self.state.get("query", "")).strip()
        results = user_listing(self.page_size, searching=bool(query)).query(query)
        total, capped = results.count()
        self.state.update(
            total=total,
            total_capped=capped,
            page_count=None if capped else max(1, math.ceil(total / self.page_size)),
        )
        return results

    def _show(self, shown: Page, page: int | None) -> None:
        self.state.update(
            users=shown.rows,
            first=shown.previous_cursor,
            last=shown.next_cursor,
            page=page,
            has_prev=shown.has_previous,
            has_next=shown.has_next,
        )

    def _load_page(self) -> None:
        """Page 1 of the current search."""
        self._show(self._results().first(), 1)

    def _offset_page(self, results: Results, page: int) -> None:
        self._show(results.at((page - 1) * self.page_size), page)

    def _jump(self, page: int) -> None:
        """An arbitrary page: by offset inside the counted range, else the last page."""
        results = self._results()
        if self.state["total_capped"]:
            if page > math.ceil(self.state["total"] / self.page_size):
                self.on_last_page()
                return
        else:
            page = min(page, self.state["page_count"])
        self._offset_page(results, page)

    def _reload(self) -> None:
        """The page that is shown, from its first row on, with fresh values."""
        cursor = self.state.get("first")
        if not cursor or self.state.get("page") == 1:
            self._load_page()
            return
        shown = self._results().after(cursor, inclusive=True)
        self._show(shown, self.state.get("page"))
