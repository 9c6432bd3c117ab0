"""The panel page: staff only, every enabled component on it."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin_panel"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin-panel/"


def test_signed_in_non_staff_get_the_login_page_with_a_notice(client, member):
    client.force_login(member)
    response = client.get(reverse("admin_panel"))
    assert response.status_code == 403
    assert b"doesn't have access to this page" in response.content
    assert b'name="username"' in response.content


def test_staff_see_the_panel(client, staff, member):
    client.force_login(staff)
    response = client.get(reverse("admin_panel"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="user-list"' in html
    assert 'data-testid="user-search"' in html
    assert f'id="user-row-{member.pk}"' in html
    assert "admin_panel/panel.css" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_stylesheet_is_served(client):
    response = client.get("/static/admin_panel/panel.css")
    assert response.status_code == 200
    assert b".cf-error" in b"".join(response.streaming_content)
