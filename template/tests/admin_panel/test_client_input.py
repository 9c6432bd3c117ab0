"""No 500 for anything a client can send to the panel (the search, the edit form, the page
and cursor values, the login form, the panel page's query string, cookies), on SQLite and
PostgreSQL alike: PostgreSQL refuses NUL characters, so each is refused with a 400 before a
query is made, and the same request with a sane value succeeds."""

import json
import urllib.parse

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from admin_panel.models import AuditEntry
from component_framework.testing import ComponentClient

User = get_user_model()
pytestmark = pytest.mark.django_db

USERS = "/admin-panel/components/users/"
EDIT = "/admin-panel/components/user-edit/"
FORM = "application/x-www-form-urlencoded"


def snapshot() -> dict:
    """Every column of every user row, and the number of audit entries."""
    columns = [f.attname for f in User._meta.concrete_fields]
    return {
        "users": list(User.objects.order_by("pk").values_list(*columns)),
        "audit": AuditEntry.objects.count(),
    }


def error_of(response) -> str:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)["error"]


@pytest.fixture
def users_table(staff):
    client = ComponentClient(staff)
    assert client.load(USERS).status_code == 200
    return client


@pytest.fixture
def edit_form(staff, member):
    client = ComponentClient(staff)
    assert client.post(EDIT, {"user_id": str(member.pk)}).status_code == 200
    return client


def edit_fields(member, **changes) -> dict[str, str]:
    return {
        "username": member.username,
        "email": member.email,
        "first_name": "Mia",
        "last_name": "",
        "is_active": "true",
        **changes,
    }


# -- the search and the page/cursor values ------------------------------------------------------


def test_a_nul_in_the_search_is_refused_and_a_sane_search_runs(users_table, member):
    before = snapshot()
    assert "NUL" in error_of(users_table.event(USERS, "search", query="mi\x00a"))
    assert snapshot() == before
    response = users_table.event(USERS, "search", query="mia")
    assert response.status_code == 200
    assert member.email in response.content.decode()


@pytest.mark.parametrize("page", ["1e309", "NaN", "9" * 5000, "2\x00"])
def test_hostile_page_numbers_are_refused(users_table, page):
    before = snapshot()
    assert "'page'" in error_of(users_table.event(USERS, "change_page", page=page))
    assert snapshot() == before


@pytest.mark.parametrize("page", [str(2**63), str(-(2**63)), "0"])
def test_out_of_range_page_numbers_are_clamped(users_table, page):
    assert users_table.event(USERS, "change_page", page=page).status_code == 200


@pytest.mark.parametrize("user_id", [str(2**63), "\x001"])
def test_hostile_user_ids_are_refused_and_change_nothing(users_table, user_id):
    before = snapshot()
    response = users_table.event(USERS, "toggle_status", user_id=user_id)
    assert response.status_code in (400, 404), response.content[:300]
    assert "error" in json.loads(response.content)
    assert snapshot() == before


def test_a_body_in_another_charset_is_refused_and_utf8_runs(users_table):
    fields = {"event": "search", "query": "mïa", "state": users_table.token}
    for charset in ("utf-16", "latin-1"):
        body = urllib.parse.urlencode(fields, encoding=charset).encode(charset)
        response = users_table.client.generic(
            "POST",
            USERS,
            body,
            content_type=f"{FORM}; charset={charset}",
            headers={"X-CSRFToken": users_table.csrf_token},
        )
        assert "UTF-8" in error_of(response)
    response = users_table.client.generic(
        "POST",
        USERS,
        urllib.parse.urlencode(fields).encode(),
        content_type=f"{FORM}; charset=utf-8",
        headers={"X-CSRFToken": users_table.csrf_token},
    )
    assert response.status_code == 200


# -- the edit form --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["username", "email", "first_name", "last_name", "is_active"])
def test_a_nul_in_an_edit_field_is_refused_and_saves_nothing(edit_form, member, field):
    before = snapshot()
    fields = edit_fields(member)
    fields[field] = fields[field] + "\x00"
    assert f"'{field}'" in error_of(edit_form.event(EDIT, "submit", **fields))
    assert snapshot() == before


def test_the_same_edit_without_the_nul_is_saved(edit_form, member):
    response = edit_form.event(EDIT, "submit", **edit_fields(member, first_name="Mía"))
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Mía"


def test_a_nul_in_the_user_id_that_opens_the_form_is_refused(staff, member):
    client = ComponentClient(staff)
    before = snapshot()
    assert "NUL" in error_of(client.post(EDIT, {"user_id": f"{member.pk}\x00"}))
    assert "NUL" in error_of(client.load(EDIT, {"user_id": "\x00"}))
    assert snapshot() == before
    assert client.post(EDIT, {"user_id": str(member.pk)}).status_code == 200


# -- the page, the login form, cookies -----------------------------------------------------------


def test_a_nul_in_the_panel_pages_query_string_is_a_400(staff):
    client = Client()
    client.force_login(staff)
    response = client.get("/admin-panel/?q=%00")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert client.get("/admin-panel/?q=a").status_code == 200


def test_a_nul_in_the_login_form_is_a_form_error_not_a_login(staff):
    from .conftest import PASSWORD

    client = Client()
    response = client.post("/accounts/login/", {"username": "sam\x00", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD + "\x00"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_session_cookie_holding_a_nul_is_a_400(staff):
    client = Client()
    client.cookies["sessionid"] = "\x00" * 32
    response = client.get("/admin-panel/")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert "NUL" in error_of(client.get(USERS))
    del client.cookies["sessionid"]
    assert client.get("/admin-panel/").status_code == 302  # to the login page
