"""The permission matrix: anonymous, non-staff, staff and superuser x every component
endpoint x every event (and the panel page), over HTTP and over WebSocket.

Each cell is an expected status, checked by a real request through the project's URLs
(CSRF enforced) or its ASGI application (session cookie + Origin). The checked matrix is
printed (`pytest -s` shows it). Roles that may not use an endpoint post a token issued to a
staff user, as a thief would: the permission check comes first, so they still get 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from admin_panel.models import AuditEntry
from admin_panel.routing import websocket_urlpatterns
from component_framework.adapters.django_views import ComponentView
from component_framework.core import registry
from component_framework.core.dispatch import handler_events
from component_framework.core.ws_manager import CLOSE_REFUSED
from component_framework.testing import ComponentClient, component_socket, session_headers
from config.asgi import application

from .conftest import ROLES, client_for, db_snapshot
from .endpoints import Endpoint, Targets, rendered_endpoints

EXPECTED_PAGE = {"anonymous": 302, "non-staff": 403, "staff": 200, "superuser": 200}
EXPECTED_COMPONENT = {"anonymous": 403, "non-staff": 403, "staff": 200, "superuser": 200}
EXPECTED_SOCKET = {
    "anonymous": "refused",
    "non-staff": "refused",
    "staff": "open",
    "superuser": "open",
}


def print_matrix(title: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Print one matrix: a row per endpoint/event, a column per role."""
    width = max(len(name) for name, _ in rows) + 2
    print(f"\n{title}")
    print("".ljust(width) + "".join(role.ljust(14) for role in ROLES))
    for name, cells in rows:
        print(name.ljust(width) + "".join(str(cells[role]).ljust(14) for role in ROLES))


def load(client: ComponentClient, endpoint: Endpoint, targets: Targets) -> Any:
    if endpoint.load_data is None:
        return client.load(endpoint.url)
    return client.post(endpoint.url, endpoint.load_data(targets))


def component_views() -> dict[str, str]:
    """URL name -> component name of every ComponentView route of the project."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class is not None and issubclass(view_class, ComponentView):
                    found[pattern.name or repr(pattern)] = view_class.component_name

    walk(get_resolver().url_patterns)
    return found


def test_the_table_covers_every_endpoint_and_event():
    """New endpoints or events must be added to `endpoints.ENDPOINTS` (and so get tested)."""
    table = {e.url_name: e for e in rendered_endpoints()}
    views = component_views()
    assert set(views) == set(table), "component routes and the reliability table differ"
    for url_name, component in views.items():
        assert table[url_name].component == component
        events = set(handler_events(registry.get(component)))
        assert events == set(table[url_name].events), f"events of {component} changed"


@pytest.mark.django_db
def test_http_permission_matrix(people: dict[str, Any], targets: Targets):
    rows: list[tuple[str, dict[str, Any]]] = []
    failures: list[str] = []

    def cell(row: str, role: str, expected: int, status: int) -> None:
        if status != expected:
            failures.append(f"{row} as {role}: expected {expected}, got {status}")

    page: dict[str, Any] = {}
    for role in ROLES:
        status = Client().get("/admin-panel/") if role == "anonymous" else None
        if status is None:
            client = Client()
            client.force_login(people[role])
            status = client.get("/admin-panel/")
        page[role] = status.status_code
        cell("GET /admin-panel/", role, EXPECTED_PAGE[role], page[role])
    rows.append(("GET /admin-panel/", page))

    for endpoint in rendered_endpoints():
        loads: dict[str, Any] = {}
        for role in ROLES:
            loads[role] = load(client_for(people[role]), endpoint, targets).status_code
            cell(f"{endpoint.url_name} load", role, EXPECTED_COMPONENT[role], loads[role])
        rows.append((f"{endpoint.url_name} (load)", loads))
        for event, args in sorted(endpoint.events.items()):
            cells: dict[str, Any] = {}
            for role in ROLES:
                stolen = client_for(people["staff"])
                assert load(stolen, endpoint, targets).status_code == 200
                client = client_for(people[role])
                if role in ("staff", "superuser"):
                    assert load(client, endpoint, targets).status_code == 200
                    token = client.token
                else:
                    token = stolen.token
                before = db_snapshot()
                response = client.event(endpoint.url, event, token=token, **args(targets))
                cells[role] = response.status_code
                cell(f"{endpoint.url_name} {event}", role, EXPECTED_COMPONENT[role], cells[role])
                if response.status_code != 200:
                    assert db_snapshot() == before, f"refused {event} as {role} changed data"
            rows.append((f"{endpoint.url_name} {event}", cells))

    print_matrix("HTTP permission matrix (status per role)", rows)
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_role_rules_matrix(people: dict[str, Any], targets: Targets, make_user: Any):
    """Staff may not touch superusers or roles; superusers may (never on themselves)."""
    other_root = make_user("rel_root2", is_staff=True, is_superuser=True)
    users = next(e for e in rendered_endpoints() if e.url_name == "admin_users")
    edit = next(e for e in rendered_endpoints() if e.url_name == "admin_user_edit")
    form = edit.events["submit"](targets)
    # name -> (endpoint, event, args, expected status for staff, for superuser)
    cases: dict[str, tuple[Endpoint, str, Callable[[str], dict[str, str]], int, int]] = {
        "toggle another superuser": (
            users,
            "toggle_status",
            lambda role: {"user_id": str(other_root.pk)},
            403,
            200,
        ),
        "deactivate oneself": (
            users,
            "toggle_status",
            lambda role: {"user_id": str(people[role].pk)},
            403,
            403,
        ),
        "make a member superuser": (
            edit,
            "submit",
            lambda role: {**form, "is_superuser": "true"},
            403,
            200,
        ),
        "make a member staff": (
            edit,
            "submit",
            lambda role: {**form, "is_staff": "true"},
            403,
            200,
        ),
    }
    rows: list[tuple[str, dict[str, Any]]] = []
    failures: list[str] = []
    for name, (endpoint, event, args, *expected) in cases.items():
        cells: dict[str, Any] = {"anonymous": "-", "non-staff": "-"}
        for role, want in zip(("staff", "superuser"), expected, strict=True):
            client = client_for(people[role])
            assert load(client, endpoint, targets).status_code == 200
            before = db_snapshot()
            cells[role] = client.event(endpoint.url, event, **args(role)).status_code
            if cells[role] != want:
                failures.append(f"{name} as {role}: expected {want}, got {cells[role]}")
            if cells[role] != 200:
                assert db_snapshot() == before, f"refused {name} as {role} changed data"
            # Undo an accepted change so the next role starts from the same rows.
            type(targets.member).objects.filter(pk=targets.member.pk).update(
                is_staff=False, is_superuser=False
            )
            type(other_root).objects.filter(pk=other_root.pk).update(is_active=True)
        rows.append((name, cells))
    cells = {"anonymous": "-", "non-staff": "-"}
    for role, want in (("staff", 403), ("superuser", 200)):
        response = client_for(people[role]).post(edit.url, {"user_id": str(other_root.pk)})
        cells[role] = response.status_code
        if cells[role] != want:
            failures.append(f"open a superuser's form as {role}: expected {want}")
    rows.append(("open a superuser's form", cells))
    print_matrix("Role rules (status per role; '-' = refused earlier, see the matrix above)", rows)
    assert not failures, "\n".join(failures)


# -- WebSocket ---------------------------------------------------------------------------------


def socket_paths() -> list[str]:
    return ["/" + str(route.pattern) for route in websocket_urlpatterns]


async def headers_for(user: Any, origin: str = "http://localhost") -> list[tuple[bytes, bytes]]:
    client = Client()
    if user is not None:
        await database_sync_to_async(client.force_login)(user)
    return session_headers(client, origin=origin)


@pytest.mark.django_db(transaction=True)
async def test_websocket_permission_matrix(people: dict[str, Any], targets: Targets):
    """Connect per role; on open sockets, every component event sent as a frame runs nothing."""
    rows: list[tuple[str, dict[str, Any]]] = []
    failures: list[str] = []
    for path in socket_paths():
        connect: dict[str, Any] = {}
        foreign: dict[str, Any] = {}
        frames: dict[str, Any] = {}
        for role in ROLES:
            for origin, row in (("http://localhost", connect), ("http://evil.example", foreign)):
                headers = await headers_for(people[role], origin)
                async with component_socket(application, path, headers=headers) as socket:
                    row[role] = "open" if socket.connected else f"refused {socket.close_code}"
                    if socket.connected and row is connect:
                        frames[role] = await send_every_event(socket.communicator)
                    elif row is connect:
                        frames[role] = "-"
            if not str(connect[role]).startswith(EXPECTED_SOCKET[role]):
                failures.append(f"{path} as {role}: {connect[role]}")
            if EXPECTED_SOCKET[role] == "refused" and connect[role] != f"refused {CLOSE_REFUSED}":
                failures.append(f"{path} as {role}: expected close code {CLOSE_REFUSED}")
            if foreign[role] == "open":
                failures.append(f"{path} from a foreign Origin as {role} was accepted")
            if frames[role] not in ("-", "ignored"):
                failures.append(f"{path} as {role}: event frames {frames[role]}")
        rows += [
            (f"WS {path} connect", connect),
            (f"WS {path} foreign Origin", foreign),
            (f"WS {path} every event as a frame", frames),
        ]
    if not rows:
        rows.append(("(no WebSocket routes in this rendering)", dict.fromkeys(ROLES, "-")))
    print_matrix("WebSocket permission matrix", rows)
    assert not failures, "\n".join(failures)


async def send_every_event(communicator: Any) -> str:
    """Send each component event (with valid arguments) as a frame: nothing may run."""
    before = await database_sync_to_async(db_snapshot)()
    count = await database_sync_to_async(AuditEntry.objects.count)()
    for endpoint in rendered_endpoints():
        for event in endpoint.events:
            frame = {"event": event, "type": event, "component": endpoint.component}
            await communicator.send_to(text_data=json.dumps(frame))
    if not await communicator.receive_nothing(timeout=0.3):
        return "answered"
    after = await database_sync_to_async(db_snapshot)()
    same = after == before and count == await database_sync_to_async(AuditEntry.objects.count)()
    return "ignored" if same else "changed data"
