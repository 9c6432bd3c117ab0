"""Each user's pages in their browser's time zone: `config.middleware.TimeZoneMiddleware`
activates the zone the `tz` cookie names; a cookie that names no zone is ignored."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from admin_panel.models import AuditEntry

#: An audit entry's time, and how a history page shows it in UTC and in Kolkata (UTC+5:30).
MOMENT = datetime.datetime(2025, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
IN_UTC = "2025-03-04 05:06:07"
IN_KOLKATA = "2025-03-04 10:36:07"


@pytest.fixture
def history(django_user_model, settings) -> tuple[Client, str]:
    """A signed-in superuser's client and the URL of their own history page (an entry at
    `MOMENT`), in a project whose `TIME_ZONE` is UTC."""
    settings.TIME_ZONE = "UTC"
    user = django_user_model.objects.create_user(
        "root", "root@example.com", "pw-not-used", is_staff=True, is_superuser=True
    )
    AuditEntry.objects.create(
        action=AuditEntry.Action.UPDATE,
        target=str(user),
        target_type=ContentType.objects.get_for_model(user),
        object_id=str(user.pk),
        timestamp=MOMENT,
    )
    client = Client()
    client.force_login(user)
    opts = user._meta
    url = reverse(
        "panel_history",
        kwargs={"app_label": opts.app_label, "model_name": opts.model_name, "pk": user.pk},
    )
    return client, url


def shown(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_browsers_time_zone_shows_the_pages_times_in_it(history):
    client, url = history
    assert IN_UTC in shown(client, url)  # no cookie yet: the project's TIME_ZONE
    client.cookies["tz"] = "Asia/Kolkata"
    html = shown(client, url)
    assert IN_KOLKATA in html and IN_UTC not in html
    assert timezone.get_current_timezone_name() == "UTC"  # not left active after the response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        "",
        "Mars/Olympus_Mons",
        "../../../../etc/passwd",
        "/etc/localtime",
        "Europe/../../etc/passwd",
        "Europe/Berlin\xa0",
        "Europe/Z\xfcrich",
        "Europe/" + "x" * 300,
        "zoneinfo.ZoneInfo('UTC')",
        "%2Fetc%2Fpasswd",
    ],
)
def test_a_cookie_that_names_no_time_zone_is_ignored(history, value):
    client, url = history
    client.cookies["tz"] = value
    assert IN_UTC in shown(client, url)
