"""Every component of the project is staff-only and refuses everyone else without a trace.

The sweep finds what to check by itself, so a component added later is covered with
nothing to register:

* every route of the project's URLconf whose view is a `ComponentView` (includes walked);
* every component registered by one of the project's apps.

For each route, anonymous and non-staff users get a JSON 403 (no redirect, no HTML) for a
first load (GET and POST) and for every event of the component, sent with a token taken
from a superuser and with plausible arguments, and the users and audit entries stay as
they were. A superuser loads the component (200 HTML: the positive control), staff load
it or get a JSON 403, and no event answers them with an error page. An event the server
refuses from HTTP (socket or server only) may be refused with 400, 403 or 404, as long as
it is refused for a superuser too.

A route whose first load needs parameters (`user_id`, a URL kwarg) declares an example
with `ComponentView.get_example_load()`; the failure message says so.

`pytest -v tests/test_component_security.py` lists what was covered: one test per route
and per component, named after it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from admin_panel.models import AuditEntry
from component_framework.adapters.django_views import ComponentView, ExampleLoad
from component_framework.core import registry
from component_framework.core.component import Component
from component_framework.core.dispatch import handler_events, resolve_handler
from component_framework.testing import ComponentClient, isolated_components

PASSWORD = "sweep-password-0123"
REFUSED_ROLES = ("anonymous", "non-staff")
#: What a handler the server refuses from HTTP may answer (JSON, never a page).
NOT_OVER_HTTP = (400, 403, 404)


@dataclass(frozen=True)
class ComponentRoute:
    """A URL pattern served by a `ComponentView`."""

    route: str
    url_name: str | None
    view_class: type[ComponentView]

    def __str__(self) -> str:
        return f"{self.view_class.component_name} at /{self.route}"

    @property
    def where(self) -> str:
        view = self.view_class
        return f"ComponentView {view.__module__}.{view.__qualname__} at /{self.route}"


def component_routes() -> list[ComponentRoute]:
    """Every `ComponentView` route of the project's URLconf, includes walked."""
    found: list[ComponentRoute] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                view_class = getattr(entry.callback, "view_class", None)
                if isinstance(view_class, type) and issubclass(view_class, ComponentView):
                    name = f"{namespace}{entry.name}" if entry.name else None
                    found.append(ComponentRoute(prefix + str(entry.pattern), name, view_class))

    walk(get_resolver().url_patterns, "", "")
    return found


def project_components() -> list[type[Component]]:
    """Components registered by the project's apps (not by test modules)."""
    classes = [registry.get(name) for name in registry.names()]
    return [cls for cls in classes if apps.get_containing_app_config(cls.__module__)]


ROUTES = component_routes()
COMPONENTS = project_components()


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated() -> Iterator[None]:
    with isolated_components():
        yield


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    """One user per role (None for anonymous), and `target`, a plain user events may name."""
    make = get_user_model().objects.create_user
    return {
        "anonymous": None,
        "non-staff": make("sweep_member", "member@example.com", PASSWORD),
        "staff": make("sweep_staff", "staff@example.com", PASSWORD, is_staff=True),
        "superuser": make(
            "sweep_root", "root@example.com", PASSWORD, is_staff=True, is_superuser=True
        ),
        "target": make("sweep_target", "target@example.com", PASSWORD),
    }


def db_snapshot() -> dict[str, Any]:
    """Every column of every user row, and the audit entries' ids."""
    user_model = get_user_model()
    columns = [f.attname for f in user_model._meta.concrete_fields]
    return {
        "users": list(user_model.objects.order_by("pk").values_list(*columns)),
        "audit_entries": list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True)),
    }


def component_of(route: ComponentRoute) -> type[Component]:
    name = route.view_class.component_name
    if name not in registry:
        pytest.fail(
            f"{route.where} serves component {name!r}, which is not registered: "
            f"decorate its class with @registry.register({name!r})."
        )
    return registry.get(name)


def url_of(route: ComponentRoute, example: ExampleLoad) -> str:
    """The route's URL for `example` (reversed by name when it has one)."""
    declare = (
        f"add a classmethod `get_example_load(cls, user)` returning "
        f"`ExampleLoad(url_kwargs={{...}})` to {route.view_class.__qualname__}"
    )
    if route.url_name is None:
        if "<" in route.route or "(" in route.route:
            pytest.fail(f"{route.where} has no URL name: name the route so it can be reversed.")
        return "/" + route.route
    try:
        return reverse(route.url_name, kwargs=dict(example.url_kwargs))
    except NoReverseMatch:
        pytest.fail(f"{route.where} needs URL kwargs for a first load: {declare}.")


def plausible_arguments(component: type[Component], event: str, target: Any) -> dict[str, str]:
    """One value per handler argument, from its annotation (ids name `target`)."""
    handler = resolve_handler(component, event)
    try:
        hints = typing.get_type_hints(handler)
    except (NameError, TypeError):
        hints = {}
    by_type = {int: str(target.pk), bool: "true", str: "sweep"}
    parameters = list(inspect.signature(handler).parameters.values())[1:]  # drop self
    return {
        p.name: by_type.get(hints.get(p.name), "sweep")
        for p in parameters
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def is_json_error(response: HttpResponse) -> bool:
    """A JSON `{"error": "..."}` body, not a redirect."""
    if "Location" in response or not response["Content-Type"].startswith("application/json"):
        return False
    body = response.json()
    return isinstance(body, dict) and isinstance(body.get("error"), str)


def is_component_html(response: HttpResponse, component: type[Component]) -> bool:
    return (
        response.status_code == 200
        and response["Content-Type"].startswith("text/html")
        and f'data-cf-name="{component.get_name()}"' in response.content.decode()
    )


def describe(response: HttpResponse) -> str:
    return f"{response.status_code} {response['Content-Type']} {response.content[:200]!r}"


def superuser_load(route: ComponentRoute, people: dict[str, Any]) -> tuple[ComponentClient, str]:
    """A superuser's client holding a fresh token of the route's component, and the URL."""
    component = component_of(route)
    example = route.view_class.get_example_load(people["superuser"])
    url = url_of(route, example)
    client = ComponentClient(people["superuser"])
    response = client.load(url, example.data)
    if not is_component_html(response, component):
        pytest.fail(
            f"{route.where}: a superuser's first load answered {describe(response)}. If the "
            f"first load needs parameters, add a classmethod `get_example_load(cls, user)` "
            f"returning `ExampleLoad(data={{...}})` to {route.view_class.__qualname__} "
            f"({route.view_class.__module__})."
        )
    return client, url


# -- the sweep ----------------------------------------------------------------------------


def test_the_sweep_finds_the_projects_components() -> None:
    assert ROUTES, "no ComponentView route found in the URLconf"
    assert COMPONENTS, "no component registered by the project's apps"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_refused_roles_get_a_json_403_and_change_nothing(
    route: ComponentRoute, people: dict[str, Any]
) -> None:
    component = component_of(route)
    root, url = superuser_load(route, people)
    example = route.view_class.get_example_load(people["superuser"])
    stolen = root.token
    events = handler_events(component)
    # Events the server refuses from HTTP even to a superuser may be refused with 400/404.
    closed = set()
    for event in events:
        arguments = plausible_arguments(component, event, people["target"])
        response = ComponentClient(people["superuser"]).event(url, event, token=stolen, **arguments)
        if response.status_code in NOT_OVER_HTTP and is_json_error(response):
            closed.add(event)

    failures: list[str] = []
    for role in REFUSED_ROLES:
        client = ComponentClient(people[role])
        before = db_snapshot()
        answers = [
            ("GET load", (403,), client.load(url, example.data)),
            ("POST load", (403,), client.post(url, example.data)),
        ]
        for event in events:
            arguments = plausible_arguments(component, event, people["target"])
            response = client.event(url, event, token=stolen, **arguments)
            allowed = NOT_OVER_HTTP if event in closed else (403,)
            answers.append((f"event {event!r}", allowed, response))
        for what, allowed, response in answers:
            if response.status_code not in allowed or not is_json_error(response):
                failures.append(f"{what} as {role}: expected a JSON 403, got {describe(response)}")
        if db_snapshot() != before:
            failures.append(f"requests refused to {role} changed users or audit entries")
    print(f"\n{route}: refused to {', '.join(REFUSED_ROLES)}: load, events {sorted(events)}")
    assert not failures, f"{route.where}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_superusers_and_staff_load_and_no_event_answers_a_page(
    route: ComponentRoute, people: dict[str, Any]
) -> None:
    component = component_of(route)
    superuser_load(route, people)  # names the missing example load, if that is the problem
    failures: list[str] = []
    for role in ("superuser", "staff"):
        example = route.view_class.get_example_load(people[role])
        url = url_of(route, example)
        client = ComponentClient(people[role])
        for what, response in (
            ("GET load", client.load(url, example.data)),
            ("POST load", client.post(url, example.data)),
        ):
            refused = role == "staff" and response.status_code == 403 and is_json_error(response)
            if not (is_component_html(response, component) or refused):
                failures.append(f"{what} as {role}: expected 200 HTML, got {describe(response)}")
        if client.token is None:
            continue  # staff refused: nothing more to try with this role
        for event in handler_events(component):
            for arguments in ({}, plausible_arguments(component, event, people["target"])):
                response = client.event(url, event, **arguments)
                answered = is_component_html(response, component) or (
                    response.status_code in NOT_OVER_HTTP and is_json_error(response)
                )
                if not answered:
                    failures.append(
                        f"event {event!r} {arguments} as {role}: expected 200 HTML or a "
                        f"JSON 400/403/404, got {describe(response)}"
                    )
    assert not failures, f"{route.where}:\n" + "\n".join(failures)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda cls: cls.get_name())
def test_components_refuse_anonymous_and_non_staff_wherever_they_load(
    component: type[Component], people: dict[str, Any]
) -> None:
    """The class's own permissions, checked by the tag, the cache path and sockets too."""
    for role in REFUSED_ROLES:
        with pytest.raises(PermissionDenied):
            component.check_access(people[role] or AnonymousUser())
    component.check_access(people["superuser"])
