"""UserEditComponent: validation, uniqueness and per-field role gating (DESIGN.md §4),
through the component and through the real view (permissions, signing, CSRF)."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from admin_panel.components import UserEditComponent
from admin_panel.models import AuditEntry
from component_framework.core.errors import Forbidden
from component_framework.testing import ComponentClient, MockRenderer

User = get_user_model()
pytestmark = pytest.mark.django_db
URL = "/admin-panel/components/user-edit/"


def form_of(user, **changes):
    """The fields the browser posts for `user`'s form, with `changes` applied."""
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "true"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def snapshot(user):
    user.refresh_from_db()
    return {
        f: getattr(user, f)
        for f in ("username", "email", "first_name", "is_active", "is_staff", "is_superuser")
    }


def open_form(actor, target):
    client = ComponentClient(user=actor)
    response = client.post(URL, {"user_id": str(target.pk)})
    return client, response


@pytest.fixture
def editor(monkeypatch):
    monkeypatch.setattr(UserEditComponent, "renderer", MockRenderer())

    def make(actor, target):
        component = UserEditComponent(params={"user_id": target.pk}, user=actor)
        component.mount()
        return component

    return make


def submit(component, data):
    component.handle_event("submit", data)
    return component


# --- component ------------------------------------------------------------------------------


def test_mount_loads_the_user_and_what_the_actor_may_not_change(editor, staff, member):
    component = editor(staff, member)
    assert component.state["username"] == "mia"
    assert component.state["locked"] == ["is_staff", "is_superuser"]


def test_superuser_editing_someone_else_has_nothing_locked(editor, superuser, member):
    assert editor(superuser, member).state["locked"] == []


def test_editing_yourself_locks_your_flags(editor, superuser):
    assert editor(superuser, superuser).state["locked"] == ["is_active", "is_staff", "is_superuser"]


def test_staff_cannot_open_a_superusers_form(editor, staff, superuser):
    with pytest.raises(Forbidden):
        editor(staff, superuser)


def test_a_valid_submit_saves_and_marks_saved(editor, staff, member):
    component = submit(
        editor(staff, member), form_of(member, email="mia@new.example.org", first_name="Mia")
    )
    assert component.errors == {}
    assert component.state["saved"] is True
    assert snapshot(member)["email"] == "mia@new.example.org"
    assert snapshot(member)["first_name"] == "Mia"


def test_an_invalid_email_is_an_inline_error_and_nothing_is_saved(editor, staff, member):
    component = submit(editor(staff, member), form_of(member, email="not-an-email"))
    assert "email" in component.errors
    assert component.state["email"] == "not-an-email"  # the form shows what was typed
    assert snapshot(member)["email"] == "mia@example.com"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "   ", "blank"),
        ("username", "bad name!", "letters, digits"),
        ("username", "x" * 151, "150"),
    ],
)
def test_username_rules(editor, staff, member, field, value, message):
    component = submit(editor(staff, member), form_of(member, **{field: value}))
    assert message in component.errors[field]
    assert snapshot(member)["username"] == "mia"


def test_username_and_email_must_be_unique(editor, staff, member, make_user):
    make_user("taken", email="taken@example.com")
    component = submit(
        editor(staff, member), form_of(member, username="taken", email="Taken@Example.com")
    )
    assert "already exists" in component.errors["username"]
    assert "already exists" in component.errors["email"]
    assert snapshot(member)["username"] == "mia"


def test_keeping_your_own_username_is_not_a_conflict(editor, staff, member):
    component = submit(editor(staff, member), form_of(member, first_name="Same"))
    assert component.errors == {}


def test_unchecking_active_deactivates(editor, staff, member):
    submit(editor(staff, member), form_of(member, is_active=None))
    assert snapshot(member)["is_active"] is False


def test_staff_cannot_grant_superuser(editor, staff, member):
    before = snapshot(member)
    with pytest.raises(Forbidden):
        submit(editor(staff, member), form_of(member, is_superuser="true"))
    assert snapshot(member) == before


def test_staff_cannot_grant_staff(editor, staff, member):
    with pytest.raises(Forbidden):
        submit(editor(staff, member), form_of(member, is_staff="on"))
    assert snapshot(member)["is_staff"] is False


def test_staff_cannot_remove_staff_from_another_staff_member(editor, staff, make_user):
    colleague = make_user("cole", is_staff=True)
    with pytest.raises(Forbidden):
        submit(editor(staff, colleague), form_of(colleague, is_staff="false"))
    assert snapshot(colleague)["is_staff"] is True


def test_staff_may_leave_role_fields_out(editor, staff, make_user):
    colleague = make_user("cole", is_staff=True)
    data = form_of(colleague, first_name="Cole")
    del data["is_staff"]  # disabled checkboxes are not posted
    submit(editor(staff, colleague), data)
    assert snapshot(colleague)["is_staff"] is True
    assert snapshot(colleague)["first_name"] == "Cole"


def test_superuser_may_grant_roles(editor, superuser, member):
    submit(editor(superuser, member), form_of(member, is_staff="true", is_superuser="true"))
    assert snapshot(member)["is_staff"] and snapshot(member)["is_superuser"]


def test_nobody_removes_their_own_superuser_flag(editor, superuser):
    with pytest.raises(Forbidden, match="your own superuser"):
        submit(editor(superuser, superuser), form_of(superuser, is_superuser="false"))
    assert snapshot(superuser)["is_superuser"] is True


def test_nobody_deactivates_themselves_through_the_form(editor, staff):
    with pytest.raises(Forbidden, match="deactivate your own"):
        submit(editor(staff, staff), form_of(staff, is_active="false"))
    assert snapshot(staff)["is_active"] is True


def test_a_target_promoted_meanwhile_is_refused_at_submit(editor, staff, member):
    component = editor(staff, member)
    User.objects.filter(pk=member.pk).update(is_superuser=True)
    with pytest.raises(Forbidden):
        submit(component, form_of(member, first_name="Late"))
    assert snapshot(member)["first_name"] == ""


def test_close_hides_the_form(editor, staff, member):
    component = editor(staff, member)
    component.on_close()
    assert component.state["closed"] is True


def test_submit_shows_saving_at_once():
    patch = UserEditComponent().get_optimistic_patch("submit", {})
    assert patch == {"saving": True, "saved": False}


# --- through the real view --------------------------------------------------------------------


def test_url_name_is_the_contracts():
    assert reverse("admin_user_edit") == URL


def test_staff_open_the_form_with_role_fields_disabled(staff, member):
    _, response = open_form(staff, member)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="edit-email"' in html
    assert re.search(r'name="is_superuser"[^>]*disabled', html)
    assert re.search(r'name="is_staff"[^>]*disabled', html)
    assert not re.search(r'name="is_active"[^>]*disabled', html)
    optimistic = re.search(r"data-cf-optimistic=\"([^\"]+)\"", html).group(1)
    assert json.loads(optimistic.replace("&quot;", '"'))["submit"]["saving"] is True


def test_superusers_get_role_fields_enabled(superuser, member):
    _, response = open_form(superuser, member)
    assert not re.search(r'name="is_superuser"[^>]*disabled', response.content.decode())


def test_opening_a_missing_user_is_a_404(staff):
    client = ComponentClient(user=staff)
    assert client.post(URL, {"user_id": "987654"}).status_code == 404


def test_opening_without_a_user_id_is_a_400(staff):
    client = ComponentClient(user=staff)
    assert client.post(URL, {}).status_code == 400


def test_staff_opening_a_superusers_form_gets_403(staff, superuser):
    _, response = open_form(staff, superuser)
    assert response.status_code == 403
    assert "superuser" in response.json()["error"]


def test_non_staff_cannot_open_the_form(member, make_user):
    _, response = open_form(member, make_user("other"))
    assert response.status_code == 403


def test_save_over_http_updates_the_row_and_is_audited(staff, member):
    client, _ = open_form(staff, member)
    response = client.event(URL, "submit", **form_of(member, email="mia@changed.example.org"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="edit-saved"' in html
    # The table row is replaced out of band with the server's values.
    row = re.search(rf'<tr id="user-row-{member.pk}"[^>]*hx-swap-oob="true"', html)
    assert row is not None
    assert "mia@changed.example.org" in html[row.start() :]
    entry = AuditEntry.objects.filter(object_id=str(member.pk), action="update").latest("id")
    assert entry.changes == {"email": ["mia@example.com", "mia@changed.example.org"]}
    assert entry.actor == staff


def test_errors_render_next_to_their_fields(staff, member):
    client, _ = open_form(staff, member)
    response = client.event(URL, "submit", **form_of(member, email="nope"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="edit-email-error"' in html
    assert 'aria-invalid="true"' in html
    assert snapshot(member)["email"] == "mia@example.com"


def test_staff_forging_is_superuser_gets_403_and_nothing_is_saved(staff, member):
    client, _ = open_form(staff, member)
    before = snapshot(member)
    response = client.event(
        URL, "submit", **form_of(member, first_name="Sneaky", is_superuser="true")
    )
    assert response.status_code == 403
    assert "superuser" in response.json()["error"].lower()
    assert snapshot(member) == before


def test_staff_promoting_themselves_gets_403(staff):
    client, _ = open_form(staff, staff)
    response = client.event(URL, "submit", **form_of(staff, is_superuser="true"))
    assert response.status_code == 403
    assert response.json()["error"] == "Only a superuser can change staff or superuser status."
    assert snapshot(staff)["is_superuser"] is False


def test_the_edited_user_cannot_be_switched_by_the_client(staff, member, make_user):
    victim = make_user("vic")
    client, _ = open_form(staff, member)
    response = client.event(
        URL, "submit", **form_of(member, email="x@x.example.org"), user_id=str(victim.pk)
    )
    assert response.status_code == 400
    assert "user_id" in response.json()["error"]
    assert snapshot(victim)["email"] == "vic@example.com"
    assert snapshot(member)["email"] == "mia@example.com"


def test_a_submit_without_csrf_is_refused(staff, member):
    client, _ = open_form(staff, member)
    response = client.event(URL, "submit", csrf=False, **form_of(member, first_name="NoCsrf"))
    assert response.status_code == 403
    assert snapshot(member)["first_name"] == ""


def test_a_form_token_is_bound_to_its_user(staff, member, make_user):
    other = make_user("otto", is_staff=True)
    client, _ = open_form(staff, member)
    theirs = ComponentClient(user=other)
    response = theirs.event(URL, "submit", token=client.token, **form_of(member, first_name="X"))
    assert response.status_code == 400
    assert snapshot(member)["first_name"] == ""
