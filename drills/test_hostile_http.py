"""Hostile HTTP input against every component endpoint (property-based, hypothesis).

Whatever the event name, arguments, token, encoding, CSRF header, method or size, an
endpoint answers below 500, a refusal is JSON `{"error": ...}` without a traceback, and a
request that was not accepted (anything but 200) changes nothing: every column of every
user row and the number of audit entries are compared before and after each request.

The last part sends raw requests (charsets, multipart without a boundary, NUL characters in
fields, query strings and cookies, server-only events) to real ASGI servers (uvicorn and
daphne, production settings) on this rendering's database, where Django's own error pages
and the database's own refusals would show.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, assume, event, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from component_framework.testing import ComponentClient, extract_state

from .clients import Browser
from .cluster import PASSWORD, Account, Cluster, Server
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
    # Endpoints whose events are all server-only (the audit feed) have none to post.
    endpoint = data.draw(st.sampled_from([e for e in endpoints if e.events]), label="endpoint")
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
    if any("\x00" in value for value in query.values()):
        # Refused before anything else reads it (config.middleware.NulCharacterMiddleware).
        assert status == 400, f"{method} {url} with a NUL character: {status}"
    elif url != "/admin-panel/" and role in ("anonymous", "non-staff"):
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
    # Endpoints whose events are all server-only (the audit feed) have none to post.
    endpoint = data.draw(st.sampled_from([e for e in endpoints if e.events]), label="endpoint")
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


# -- over real ASGI servers ------------------------------------------------------------------------

#: The servers this rendering can run (daphne always: channels.testing needs it).
SERVER_KINDS = [kind for kind in ("uvicorn", "daphne") if find_spec(kind) is not None]
HOSTILE_STAFF = "hostile_staff"
HOSTILE_MEMBER = "hostile_member"
FORM = "application/x-www-form-urlencoded"
NUL_COOKIE = 'sessionid="' + "\\000" * 40 + '"'  # an octal escape Django's parser decodes


def refused_by_twisted(kind: str, content_type: str | None, status: int, text: str) -> bool:
    """Daphne's HTTP layer (Twisted) parses multipart bodies itself and answers one it cannot
    split with a bare 400 before the application is reached: refused, nothing ran."""
    multipart = (content_type or "").startswith("multipart/")
    return kind == "daphne" and multipart and status == 400 and text == ""


class KindServer(Server):
    """A cluster server of a chosen kind (the cluster itself prefers uvicorn)."""

    def __init__(self, cluster: Cluster, kind: str) -> None:
        super().__init__(cluster, kind)
        self.kind = kind

    def command(self) -> list[str]:
        if self.kind == "daphne":
            app = "config.asgi:application"
            return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), app]
        return super().command()


@dataclass
class Served:
    """One server of each kind on one database, with a logged-in staff browser per server."""

    cluster: Cluster
    servers: dict[str, KindServer]
    browsers: dict[str, Browser]
    member_id: int

    def snapshot(self) -> tuple[list[tuple[Any, ...]], int]:
        """Every user row, and the number of audit entries, read from the servers' database."""
        database = self.cluster.database
        return (
            database.rows("SELECT * FROM accounts_user ORDER BY id"),
            database.max_audit_id(),
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with Cluster(tmp_path_factory.mktemp("hostile"), redis_url=settings.REDIS_URL) as cluster:
        cluster.prepare([Account(HOSTILE_STAFF, is_staff=True), Account(HOSTILE_MEMBER)])
        servers: dict[str, KindServer] = {}
        for kind in SERVER_KINDS:
            server = KindServer(cluster, kind)
            cluster.servers.append(server)  # stopped by the cluster
            server.start()
            servers[kind] = server
        browsers = {}
        for kind, server in servers.items():
            browsers[kind] = Browser(server)
            browsers[kind].login(HOSTILE_STAFF, PASSWORD)
        member_id = cluster.database.scalar(
            "SELECT id FROM accounts_user WHERE username = %s", HOSTILE_MEMBER
        )
        yield Served(cluster, servers, browsers, int(member_id))
        for browser in browsers.values():
            browser.close()


def send(
    browser: Browser,
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str | None = None,
    cookie: str | None = None,
) -> tuple[int, str, str]:
    """One raw request with the browser's cookies (or `cookie`) and CSRF header:
    (status, content type, body)."""
    headers = {
        "Cookie": browser.cookie_header() if cookie is None else cookie,
        "X-CSRFToken": browser.cookies.get("csrftoken", ""),
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection("127.0.0.1", browser.server.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        raw = conn.getresponse()
        return raw.status, raw.getheader("Content-Type", ""), raw.read().decode("utf-8", "replace")
    finally:
        conn.close()


def url_of(name: str) -> str | None:
    return next((e.url for e in rendered_endpoints() if e.url_name == name), None)


def hostile_requests(served: Served, kind: str) -> dict[str, tuple[str, str, bytes, str | None]]:
    """name -> (method, path, body, content type), each of which must be a 400."""
    browser = served.browsers[kind]
    users, edit = url_of("admin_users"), url_of("admin_user_edit")
    assert users and edit
    users_token = browser.load(users).token
    edit_token = browser.load(edit, {"user_id": str(served.member_id)}).token
    assert users_token and edit_token

    def form(fields: dict[str, str], charset: str = "utf-8") -> bytes:
        return urllib.parse.urlencode(fields, encoding=charset).encode(charset)

    search = {"event": "search", "query": "hostïle", "state": users_token}
    edit_fields = {
        "event": "submit",
        "state": edit_token,
        "username": HOSTILE_MEMBER,
        "email": f"{HOSTILE_MEMBER}@example.com",
        "first_name": "a\x00",
        "is_active": "true",
    }
    requests = {
        "utf-16 form": ("POST", users, form(search, "utf-16"), f"{FORM}; charset=utf-16"),
        "latin-1 form": ("POST", users, form(search, "latin-1"), f"{FORM}; charset=latin-1"),
        "latin-1 bytes": ("POST", users, form(search, "latin-1"), FORM),
        "multipart without boundary": ("POST", users, form(search), "multipart/form-data"),
        "JSON body": ("POST", users, json.dumps(search).encode(), "application/json"),
        "NUL in the search": ("POST", users, form({**search, "query": "a\x00"}), FORM),
        "NUL in an edit field": ("POST", edit, form(edit_fields), FORM),
        "NUL in a query string": ("GET", users + "?page=%00", b"", None),
        "NUL in the page's query string": ("GET", "/admin-panel/?q=%00", b"", None),
        "NUL in the path": ("GET", "/admin-panel/%00/", b"", None),
    }
    audit = url_of("admin_audit_log")
    if audit:
        audit_token = browser.load(audit).token
        assert audit_token
        nested = "[" * 5000 + "]" * 5000
        entry = {"event": "new_entry", "entry": nested, "state": audit_token}
        requests["server-only event"] = ("POST", audit, form(entry), FORM)
    return requests


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_hostile_requests_to_a_real_server_are_400s_that_change_nothing(served, kind):
    browser = served.browsers[kind]
    for name, (method, path, body, content_type) in hostile_requests(served, kind).items():
        before = served.snapshot()
        status, answered_type, text = send(browser, method, path, body, content_type)
        assert status == 400, f"{kind} {name}: {status}\n{text[:500]}"
        if path.startswith("/admin-panel/components/") and not refused_by_twisted(
            kind, content_type, status, text
        ):
            assert answered_type == "application/json", f"{kind} {name}: {answered_type}"
            assert isinstance(json.loads(text)["error"], str)
        assert "Traceback" not in text
        assert served.snapshot() == before, f"{kind} {name} changed the database"
    for path in ("/admin-panel/", url_of("admin_users")):
        status, _, text = send(browser, "GET", str(path), cookie=NUL_COOKIE)
        assert status == 400, f"{kind} NUL cookie on {path}: {status}\n{text[:500]}"


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_the_same_requests_with_sane_values_succeed_on_a_real_server(served, kind):
    browser = served.browsers[kind]
    users = str(url_of("admin_users"))
    token = browser.load(users).token
    assert token
    fields = {"event": "search", "query": HOSTILE_MEMBER, "state": token}
    body = urllib.parse.urlencode(fields).encode()
    status, _, text = send(browser, "POST", users, body, f"{FORM}; charset=utf-8")
    assert status == 200 and HOSTILE_MEMBER in text, text[:500]
    before = served.cluster.database.is_active(HOSTILE_MEMBER)
    response = browser.event(users, "toggle_status", user_id=str(served.member_id))
    assert response.status == 200, response.body[:500]
    assert served.cluster.database.is_active(HOSTILE_MEMBER) is not before
    assert send(browser, "GET", "/admin-panel/?q=a")[0] == 200
    # A login whose fields hold a NUL is the login form again (no session), never a 500.
    stranger = Browser(served.servers[kind])
    page = stranger.request("GET", "/accounts/login/")
    assert page.status == 200
    token_match = page.body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    answer = stranger.request(
        "POST",
        "/accounts/login/",
        {
            "username": HOSTILE_STAFF + "\x00",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token_match,
        },
    )
    stranger.close()
    assert answer.status == 200 and "sessionid" not in stranger.cookies


HOSTILE_CONTENT_TYPES = [
    FORM,
    f"{FORM}; charset=utf-8",
    f"{FORM}; charset=utf-16",
    f"{FORM}; charset=latin-1",
    f"{FORM}; charset=x-unknown",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=" + "b" * 300,
    "application/json",
    "text/plain; charset=utf-8",
    "",
]


@hyp_settings(FUZZ, max_examples=40)
@given(
    data=st.data(),
    content_type=st.sampled_from(HOSTILE_CONTENT_TYPES),
    body_charset=st.sampled_from(["utf-8", "utf-16", "latin-1"]),
    args=argument_maps,
)
def test_hostile_bodies_over_real_servers(served, data, content_type, body_charset, args):
    """Random bodies in random encodings to each real server: below 500, JSON refusals,
    and nothing changed by a request that was not accepted."""
    kind = data.draw(st.sampled_from(SERVER_KINDS), label="server")
    browser = served.browsers[kind]
    endpoints = [e for e in rendered_endpoints() if e.events]
    endpoint = data.draw(st.sampled_from(endpoints), label="endpoint")
    event_name = data.draw(st.sampled_from(sorted(endpoint.events)), label="event")
    load_fields = {"user_id": str(served.member_id)} if endpoint.load_data is not None else None
    token = browser.load(endpoint.url, load_fields).token or ""
    fields = [("event", event_name), ("state", token)]
    fields += [(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]
    try:
        body = urllib.parse.urlencode(fields, encoding=body_charset).encode(body_charset)
    except UnicodeEncodeError:
        body = urllib.parse.urlencode(fields).encode()
    before = served.snapshot()
    status, answered_type, text = send(browser, "POST", endpoint.url, body, content_type or None)
    what = f"{kind} {endpoint.url_name} {event_name} {content_type!r} {body_charset}"
    event(f"status {status}")
    assert status in OK_STATUSES, f"{what}: {status}\n{text[:1000]}"
    assert "Traceback" not in text
    if status != 200:
        if not refused_by_twisted(kind, content_type, status, text):
            assert answered_type == "application/json", f"{what}: {answered_type}"
            assert isinstance(json.loads(text)["error"], str)
        assert served.snapshot() == before, f"{what}: refused with {status} but changed data"
