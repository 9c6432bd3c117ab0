"""UserListComponent: search, pagination (keyset and capped count), toggles and their rules,
through the component and through the real view with real permissions, signing and CSRF."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from admin_panel.components import UserListComponent
from admin_panel.components import user_list as user_list_module
from admin_panel.models import AuditEntry
from component_framework.core.errors import Forbidden
from component_framework.testing import ComponentClient, MockRenderer

User = get_user_model()
pytestmark = pytest.mark.django_db
URL = "/admin-panel/components/users/"


@pytest.fixture
def page_size(settings):
    settings.ADMIN_PANEL_PAGE_SIZE = 5
    return 5


@pytest.fixture
def many(make_user):
    """23 users joined one minute apart: user00 is the oldest, user22 the newest."""
    start = timezone.now() - timezone.timedelta(days=1)
    users = []
    for i in range(23):
        user = make_user(f"user{i:02d}")
        User.objects.filter(pk=user.pk).update(date_joined=start + timezone.timedelta(minutes=i))
        users.append(user)
    return users


@pytest.fixture
def table(staff, monkeypatch):
    monkeypatch.setattr(UserListComponent, "renderer", MockRenderer())

    def make(user=staff):
        component = UserListComponent(user=user)
        component.mount()
        return component

    return make


def names(component):
    return [row["username"] for row in component.state["users"]]


# --- search ---------------------------------------------------------------------------------


def test_search_matches_username_or_email(table, make_user):
    make_user("zed", email="zed@corp.test")
    make_user("amy", email="amy@zedmail.test")
    component = table()
    component.on_search("zed")
    assert sorted(names(component)) == ["amy", "zed"]
    component.on_search("ZEDMAIL")
    assert names(component) == ["amy"]


def test_search_keeps_what_was_typed_but_matches_the_trimmed_term(table, make_user):
    make_user("zed")
    component = table()
    component.on_search("zed ")
    assert component.state["query"] == "zed "
    assert names(component) == ["zed"]


def test_an_overlong_search_is_cut(table):
    component = table()
    component.on_search("x" * 500)
    assert len(component.state["query"]) == user_list_module.MAX_QUERY_LENGTH


def test_no_match_gives_an_empty_first_page(table):
    component = table()
    component.on_search("nobody-is-called-this")
    assert component.state["users"] == []
    assert (component.state["total"], component.state["page"]) == (0, 1)
    assert component.state["page_count"] == 1


# --- pages ------------------------------------------------------------------------------------


def test_newest_users_come_first(table, many, page_size):
    component = table()  # the staff fixture joined just now
    assert names(component)[:4] == ["sam", "user22", "user21", "user20"]


def test_pages_move_forward_and_back(table, many, page_size, staff):
    # 23 users + the staff fixture = 24 rows: pages of 5, 5, 5, 5, 4
    component = table()
    assert (component.state["total"], component.state["page_count"]) == (24, 5)
    first_page = names(component)
    component.on_next_page()
    assert component.state["page"] == 2
    second_page = names(component)
    assert not set(first_page) & set(second_page)
    component.on_prev_page()
    assert (component.state["page"], names(component)) == (1, first_page)
    assert not component.state["has_prev"]


def test_last_page_holds_the_remainder(table, many, page_size):
    component = table()
    component.on_last_page()
    assert component.state["page"] == 5
    assert names(component) == ["user03", "user02", "user01", "user00"]
    assert not component.state["has_next"]


@pytest.mark.parametrize(("asked", "shown"), [(99, 5), (0, 1), (-4, 1), (3, 3)])
def test_change_page_is_clamped_into_range(table, many, page_size, asked, shown):
    component = table()
    component.on_change_page(asked)
    assert component.state["page"] == shown
    assert len(component.state["users"]) in (4, 5)


def test_change_page_to_the_next_number_uses_the_cursor(table, many, page_size):
    component = table()
    component.on_change_page(2)
    after_two = names(component)
    component.on_change_page(3)
    component.on_change_page(2)
    assert names(component) == after_two


def test_search_resets_to_page_one(table, many, page_size):
    component = table()
    component.on_next_page()
    component.on_search("user1")
    assert component.state["page"] == 1
    assert component.state["total"] == 10


def test_past_the_count_cap_totals_are_not_counted(table, many, page_size, monkeypatch):
    monkeypatch.setattr(user_list_module, "COUNT_CAP", 10)
    component = table()
    assert component.state["total_capped"] is True
    assert component.state["total"] == 10
    assert component.state["page_count"] is None
    component.on_last_page()
    assert component.state["page"] is None  # "Last page": its number is unknown
    assert names(component)[-1] == "user00"
    component.on_prev_page()
    assert names(component)[-1] == "user05"
    component.on_change_page(50)  # beyond what the cap lets us number: the last page
    assert names(component)[-1] == "user00"


@pytest.mark.parametrize("counted_pages", [5, 2], ids=["few-matches", "capped"])
def test_a_search_pages_in_the_same_order_counted_or_not(
    table, many, page_size, monkeypatch, counted_pages
):
    # 23 matches: all counted (their pages sorted from just them) or past the cap (read in
    # the table's order); the pages are the same either way.
    monkeypatch.setattr(user_list_module, "SEARCH_PAGES_COUNTED", counted_pages)
    component = table()
    component.on_search("user")
    assert component.state["total_capped"] is (counted_pages == 2)
    seen = names(component)
    while component.state["has_next"]:
        component.on_next_page()
        seen += names(component)
    assert seen == [f"user{i:02d}" for i in range(22, -1, -1)]
    component.on_last_page()
    if counted_pages == 5:  # page 5 of 5 holds the remainder
        assert names(component) == ["user02", "user01", "user00"]
        component.on_prev_page()
        assert names(component) == ["user07", "user06", "user05", "user04", "user03"]
    else:  # "Last page": the five oldest
        assert names(component) == ["user04", "user03", "user02", "user01", "user00"]
        component.on_prev_page()
        assert names(component) == ["user09", "user08", "user07", "user06", "user05"]


def test_a_search_sorts_few_matches_and_walks_the_order_for_many(
    table, many, page_size, monkeypatch
):
    # The plans of admin_panel/listing.py, seen from the SQL of the page each case ends with.
    component = table()

    def page_query(action) -> str:
        with CaptureQueriesContext(connection) as queries:
            action()
        return queries.captured_queries[-1]["sql"]

    listing = page_query(component.on_first_page)
    few = page_query(lambda: component.on_search("user1"))
    few_next = page_query(component.on_next_page)
    monkeypatch.setattr(user_list_module, "SEARCH_PAGES_COUNTED", 1)  # 5 matches at most
    many_matches = page_query(lambda: component.on_search("user"))
    assert component.state["total_capped"] is True

    sorted_from_matches = '"id" IN ('  # the page is sorted from the matches' ids
    assert sorted_from_matches not in listing and "LIKE" not in listing
    # The first page of the few came with the look (the first rows in order held a page);
    # the next one is sorted from their ids.
    assert sorted_from_matches not in few and sorted_from_matches in few_next
    assert sorted_from_matches not in many_matches and "LIKE" in many_matches


def test_walking_back_from_the_last_page_ends_on_a_full_first_page(table, many, page_size):
    component = table()
    component.on_last_page()
    for _ in range(6):
        component.on_prev_page()
    assert component.state["page"] == 1
    assert len(component.state["users"]) == 5
    assert names(component)[:2] == ["sam", "user22"]


# --- toggles and their rules ------------------------------------------------------------------


def test_toggle_flips_the_flag_and_refreshes_the_row(table, member):
    component = table()
    component.on_toggle_status(member.pk)
    member.refresh_from_db()
    assert member.is_active is False
    row = next(r for r in component.state["users"] if r["id"] == member.pk)
    assert row["is_active"] is False
    assert component.state["notice"] == "mia deactivated."


def test_staff_cannot_deactivate_a_superuser(table, superuser):
    component = table()
    with pytest.raises(Forbidden):
        component.on_toggle_status(superuser.pk)
    superuser.refresh_from_db()
    assert superuser.is_active


def test_staff_cannot_deactivate_themselves(table, staff):
    component = table()
    with pytest.raises(Forbidden):
        component.on_toggle_status(staff.pk)
    staff.refresh_from_db()
    assert staff.is_active


def test_superusers_cannot_deactivate_themselves(table, superuser):
    component = table(superuser)
    with pytest.raises(Forbidden):
        component.on_toggle_status(superuser.pk)


def test_superusers_may_deactivate_staff(table, superuser, staff):
    component = table(superuser)
    component.on_toggle_status(staff.pk)
    staff.refresh_from_db()
    assert staff.is_active is False


def test_rows_say_which_buttons_the_actor_may_use(table, staff, superuser, member):
    rows = {r["username"]: r for r in table().rows}
    assert (rows["mia"]["can_toggle"], rows["mia"]["can_edit"]) == (True, True)
    assert (rows["root"]["can_toggle"], rows["root"]["can_edit"]) == (False, False)
    assert (rows["sam"]["can_toggle"], rows["sam"]["can_edit"]) == (False, True)


# --- through the real view --------------------------------------------------------------------


def test_url_name_is_the_contracts():
    assert reverse("admin_users") == URL


def test_staff_load_the_table_over_http(staff, member):
    client = ComponentClient(user=staff)
    response = client.load(URL)
    assert response.status_code == 200
    assert f'id="user-row-{member.pk}"' in response.content.decode()
    assert client.token


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_non_staff_get_json_403_without_redirect(who, member):
    client = ComponentClient(user=member if who == "member" else None)
    response = client.load(URL)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


def test_search_event_over_http(staff, make_user):
    make_user("findme")
    client = ComponentClient(user=staff)
    client.load(URL)
    response = client.event(URL, "search", query="findme")
    assert response.status_code == 200
    html = response.content.decode()
    assert "findme" in html
    assert 'data-testid="user-count-number">1<' in html


@pytest.mark.parametrize("thousands", [False, True])
def test_row_ids_in_html_are_never_localized(staff, settings, thousands):
    # With USE_THOUSAND_SEPARATOR an id of 12345 must not become "12,345" in the buttons.
    settings.USE_THOUSAND_SEPARATOR = thousands
    User.objects.create_user("big", "big@example.com", id=12345)
    html = ComponentClient(user=staff).load(URL).content.decode()
    assert 'id="user-row-12345"' in html
    assert '"user_id": "12345"' in html
    assert "12,345" not in html


def test_a_non_numeric_page_is_a_400_naming_the_field(staff):
    client = ComponentClient(user=staff)
    client.load(URL)
    response = client.event(URL, "change_page", page="abc")
    assert response.status_code == 400
    assert "page" in response.json()["error"]


def test_toggle_over_http_is_saved_and_audited_with_actor_and_ip(staff, member):
    client = ComponentClient(user=staff)
    client.load(URL)
    response = client.event(URL, "toggle_status", user_id=str(member.pk))
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.is_active is False
    entry = AuditEntry.objects.filter(object_id=str(member.pk), action="update").latest("id")
    assert entry.changes == {"is_active": [True, False]}
    assert (entry.actor, entry.ip) == (staff, "127.0.0.1")


def test_staff_toggling_a_superuser_gets_403_and_nothing_changes(staff, superuser):
    client = ComponentClient(user=staff)
    client.load(URL)
    response = client.event(URL, "toggle_status", user_id=str(superuser.pk))
    assert response.status_code == 403
    assert "superuser" in response.json()["error"]
    superuser.refresh_from_db()
    assert superuser.is_active


def test_toggling_a_missing_user_is_a_404(staff):
    client = ComponentClient(user=staff)
    client.load(URL)
    assert client.event(URL, "toggle_status", user_id="999999").status_code == 404


def test_an_event_without_the_csrf_header_is_refused(staff, member):
    client = ComponentClient(user=staff)
    client.load(URL)
    response = client.event(URL, "toggle_status", csrf=False, user_id=str(member.pk))
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.is_active


def test_a_tampered_token_is_refused(staff, member):
    client = ComponentClient(user=staff)
    client.load(URL)
    forged = client.token[:-3] + ("AAA" if not client.token.endswith("AAA") else "BBB")
    response = client.event(URL, "toggle_status", token=forged, user_id=str(member.pk))
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.is_active


def test_another_users_token_is_refused(staff, make_user, member):
    other_staff = make_user("otto", is_staff=True)
    theirs = ComponentClient(user=other_staff)
    theirs.load(URL)
    mine = ComponentClient(user=staff)
    response = mine.event(URL, "toggle_status", token=theirs.token, user_id=str(member.pk))
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.is_active


def test_paging_costs_at_most_five_queries(staff, many, page_size):
    client = ComponentClient(user=staff)
    client.load(URL)
    client.event(URL, "next_page")
    with CaptureQueriesContext(connection) as queries:
        response = client.event(URL, "next_page")
    assert response.status_code == 200
    assert len(queries.captured_queries) <= 5
