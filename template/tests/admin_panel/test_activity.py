"""ActivityMiddleware: signed-in requests mark the user active today, throttled."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin_panel.middleware import touch_activity
from admin_panel.models import UserActivity

pytestmark = pytest.mark.django_db


def test_a_signed_in_request_records_todays_activity(client, member):
    client.force_login(member)
    client.get("/accounts/login/")
    row = UserActivity.objects.get(user=member)
    assert row.day == timezone.localdate()


def test_activity_is_written_once_per_throttle_period(client, member):
    client.force_login(member)
    client.get("/accounts/login/")
    first = UserActivity.objects.get(user=member).last_seen
    with CaptureQueriesContext(connection) as queries:
        client.get("/accounts/login/")
    assert UserActivity.objects.get(user=member).last_seen == first
    assert not any("admin_panel_useractivity" in q["sql"] for q in queries.captured_queries)


def test_anonymous_requests_record_nothing(client):
    client.get("/accounts/login/")
    assert not UserActivity.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_the_async_path_records_activity(async_client, member):
    await async_client.aforce_login(member)
    await async_client.get("/accounts/login/")
    assert await UserActivity.objects.filter(user=member).acount() == 1


def test_a_database_failure_while_recording_never_fails_the_response(client, member, monkeypatch):
    from django.db import OperationalError

    from admin_panel import middleware

    def broken(user_pk):
        raise OperationalError("database is locked")

    monkeypatch.setattr(middleware, "touch_activity", broken)
    client.force_login(member)
    assert client.get("/accounts/login/").status_code in (200, 302)


def test_touch_updates_the_days_row_in_place(member):
    touch_activity(member.pk)
    first = UserActivity.objects.get(user=member).last_seen
    touch_activity(member.pk)
    [row] = UserActivity.objects.filter(user=member)
    assert row.last_seen >= first
