"""Usernames that look like an existing one are refused wherever a username is set.

Look-alikes (accounts/lookalikes.py): case variants, full-width and other compatibility
forms, letters of other scripts drawn like Latin ones (a Cyrillic a in admin), `0`/`o`
and `1`/`l`. Each class is refused with the look-alike rule's message (code
`username_lookalike`) and nothing is saved; a genuinely different username is accepted.
"""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.lookalikes import LOOKALIKE_CODE, LOOKALIKE_RULE, find_lookalike, skeleton
from component_framework.testing import ComponentClient

from .conftest import PASSWORD

User = get_user_model()

# (existing username, look-alike); the comment names the class.
LOOKALIKES = [
    ("admin", "Admin"),  # case
    ("admin", "ADMIN"),  # case
    ("admin", "\uff41\uff44\uff4d\uff49\uff4e"),  # full-width forms (NFKC)
    ("admin", "\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427"),  # math bold (NFKC)
    ("admin", "\u0430dmin"),  # Cyrillic a
    ("admin", "\u0410DMIN"),  # Cyrillic capital A
    ("paypal", "\u0440\u0430y\u0440\u0430l"),  # Cyrillic p and a
    ("root", "r\u03bf\u03bft"),  # Greek omicron
    ("nico", "\u039dICO"),  # Greek capital Nu
    ("scope", "\u0455\u0441\u043e\u0440\u0435"),  # all Cyrillic
    ("bob", "b0b"),  # digit zero
    ("bill", "bi11"),  # digit one
    ("ana.lee", "\u0430na.lee"),  # with punctuation
    ("ivan_k", "\u0456van_k"),  # Ukrainian i
]
DIFFERENT = [
    ("admin", "admins"),
    ("admin", "adnim"),
    ("ana.lee", "ana_lee"),
    ("bob", "bobby"),
    ("admin", "\u0430dmins"),  # mixed script, but no existing user looks like it
]


@pytest.mark.parametrize(("existing", "lookalike"), LOOKALIKES)
def test_lookalikes_share_a_skeleton(existing, lookalike):
    assert skeleton(lookalike) == skeleton(existing)


@pytest.mark.parametrize(("existing", "other"), DIFFERENT)
def test_different_usernames_have_different_skeletons(existing, other):
    assert skeleton(other) != skeleton(existing)


@pytest.mark.django_db
@pytest.mark.parametrize(("existing", "lookalike"), LOOKALIKES)
def test_the_query_finds_each_lookalike(make_user, existing, lookalike):
    make_user(existing)
    make_user("unrelated")

    assert find_lookalike(User.objects.all(), lookalike) == existing


@pytest.mark.django_db
def test_the_query_finds_an_existing_non_ascii_lookalike(make_user):
    make_user("\u0430dmin")  # saved before this rule, or made through raw SQL

    assert find_lookalike(User.objects.all(), "admin") == "\u0430dmin"


@pytest.mark.django_db
def test_the_same_username_is_left_to_the_unique_constraint(make_user):
    make_user("admin")

    assert find_lookalike(User.objects.all(), "admin") is None


def assert_lookalike_refusal(error, existing):
    assert error.code == LOOKALIKE_CODE
    message = error.messages[0]
    assert f'"{existing}"' in message
    assert LOOKALIKE_RULE in message


# --- the model, its manager, createsuperuser ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("existing", "lookalike"), LOOKALIKES)
def test_model_validation_refuses_a_lookalike(make_user, existing, lookalike):
    make_user(existing)
    user = User(username=lookalike, email="new@example.com")
    user.set_password(PASSWORD)

    with pytest.raises(ValidationError) as refused:
        user.full_clean()

    assert_lookalike_refusal(refused.value.error_dict["username"][0], existing)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_model_validation_accepts_a_different_username_and_its_own(make_user):
    make_user("admin")
    user = make_user("admins")
    user.full_clean()  # its own username is no look-alike of itself

    User(username="ana", email="ana@example.com", password="x").full_clean()


@pytest.mark.django_db
def test_model_validation_normalises_the_username_to_nfkc():
    user = User(username="\uff4a\uff4f", email="jo@example.com", password="x")
    user.full_clean()
    assert user.username == "jo"


@pytest.mark.django_db
@pytest.mark.parametrize("create", ["create_user", "create_superuser"])
def test_create_user_refuses_a_lookalike(make_user, create):
    make_user("admin")

    with pytest.raises(ValidationError) as refused:
        getattr(User.objects, create)("\u0430dmin", "x@example.com", PASSWORD)

    assert_lookalike_refusal(refused.value, "admin")
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]


@pytest.mark.django_db
def test_create_user_accepts_a_different_username(make_user):
    make_user("admin")
    User.objects.create_user("adnim", "adnim@example.com", PASSWORD)
    assert User.objects.filter(username="adnim").exists()


@pytest.mark.django_db
def test_createsuperuser_refuses_a_lookalike(make_user, monkeypatch):
    make_user("admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    with pytest.raises(CommandError, match="looks like the existing username"):
        call_command(
            "createsuperuser", "--noinput", "--username", "\uff21DMIN", "--email", "a@b.co"
        )

    assert User.objects.count() == 1


@pytest.mark.django_db
def test_createsuperuser_accepts_a_different_username(make_user, monkeypatch):
    make_user("admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", "--username", "owner", "--email", "o@b.co")

    assert User.objects.get(username="owner").is_superuser


# --- Django admin's forms -------------------------------------------------------------------


@pytest.fixture
def admin_client_of(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("lookalike", ["R00T", "r\u043e\u043et", "\uff52\uff4f\uff4f\uff54"])
def test_django_admin_add_form_refuses_a_lookalike(admin_client_of, lookalike):
    data = {"username": lookalike, "password1": PASSWORD, "password2": PASSWORD}

    response = admin_client_of.post("/django-admin/accounts/user/add/", data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["username"]
    # Django's own form answers a case or width variant ("already exists") before ours.
    assert errors[0].code in {LOOKALIKE_CODE, "unique"}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_django_admin_add_form_refuses_a_script_lookalike_with_the_rule(admin_client_of):
    data = {"username": "r\u043e\u043et", "password1": PASSWORD, "password2": PASSWORD}

    response = admin_client_of.post("/django-admin/accounts/user/add/", data)

    errors = response.context["adminform"].form.errors.as_data()["username"]
    assert_lookalike_refusal(errors[0], "root")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_django_admin_add_form_accepts_a_different_username(admin_client_of):
    data = {"username": "rooted", "password1": PASSWORD, "password2": PASSWORD}

    response = admin_client_of.post("/django-admin/accounts/user/add/", data)

    assert response.status_code == 302
    assert User.objects.filter(username="rooted").exists()


@pytest.mark.django_db
def test_django_admin_change_form_refuses_renaming_to_a_lookalike(admin_client_of, make_user):
    mia = make_user("mia")
    url = f"/django-admin/accounts/user/{mia.pk}/change/"
    data = {
        "username": "r\u03bfot",
        "email": mia.email,
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
    }

    response = admin_client_of.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["username"]
    assert_lookalike_refusal(errors[0], "root")
    mia.refresh_from_db()
    assert mia.username == "mia"


# --- the panel's edit form ------------------------------------------------------------------

EDIT_URL = "/admin-panel/components/user-edit/"


def submit_username(actor, target, username):
    client = ComponentClient(user=actor)
    client.post(EDIT_URL, {"user_id": str(target.pk)})
    form = {"username": username, "email": target.email, "is_active": "true"}
    return client.event(EDIT_URL, "submit", **form)


def username_error(response):
    match = re.search(r'data-testid="edit-username-error">([^<]*)<', response.content.decode())
    return html.unescape(match.group(1)) if match else None


@pytest.mark.django_db
@pytest.mark.parametrize(("existing", "lookalike"), LOOKALIKES)
def test_the_panel_edit_form_refuses_a_lookalike(make_user, existing, lookalike):
    make_user(existing)
    staff = make_user("staffer", is_staff=True)
    mia = make_user("mia")

    response = submit_username(staff, mia, lookalike)

    assert response.status_code == 200
    error = username_error(response)
    assert f'"{existing}"' in error and LOOKALIKE_RULE in error
    mia.refresh_from_db()
    assert mia.username == "mia"


@pytest.mark.django_db
def test_the_panel_edit_form_saves_nfkc_and_accepts_a_different_username(make_user):
    make_user("admin")
    staff = make_user("staffer", is_staff=True)
    mia = make_user("mia")

    response = submit_username(staff, mia, "\uff4d\uff49\uff41\uff12")

    assert response.status_code == 200
    assert username_error(response) is None
    mia.refresh_from_db()
    assert mia.username == "mia2"


@pytest.mark.django_db
def test_the_panel_edit_form_refuses_a_name_nfkc_makes_too_long(make_user):
    staff = make_user("staffer", is_staff=True)
    mia = make_user("mia")

    response = submit_username(staff, mia, "\ufb00" * 100)  # the "ff" ligature: 200 characters

    assert response.status_code == 200
    assert "150" in username_error(response)
    mia.refresh_from_db()
    assert mia.username == "mia"
