"""`manage.py createdb` and the system check that names it when the database is missing.

On PostgreSQL these tests create (and drop) a throwaway database beside the test database,
on the server of DATABASE_URL; on SQLite there is nothing to create and the command says so.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from admin_panel.database import (
    MAINTENANCE_DATABASE,
    DatabaseSetupError,
    check_database_exists,
    connection_params,
    create_database,
    database_exists,
    missing_database_error,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_database() -> Iterator[dict]:
    """PostgreSQL connection parameters of a database that does not exist yet."""
    import psycopg  # installed in PostgreSQL projects only
    from psycopg import sql

    params = connection_params()
    assert params is not None, "only for PostgreSQL"
    params["dbname"] = f"{connection.settings_dict['NAME']}_{uuid.uuid4().hex[:8]}"
    yield params
    with psycopg.connect(**{**params, "dbname": MAINTENANCE_DATABASE}, autocommit=True) as c:
        c.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(params["dbname"])
            )
        )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_createdb_creates_a_missing_database_once(request: pytest.FixtureRequest) -> None:
    if connection.vendor != "postgresql":
        out = StringIO()
        call_command("createdb", stdout=out)  # SQLite: nothing to create, and no error
        assert connection_params() is None
        assert connection.settings_dict["NAME"] in out.getvalue()
        return
    params = request.getfixturevalue("new_database")

    assert database_exists(params) is False
    assert create_database(params) is True
    assert database_exists(params) is True
    assert create_database(params) is False  # run again: nothing changes


def test_check_names_createdb_for_a_missing_database(request: pytest.FixtureRequest) -> None:
    assert check_database_exists(databases=["default"]) == []
    if connection.vendor != "postgresql":
        return
    params = request.getfixturevalue("new_database")

    error = missing_database_error(params)

    assert error is not None and error.id == "admin_panel.E001"
    assert "manage.py createdb" in error.msg and "\n" not in error.msg
    assert database_exists(params) is False  # the check creates nothing


def test_unreachable_server_is_reported_in_one_line() -> None:
    params = connection_params()
    if params is None:
        assert connection.vendor == "sqlite"  # a file: no server to reach
        return
    params.update(host="127.0.0.1", port=_closed_port())

    with pytest.raises(DatabaseSetupError) as refused:
        create_database(params)
    error = missing_database_error(params)

    assert "\n" not in str(refused.value) and params["dbname"] in str(refused.value)
    assert error is not None and error.id == "admin_panel.E002" and "\n" not in error.msg
