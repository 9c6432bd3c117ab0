"""ComponentView over real HTTP: CSRF, permissions, tokens, params, errors, escaping."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from component_framework.core import state as codec
from component_framework.testing import ComponentClient, extract_state
from tests.framework.components import CounterComponent, SignupFormComponent

pytestmark = [pytest.mark.urls("tests.framework.urls"), pytest.mark.django_db]

COUNTER = "/t/counter/"
XSS = ["</script><script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def error_of(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"error"}
    return body["error"]


def count_in(response):
    html = response.content.decode()
    return int(html.split('<span class="count">')[1].split("<")[0])


@pytest.fixture
def client_for():
    return ComponentClient


# -- happy path ----------------------------------------------------------------------------


def test_get_renders_component_with_signed_state(user):
    client = ComponentClient(user)
    response = client.load(COUNTER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-cf-name="test_counter"' in html
    assert 'data-cf-id="c' in html
    payload = codec.unsign_state(extract_state(html), "test_counter", user)
    assert payload.state["count"] == 0
    assert "no-store" in response["Cache-Control"]


def test_events_round_trip_state_through_the_token(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    assert count_in(client.event(COUNTER, "add", amount="2")) == 2
    assert count_in(client.event(COUNTER, "add", amount="5")) == 7
    assert CounterComponent.calls.count("add") == 2


def test_component_id_is_kept_across_events(user):
    client = ComponentClient(user)
    first = client.load(COUNTER).content.decode()
    second = client.event(COUNTER, "add").content.decode()
    ident = first.split('data-cf-id="')[1].split('"')[0]
    assert f'data-cf-id="{ident}"' in second
    assert f'id="counter-{ident}"' in second


# -- CSRF ----------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    response = client.event(COUNTER, "add", csrf=False)
    assert "CSRF verification failed" in error_of(response, 403)
    assert CounterComponent.calls == []


def test_post_with_wrong_csrf_token_is_refused(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    response = client.client.post(
        COUNTER, {"event": "add", "state": client.token}, headers={"X-CSRFToken": "x" * 32}
    )
    assert "CSRF verification failed" in error_of(response, 403)
    assert CounterComponent.calls == []


def test_load_by_post_also_needs_csrf(user):
    client = ComponentClient(user)
    response = client.post(COUNTER, {}, csrf=False)
    assert "CSRF" in error_of(response, 403)
    assert "render" not in CounterComponent.calls


# -- permissions ---------------------------------------------------------------------------


def test_anonymous_get_is_a_json_403_without_render():
    response = ComponentClient().load(COUNTER)
    assert error_of(response, 403) == "Authentication required"
    assert CounterComponent.calls == []


def test_anonymous_event_is_a_json_403(user):
    token = extract_state(ComponentClient(user).load(COUNTER).content)
    CounterComponent.calls.clear()
    response = ComponentClient().event(COUNTER, "add", token=token)
    assert error_of(response, 403) == "Authentication required"
    assert CounterComponent.calls == []


def test_inactive_user_is_refused(user):
    client = ComponentClient(user)
    user.is_active = False
    user.save()
    assert error_of(client.load(COUNTER), 403) == "Authentication required"


def test_component_permissions_apply_behind_a_permissive_view(user, staff):
    response = ComponentClient(user).load("/t/staff-only/")
    assert error_of(response, 403) == "Staff access required"
    assert b"secret" not in response.content
    assert ComponentClient(staff).load("/t/staff-only/").status_code == 200


def test_component_permissions_apply_to_events(user, staff):
    staff_client = ComponentClient(staff)
    staff_client.load("/t/staff-only/")
    token = staff_client.token
    response = ComponentClient(user).event("/t/staff-only/", "add", token=token)
    assert error_of(response, 403) == "Staff access required"


def test_view_permissions_are_checked_too(user, staff):
    assert error_of(ComponentClient(user).load("/t/staff-gate/"), 403) == "Staff access required"
    assert ComponentClient(staff).load("/t/staff-gate/").status_code == 200


def test_per_event_permission_refuses_with_403_and_runs_nothing(staff, superuser):
    client = ComponentClient(staff)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    client.event(COUNTER, "add", amount="3")
    token_before = client.token
    CounterComponent.calls.clear()
    response = client.event(COUNTER, "reset")
    assert error_of(response, 403) == "Superuser access required"
    assert client.token == token_before
    assert CounterComponent.calls == []
    root = ComponentClient(superuser)
    root.load(COUNTER)
    root.event(COUNTER, "add", amount="3")
    assert count_in(root.event(COUNTER, "reset")) == 0


def test_public_component_serves_anonymous_users():
    client = ComponentClient()
    assert client.load("/t/public/").status_code == 200
    assert count_in(client.event("/t/public/", "add")) == 1


def test_function_view_decorator_answers_json_403(user, staff):
    assert error_of(ComponentClient(user).client.get("/t/report/"), 403) == "Staff access required"
    assert error_of(Client().get("/t/report/"), 403) == "Staff access required"
    assert ComponentClient(staff).client.get("/t/report/").content == b"report"


def test_cbv_mixin_answers_json_403(user, staff):
    response = ComponentClient(user).client.get("/t/report-cbv/")
    assert error_of(response, 403) == "Staff access required"
    assert ComponentClient(staff).client.get("/t/report-cbv/").content == b"report"


# -- tokens --------------------------------------------------------------------------------


def test_tampered_token_is_refused(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    token = client.token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    assert error_of(client.event(COUNTER, "add", token=flipped), 400) == "State token is invalid."
    assert CounterComponent.calls == []


def test_token_of_another_component_is_refused(user):
    client = ComponentClient(user)
    client.load("/t/public/")
    response = client.event(COUNTER, "add", token=client.token)
    assert error_of(response, 400) == "State token was issued for another component."
    assert CounterComponent.calls == []


def test_token_of_another_user_is_refused(user, staff):
    alice = ComponentClient(user)
    alice.load(COUNTER)
    CounterComponent.calls.clear()
    response = ComponentClient(staff).event(COUNTER, "add", token=alice.token)
    assert error_of(response, 400) == "State token was issued to another user."
    assert CounterComponent.calls == []


def test_expired_token_is_refused(user, settings):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    settings.COMPONENT_STATE_MAX_AGE = -1
    response = client.event(COUNTER, "add")
    assert error_of(response, 400) == "State token has expired; reload the page."
    assert CounterComponent.calls == []


def test_missing_token_is_refused(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    assert error_of(client.event(COUNTER, "add", token=""), 400) == "Missing state token."
    response = client.post(COUNTER, {"event": "add"})
    assert error_of(response, 400) == "Missing state token."
    assert CounterComponent.calls == []


def test_oversized_token_is_refused(user, settings):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    settings.COMPONENT_STATE_MAX_BYTES = 100
    assert error_of(client.event(COUNTER, "add"), 400) == "State token is too large."
    assert CounterComponent.calls == []


def test_state_grown_past_the_bound_is_a_400(user, settings):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    settings.COMPONENT_STATE_MAX_BYTES = len(client.token) + 50
    import secrets

    response = client.event(COUNTER, "echo", text=secrets.token_hex(200))
    assert "too large" in error_of(response, 400)


# -- event names and arguments -------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "rule"),
    [
        ("_private", "names starting with '_' are private"),
        ("__init__", "names starting with '_' are private"),
        ("__class__", "names starting with '_' are private"),
        ("mount", "lifecycle methods are not events"),
        ("render", "lifecycle methods are not events"),
        ("dispatch", "lifecycle methods are not events"),
        ("", "Event name is required"),
        ("a.b", "names may contain only letters, digits and '_'"),
        ("x" * 10_240, "longer than 64 characters"),
        ("<script>", "names may contain only letters, digits and '_'"),
        ("ädd", "names may contain only letters, digits and '_'"),
        ("add\x00", "names may contain only letters, digits and '_'"),
        ("nope", "Unknown event"),
    ],
    ids=lambda value: repr(value[:12]) if isinstance(value, str) else None,
)
def test_refused_event_names_over_http(user, event, rule):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    response = client.event(COUNTER, event)
    message = error_of(response, 400)
    assert rule in message
    assert b"<" not in response.content
    assert CounterComponent.calls == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"amount": "5abc"}, "Invalid value for 'amount'"),
        ({"amount": "1", "bogus": "1"}, "Unexpected argument 'bogus'"),
        ({"amount": ["1", "2"]}, "Invalid value for 'amount'"),
    ],
)
def test_bad_arguments_over_http(user, args, message):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    assert message in error_of(client.event(COUNTER, "add", **args), 400)
    assert CounterComponent.calls == []


def test_missing_argument_over_http(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    assert error_of(client.event(COUNTER, "set_flag"), 400) == "Missing argument 'flag'."


def test_string_arguments_are_coerced_over_http(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    response = client.event(COUNTER, "set_flag", flag="false")
    assert '<span class="flag">off</span>' in response.content.decode()


def test_handler_object_does_not_exist_is_a_json_404(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    assert error_of(client.event(COUNTER, "missing_object"), 404) == "No such thing."


def test_unknown_component_is_a_json_404(user):
    assert "Unknown component" in error_of(ComponentClient(user).load("/t/missing/"), 404)


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_other_methods_are_a_json_405(user, method):
    client = ComponentClient(user)
    response = getattr(client.client, method)(COUNTER)
    assert error_of(response, 405) == "Method not allowed."


# -- hostile input -------------------------------------------------------------------------


def test_hostile_bodies_never_give_a_500(user, settings):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    headers = {"X-CSRFToken": client.csrf_token}
    raw = client.client.post
    bodies = [
        (b"event=add&state=" + b"%ff%fe" * 10, "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"event=echo&text=%ED%A0%80", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b'{"event": "add"}', "application/json"),
        (
            b"event=add&" + b"&".join(b"f%d=1" % i for i in range(500)),
            "application/x-www-form-urlencoded",
        ),
        (b"event=add&state=" + b"a" * 300_000, "application/x-www-form-urlencoded"),
    ]
    for body, content_type in bodies:
        response = raw(COUNTER, body, content_type=content_type, headers=headers)
        assert response.status_code in (200, 400), (body[:40], response.status_code)
    for state in (["a", "b"], "a" * 5000, ".", ":", "e30:1:2"):
        response = client.event(COUNTER, "add", token=state)
        assert response.status_code == 400
    assert "add" not in CounterComponent.calls


# -- params --------------------------------------------------------------------------------


@pytest.fixture
def target(db):
    return get_user_model().objects.create_user("target", "t@example.com", "pw")


@pytest.fixture
def bystander(db):
    return get_user_model().objects.create_user("bystander", "b@example.com", "pw")


def test_params_come_from_the_server_and_stay_in_the_token(staff, target, bystander):
    client = ComponentClient(staff)
    response = client.post("/t/user-card/", {"user_id": str(target.pk)})
    assert "<h2>target</h2>" in response.content.decode()
    payload = codec.unsign_state(client.token, "test_user_card", staff)
    assert payload.params == {"user_id": target.pk}
    # A client trying to point the event at another user is refused, not obeyed.
    refused = client.event("/t/user-card/", "toggle", user_id=str(bystander.pk))
    assert error_of(refused, 400) == "Unexpected argument 'user_id'."
    bystander.refresh_from_db()
    target.refresh_from_db()
    assert bystander.is_active and target.is_active
    toggled = client.event("/t/user-card/", "toggle")
    assert "inactive" in toggled.content.decode()
    bystander.refresh_from_db()
    target.refresh_from_db()
    assert bystander.is_active and not target.is_active


def test_bad_params_are_a_400_and_missing_objects_a_404(staff):
    client = ComponentClient(staff)
    response = client.post("/t/user-card/", {"user_id": "abc"})
    assert error_of(response, 400) == "Invalid component parameters."
    response = client.post("/t/user-card/", {"user_id": "987654"})
    assert error_of(response, 404) == "User matching query does not exist."


def test_params_of_a_refused_user_are_never_read(user, target):
    response = ComponentClient(user).post("/t/user-card/", {"user_id": "abc"})
    assert error_of(response, 403) == "Staff access required"


# -- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_state_values_stay_escaped_in_html(user, payload):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    html = client.event(COUNTER, "echo", text=payload).content.decode()
    assert payload not in html
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;" in html
    assert codec.unsign_state(client.token, "test_counter", user).state["text"] == payload


def test_error_messages_are_json_escaped(user):
    client = ComponentClient(user)
    client.load(COUNTER)
    CounterComponent.calls.clear()
    response = client.event(COUNTER, "add", **{"<img src=x onerror=alert(1)>": "1"})
    assert b"<img" not in response.content
    assert "<img src=x onerror=alert(1)>" in error_of(response, 400)


# -- forms ---------------------------------------------------------------------------------


FORM = "/t/form/"


def test_form_errors_render_inline_and_on_submit_does_not_run(user):
    client = ComponentClient(user)
    client.load(FORM)
    response = client.event(FORM, "submit", username="  ", email="not-an-email", age="x")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="username">Username cannot be blank.' in html
    assert 'data-field="email">value is not a valid email address' in html
    assert 'value="not-an-email"' in html
    assert SignupFormComponent.saved == []


def test_valid_form_calls_on_submit_with_validated_data(user):
    client = ComponentClient(user)
    client.load(FORM)
    response = client.event(FORM, "submit", username=" ann ", email="ann@example.com", age="41")
    assert '<p class="done">Saved</p>' in response.content.decode()
    (data,) = SignupFormComponent.saved
    assert (data.username, data.email, data.age) == ("ann", "ann@example.com", 41)


def test_form_role_gating_refuses_with_403_and_saves_nothing(user, superuser):
    client = ComponentClient(user)
    client.load(FORM)
    response = client.event(
        FORM, "submit", username="ann", email="ann@example.com", is_admin="true"
    )
    assert error_of(response, 403) == "Only superusers may set 'is_admin'."
    assert SignupFormComponent.saved == []
    root = ComponentClient(superuser)
    root.load(FORM)
    root.event(FORM, "submit", username="ann", email="ann@example.com", is_admin="true")
    assert SignupFormComponent.saved[0].is_admin is True


def test_form_unknown_field_is_a_400(user):
    client = ComponentClient(user)
    client.load(FORM)
    response = client.event(FORM, "submit", username="a", email="a@example.com", role="x")
    assert error_of(response, 400) == "Unexpected field 'role'."
    assert SignupFormComponent.saved == []


def test_optimistic_patch_is_rendered_on_the_root(user):
    html = ComponentClient(user).load(FORM).content.decode()
    root = html.split(">")[0]
    assert "data-cf-optimistic=" in root
    attribute = root.split('data-cf-optimistic="')[1].split('"')[0]
    assert json.loads(attribute.replace("&quot;", '"')) == {"submit": {"saving": True}}


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("add", {"amount": "9" * 5000}),
        ("add", {"amount": "1e3"}),
        ("add", {"amount": "NaN"}),
        ("add", {"amount": "0x10"}),
        ("configure", {"options": "[" * 50_000, "tags": "[]"}),
        ("configure", {"options": '{"a": ' * 5_000 + "1" + "}" * 5_000, "tags": "[]"}),
        ("configure", {"options": "{}", "tags": '["x"' + ', "x"' * 20_000 + "]"}),
        ("echo", {"text": "\x00\u202e"}),
    ],
    ids=["huge-int", "float-int", "nan", "hex", "deep-list", "deep-dict", "long-list", "nul"],
)
def test_hostile_arguments_never_give_a_500(user, event, args):
    client = ComponentClient(user)
    client.load(COUNTER)
    response = client.event(COUNTER, event, **args)
    assert response.status_code in (200, 400), response.content[:200]
    if response.status_code == 400:
        assert "error" in response.json()


def test_post_event_helper_goes_through_the_real_view(user, staff):
    from component_framework.testing import post_event

    assert count_in(post_event(COUNTER, "add", user=user, amount="4")) == 4
    refused = post_event("/t/staff-gate/", "add", user=user)
    assert error_of(refused, 403) == "Staff access required"
    card = post_event("/t/user-card/", "toggle", user=staff, load_data={"user_id": user.pk})
    assert "inactive" in card.content.decode()
