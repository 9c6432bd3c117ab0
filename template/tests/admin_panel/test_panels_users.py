"""The users' model panel keeps the role rules: staff never edit a superuser, never change
role flags, nobody deactivates or deletes themselves."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from admin_panel.panels.components import ModelFormComponent

pytestmark = pytest.mark.django_db
User = get_user_model()
LIST = "/admin-panel/accounts/user/"
FORM = LIST + "form/"


def grant(user, *codenames):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=f"{codename}_user"))


def submit(client, actor, target, **changes):
    component = ModelFormComponent.load(
        user=actor, params={"panel": "accounts.user", "pk": target.pk}
    )
    data = {
        "username": target.username,
        "email": target.email,
        "first_name": target.first_name,
        "last_name": target.last_name,
        "is_active": "true" if target.is_active else "",
    }
    data.update(changes)
    return client.post(FORM, {"event": "submit", "state": component.get_state_token(), **data})


def test_every_member_of_staff_may_view_users_but_not_change_them(client, staff, member):
    # The role rules: staff see the users (as on the dashboard's user table); editing here
    # needs the change permission, and non-staff see nothing.
    client.force_login(staff)
    assert client.get(LIST).status_code == 200
    response = submit(client, staff, member, email="new@example.com")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.email == "mia@example.com"
    client.force_login(member)
    assert client.get(LIST).status_code != 200


def test_staff_with_change_permission_edit_a_member(client, staff, member):
    grant(staff, "view", "change")
    client.force_login(staff)
    response = submit(client, staff, member, email="new@example.com")
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert member.email == "new@example.com"


def test_staff_cannot_edit_a_superuser(client, staff, superuser):
    grant(staff, "view", "change")
    client.force_login(staff)
    response = submit(client, staff, superuser, email="taken@example.com")
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@example.com"


def test_staff_cannot_grant_staff_status(client, staff, member):
    grant(staff, "view", "change")
    client.force_login(staff)
    response = submit(client, staff, member, is_staff="true")
    assert response.status_code == 400  # not a field this user may send
    member.refresh_from_db()
    assert not member.is_staff


def test_superusers_grant_staff_status(client, superuser, member):
    client.force_login(superuser)
    response = submit(client, superuser, member, is_staff="true", is_superuser="")
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert member.is_staff


def test_nobody_deactivates_themselves(client, superuser):
    client.force_login(superuser)
    response = submit(client, superuser, superuser, is_active="")
    assert response.status_code == 400
    superuser.refresh_from_db()
    assert superuser.is_active


def test_nobody_deletes_themselves_in_bulk(client, superuser, member):
    client.force_login(superuser)
    data = {"action": "delete_selected", "pk": [superuser.pk, member.pk], "confirm": "yes"}
    assert client.post(LIST + "actions/", data).status_code == 302
    assert User.objects.filter(pk=superuser.pk).exists()
    assert not User.objects.filter(pk=member.pk).exists()
