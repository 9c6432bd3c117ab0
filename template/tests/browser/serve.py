"""The browser tests' server process: prepares its database, then serves the project.

`PanelServer.launch()` (server.py) runs `python -m tests.browser.serve PORT_FILE` with the
settings, the database and the test accounts in the environment. One process does both
steps, as each Python process starts Django afresh. It listens on a port the system picks
(no other process can take it meanwhile) and writes that port to PORT_FILE once it has
prepared the database, then serves with the ASGI server the project runs: uvicorn, or
daphne.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

APPLICATION = "config.asgi:application"


def prepare(setup: dict[str, Any]) -> None:
    """A fresh database: migrated, demo data and the test accounts; static files collected.

    The test accounts joined long ago, so the first page of the user table shows the demo
    users (and `admin`), and they go in with one bulk insert, as seed_demo's users do, so the
    live feed starts with the demo history rather than a "created" entry per test account.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command(
        "seed_demo", users=setup["demo_users"], seed=4, admin_password=setup["admin_password"]
    )
    User = get_user_model()
    joined = timezone.now() - datetime.timedelta(days=3 * 365)
    User.objects.bulk_create(
        [
            User(**{**spec, "password": make_password(spec["password"])}, date_joined=joined)
            for spec in setup["accounts"]
        ]
    )
    connections.close_all()  # the server's requests open their own


def serve(listener: socket.socket) -> None:
    """Serve the project on `listener` until the process is told to stop."""
    try:
        import uvicorn
    except ImportError:
        from daphne.cli import CommandLineInterface

        CommandLineInterface().run(["--fd", str(listener.fileno()), APPLICATION])
        return
    config = uvicorn.Config(APPLICATION, lifespan="off")
    uvicorn.Server(config).run(sockets=[listener])


def main(port_file: Path) -> None:
    import django

    django.setup()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    prepare(json.loads(os.environ["BROWSER_TEST_SETUP"]))
    written = port_file.with_suffix(".tmp")
    written.write_text(str(listener.getsockname()[1]))
    written.replace(port_file)  # whole or not at all for the reader
    serve(listener)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
