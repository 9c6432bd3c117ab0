"""A PostgreSQL project whose database does not exist yet, as on a newcomer's first day.

The rendered README's set-up command creates the database (`manage.py createdb`); before
that, `migrate` refuses in one line that names the command instead of waiting for the
connection pool to give up; the test suite creates its own test database either way.
Every database and role made here is dropped afterwards.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest

from conftest import POSTGRES_URL, project_env, readme_setup_command, run, uv_executable

pytestmark = pytest.mark.render

SQL_SCRIPT = """
import json, sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    cursor = c.execute(sys.argv[2], json.loads(sys.argv[3]))
    print(json.dumps(cursor.fetchall() if cursor.description else []))
"""


def sql(project: Path, query: str, *params: object, dbname: str = "postgres") -> list:
    """Run `query` on the local server as `postgres` (psycopg from the rendering's venv)."""
    cmd = [uv_executable(), "run", "python", "-c", SQL_SCRIPT, f"{POSTGRES_URL}/{dbname}"]
    result = run([*cmd, query, json.dumps(params)], project)
    return json.loads(result.stdout)


def manage(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` in the rendering, failing or not."""
    return subprocess.run(
        [uv_executable(), "run", "python", "manage.py", *args],
        cwd=project,
        env=project_env(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def lines_naming(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


@dataclass(frozen=True)
class NewProject:
    path: Path
    slug: str  # unique per run: the database's name


@pytest.fixture(scope="module")
def new(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewProject]:
    """A PostgreSQL rendering, installed, whose database (its unique slug) does not exist."""
    slug = f"tpl_new_{secrets.token_hex(4)}"
    path = tmp_path_factory.mktemp("render-new-database") / "project"
    copier.run_copy(
        str(template_src),
        str(path),
        data={"database": "postgresql", "project_slug": slug},
        defaults=True,
        unsafe=False,
        quiet=True,
    )
    run([uv_executable(), "sync"], path)
    try:
        yield NewProject(path, slug)
    finally:
        for (name,) in sql(
            path,
            "SELECT datname FROM pg_database WHERE datname LIKE %s OR datname LIKE %s",
            f"{slug}%",
            f"test_{slug}%",
        ):
            sql(path, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        sql(path, f'DROP ROLE IF EXISTS "{slug}_newcomer"')


def database_exists(project: Path, name: str) -> bool:
    return bool(sql(project, "SELECT 1 FROM pg_database WHERE datname = %s", name))


def test_readme_setup_creates_the_missing_database(new: NewProject) -> None:
    project, name = new.path, new.slug
    assert not database_exists(project, name)

    refused = manage(project, "migrate", env={"DEBUG": "true"})
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert len(lines_naming(output, "manage.py createdb")) == 1, output
    assert "Traceback" not in output and "couldn't get a connection" not in output, output

    # The test suite makes its own test database; it needs no main database.
    run([uv_executable(), "run", "pytest", "tests/test_createdb.py"], project)
    assert not database_exists(project, name)

    setup = readme_setup_command(project)
    assert "manage.py createdb && " in setup and setup.index("createdb") < setup.index("migrate")
    run(["bash", "-c", setup], project)
    assert database_exists(project, name)
    applied = sql(project, "SELECT count(*) FROM django_migrations", dbname=name)[0][0]
    users = sql(project, "SELECT count(*) FROM accounts_user", dbname=name)[0][0]
    assert applied > 0 and users > 0

    again = run(["bash", "-c", setup], project)  # harmless: nothing created twice, nothing lost
    assert "already exists" in again.stdout
    assert sql(project, "SELECT count(*) FROM accounts_user", dbname=name)[0][0] == users
    run([uv_executable(), "run", "python", "manage.py", "migrate", "--check"], project)


def test_createdb_and_migrate_refuse_in_one_line(new: NewProject) -> None:
    project, slug = new.path, new.slug
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    unreachable = {"DEBUG": "true", "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed}/x"}

    for command in ("createdb", "migrate"):
        refused = manage(project, command, env=unreachable)
        assert refused.returncode != 0
        assert len(lines_naming(refused.stderr, str(closed))) == 1, refused.stderr
        assert "Traceback" not in refused.stderr, refused.stderr
        assert "couldn't get a connection" not in refused.stderr, refused.stderr

    # A role without CREATEDB: refused, nothing created (the postgres role above may create).
    role, wanted = f"{slug}_newcomer", f"{slug}_denied"
    sql(project, f'CREATE ROLE "{role}" LOGIN')
    denied = manage(
        project,
        "createdb",
        env={"DEBUG": "true", "DATABASE_URL": f"postgresql://{role}@127.0.0.1:5432/{wanted}"},
    )
    assert denied.returncode == 1
    assert denied.stderr.strip().count("\n") == 0 and "CREATEDB" in denied.stderr, denied
    assert not database_exists(project, wanted)
