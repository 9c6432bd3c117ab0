"""`config.middleware.DatabaseUnavailableMiddleware`, in process: an unreachable database
answers 503 (JSON for component endpoints, a plain page otherwise) on the sync (WSGI) and
async (ASGI) stacks, whether the failure comes from loading the session or from a view;
other errors are not disguised as outages. The real outage drill, against a running
server, is `test_faults_database.py`."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import AsyncClient, Client

from admin_panel.components import UserListComponent

from .conftest import client_for

pytestmark = pytest.mark.django_db

PAGE_URL = "/admin-panel/"
USERS_URL = "/admin-panel/components/users/"


def assert_json_503(response: Any) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert "unavailable" in response.json()["error"]
    assert response["Retry-After"].isdigit()


def assert_page_503(response: Any) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "temporarily unavailable" in body and "Traceback" not in body


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_event_whose_handler_loses_the_database_gets_json_503(people, error):
    client = client_for(people["staff"])
    client.load(USERS_URL)
    with mock.patch.object(UserListComponent, "_reload", side_effect=error("gone")):
        assert_json_503(client.event(USERS_URL, "refresh"))


def test_losing_the_database_while_loading_the_session_gives_503(people):
    client = client_for(people["staff"])
    client.load(USERS_URL)
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("gone")):
        assert_page_503(client.client.get(PAGE_URL))
        assert_json_503(client.event(USERS_URL, "refresh"))
        # htmx requests get JSON whatever the URL (their caller shows the error inline).
        assert_json_503(client.client.get(PAGE_URL, headers={"HX-Request": "true"}))


@pytest.mark.django_db(transaction=True)
async def test_the_async_stack_answers_503_too(people):
    client = AsyncClient()
    await client.aforce_login(people["staff"])
    with (
        mock.patch.object(SessionStore, "load", side_effect=OperationalError("gone")),
        mock.patch.object(SessionStore, "aload", side_effect=OperationalError("gone")),
    ):
        assert_page_503(await client.get(PAGE_URL))
        assert_json_503(await client.get(USERS_URL))
    assert (await client.get(PAGE_URL)).status_code == 200


def test_the_next_request_after_the_outage_is_served(people):
    client = client_for(people["staff"])
    client.load(USERS_URL)
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("gone")):
        assert client.event(USERS_URL, "refresh").status_code == 503
    assert client.event(USERS_URL, "refresh").status_code == 200


@pytest.mark.parametrize("error", [IntegrityError("dup"), ValueError("bug")])
def test_other_errors_are_not_disguised_as_outages(people, error):
    client = Client(raise_request_exception=False)
    client.force_login(people["staff"])
    with mock.patch("admin_panel.views.render", side_effect=error):
        assert client.get(PAGE_URL).status_code == 500
