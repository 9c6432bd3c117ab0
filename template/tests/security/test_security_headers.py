"""Content-Security-Policy and Permissions-Policy on every kind of response.

The policy allows scripts and styles from the site's own files only, so no page may hold
inline code: `<script>` without `src`, `<style>`, `style="..."` or `on...=` handlers. The
browser tests (tests/browser) load the pages under the policy and fail on any violation.
"""

from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db

FORBIDDEN_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "data:", "*")


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def assert_strict_policy(response, websocket_origin="ws://testserver"):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", websocket_origin]
    for sources in policy.values():
        assert not set(sources) & set(FORBIDDEN_SOURCES)
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"


class InlineCode(HTMLParser):
    """Collects what a strict policy would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if tag == "script" and "src" not in names and values.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        if "style" in names:
            self.found.append(f'<{tag} style="{values["style"]}">')
        self.found += [f"<{tag} {name}=...>" for name in names if name.startswith("on")]
        for value in values.values():
            if value and value.strip().lower().startswith(("javascript:", "js:")):
                self.found.append(f"<{tag} ...={value!r}>")


def inline_code(response) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def test_the_panel_has_a_strict_policy_and_no_inline_code(client, make_user):
    make_user("mia")
    client.force_login(make_user("sam", is_staff=True))

    response = client.get(reverse("admin_panel"))

    assert response.status_code == 200
    assert_strict_policy(response)
    assert inline_code(response) == []


def test_the_panel_tells_htmx_to_run_without_eval_and_inline_styles(client, make_user):
    client.force_login(make_user("sam", is_staff=True))

    html = client.get(reverse("admin_panel")).content.decode()

    assert '"allowEval": false' in html
    assert '"includeIndicatorStyles": false' in html


def test_the_login_page_has_the_policy(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert_strict_policy(response)
    assert inline_code(response) == []


def test_a_component_endpoint_has_the_policy(client, make_user):
    client.force_login(make_user("sam", is_staff=True))

    response = client.get(reverse("admin_users"))

    assert response.status_code == 200
    assert_strict_policy(response)
    assert inline_code(response) == []


def test_a_component_refusal_has_the_policy(client, make_user):
    client.force_login(make_user("mia"))

    response = client.get(reverse("admin_users"))

    assert response.status_code == 403
    assert_strict_policy(response)


def test_error_pages_have_the_policy_and_no_inline_code(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert_strict_policy(response)
    assert inline_code(response) == []


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_standalone_error_pages_have_no_inline_code(template):
    assert inline_code(HttpResponse(render_to_string(template))) == []


def test_over_https_the_websocket_origin_is_wss(client):
    response = client.get(reverse("login"), secure=True)

    assert_strict_policy(response, websocket_origin="wss://testserver")


def test_an_unknown_host_gets_the_policy_without_a_websocket_origin(client):
    response = client.get(reverse("login"), HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert directives(response)["connect-src"] == ["'self'"]


@pytest.mark.parametrize(
    "path",
    [
        "/django-admin/",
        "/django-admin/accounts/user/",
        "/django-admin/accounts/user/add/",
        "/django-admin/password_change/",
    ],
)
def test_django_admin_pages_have_the_policy_and_no_inline_code(client, make_user, path):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))

    response = client.get(path)

    assert response.status_code == 200
    assert_strict_policy(response)
    assert inline_code(response) == []


def test_the_django_admin_change_form_has_no_inline_code(client, make_user):
    root = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.get(f"/django-admin/accounts/user/{root.pk}/change/")

    assert response.status_code == 200
    assert inline_code(response) == []
