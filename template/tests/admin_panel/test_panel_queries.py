"""At most five SQL queries per list request of a model panel and of the user table,
counting the session and the user: the list page, a search that hits and one that misses,
a filter, a sort and the last page."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin_panel.models import Subscription
from component_framework.testing import ComponentClient

LIST = "/admin-panel/admin_panel/subscription/"
ROWS = LIST + "rows/"
USERS = "/admin-panel/components/users/"
MAX_QUERIES = 5


@pytest.fixture
def subscriptions(make_user):
    """90 subscriptions, a third of them active (some of every kind on the first page)."""
    owner = make_user("owner")
    now = timezone.now()
    for i in range(90):
        cancelled = i % 3 != 0
        Subscription.objects.create(
            user=owner,
            plan=f"{'gold' if i % 2 else 'silver'}-{i:02d}",
            monthly_amount=Decimal(10 + i),
            created=now - timezone.timedelta(hours=i),
            status="cancelled" if cancelled else "active",
            cancelled_at=now if cancelled else None,
        )


@pytest.fixture
def panel(client, superuser, subscriptions):
    """A signed-in browser on the subscription list: post(event, **fields) -> response."""
    client.force_login(superuser)
    page = client.get(LIST).content.decode()
    token = re.search(r'data-cf-state="([^"]+)"', page).group(1)

    def post(event: str, **fields: str):
        return client.post(ROWS, {"event": event, "state": token, **fields})

    return post


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        ("apply", {"q": "gold"}),  # a common term
        ("apply", {"q": "silver-0"}),  # a rare one
        ("apply", {"q": "no-such-plan"}),
        ("apply", {"status": "cancelled"}),
        ("apply", {"status": "active", "q": "gold"}),
        ("sort", {"column": "monthly_amount"}),
        ("last_page", {}),
    ],
)
@pytest.mark.django_db
def test_each_list_request_takes_at_most_five_queries(
    panel, django_assert_max_num_queries, event, fields
):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = panel(event, **fields)
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_list_page_takes_at_most_five_queries(client, superuser, subscriptions):
    client.force_login(superuser)
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST + "?q=gold&status=cancelled").status_code == 200
    assert len(queries.captured_queries) <= MAX_QUERIES


@pytest.mark.parametrize(
    ("event", "fields"),
    [("search", {"query": "user"}), ("search", {"query": "nobody"}), ("last_page", {})],
)
@pytest.mark.django_db
def test_user_table_requests_take_at_most_five_queries(
    staff, make_user, django_assert_max_num_queries, event, fields
):
    for i in range(30):
        make_user(f"user{i:02d}")
    client = ComponentClient(user=staff)
    assert client.load(USERS).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.event(USERS, event, **fields)
    assert response.status_code == 200
