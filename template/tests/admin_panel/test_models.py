"""The panel's models: an append-only audit trail, consistent subscriptions, read-only admin."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from admin_panel.models import AppendOnlyError, AuditEntry, KpiMonth, Subscription, UserActivity

pytestmark = pytest.mark.django_db


def make_entry(**fields):
    fields.setdefault("action", AuditEntry.Action.UPDATE)
    fields.setdefault("target", "accounts.User #1 someone")
    return AuditEntry.objects.create(**fields)


def test_audit_entry_cannot_be_saved_again():
    entry = make_entry()
    entry.target = "rewritten history"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).target == "accounts.User #1 someone"


def test_audit_entry_cannot_be_deleted():
    entry = make_entry()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "operation",
    [
        lambda qs: qs.update(target="x"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["target"]),
        lambda qs: qs.update_or_create(pk=1, defaults={"target": "x"}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_audit_queryset_refuses_changes(operation):
    entry = make_entry()
    with pytest.raises(AppendOnlyError):
        operation(AuditEntry.objects.all())
    assert AuditEntry.objects.get(pk=entry.pk).target == entry.target


def test_audit_entries_are_newest_first():
    older = make_entry(timestamp=timezone.now() - timezone.timedelta(hours=1))
    newer = make_entry()
    assert list(AuditEntry.objects.all()) == [newer, older]


def test_deleting_the_actor_keeps_the_entry_and_its_username(make_user):
    actor = make_user("ghost")
    entry = make_entry(actor=actor, actor_username="ghost")
    actor.delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor_id is None
    assert entry.actor_username == "ghost"


def test_cancelled_subscription_needs_a_cancellation_time(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            user=member, plan="pro", monthly_amount="29.00", status="cancelled"
        )


def test_active_subscription_cannot_have_a_cancellation_time(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            user=member, plan="pro", monthly_amount="29.00", cancelled_at=timezone.now()
        )


def test_one_activity_row_per_user_and_day(member):
    today = timezone.localdate()
    UserActivity.objects.create(user=member, day=today)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserActivity.objects.create(user=member, day=today)


@pytest.mark.parametrize(
    "model", [AuditEntry, Subscription, UserActivity, KpiMonth], ids=lambda m: m.__name__
)
def test_django_admin_shows_the_models_read_only(client, superuser, model):
    client.force_login(superuser)
    base = f"/django-admin/admin_panel/{model._meta.model_name}/"
    assert client.get(base).status_code == 200
    assert client.get(base + "add/").status_code == 403


def test_django_admin_cannot_change_or_delete_an_audit_entry(client, superuser):
    entry = make_entry()
    client.force_login(superuser)
    url = f"/django-admin/admin_panel/auditentry/{entry.pk}/"
    page = client.get(url + "change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # a view-only page
    assert client.post(url + "change/", {"target": "forged"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).target == entry.target


def test_staff_without_permissions_cannot_see_the_audit_trail_in_django_admin(client, staff):
    client.force_login(staff)
    assert client.get("/django-admin/admin_panel/auditentry/").status_code == 403
