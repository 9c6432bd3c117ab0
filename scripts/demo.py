"""Render the template with its default answers and serve the admin panel.

    uv run scripts/demo.py [PATH] [--port 8000] [--no-serve]

PATH defaults to ./demo. A first run renders the template there (the work tree as it is,
uncommitted changes included); later runs reuse the rendered project as it stands. Each run:
writes `.env` if missing (DEBUG=true and a generated SECRET_KEY), looks for Redis at the
rendered REDIS_URL (in-memory mode when nothing answers), installs with `uv sync`, migrates,
loads demo data (`seed_demo` adds only what is missing) with a fresh password for the `admin`
superuser, prints where to log in, then becomes the ASGI server (uvicorn or daphne, as
answered) on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEMO_USERS = 500

# Variables that would make the rendered project diverge from what this script prints.
_DROPPED_FROM_ENV = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "DJANGO_SETTINGS_MODULE")


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def note(message: str) -> None:
    print(f"    {message}", flush=True)


def fail(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


# --- Redis ----------------------------------------------------------------------------------


def _resp(*args: str) -> bytes:
    """One command in the Redis protocol (RESP arrays of bulk strings)."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n") and len(data) < 512:
        chunk = sock.recv(512)
        if not chunk:
            break
        data += chunk
    return data


def probe_redis(url: str, timeout: float = 1.0) -> str | None:
    """Connect to the Redis at `url` and PING it; None if it answers, else why not."""
    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(unquote(parts.path))
        else:
            host, port = parts.hostname or "127.0.0.1", parts.port or 6379
            sock = socket.create_connection((host, port), timeout=timeout)
            if parts.scheme == "rediss":
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        with sock:
            sock.settimeout(timeout)
            if parts.password:
                username = unquote(parts.username) if parts.username else None
                password = unquote(parts.password)
                sock.sendall(_resp("AUTH", *filter(None, [username]), password))
                reply = _read_line(sock)
                if not reply.startswith(b"+OK"):
                    return f"AUTH refused: {reply.decode(errors='replace').strip()}"
            sock.sendall(_resp("PING"))
            reply = _read_line(sock)
    except (OSError, ValueError) as error:
        return str(error) or type(error).__name__
    if reply.startswith(b"+PONG"):
        return None
    return f"unexpected reply to PING: {reply.decode(errors='replace').strip() or 'nothing'}"


# --- .env -----------------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip("\"'")
    return values


def set_env_values(path: Path, updates: dict[str, str]) -> None:
    """Set KEY=value lines in the .env file at `path`, keeping every other line as it is."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    pending = dict(updates)
    for index, raw in enumerate(lines):
        key = raw.partition("=")[0].strip()
        if "=" in raw and not raw.lstrip().startswith("#") and key in pending:
            lines[index] = f"{key}={pending.pop(key)}"
    lines.extend(f"{key}={value}" for key, value in pending.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the project ----------------------------------------------------------------------------


def read_answers(project: Path) -> dict:
    import yaml

    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8")) or {}


def render(project: Path) -> None:
    import copier

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # vcs_ref="HEAD": the checked-out commit, plus uncommitted changes if the work tree
        # is dirty (copier includes them only for HEAD), never an older release tag.
        copier.run_copy(
            str(REPO),
            str(project),
            defaults=True,
            unsafe=False,
            quiet=True,
            vcs_ref="HEAD" if (REPO / ".git").exists() else None,
        )
    if any(type(w.message).__name__ == "DirtyLocalWarning" for w in caught):
        note("the template's uncommitted changes are included")


def uv_executable() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        fail("uv is not installed: https://docs.astral.sh/uv/ (or: python3 -m pip install uv)")
    return found


def child_env(project_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_FROM_ENV}
    env.update(project_env)
    return env


def run(
    cmd: list[str], project: Path, env: dict[str, str], **kwargs
) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=project, env=env, check=False, **kwargs)
    if result.returncode != 0:
        if kwargs.get("capture_output"):
            sys.stderr.write(result.stdout + result.stderr)
        fail(f"`{' '.join(cmd)}` failed (exit {result.returncode})")
    return result


def manage(project: Path, env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(
        [uv_executable(), "run", "--no-sync", "python", "manage.py", *args], project, env, **kwargs
    )


ENSURE_ADMIN = """
import os
from django.contrib.auth import get_user_model

user, _ = get_user_model().objects.get_or_create(
    username="admin", defaults={"email": "admin@example.com"}
)
user.is_active = user.is_staff = user.is_superuser = True
user.set_password(os.environ["DEMO_ADMIN_PASSWORD"])
user.save()
"""


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def server_command(project: Path, server: str, port: int) -> list[str]:
    binary = str(project / ".venv" / "bin" / server)
    if server == "daphne":
        return [binary, "-b", HOST, "-p", str(port), "config.asgi:application"]
    return [binary, "config.asgi:application", "--host", HOST, "--port", str(port)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="demo", help="where to render (default ./demo)")
    parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
    parser.add_argument(
        "--no-serve", action="store_true", help="set everything up, print the login, then stop"
    )
    args = parser.parse_args(argv)
    project = Path(args.path).resolve()
    started = time.monotonic()

    if (project / ".copier-answers.yml").is_file():
        step(f"Reusing the project rendered in {project} (delete it to render afresh)")
    elif project.exists() and any(project.iterdir()):
        fail(f"{project} exists and is not a rendered project; choose another path")
    else:
        step(f"Rendering the template with default answers into {project}")
        render(project)
    answers = read_answers(project)

    env_file = project / ".env"
    if not env_file.is_file():
        step("Writing .env (DEBUG=true, a generated SECRET_KEY)")
        set_env_values(env_file, {"DEBUG": "true", "SECRET_KEY": secrets.token_urlsafe(50)})
    else:
        step("Keeping the existing .env")
    redis_url = answers.get("redis_url") or ""
    if redis_url:
        step(f"Looking for Redis at {redis_url}")
        problem = probe_redis(redis_url)
        if problem:
            note(f"no answer ({problem}): running in-memory (single process, no Redis)")
            redis_url = ""
        else:
            note("Redis answered: the cache and the channel layer use it")
    else:
        step("The project was rendered without Redis: running in-memory")
    set_env_values(env_file, {"REDIS_URL": redis_url})
    dotenv = read_env_file(env_file)
    if not dotenv.get("SECRET_KEY"):
        set_env_values(env_file, {"SECRET_KEY": secrets.token_urlsafe(50)})
        dotenv = read_env_file(env_file)
    # Passed explicitly too: a variable set in the shell would otherwise win over .env.
    env = child_env(
        {
            "DEBUG": dotenv.get("DEBUG", "true"),
            "SECRET_KEY": dotenv["SECRET_KEY"],
            "REDIS_URL": redis_url,
        }
    )

    step("Installing dependencies (uv sync)")
    run([uv_executable(), "sync", "--quiet"], project, env)

    step("Migrating the database")
    manage(project, env, "migrate", "--noinput", "-v", "0")

    commands = manage(project, env, "help", "--commands", capture_output=True, text=True).stdout
    admin_password = secrets.token_urlsafe(12)
    if "seed_demo" in commands.split():
        # seed_demo adds only the demo users that are missing and sets the admin password.
        step(f"Loading demo data and the superuser `admin` (seed_demo --users {DEMO_USERS})")
        manage(
            project,
            env,
            "seed_demo",
            "--users",
            str(DEMO_USERS),
            f"--admin-password={admin_password}",  # one word: the password may start with "-"
        )
    else:
        step("No seed_demo command in this project: creating the superuser `admin` only")
        admin_env = env | {"DEMO_ADMIN_PASSWORD": admin_password}
        manage(project, admin_env, "shell", "--verbosity", "0", "-c", ENSURE_ADMIN)

    server = answers.get("asgi_server", "uvicorn")
    url = f"http://{HOST}:{args.port}/admin-panel/"
    mode = "Redis at " + redis_url if redis_url else "in-memory (no Redis)"
    print(
        "\n"
        f"  Admin panel:  {url}\n"
        f"  Username:     admin\n"
        f"  Password:     {admin_password}\n"
        f"  Project:      {project}\n"
        f"  Cache/layer:  {mode}\n"
        f"  Ready in {time.monotonic() - started:.0f}s.\n",
        flush=True,
    )
    if args.no_serve:
        return
    if not port_is_free(args.port):
        fail(f"port {args.port} on {HOST} is in use; stop what holds it or pass --port N")
    command = server_command(project, server, args.port)
    step(f"Serving with {server} on {url} (Ctrl-C stops it)")
    os.chdir(project)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
