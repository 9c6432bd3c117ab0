"""Hostile HTTP input against every component endpoint (property-based, hypothesis).

Whatever the event name, arguments, token, encoding, CSRF header, method or size, an
endpoint answers below 500, a refusal is JSON `{"error": ...}` without a traceback, and a
request that was not accepted (anything but 200) changes nothing: every column of every
user row and the number of audit entries are compared before and after each request.
"""

from __future__ import annotations

import json
import random
import urllib.parse
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, assume, event, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from component_framework.testing import ComponentClient, extract_state

from .conftest import client_for, db_snapshot
from .endpoints import Endpoint, Targets, rendered_endpoints

pytestmark = pytest.mark.django_db

FUZZ = hyp_settings(
    max_examples=60,
    deadline=None,
    # No example database: nothing is written into the project (.hypothesis/); a failure
    # prints the falsifying example, which is enough to reproduce it.
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_EVENTS = [
    "",
    "_private",
    "__init__",
    "__class__",
    "mount",
    "render",
    "dispatch",
    "hydrate",
    "load",
    "state",
    "a.b",
    "on_toggle_status",
    "toggle_status\x00",
    "x" * 65,
    "x" * 5000,
    "ToGgLe_StAtUs",
    "toggle status",
    "submit",
    "refresh",
    "new_entry",
]
HOSTILE_VALUES = [
    "",
    "0",
    "-1",
    "1e309",
    "NaN",
    str(2**63),
    str(-(2**63) - 1),
    "9" * 5000,
    "true",
    "null",
    "[]",
    "{}",
    '{"__cf__": "datetime", "v": "not a date"}',
    '{"__cf__": "dict", "v": 5}',
    "[" * 3000,
    "</script><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00",
    "\ud7ff\ue000",
    "' OR 1=1 --",
    "a" * 10_000,
]
ARG_NAMES = [
    "user_id",
    "query",
    "page",
    "entry",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "self",
    "state",
    "event",
    "csrfmiddlewaretoken",
    "__class__",
]
TOKEN_KINDS = [
    "own",
    "missing",
    "empty",
    "random",
    "truncated",
    "bit-flipped",
    "other component's",
    "other user's",
    "oversized",
]
ENCODINGS = ["multipart", "urlencoded", "json", "raw bytes"]
OK_STATUSES = {200, 400, 403, 404, 405}

texts = st.text(max_size=80)
values = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=300), st.integers().map(str))
argument_maps = st.dictionaries(
    st.one_of(st.sampled_from(ARG_NAMES), st.text(min_size=1, max_size=30)),
    st.one_of(values, st.lists(values, min_size=2, max_size=3)),
    max_size=6,
)


class Tokens:
    """Real tokens per (role, endpoint), issued by loading each endpoint once."""

    def __init__(self, people: dict[str, Any], targets: Targets, endpoints: list[Endpoint]):
        self.by_role: dict[tuple[str, str], str] = {}
        for role in ("staff", "superuser"):
            for endpoint in endpoints:
                client = client_for(people[role])
                response = load(client, endpoint, targets)
                assert response.status_code == 200, (role, endpoint.url_name, response.content)
                token = extract_state(response.content)
                assert token
                self.by_role[(role, endpoint.url_name)] = token

    def pick(
        self,
        kind: str,
        role: str,
        endpoint: Endpoint,
        endpoints: list[Endpoint],
        rng: random.Random | None = None,
    ) -> Any:
        """A token of `kind` for `role` posting to `endpoint` (None: no `state` field)."""
        # Roles that can never load an endpoint post a staff token (a stolen one).
        owner = role if role in ("staff", "superuser") else "staff"
        own = self.by_role[(owner, endpoint.url_name)]
        rng = rng or random.Random(0)  # hypothesis passes its own (where to cut, which bit)
        if kind == "own":
            return own
        if kind == "missing":
            return None
        if kind == "empty":
            return ""
        if kind == "random":
            return "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789:-_.") for _ in range(80)
            )
        if kind == "truncated":
            return own[: rng.randrange(1, len(own))]
        if kind == "bit-flipped":
            index = rng.randrange(len(own))
            flipped = chr(ord(own[index]) ^ (1 << rng.randrange(7)))
            return own[:index] + flipped + own[index + 1 :]
        if kind == "other component's":
            others = [e for e in endpoints if e.url_name != endpoint.url_name]
            return self.by_role[(owner, rng.choice(others).url_name)] if others else own[::-1]
        if kind == "other user's":
            other = "superuser" if owner == "staff" else "staff"
            return self.by_role[(other, endpoint.url_name)]
        if kind == "oversized":
            return own + "A" * 60_000
        raise AssertionError(kind)


def load(client: ComponentClient, endpoint: Endpoint, targets: Targets) -> Any:
    """Open `endpoint` as the table says (GET, or POST with its load data)."""
    if endpoint.load_data is None:
        return client.load(endpoint.url)
    return client.post(endpoint.url, endpoint.load_data(targets))


def encode(fields: list[tuple[str, Any]], encoding: str) -> tuple[bytes, str]:
    """Body and content type of `fields` in `encoding`."""
    if encoding == "urlencoded":
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if encoding == "json":
        return json.dumps(dict(fields)).encode(), "application/json"
    if encoding == "raw bytes":
        body = "&".join(f"{k}{v}" for k, v in fields).encode("utf-8", "surrogatepass")
        return body, "multipart/form-data; boundary=nope"
    boundary = "reliabilityBoundary7MA4YWxk"
    parts = []
    for name, value in fields:
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"\r\n\r\n{value}\r\n'.encode("utf-8", "surrogatepass")
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post(
    client: Client, url: str, fields: list[tuple[str, Any]], encoding: str, csrf: str | None
) -> Any:
    body, content_type = encode(fields, encoding)
    headers = {"X-CSRFToken": csrf} if csrf is not None else {}
    return client.generic("POST", url, body, content_type=content_type, headers=headers)


def check_response(response: Any, before: dict[str, Any], what: str) -> None:
    """The invariants: < 500, JSON refusals without a traceback, refusals change nothing."""
    status = response.status_code
    body = response.content.decode("utf-8", "replace")
    event(f"status {status}")
    assert status in OK_STATUSES, f"{what}: status {status}\n{body[:2000]}"
    assert "Traceback" not in body, what
    if status != 200:
        if response.get("Content-Type", "").startswith("application/json"):
            assert isinstance(json.loads(body).get("error"), str), what
        assert db_snapshot() == before, f"{what}: refused with {status} but changed the database"


@pytest.fixture
def fuzz_setup(people: dict[str, Any], targets: Targets) -> dict[str, Any]:
    endpoints = rendered_endpoints()
    clients = {role: client_for(user) for role, user in people.items()}
    for client in clients.values():
        client.csrf_token  # noqa: B018 - sets the CSRF cookie the header must match
    return {
        "endpoints": endpoints,
        "clients": clients,
        "tokens": Tokens(people, targets, endpoints),
        "targets": targets,
    }


@FUZZ
@given(
    data=st.data(),
    role=st.sampled_from(["staff", "staff", "staff", "superuser", "non-staff", "anonymous"]),
    token_kind=st.sampled_from(TOKEN_KINDS),
    encoding=st.sampled_from(ENCODINGS),
    csrf_ok=st.sampled_from([True] * 9 + [False]),
    args=argument_maps,
    rng=st.randoms(use_true_random=False),
)
def test_hostile_events_never_500_and_refusals_change_nothing(
    fuzz_setup, data, role, token_kind, encoding, csrf_ok, args, rng
):
    endpoints: list[Endpoint] = fuzz_setup["endpoints"]
    endpoint = data.draw(st.sampled_from(endpoints), label="endpoint")
    real_events = sorted({e for ep in endpoints for e in ep.events})
    event = data.draw(
        st.one_of(st.sampled_from(real_events + HOSTILE_EVENTS), texts), label="event"
    )
    client: ComponentClient = fuzz_setup["clients"][role]
    token = fuzz_setup["tokens"].pick(token_kind, role, endpoint, endpoints, rng)
    fields: list[tuple[str, Any]] = [("event", event)]
    if token is not None:
        fields.append(("state", token))
    for name, value in args.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, item))
    before = db_snapshot()
    response = post(
        client.client, endpoint.url, fields, encoding, client.csrf_token if csrf_ok else None
    )
    what = f"{role} {endpoint.url_name} event={event!r} token={token_kind} {encoding}"
    check_response(response, before, what)
    if role in ("anonymous", "non-staff"):
        assert response.status_code in (400, 403), what
    form = encoding in ("multipart", "urlencoded")
    if form and token_kind != "own" and response.status_code == 200:
        # An event is only run with a real token of this user for this component. (JSON and
        # unparsable bodies carry no form fields: such a POST is a first load, like a GET.)
        pytest.fail(f"{what}: accepted a {token_kind} token")


@FUZZ
@given(
    data=st.data(),
    role=st.sampled_from(["staff", "staff", "staff", "superuser", "non-staff", "anonymous"]),
    csrf_ok=st.sampled_from([True] * 9 + [False]),
    args=argument_maps,
)
def test_valid_events_with_hostile_arguments(fuzz_setup, data, role, csrf_ok, args):
    """Real event names with real tokens: only the arguments are hostile."""
    endpoints: list[Endpoint] = fuzz_setup["endpoints"]
    endpoint = data.draw(st.sampled_from(endpoints), label="endpoint")
    event = data.draw(st.sampled_from(sorted(endpoint.events)), label="event")
    client: ComponentClient = fuzz_setup["clients"][role]
    token = fuzz_setup["tokens"].pick("own", role, endpoint, endpoints)
    fields = [("event", event), ("state", token)]
    fields += [(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]
    before = db_snapshot()
    response = post(
        client.client, endpoint.url, fields, "multipart", client.csrf_token if csrf_ok else None
    )
    check_response(response, before, f"{role} {endpoint.url_name} {event} {args!r:.300}")
    if not csrf_ok or role in ("anonymous", "non-staff"):
        assert response.status_code == 403


@FUZZ
@given(
    data=st.data(),
    method=st.sampled_from(["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "POST"]),
    role=st.sampled_from(["staff", "superuser", "non-staff", "anonymous"]),
    query=st.dictionaries(st.sampled_from([*ARG_NAMES, "x"]), values, max_size=4),
)
def test_any_method_and_query_string(fuzz_setup, data, method, role, query):
    """First loads with hostile query strings and every HTTP method (page included)."""
    endpoints: list[Endpoint] = fuzz_setup["endpoints"]
    url = data.draw(st.sampled_from([e.url for e in endpoints] + ["/admin-panel/"]), label="url")
    client: ComponentClient = fuzz_setup["clients"][role]
    before = db_snapshot()
    response = client.client.generic(
        method,
        url + "?" + urllib.parse.urlencode(query),
        headers={"X-CSRFToken": client.csrf_token},
    )
    status = response.status_code
    body = response.content.decode("utf-8", "replace")
    assert status < 500, f"{method} {url} as {role}: {status}\n{body[:2000]}"
    assert "Traceback" not in body
    if status != 200:
        assert db_snapshot() == before
    if url != "/admin-panel/" and role in ("anonymous", "non-staff"):
        assert status in (403, 405)


def _sizes() -> st.SearchStrategy[int]:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return st.one_of(
        st.sampled_from([limit - 1024, limit - 1, limit, limit + 1, 2 * limit, 4 * limit]),
        st.integers(min_value=limit - 4096, max_value=limit + 4096),
    )


@hyp_settings(FUZZ, max_examples=30)
@given(
    data=st.data(),
    size=_sizes(),
    field_name=st.sampled_from(["query", "pad", "state", "entry", "email"]),
    encoding=st.sampled_from(["multipart", "urlencoded"]),
)
def test_bodies_up_to_and_over_the_upload_limit(fuzz_setup, data, size, field_name, encoding):
    """Bodies around DATA_UPLOAD_MAX_MEMORY_SIZE: over it refused with 400, never a 500."""
    endpoints: list[Endpoint] = fuzz_setup["endpoints"]
    endpoint = data.draw(st.sampled_from(endpoints), label="endpoint")
    event = data.draw(st.sampled_from(sorted(endpoint.events)), label="event")
    client: ComponentClient = fuzz_setup["clients"]["staff"]
    token = fuzz_setup["tokens"].pick("own", "staff", endpoint, endpoints)
    fields = [("event", event)]
    if field_name != "state":
        fields.append(("state", token))
    fields += list(endpoint.events[event](fuzz_setup["targets"]).items())
    fields = [(k, v) for k, v in fields if k != field_name]
    overhead = len(encode([*fields, (field_name, "")], encoding)[0])
    assume(size > overhead)
    fields.append((field_name, "x" * (size - overhead)))
    body, _ = encode(fields, encoding)
    before = db_snapshot()
    response = post(client.client, endpoint.url, fields, encoding, client.csrf_token)
    what = f"{endpoint.url_name} {event} {field_name}: {len(body)} bytes ({encoding})"
    check_response(response, before, what)
    # Django counts the body (urlencoded) or the in-memory fields (multipart) against it.
    if len(body) > 2 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        assert response.status_code == 400, what


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_the_upload_limit_is_where_it_says(fuzz_setup, encoding):
    """A search just under the limit is served (200); one byte over it is a JSON 400."""
    endpoint = next(e for e in fuzz_setup["endpoints"] if e.url_name == "admin_users")
    client: ComponentClient = fuzz_setup["clients"]["staff"]
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    token = fuzz_setup["tokens"].pick("own", "staff", endpoint, fuzz_setup["endpoints"])
    # multipart: the limit applies to the field data; urlencoded: to the whole body.
    fields = [("event", "search"), ("state", token)]
    overhead = 0 if encoding == "multipart" else len(encode([*fields, ("query", "")], encoding)[0])
    for size, expected in ((limit - overhead - 64, 200), (limit + 1, 400)):
        before = db_snapshot()
        query = "q" * (size if encoding == "urlencoded" else size - len(token) - 6)
        response = post(
            client.client, endpoint.url, [*fields, ("query", query)], encoding, client.csrf_token
        )
        assert response.status_code == expected, (size, response.content[:300])
        if expected == 400:
            assert "error" in response.json()
            assert db_snapshot() == before


def test_too_many_fields_are_refused(fuzz_setup):
    endpoint = fuzz_setup["endpoints"][0]
    client: ComponentClient = fuzz_setup["clients"]["staff"]
    token = fuzz_setup["tokens"].pick("own", "staff", endpoint, fuzz_setup["endpoints"])
    fields = [("event", "refresh"), ("state", token)]
    fields += [(f"f{i}", "1") for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)]
    before = db_snapshot()
    response = post(client.client, endpoint.url, fields, "urlencoded", client.csrf_token)
    assert response.status_code == 400
    assert "error" in response.json()
    assert db_snapshot() == before
