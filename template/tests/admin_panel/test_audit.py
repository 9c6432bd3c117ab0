"""Audit recording: what is recorded, the diff, the actor and IP, and after-commit delivery."""

import json
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from admin_panel import audit
from admin_panel.audit import audit_context, entry_committed
from admin_panel.models import AuditEntry, KpiMonth, Subscription, UserActivity

from .conftest import PASSWORD


def entries_for(obj):
    return list(
        AuditEntry.objects.filter(
            target_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).order_by("id")
    )


@pytest.fixture
def committed():
    """The entries delivered through `entry_committed` during the test."""
    received = []

    def receiver(sender, entry, **kwargs):
        received.append(entry)

    entry_committed.connect(receiver, dispatch_uid="test-committed")
    yield received
    entry_committed.disconnect(dispatch_uid="test-committed")


# --- what is recorded -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_is_recorded_with_the_new_values(django_user_model):
    with audit_context(ip="203.0.113.5"):
        user = django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)
    [entry] = entries_for(user)
    assert entry.action == "create"
    assert entry.target == f"accounts.User #{user.pk} alice"
    assert entry.changes["username"] == [None, "alice"]
    assert entry.changes["email"] == [None, "alice@example.com"]
    assert entry.ip == "203.0.113.5"
    assert entry.actor is None
    assert entry.actor_username == ""


@pytest.mark.django_db
def test_update_records_before_and_after_of_changed_fields_only(member):
    member.first_name = "Mia"
    member.email = "mia@new.example.com"
    member.save()
    entry = entries_for(member)[-1]
    assert entry.action == "update"
    assert entry.changes == {
        "first_name": ["", "Mia"],
        "email": ["mia@example.com", "mia@new.example.com"],
    }


@pytest.mark.django_db
def test_consecutive_saves_of_one_instance_diff_against_the_last_save(member):
    member.first_name = "One"
    member.save()
    member.first_name = "Two"
    member.save()
    assert entries_for(member)[-1].changes == {"first_name": ["One", "Two"]}


def selects_of(queries, model):
    """The SELECT statements among `queries` that read `model`'s table."""
    table = model._meta.db_table
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and table in q["sql"]]


@pytest.mark.django_db
def test_loading_instances_runs_no_audit_work(member, monkeypatch, django_assert_num_queries):
    calls = []
    monkeypatch.setattr(audit, "_plan_for", lambda model: calls.append(model))
    with django_assert_num_queries(2):
        users = list(type(member).objects.all())
        list(Subscription.objects.all())
    assert users == [member]
    assert calls == []
    assert not [key for key in vars(users[0]) if key.startswith("_audit")]


@pytest.mark.django_db
def test_an_update_reads_the_stored_row_once(member):
    sub = Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
    sub = Subscription.objects.get(pk=sub.pk)
    sub.plan = "team"
    with CaptureQueriesContext(connection) as queries:
        sub.save()
    assert len(selects_of(queries.captured_queries, Subscription)) == 1
    assert entries_for(sub)[-1].changes == {"plan": ["pro", "team"]}


@pytest.mark.django_db
def test_the_target_is_written_in_the_projects_language_whoever_saves(member, settings):
    other = "en" if settings.LANGUAGE_CODE != "en" else "de"
    with translation.override(other):
        sub = Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
        in_other_language = str(sub)
    with translation.override(settings.LANGUAGE_CODE):
        in_project_language = str(sub)
    assert in_other_language != in_project_language  # the name is translated
    assert entries_for(sub)[-1].target.endswith(in_project_language)


@pytest.mark.django_db
def test_a_create_reads_nothing(member):
    with CaptureQueriesContext(connection) as queries:
        Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
    assert selects_of(queries.captured_queries, Subscription) == []


@pytest.mark.django_db
def test_values_assigned_in_another_type_are_not_changes(member):
    # The instance keeps "29.00" (a str) after create(); the database returns a Decimal.
    sub = Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
    sub.plan = "team"
    sub.save()
    assert entries_for(sub)[-1].changes == {"plan": ["pro", "team"]}
    sub.monthly_amount = "39.00"
    sub.save()
    assert entries_for(sub)[-1].changes == {"monthly_amount": ["29.00", "39.00"]}


@pytest.mark.django_db
def test_an_instance_loaded_with_deferred_fields_records_what_it_changes(member):
    user = type(member).objects.only("first_name").get(pk=member.pk)
    user.first_name = "Deferred"
    user.last_name = "Assigned"  # assigned, so written, though never loaded
    user.save()
    assert entries_for(member)[-1].changes == {
        "first_name": ["", "Deferred"],
        "last_name": ["", "Assigned"],
    }
    user = type(member).objects.only("email").get(pk=member.pk)
    user.email = "deferred@example.com"
    user.save()
    assert entries_for(member)[-1].changes == {"email": ["mia@example.com", "deferred@example.com"]}


@pytest.mark.django_db
def test_the_before_is_the_stored_row_not_what_was_loaded(member):
    stale = type(member).objects.get(pk=member.pk)
    member.first_name = "First"
    member.save()
    stale.first_name = "Second"
    stale.save()
    assert entries_for(member)[-1].changes == {"first_name": ["First", "Second"]}


@pytest.mark.django_db
def test_a_save_after_a_rolled_back_one_diffs_against_the_database(member):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        member.first_name = "Never"
        member.save()
        raise Abort
    member.save()  # the same in-memory values, now really written
    assert entries_for(member)[-1].changes == {"first_name": ["", "Never"]}


@pytest.mark.django_db
def test_a_save_of_ignored_fields_only_reads_nothing(member):
    member.last_login = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        member.save(update_fields=["last_login"])
    assert selects_of(queries.captured_queries, type(member)) == []
    assert [e.action for e in entries_for(member)] == ["create"]


@pytest.mark.django_db
def test_a_save_that_changes_nothing_records_nothing(member):
    before = len(entries_for(member))
    member.save()
    assert len(entries_for(member)) == before


@pytest.mark.django_db
def test_update_fields_limit_the_diff_to_what_was_written(member):
    member.first_name = "Written"
    member.last_name = "Not written"
    member.save(update_fields=["first_name"])
    assert entries_for(member)[-1].changes == {"first_name": ["", "Written"]}


@pytest.mark.django_db
def test_password_values_never_reach_the_trail(member):
    old_hash = member.password
    member.set_password("another-long-password")
    member.save()
    entry = entries_for(member)[-1]
    assert entry.changes == {"password": ["(hidden)", "(changed)"]}
    stored = json.dumps([e.changes for e in AuditEntry.objects.all()])
    assert old_hash not in stored
    assert member.password not in stored


@pytest.mark.django_db
def test_delete_is_recorded_with_the_last_values(member):
    pk = member.pk
    member.delete()
    entry = AuditEntry.objects.filter(object_id=str(pk), action="delete").get()
    assert entry.target == f"accounts.User #{pk} mia"
    assert entry.changes["username"] == ["mia", None]
    assert entry.changes["password"] == ["(hidden)", None]


@pytest.mark.django_db
def test_delete_of_an_instance_with_deferred_fields_records_every_value(member):
    pk = member.pk
    type(member).objects.only("username").get(pk=pk).delete()
    entry = AuditEntry.objects.filter(object_id=str(pk), action="delete").get()
    assert entry.changes["email"] == ["mia@example.com", None]


@pytest.mark.django_db
def test_queryset_delete_and_cascades_record_one_entry_per_row(member, make_user):
    other = make_user("otto")
    sub = Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
    type(member).objects.filter(pk__in=[member.pk, other.pk]).delete()
    deleted = AuditEntry.objects.filter(action="delete")
    users = deleted.filter(target_type=ContentType.objects.get_for_model(member))
    assert sorted(users.values_list("object_id", flat=True)) == sorted(
        [str(member.pk), str(other.pk)]
    )
    [sub_entry] = deleted.filter(target_type=ContentType.objects.get_for_model(sub))
    assert (sub_entry.object_id, sub_entry.changes["plan"]) == (str(sub.pk), ["pro", None])


@pytest.mark.django_db
def test_other_models_are_audited_too(member):
    sub = Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
    sub.status, sub.cancelled_at = "cancelled", timezone.now()
    sub.save()
    [created, updated] = entries_for(sub)
    assert created.changes["monthly_amount"] == [None, "29.00"]
    assert updated.changes["status"] == ["active", "cancelled"]


@pytest.mark.django_db
def test_many_to_many_changes_are_recorded(member):
    group = Group.objects.create(name="support")
    member.groups.add(group)
    member.groups.remove(group)
    added, removed = entries_for(member)[-2:]
    assert added.changes == {"groups": [None, [str(group.pk)]]}
    assert removed.changes == {"groups": [[str(group.pk)], None]}


@pytest.mark.django_db
def test_excluded_models_are_not_recorded(member):
    before = AuditEntry.objects.count()
    session = SessionStore()
    session["x"] = 1
    session.create()
    UserActivity.objects.create(user=member, day=timezone.localdate())
    KpiMonth.objects.create(
        month=timezone.localdate().replace(day=1),
        as_of=timezone.now(),
        mau=1,
        mrr="0.00",
        churn_rate=0.0,
    )
    ContentType.objects.create(app_label="gone", model="gone")
    AuditEntry.objects.create(action="update", target="manual")
    assert AuditEntry.objects.count() == before + 1  # only the manual entry itself


@pytest.mark.django_db
def test_every_excluded_model_is_documented_in_one_list():
    assert {
        "sessions.session",
        "migrations.migration",
        "contenttypes.contenttype",
        "admin.logentry",
        "admin_panel.auditentry",
        "admin_panel.useractivity",
    } <= audit.EXCLUDED_MODELS


@pytest.mark.django_db
def test_logging_in_is_not_an_update(client, member):
    before = AuditEntry.objects.count()
    response = client.post("/accounts/login/", {"username": "mia", "password": PASSWORD})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.last_login is not None
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_bulk_writes_are_not_recorded_per_row(django_user_model):
    before = AuditEntry.objects.count()
    django_user_model.objects.bulk_create(
        [django_user_model(username=f"bulk{i}") for i in range(3)]
    )
    django_user_model.objects.filter(username__startswith="bulk").update(first_name="B")
    assert AuditEntry.objects.count() == before


# --- actor and IP -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_actor_and_ip_come_from_the_context(staff, member):
    with audit_context(user=staff, ip="198.51.100.7"):
        member.first_name = "Changed"
        member.save()
    entry = entries_for(member)[-1]
    assert entry.actor == staff
    assert entry.actor_username == "sam"
    assert entry.ip == "198.51.100.7"


@pytest.mark.django_db
def test_outside_a_context_the_change_has_no_actor(member):
    member.first_name = "Nobody"
    member.save()
    entry = entries_for(member)[-1]
    assert (entry.actor, entry.actor_username, entry.ip) == (None, "", None)


@pytest.mark.django_db
def test_an_invalid_ip_is_stored_as_empty(member):
    with audit_context(ip="not-an-ip"):
        member.first_name = "X"
        member.save()
    assert entries_for(member)[-1].ip is None


@pytest.mark.django_db
@pytest.mark.urls("tests.admin_panel.urls_audit")
def test_sync_request_path_records_the_signed_in_actor_and_ip(client, staff, member):
    client.force_login(staff)
    response = client.post(
        f"/sync/{member.pk}/", {"first_name": "ViaSync"}, REMOTE_ADDR="198.51.100.20"
    )
    assert response.status_code == 200
    entry = entries_for(member)[-1]
    assert entry.changes == {"first_name": ["", "ViaSync"]}
    assert (entry.actor, entry.ip) == (staff, "198.51.100.20")


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.admin_panel.urls_audit")
async def test_async_request_path_records_the_signed_in_actor_and_ip(async_client, staff, member):
    await async_client.aforce_login(staff)
    response = await async_client.post(f"/async/{member.pk}/", {"first_name": "ViaAsync"})
    assert response.status_code == 200
    entry = (await sync_to_async(entries_for)(member))[-1]
    assert entry.changes == {"first_name": ["", "ViaAsync"]}
    # The ASGI handler takes the address from the scope's client (the test client's).
    assert (entry.actor_id, entry.ip) == (staff.pk, "127.0.0.1")


@pytest.mark.django_db(transaction=True)
def test_context_follows_code_into_asgiref_worker_threads(staff, member):
    def rename() -> int:
        member.first_name = "Threaded"
        member.save()
        return threading.get_ident()

    async def run_in_other_thread() -> int:
        return await sync_to_async(rename, thread_sensitive=False)()

    with audit_context(user=staff, ip="198.51.100.30"):
        worker = async_to_sync(run_in_other_thread)()
    assert worker != threading.get_ident()
    entry = entries_for(member)[-1]
    assert (entry.actor, entry.ip) == (staff, "198.51.100.30")


@pytest.mark.django_db(transaction=True)
def test_a_user_deleting_their_own_account_leaves_a_valid_entry(member):
    pk = member.pk
    Subscription.objects.create(user=member, plan="pro", monthly_amount="29.00")
    with audit_context(user=member):
        member.delete()  # commits: a dangling actor reference would fail here
    deleted = AuditEntry.objects.filter(action="delete", object_id=str(pk)).get()
    assert (deleted.actor_id, deleted.actor_username) == (None, "mia")


# --- after commit -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_entries_are_delivered_only_after_the_transaction_commits(committed, django_user_model):
    with transaction.atomic():
        user = django_user_model.objects.create_user("late", password=PASSWORD)
        assert committed == []
    assert [e.target for e in committed] == [f"accounts.User #{user.pk} late"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_records_and_delivers_nothing(committed, django_user_model):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        django_user_model.objects.create_user("never", password=PASSWORD)
        raise Abort
    assert committed == []
    assert not AuditEntry.objects.filter(target__endswith=" never").exists()
    assert not django_user_model.objects.filter(username="never").exists()


@pytest.mark.django_db
def test_without_listeners_nothing_is_scheduled_on_commit(
    member, django_capture_on_commit_callbacks
):
    receivers = entry_committed.receivers
    entry_committed.receivers = []
    entry_committed.sender_receivers_cache.clear()
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            member.first_name = "Quiet"
            member.save()
    finally:
        entry_committed.receivers = receivers
        entry_committed.sender_receivers_cache.clear()
    assert callbacks == []
    assert entries_for(member)[-1].changes == {"first_name": ["", "Quiet"]}
