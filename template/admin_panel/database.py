"""The project's PostgreSQL database: create it when it is missing, and say so early.

Django's pooled PostgreSQL backend keeps retrying a failed connection until the pool gives
up, so a database nobody created shows up as a pool timeout. `manage.py createdb` creates
it (`create_database`), and `check_database_exists`, a system check tagged `database` (run
by `migrate` and `check --database default`), connects once without the pool and names
that command. SQLite creates its file on first use and needs neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.checks import CheckMessage, Error
from django.db import DEFAULT_DB_ALIAS, connections

# psycopg is installed in PostgreSQL projects only, so the functions that are given
# connection parameters (which `connection_params` returns for PostgreSQL only) import it.
if TYPE_CHECKING:
    import psycopg

# Seconds to wait for the server: long enough for a remote host, short enough to fail
# before the pool's own timeout.
CONNECT_TIMEOUT = 3
# The database every PostgreSQL server has; `CREATE DATABASE` is sent from there.
MAINTENANCE_DATABASE = "postgres"


class DatabaseSetupError(Exception):
    """The database cannot be reached or created; the message is one line that says why."""


def create_command(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The command that creates the database `alias`."""
    option = "" if alias == DEFAULT_DB_ALIAS else f" --database {alias}"
    return f"uv run python manage.py createdb{option}"


def connection_params(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any] | None:
    """psycopg parameters for the database `alias`, without the pool; None unless PostgreSQL.

    `connection_params()["dbname"]` is the database name of `DATABASE_URL`.
    """
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    params = connection.get_connection_params()  # the settings' OPTIONS, minus the pool's
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    return params


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _connect(params: dict[str, Any], dbname: str | None = None) -> psycopg.Connection:
    import psycopg

    return psycopg.connect(**{**params, "dbname": dbname or params["dbname"]}, autocommit=True)


def database_exists(params: dict[str, Any]) -> bool:
    """True when the database of `params` answers, False when the server says it is missing.

    Raises DatabaseSetupError when it cannot tell (server unreachable, login refused) or
    when the database exists but refuses the connection.
    """
    import psycopg

    try:
        with _connect(params):
            return True
    except psycopg.OperationalError as error:
        refused = error
    # libpq gives no error code for a failed login: ask the server's catalogue instead.
    try:
        with _connect(params, MAINTENANCE_DATABASE) as maintenance:
            missing = not maintenance.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [params["dbname"]]
            ).fetchone()
    except psycopg.OperationalError:
        missing = False  # the server is out of reach too: the first error says why
    if not missing:
        raise DatabaseSetupError(
            f'Cannot connect to the database "{params["dbname"]}": {_one_line(refused)}'
        ) from refused
    return False


def create_database(params: dict[str, Any]) -> bool:
    """Create the database of `params` unless it exists; True when this call created it."""
    import psycopg
    from psycopg import sql

    if database_exists(params):
        return False
    name = params["dbname"]
    try:
        with _connect(params, MAINTENANCE_DATABASE) as maintenance:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        return False  # created meanwhile by someone else: what was asked for is there
    except psycopg.errors.InsufficientPrivilege as error:
        raise DatabaseSetupError(
            f'Permission denied to create the database "{name}": connect as a role with '
            "the CREATEDB privilege, or have an administrator create the database."
        ) from error
    except psycopg.Error as error:
        raise DatabaseSetupError(
            f'Cannot create the database "{name}": {_one_line(error)}'
        ) from error
    return True


def missing_database_error(params: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> Error | None:
    """What the system check reports for the database of `params`: None when it answers."""
    try:
        if database_exists(params):
            return None
    except DatabaseSetupError as error:
        return Error(str(error), id="admin_panel.E002")
    return Error(
        f'The database "{params["dbname"]}" does not exist: '
        f"create it with `{create_command(alias)}`.",
        id="admin_panel.E001",
    )


def check_database_exists(
    app_configs: object = None, databases: Iterable[str] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """System check: each PostgreSQL database the command uses exists and answers."""
    errors: list[CheckMessage] = []
    for alias in databases or ():
        params = connection_params(alias)
        error = missing_database_error(params, alias) if params is not None else None
        if error is not None:
            errors.append(error)
    return errors
