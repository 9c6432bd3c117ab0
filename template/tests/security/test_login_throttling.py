"""Login throttling (django-axes): repeated failures lock an account, or an address, out.

`AXES_FAILURE_LIMIT` failed logins for one username, or from one address, refuse every
further login of that username or from that address, the right password included, with
the lockout page (429), until the cool-off ends or an administrator lifts the lock.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


def log_in(client, username, password, address=HOME):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times=None, address=HOME):
    for _ in range(settings.AXES_FAILURE_LIMIT if times is None else times):
        log_in(client, username, "not-the-password", address)


def assert_locked_out(response, client):
    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    assert b'data-testid="lockout"' in response.content
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "_auth_user_id" not in client.session


def assert_logged_in(response, client, user):
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_limit_of_wrong_passwords_locks_the_account_even_for_the_right_one(client, make_user):
    mia = make_user("mia")
    fail(client, "mia")

    response = log_in(client, "mia", PASSWORD)

    assert_locked_out(response, client)
    mia.refresh_from_db()
    assert mia.last_login is None


def test_the_last_allowed_failure_already_answers_with_the_lockout_page(client, make_user):
    make_user("mia")
    fail(client, "mia", settings.AXES_FAILURE_LIMIT - 1)

    response = log_in(client, "mia", "still-wrong")

    assert_locked_out(response, client)


def test_the_lockout_page_is_a_page_of_the_site_with_a_way_back(client, make_user):
    make_user("mia")
    fail(client, "mia")

    response = log_in(client, "mia", PASSWORD)

    html = response.content.decode()
    assert '<h1 id="lockout-heading">' in html
    assert 'role="alert"' in html
    assert f'href="{LOGIN_URL}"' in html  # a link, so a keyboard user can leave
    assert response["Content-Type"].startswith("text/html")


def test_a_locked_account_stays_locked_from_another_address(client, make_user):
    make_user("mia")
    fail(client, "mia", address=HOME)

    assert_locked_out(log_in(client, "mia", PASSWORD, address=ELSEWHERE), client)


def test_failures_from_one_address_lock_it_for_every_account(client, make_user):
    make_user("sam")
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{i}", "not-the-password", address=HOME)

    assert_locked_out(log_in(client, "sam", PASSWORD, address=HOME), client)


def test_another_account_from_another_address_is_unaffected(client, make_user):
    make_user("mia")
    sam = make_user("sam")
    fail(client, "mia", address=HOME)

    assert_logged_in(log_in(client, "sam", PASSWORD, address=ELSEWHERE), client, sam)


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(client, make_user):
    mia = make_user("mia")
    fail(client, "mia", settings.AXES_FAILURE_LIMIT - 1)

    assert_logged_in(log_in(client, "mia", PASSWORD), client, mia)
    assert not AccessAttempt.objects.filter(username="mia").exists()  # success resets


def test_the_lock_ends_after_the_cool_off(client, make_user):
    mia = make_user("mia")
    fail(client, "mia")
    over = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=over)

    assert_logged_in(log_in(client, "mia", PASSWORD), client, mia)


@pytest.mark.parametrize(
    ("command", "args"),
    [("axes_reset", ()), ("axes_reset_username", ("mia",)), ("axes_reset_ip", (HOME,))],
)
def test_an_administrator_can_lift_the_lock(client, make_user, command, args):
    mia = make_user("mia")
    fail(client, "mia")
    assert_locked_out(log_in(client, "mia", PASSWORD), client)

    call_command(command, *args)

    assert_logged_in(log_in(client, "mia", PASSWORD), client, mia)


def test_lifting_one_lock_leaves_the_others(client, make_user):
    make_user("mia")
    make_user("sam")
    fail(client, "mia", address=HOME)
    fail(client, "sam", address=ELSEWHERE)

    call_command("axes_reset_username", "mia")

    assert_locked_out(log_in(client, "sam", PASSWORD, address=ELSEWHERE), client)
