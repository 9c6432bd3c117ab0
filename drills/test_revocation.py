"""Losing access takes effect on the very next event: a user whose staff flag is removed,
who is deactivated, or who logs out gets 403 for the component events they send next,
with the token their page still holds, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from component_framework.testing import ComponentClient

from .conftest import client_for, db_snapshot
from .endpoints import Targets, rendered_endpoints

pytestmark = pytest.mark.django_db

USERS_URL = "/admin-panel/components/users/"
EDIT_URL = "/admin-panel/components/user-edit/"


def demote_through_the_panel(superuser: Any, user: Any) -> None:
    """A superuser unticks "Staff" in the edit form (the panel's own path)."""
    root = client_for(superuser)
    assert root.post(EDIT_URL, {"user_id": str(user.pk)}).status_code == 200
    response = root.event(
        EDIT_URL,
        "submit",
        username=user.username,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        is_active="true",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert not user.is_staff


def deactivate_through_the_panel(superuser: Any, user: Any) -> None:
    root = client_for(superuser)
    root.load(USERS_URL)
    assert root.event(USERS_URL, "toggle_status", user_id=str(user.pk)).status_code == 200
    user.refresh_from_db()
    assert not user.is_active


def demote_outside_the_panel(superuser: Any, user: Any) -> None:
    """Django admin, a shell or a script: a plain save of the flag."""
    user.is_staff = False
    user.save()


def log_out(client: ComponentClient) -> None:
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)


def every_event_is_refused(client: ComponentClient, tokens: dict[str, str], targets: Targets):
    for endpoint in rendered_endpoints():
        for event, args in endpoint.events.items():
            before = db_snapshot()
            response = client.event(
                endpoint.url, event, token=tokens[endpoint.url_name], **args(targets)
            )
            assert response.status_code == 403, (endpoint.url_name, event, response.content)
            assert db_snapshot() == before


def open_everything(client: ComponentClient, targets: Targets) -> dict[str, str]:
    """Load every endpoint as the page would; the tokens it now holds, per URL name."""
    tokens = {}
    for endpoint in rendered_endpoints():
        if endpoint.load_data is None:
            response = client.load(endpoint.url)
        else:
            response = client.post(endpoint.url, endpoint.load_data(targets))
        assert response.status_code == 200
        assert client.token
        tokens[endpoint.url_name] = client.token
    return tokens


@pytest.mark.parametrize(
    "revoke",
    [demote_through_the_panel, demote_outside_the_panel, deactivate_through_the_panel],
    ids=["staff flag removed in the panel", "staff flag removed elsewhere", "deactivated"],
)
def test_revoked_staff_get_403_on_their_next_event(people, targets, make_user, revoke):
    staff = make_user("rel_soon_gone", is_staff=True)
    client = client_for(staff)
    tokens = open_everything(client, targets)
    revoke(people["superuser"], get_user_model().objects.get(pk=staff.pk))
    every_event_is_refused(client, tokens, targets)
    assert client.client.get("/admin-panel/").status_code != 200


def test_logged_out_staff_get_403_on_their_next_event(people, targets):
    client = client_for(people["staff"])
    tokens = open_everything(client, targets)
    log_out(client)
    every_event_is_refused(client, tokens, targets)
