"""`manage.py createdb`: create the PostgreSQL database named in DATABASE_URL if it is missing.

    uv run python manage.py createdb

Connects to the server's `postgres` database and runs `CREATE DATABASE`, so the role in
DATABASE_URL needs the CREATEDB privilege (the `postgres` superuser of a development server
has it). Running it again changes nothing. SQLite creates its file on first use: nothing to do.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from admin_panel.database import DatabaseSetupError, connection_params, create_database


class Command(BaseCommand):
    help = "Create the PostgreSQL database named in DATABASE_URL if it does not exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=tuple(connections),
            help='the database to create (default: "default")',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        params = connection_params(alias)
        if params is None:
            database = connections[alias]
            name = database.settings_dict["NAME"]
            self.stdout.write(
                f"{database.display_name} creates {name} on first use: nothing to do."
            )
            return
        try:
            created = create_database(params)
        except DatabaseSetupError as error:
            raise CommandError(str(error)) from error
        name = params["dbname"]
        if created:
            self.stdout.write(self.style.SUCCESS(f'Created the database "{name}".'))
        else:
            self.stdout.write(f'The database "{name}" already exists.')
