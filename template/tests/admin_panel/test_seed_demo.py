"""`manage.py seed_demo`: demo rows in bulk, an admin account, repeatable and resettable."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from admin_panel.management.commands.seed_demo import DEMO_DOMAIN
from admin_panel.models import AuditEntry, KpiMonth, Subscription, UserActivity

pytestmark = pytest.mark.django_db


def seed(**options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err, seed=7, **options)
    return out.getvalue(), err.getvalue()


def demo_users():
    return get_user_model().objects.filter(email__endswith="@" + DEMO_DOMAIN)


def test_seed_creates_users_subscriptions_activity_and_history():
    out, err = seed(users=60, admin_password="Demo-password-42")
    assert demo_users().count() == 60
    assert Subscription.objects.filter(user__in=demo_users()).exists()
    assert Subscription.objects.filter(status="cancelled").exists()
    assert UserActivity.objects.filter(user__in=demo_users()).exists()
    assert AuditEntry.objects.filter(actor__in=demo_users()).exists()
    assert "Added 60 users" in out
    assert "100%" in err  # the progress bar


def test_bulk_rows_bypass_the_per_row_audit():
    seed(users=30, admin_password="Demo-password-42")
    assert not AuditEntry.objects.filter(action="create", target__contains=DEMO_DOMAIN).exists()
    creates = AuditEntry.objects.filter(action="create").values_list("target", flat=True)
    assert [t.split()[-1] for t in creates] == ["admin"]


def test_admin_gets_the_given_password():
    seed(users=0, admin_password="Demo-password-42")
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.check_password("Demo-password-42")


def test_admin_password_is_generated_and_printed_when_not_given():
    out, _ = seed(users=0)
    password = out.split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)


def test_an_existing_admin_keeps_its_password_unless_given():
    seed(users=0, admin_password="First-password-1")
    out, _ = seed(users=0)
    assert "unchanged" in out
    assert get_user_model().objects.get(username="admin").check_password("First-password-1")


def test_running_again_adds_only_the_missing_users():
    seed(users=20, admin_password="Demo-password-42")
    out, _ = seed(users=20)
    assert "nothing to add" in out
    seed(users=25)
    assert demo_users().count() == 25


def test_seeding_clears_the_stored_kpi_months():
    KpiMonth.objects.create(
        month=datetime.date(2020, 1, 1), as_of=timezone.now(), mau=1, mrr="1.00", churn_rate=0
    )
    seed(users=5, admin_password="Demo-password-42")
    assert not KpiMonth.objects.exists()


def test_demo_users_can_share_a_given_password(client):
    seed(users=3, admin_password="Demo-password-42", user_password="Shared-password-7")
    user = demo_users().first()
    credentials = {"username": user.username, "password": "Shared-password-7"}
    response = client.post("/accounts/login/", credentials)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_demo_users_cannot_log_in_without_a_user_password():
    seed(users=5, admin_password="Demo-password-42")
    assert not any(u.has_usable_password() for u in demo_users())


def test_reset_replaces_the_demo_data():
    seed(users=30, admin_password="Demo-password-42")
    seed(users=10, reset=True)
    assert demo_users().count() == 10
    assert (
        not AuditEntry.objects.filter(actor__isnull=False).exclude(actor__in=demo_users()).exists()
    )
    assert Subscription.objects.exclude(user__in=demo_users()).count() == 0
