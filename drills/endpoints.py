"""The table the hostile-input and revocation drills are driven by: each component endpoint
of the panel, how it is first loaded, and one valid call of each of its events.

`rendered_endpoints()` keeps the endpoints the project has: the metrics and audit-feed
endpoints exist only when those features were chosen, which their URL names tell. Who may use
each component is checked, for every route and event found in the URLconf, by the project's own
`tests/test_component_security.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Targets:
    """The users events act on: a plain member (manageable by staff) and a superuser."""

    member: Any
    superuser: Any


Args = Callable[[Targets], dict[str, str]]


def _no_args(targets: Targets) -> dict[str, str]:
    return {}


def _edit_form(targets: Targets) -> dict[str, str]:
    member = targets.member
    return {
        "username": member.username,
        "email": member.email,
        "first_name": "Edited",
        "last_name": member.last_name,
        "is_active": "true",
    }


@dataclass(frozen=True)
class Endpoint:
    """One component endpoint: URL name, component, first load and one valid call per event."""

    url_name: str
    component: str
    #: POST data that opens the component (None: opened with a GET).
    load_data: Callable[[Targets], dict[str, str]] | None = None
    events: dict[str, Args] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "admin_users",
        "user_list",
        events={
            "search": lambda t: {"query": "a"},
            "change_page": lambda t: {"page": "2"},
            "first_page": _no_args,
            "prev_page": _no_args,
            "next_page": _no_args,
            "last_page": _no_args,
            "toggle_status": lambda t: {"user_id": str(t.member.pk)},
            "refresh": _no_args,
        },
    ),
    Endpoint(
        "admin_user_edit",
        "user_edit",
        load_data=lambda t: {"user_id": str(t.member.pk)},
        events={"submit": _edit_form, "close": _no_args},
    ),
    Endpoint("admin_metrics", "metrics", events={"refresh": _no_args}),
    # `new_entry` is server-only (`@server_only`): no event a browser may post.
    Endpoint("admin_audit_log", "audit_log"),
)


def _exists(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


def rendered_endpoints() -> list[Endpoint]:
    """The endpoints of this project (a switched-off feature has no URL name)."""
    return [endpoint for endpoint in ENDPOINTS if _exists(endpoint.url_name)]
