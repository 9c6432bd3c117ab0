"""The role rules (`admin_panel/roles.py`) over HTTP, staff beside superusers.

Each case runs for both roles through the real views (permissions, token, CSRF). A refusal
is a JSON 403 that leaves the user acted on and the audit trail as they were.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import reverse

from admin_panel.models import AuditEntry
from component_framework.testing import ComponentClient

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    """Acting on `target` through `url_name`: open it (the edit form) or send `event`."""

    url_name: str
    target: str  # "member", "another superuser" or "self"
    event: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    staff: int = 403
    superuser: int = 200


CASES = {
    "toggle another superuser": Case("admin_users", "another superuser", "toggle_status"),
    "deactivate oneself": Case("admin_users", "self", "toggle_status", superuser=403),
    "make a member superuser": Case(
        "admin_user_edit", "member", "submit", {"is_superuser": "true"}
    ),
    "make a member staff": Case("admin_user_edit", "member", "submit", {"is_staff": "true"}),
    "open another superuser's form": Case("admin_user_edit", "another superuser"),
    "open a member's form": Case("admin_user_edit", "member", staff=200),
}


def arguments(case: Case, target: Any) -> dict[str, str]:
    if case.event == "toggle_status":
        return {"user_id": str(target.pk)}
    form = {
        "username": target.username,
        "email": target.email,
        "first_name": "Edited",
        "last_name": target.last_name,
        "is_active": "true",
    }
    return {**form, **case.fields}


def trace(target: Any) -> tuple[Any, ...]:
    """What a refused request must leave as it was: the target's row and the audit trail."""
    target.refresh_from_db()
    flags = (target.is_active, target.is_staff, target.is_superuser, target.first_name)
    return (*flags, AuditEntry.objects.count())


@pytest.mark.parametrize("role", ["staff", "superuser"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_role_rules(
    case: Case, role: str, request: pytest.FixtureRequest, make_user: Callable[..., Any]
) -> None:
    actor = request.getfixturevalue(role)
    targets = {
        "member": lambda: request.getfixturevalue("member"),
        "another superuser": lambda: make_user("root2", is_staff=True, is_superuser=True),
        "self": lambda: actor,
    }
    target = targets[case.target]()
    client = ComponentClient(actor)
    url = reverse(case.url_name)
    opened = (
        client.post(url, {"user_id": str(target.pk)})
        if case.url_name == "admin_user_edit"
        else client.load(url)
    )
    before = trace(target)
    if case.event is None:
        response = opened
    else:
        assert opened.status_code == 200
        response = client.event(url, case.event, **arguments(case, target))

    expected = case.staff if role == "staff" else case.superuser
    assert response.status_code == expected
    if expected == 403:
        assert "error" in response.json()
        assert trace(target) == before
    else:
        assert response["Content-Type"].startswith("text/html")
