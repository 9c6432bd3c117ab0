"""The README's demo command: render, install, seed, print the login, serve the panel.

The end-to-end test runs `scripts/demo.py` as a newcomer would (from this repository, with
the default answers) on a free port, then checks the panel as a browser would: anonymous
visitors are sent to the login page, the printed credentials log in, the panel answers 200.
"""

from __future__ import annotations

import http.cookiejar
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REDIS_URL, REPO, project_env

pytestmark = pytest.mark.render

SERVER_START_DEADLINE = 300  # seconds: render + uv sync + migrate + seed on a cold machine


def load_demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", REPO / "scripts" / "demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo_module()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_probe_redis_answers_for_a_running_redis() -> None:
    assert demo.probe_redis(REDIS_URL) is None


def test_probe_redis_reports_why_nothing_answers() -> None:
    problem = demo.probe_redis(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    assert problem and "refused" in problem.lower()


def test_probe_redis_refuses_a_server_that_is_not_redis() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
        # Accepted by the kernel's backlog, never answered: the probe must give up quickly.
        assert demo.probe_redis(url, timeout=0.3) is not None


def test_env_file_updates_keep_other_lines(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# mine\nDEBUG=true\nREDIS_URL=redis://old\nCUSTOM=1\n")
    demo.set_env_values(env_file, {"REDIS_URL": "", "SECRET_KEY": "abc"})
    assert env_file.read_text() == "# mine\nDEBUG=true\nREDIS_URL=\nCUSTOM=1\nSECRET_KEY=abc\n"
    assert demo.read_env_file(env_file) == {
        "DEBUG": "true",
        "REDIS_URL": "",
        "CUSTOM": "1",
        "SECRET_KEY": "abc",
    }


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _get(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, str, Message]:
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), error.headers


def _wait_for_server(process: subprocess.Popen, port: int, log: Path) -> None:
    """Return once something listens on `port`; fail with the demo's output if it never does."""
    deadline = time.monotonic() + SERVER_START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"demo.py exited {process.returncode}:\n{log.read_text()[-5000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the demo server did not start:\n{log.read_text()[-5000:]}")


def test_demo_serves_the_panel_and_reuses_its_project(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "demo.py"), str(project), "--port", str(port)],
            cwd=tmp_path,
            env=project_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_for_server(process, port, log)
        output = log.read_text()
        for progress in (
            "Rendering the template",
            "Writing .env",
            "Looking for Redis",
            "uv sync",
            "Migrating",
            "seed_demo",
            "Serving with",
        ):
            assert progress in output, f"no progress line for {progress!r}:\n{output}"
        password = re.search(r"Password:\s+(\S+)", output).group(1)
        assert f"{base}/admin-panel/" in output and "Username:     admin" in output

        anonymous = urllib.request.build_opener(NoRedirect)
        status, _, headers = _get(anonymous, f"{base}/admin-panel/")
        assert status == 302
        login_url = urllib.parse.urljoin(base, headers["Location"])
        assert "/admin-panel/" in urllib.parse.unquote(login_url)  # ?next=/admin-panel/

        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page, _ = _get(browser, login_url)
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "admin", "password": password}
        ).encode()
        request = urllib.request.Request(login_url, data=form, headers={"Referer": login_url})
        with browser.open(request, timeout=10) as response:
            assert response.status == 200
            assert urllib.parse.urlsplit(response.url).path == "/admin-panel/"
        status, page, _ = _get(browser, f"{base}/admin-panel/")
        assert status == 200, page[:2000]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    env_file = (project / ".env").read_text()
    assert "DEBUG=true" in env_file
    assert re.search(r"^SECRET_KEY=\S{40,}$", env_file, re.MULTILINE)

    # Second run: the project is reused, and with nothing answering at the Redis URL the demo
    # falls back to in-memory mode and says so.
    answers_file = project / ".copier-answers.yml"
    answers_file.write_text(
        re.sub(
            r"^redis_url: .*$",
            f"redis_url: redis://127.0.0.1:{free_port()}/0",
            answers_file.read_text(),
            flags=re.MULTILINE,
        )
    )
    again = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py"), str(project), "--no-serve"],
        cwd=tmp_path,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=SERVER_START_DEADLINE,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Reusing the project" in again.stdout
    assert "Rendering the template" not in again.stdout
    assert "running in-memory" in again.stdout
    assert re.search(r"^REDIS_URL=$", (project / ".env").read_text(), re.MULTILINE)
    assert env_file.split("SECRET_KEY=")[1].split()[0] in (project / ".env").read_text()
