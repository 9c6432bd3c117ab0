"""Model panels: the list (search, filters, sort, pages), forms, bulk actions, export and
history of a registered model, through the real views with real permissions."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from admin_panel.models import AuditEntry, Subscription
from admin_panel.panels import ModelPanel, site
from admin_panel.panels.views import safe_cell

pytestmark = pytest.mark.django_db
LIST = "/admin-panel/admin_panel/subscription/"
ROWS = LIST + "rows/"
FORM = LIST + "form/"


def grant(user, *codenames):
    """Give `user` the subscription permissions `codenames` ("view", "change", ...)."""
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=f"{codename}_subscription"))


@pytest.fixture
def subscriptions(make_user):
    """12 subscriptions: plans gold-00..gold-05 and silver-06..silver-11, created one
    hour apart (gold-00 the oldest); the last three cancelled."""
    owner = make_user("owner")
    start = timezone.now() - timezone.timedelta(days=2)
    rows = []
    for i in range(12):
        cancelled = i >= 9
        rows.append(
            Subscription.objects.create(
                user=owner,
                plan=f"{'gold' if i < 6 else 'silver'}-{i:02d}",
                monthly_amount=Decimal(10 + i),
                created=start + timezone.timedelta(hours=i),
                status="cancelled" if cancelled else "active",
                cancelled_at=timezone.now() if cancelled else None,
            )
        )
    return rows


def plans(html: str) -> list[str]:
    """The plan column of the rows in a rendered list, in order."""
    import re

    return re.findall(r'data-testid="panel-open">([^<]+)</a>', html)


def test_the_demo_registers_subscriptions_activity_and_audit_entries():
    labels = {panel.label for panel in site.panels}
    assert {
        "admin_panel.subscription",
        "admin_panel.useractivity",
        "admin_panel.auditentry",
    } <= labels


# --- the list -------------------------------------------------------------------------------


def test_superuser_sees_the_newest_first(client, superuser, subscriptions):
    client.force_login(superuser)
    response = client.get(LIST)
    assert response.status_code == 200
    assert plans(response.content.decode())[:3] == ["silver-11", "silver-10", "silver-09"]


def test_search_filters_and_sort_from_the_query_string(client, superuser, subscriptions):
    client.force_login(superuser)
    html = client.get(LIST, {"q": "GOLD", "o": "monthly_amount"}).content.decode()
    assert plans(html) == [f"gold-{i:02d}" for i in range(6)]
    html = client.get(LIST, {"status": "cancelled", "o": "-monthly_amount"}).content.decode()
    assert plans(html) == ["silver-11", "silver-10", "silver-09"]


@pytest.mark.parametrize(
    "params", [{"done": "abc"}, {"done": "3"}, {"deleted": "x"}, {"q": "\u00e9" * 500}]
)
def test_notices_and_long_searches_never_fail(client, superuser, subscriptions, params):
    client.force_login(superuser)
    assert client.get(LIST, params).status_code == 200


def test_date_range_filter_includes_both_days(client, superuser, subscriptions):
    client.force_login(superuser)
    day = timezone.localdate(subscriptions[0].created).isoformat()
    html = client.get(LIST, {"created_from": day, "created_to": day}).content.decode()
    expected = [s.plan for s in subscriptions if timezone.localdate(s.created).isoformat() == day]
    assert sorted(plans(html)) == sorted(expected)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "paused"},
        {"created_from": "yesterday"},
        {"user": "abc"},
        {"user": "99999999999999999999"},
        {"o": "user__password"},
        {"o": "-cancelled_at"},
        {"o": "--plan"},
    ],
)
def test_bad_parameters_are_a_json_400(client, superuser, subscriptions, params):
    client.force_login(superuser)
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert "error" in response.json()
    assert client.get(LIST + "export.csv", params).status_code == 400


def test_events_search_sort_and_page(client, superuser, subscriptions):
    from admin_panel.panels.components import ModelListComponent

    client.force_login(superuser)
    ModelPanelPage = site.panel_for("admin_panel.subscription")
    ModelPanelPage.list_per_page, size = 5, ModelPanelPage.list_per_page
    try:
        component = ModelListComponent.load(
            user=superuser, params={"panel": "admin_panel.subscription", "initial": {}}
        )
        token = component.get_state_token()

        def event(name, **data):
            nonlocal token
            response = client.post(ROWS, {"event": name, "state": token, **data})
            assert response.status_code == 200, response.content
            html = response.content.decode()
            token = html.split('data-cf-state="', 1)[1].split('"', 1)[0]
            return html

        assert plans(event("next_page")) == [f"silver-{i:02d}" for i in (6,)] + [
            f"gold-{i:02d}" for i in (5, 4, 3, 2)
        ]
        assert plans(event("last_page")) == ["gold-01", "gold-00"]
        assert plans(event("prev_page"))[0] == "silver-06"
        assert plans(event("apply", q="silver")) == [f"silver-{i:02d}" for i in range(11, 6, -1)]
        assert plans(event("sort", column="plan"))[0] == "silver-06"
        assert plans(event("sort", column="plan"))[0] == "silver-11"
        response = client.post(ROWS, {"event": "sort", "column": "user", "state": token})
        assert response.status_code == 400
    finally:
        ModelPanelPage.list_per_page = size


# --- permissions ----------------------------------------------------------------------------


def test_staff_without_view_permission_get_403_and_no_navigation_entry(
    client, staff, subscriptions
):
    client.force_login(staff)
    assert client.get(LIST).status_code == 403
    assert client.get(LIST + "export.csv").status_code == 403
    assert client.get(LIST + f"{subscriptions[0].pk}/").status_code == 403
    assert client.get(LIST + f"{subscriptions[0].pk}/history/").status_code == 403
    nav_entry = 'data-testid="nav-admin_panel.subscription"'
    assert nav_entry not in client.get("/admin-panel/").content.decode()
    # Positive control: with the view permission, the same staff member sees the list.
    grant(staff, "view")
    assert client.get(LIST).status_code == 200
    assert nav_entry in client.get("/admin-panel/").content.decode()


def test_view_permission_from_a_group(client, staff, subscriptions):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="billing")
    group.permissions.add(Permission.objects.get(codename="view_subscription"))
    client.force_login(staff)
    assert client.get(LIST).status_code == 403
    staff.groups.add(group)
    assert client.get(LIST).status_code == 200


def test_non_staff_with_the_permission_are_refused(client, member, subscriptions):
    grant(member, "view", "change")
    client.force_login(member)
    assert client.get(LIST).status_code == 403


def test_view_only_staff_cannot_save_and_nothing_changes(client, staff, subscriptions):
    from admin_panel.panels.components import ModelFormComponent

    target = subscriptions[0]
    grant(staff, "view")
    client.force_login(staff)
    assert client.get(LIST + f"{target.pk}/").status_code == 200
    component = ModelFormComponent.load(
        user=staff, params={"panel": "admin_panel.subscription", "pk": target.pk}
    )
    data = form_data(target, plan="hijacked")
    response = client.post(FORM, {"event": "submit", "state": component.get_state_token(), **data})
    assert response.status_code == 403, response.content
    target.refresh_from_db()
    assert target.plan == "gold-00"
    # Positive control: with the change permission the same submission saves.
    grant(staff, "change")
    response = client.post(FORM, {"event": "submit", "state": component.get_state_token(), **data})
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.plan == "hijacked"


def test_add_needs_the_add_permission(client, staff, subscriptions):
    from admin_panel.panels.components import ModelFormComponent

    grant(staff, "view", "change")
    client.force_login(staff)
    assert client.get(LIST + "add/").status_code == 403
    # A token for an add form, signed for this user (as if granted and then taken away).
    component = ModelFormComponent(
        params={"panel": "admin_panel.subscription", "pk": None}, user=staff
    )
    data = {"event": "submit", "state": component.get_state_token()}
    data.update(form_data(subscriptions[0], plan="smuggled"))
    assert client.post(FORM, data).status_code == 403
    assert not Subscription.objects.filter(plan="smuggled").exists()
    # Positive control: with the add permission the same submission creates it.
    grant(staff, "add")
    assert client.get(LIST + "add/").status_code == 200
    assert client.post(FORM, data).status_code == 200
    assert Subscription.objects.filter(plan="smuggled").count() == 1


def test_delete_needs_the_delete_permission(client, staff, subscriptions):
    target = subscriptions[0]
    grant(staff, "view", "change")
    client.force_login(staff)
    assert client.post(LIST + f"{target.pk}/delete/").status_code == 403
    assert Subscription.objects.filter(pk=target.pk).exists()
    grant(staff, "delete")
    assert client.get(LIST + f"{target.pk}/delete/").status_code == 200
    assert client.post(LIST + f"{target.pk}/delete/").status_code == 302
    assert not Subscription.objects.filter(pk=target.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(target.pk)).exists()


def test_read_only_panels_refuse_changes_even_to_superusers(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin-panel/admin_panel/auditentry/").status_code == 200
    assert client.get("/admin-panel/admin_panel/auditentry/add/").status_code == 403
    assert client.get("/admin-panel/admin_panel/useractivity/").status_code == 200


# --- forms ----------------------------------------------------------------------------------


def form_data(obj, **changes):
    data = {
        "user": str(obj.user_id),
        "plan": obj.plan,
        "status": obj.status,
        "monthly_amount": str(obj.monthly_amount),
        "created": timezone.localtime(obj.created).strftime("%Y-%m-%dT%H:%M:%S"),
        "cancelled_at": ""
        if obj.cancelled_at is None
        else timezone.localtime(obj.cancelled_at).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    data.update(changes)
    return data


def submit(client, user, pk, data):
    from admin_panel.panels.components import ModelFormComponent

    component = ModelFormComponent.load(
        user=user, params={"panel": "admin_panel.subscription", "pk": pk}
    )
    return client.post(FORM, {"event": "submit", "state": component.get_state_token(), **data})


def test_edit_saves_and_is_audited(client, superuser, subscriptions):
    target = subscriptions[0]
    client.force_login(superuser)
    response = submit(client, superuser, target.pk, form_data(target, monthly_amount="99.50"))
    assert response.status_code == 200
    assert 'data-testid="form-saved"' in response.content.decode()
    target.refresh_from_db()
    assert target.monthly_amount == Decimal("99.50")
    entry = AuditEntry.objects.filter(action="update", object_id=str(target.pk)).get()
    assert entry.actor_id == superuser.pk


def test_invalid_values_show_inline_errors_and_save_nothing(client, superuser, subscriptions):
    target = subscriptions[0]
    client.force_login(superuser)
    response = submit(
        client, superuser, target.pk, form_data(target, monthly_amount="lots", plan="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-monthly_amount"' in html
    assert 'data-testid="error-plan"' in html
    target.refresh_from_db()
    assert target.monthly_amount == Decimal(10)


def test_an_out_of_range_foreign_key_is_a_form_error(client, superuser, subscriptions):
    target = subscriptions[0]
    client.force_login(superuser)
    response = submit(client, superuser, target.pk, form_data(target, user="9" * 20))
    assert response.status_code == 200
    assert 'data-testid="error-user"' in response.content.decode()


def test_model_constraints_are_form_errors(client, superuser, subscriptions):
    target = subscriptions[0]
    client.force_login(superuser)
    response = submit(client, superuser, target.pk, form_data(target, status="cancelled"))
    assert response.status_code == 200
    assert 'data-testid="form-error-all"' in response.content.decode()
    target.refresh_from_db()
    assert target.status == "active"


def test_create_from_the_add_form(client, superuser, subscriptions):
    client.force_login(superuser)
    data = form_data(subscriptions[0], plan="brand-new")
    response = submit(client, superuser, None, data)
    assert response.status_code == 200, response.content
    created = Subscription.objects.get(plan="brand-new")
    assert AuditEntry.objects.filter(action="create", object_id=str(created.pk)).exists()


def test_readonly_fields_are_refused(client, superuser, subscriptions, monkeypatch):
    panel = site.panel_for("admin_panel.subscription")
    monkeypatch.setattr(panel, "readonly_fields", ["created"])
    target = subscriptions[0]
    client.force_login(superuser)
    response = submit(client, superuser, target.pk, form_data(target))
    assert response.status_code == 400
    data = form_data(target, plan="renamed")
    del data["created"]
    assert submit(client, superuser, target.pk, data).status_code == 200
    target.refresh_from_db()
    assert target.plan == "renamed"


# --- bulk actions ---------------------------------------------------------------------------


def test_bulk_delete_confirms_first_then_deletes_each_object(client, superuser, subscriptions):
    client.force_login(superuser)
    pks = [str(s.pk) for s in subscriptions[:3]]
    response = client.post(LIST + "actions/", {"action": "delete_selected", "pk": pks})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="confirm-object"') == 3
    assert Subscription.objects.count() == 12
    response = client.post(
        LIST + "actions/", {"action": "delete_selected", "pk": pks, "confirm": "yes"}
    )
    assert response.status_code == 302
    assert Subscription.objects.count() == 9
    assert AuditEntry.objects.filter(action="delete").count() == 3


def test_bulk_action_without_its_permission_changes_nothing(client, staff, subscriptions):
    grant(staff, "view", "change")
    client.force_login(staff)
    pks = [str(s.pk) for s in subscriptions[:2]]
    data = {"action": "delete_selected", "pk": pks, "confirm": "yes"}
    assert client.post(LIST + "actions/", data).status_code == 403
    assert Subscription.objects.count() == 12
    # Positive control: the declared action needs "change", which this member holds.
    data["action"] = "cancel"
    assert client.post(LIST + "actions/", data).status_code == 302
    assert Subscription.objects.filter(status="cancelled").count() == 5
    updates = AuditEntry.objects.filter(action="update", target__startswith="admin_panel.Sub")
    assert updates.count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"action": "nope", "pk": ["1"]},
        {"action": "cancel"},
        {"action": "cancel", "pk": "x"},
        {"action": "cancel", "pk": "99999999999999999999"},
    ],
)
def test_bad_bulk_requests_are_a_json_400(client, superuser, subscriptions, data):
    client.force_login(superuser)
    response = client.post(LIST + "actions/", data)
    assert response.status_code == 400
    assert "error" in response.json()


# --- export and history ---------------------------------------------------------------------


def test_export_streams_the_current_search_and_filters(client, superuser, subscriptions):
    client.force_login(superuser)
    response = client.get(LIST + "export.csv", {"q": "silver", "status": "active"})
    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Plan"
    assert sorted(row[0] for row in rows[1:]) == ["silver-06", "silver-07", "silver-08"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_neutralises_formulas(start):
    assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("plain") == "plain"


def test_export_cells_that_look_like_formulas_are_text(client, superuser, subscriptions):
    target = subscriptions[0]
    target.plan = "=HYPERLINK(1)"
    target.save()
    client.force_login(superuser)
    body = b"".join(client.get(LIST + "export.csv", {"q": "HYPERLINK"}).streaming_content)
    assert b"'=HYPERLINK(1)" in body


def test_history_lists_the_objects_audit_entries(client, superuser, staff, subscriptions):
    target = subscriptions[0]
    target.plan = "renamed"
    target.save()
    client.force_login(superuser)
    response = client.get(LIST + f"{target.pk}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="history-entry"') == 2  # created, renamed
    assert "renamed" in html
    assert client.get(LIST + "not-a-pk/history/").status_code == 400
    assert client.get(LIST + "99999999999999999999/history/").status_code == 400
    assert client.get(LIST + "99999999999999999999/").status_code == 400
    assert client.get(LIST + "999999/history/").status_code == 404


def test_a_panel_declared_in_a_few_lines():
    class Plain(ModelPanel):
        list_display = ["plan", "status"]

    panel = Plain(Subscription)
    assert panel.get_sortable_by() == ["plan", "status"]
    assert panel.get_ordering() == ["-created", "-id"]
    assert list(panel.get_actions()) == ["delete_selected"]
