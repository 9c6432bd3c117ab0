"""Take the documentation's screenshots of the panel: docs/img/panel.png, panel-mobile.png
and their dark variants (panel-dark.png, panel-mobile-dark.png).

    uv run scripts/screenshots.py [--out docs/img] [--project PATH]

Renders the template with its default answers into a temporary directory (or uses the
project already rendered at PATH) and installs it. Then, inside that project, it starts the
server its browser tests use (a fresh database with demo data, the ASGI server with
production settings; Redis at the rendered REDIS_URL, in-memory when nothing answers there),
signs in as `admin` and saves the panel as a desktop (1280 px wide) and a phone (390 px)
show it, in the light and the dark colour scheme. The browser is found as the rendered
project's browser tests find it (its README).
"""

from __future__ import annotations

import argparse
import os
import secrets
import struct
import sys
import tempfile
from pathlib import Path

from demo import child_env, fail, probe_redis, read_answers, render, run, step, uv_executable

REPO = Path(__file__).resolve().parent.parent
SHOTS = {
    "panel.png": {"width": 1280, "height": 900},
    "panel-mobile.png": {"width": 390, "height": 844},
    "panel-dark.png": {"width": 1280, "height": 900},
    "panel-mobile-dark.png": {"width": 390, "height": 844},
}
DEMO_USERS = 500


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of the PNG at `path`."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def shoot(out: Path) -> None:
    """Run inside the rendered project (its interpreter, its directory): take the shots."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from playwright.sync_api import expect, sync_playwright
    from tests.browser.panel import TIMEOUT, log_in, user_rows
    from tests.browser.server import Account, PanelServer
    from tests.chromium import find_chromium, launch

    expect.set_options(timeout=TIMEOUT)
    chromium = find_chromium()
    password = secrets.token_urlsafe(16)
    admin = Account("admin", "admin@example.com", password, is_staff=True, is_superuser=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as work:
        server = PanelServer(Path(work))
        try:
            server.launch([admin], DEMO_USERS)
            server.wait_until_up()
            with sync_playwright() as playwright:
                browser = launch(playwright, chromium)
                for name, viewport in SHOTS.items():
                    scheme = "dark" if name.endswith("-dark.png") else "light"
                    context = browser.new_context(
                        base_url=server.url, viewport=viewport, color_scheme=scheme
                    )
                    page = context.new_page()
                    log_in(page, admin.username, password)
                    expect(page.get_by_test_id("user-list")).to_be_visible()
                    expect(user_rows(page).first).to_be_visible()
                    if page.get_by_test_id("audit-feed").count():
                        expect(page.get_by_test_id("audit-entry").first).to_be_visible()
                    if page.get_by_test_id("metrics").count():
                        expect(page.get_by_test_id("metrics").get_by_role("img")).to_have_count(3)
                    page.screenshot(
                        path=out / name, full_page=True, animations="disabled", caret="hide"
                    )
                    context.close()
                browser.close()
        finally:
            server.stop()
            server.cleanup()


def take(project: Path, out: Path) -> None:
    """Install `project`, take the shots there into `out`, and check their sizes."""
    answers = read_answers(project)
    redis_url = answers.get("redis_url") or ""
    if redis_url and probe_redis(redis_url):
        step(f"No Redis answers at {redis_url}: the server runs in-memory")
        redis_url = ""
    env = child_env({"REDIS_URL": redis_url})
    step("Installing the project (uv sync)")
    run([uv_executable(), "sync", "--quiet"], project, env)
    step(f"Taking {', '.join(SHOTS)} into {out}")
    out.mkdir(parents=True, exist_ok=True)
    command = [uv_executable(), "run", "--no-sync", "python", __file__, "--in-project", str(out)]
    run(command, project, env)
    for name, viewport in SHOTS.items():
        width, height = png_size(out / name)
        if width != viewport["width"] or height < viewport["height"]:
            fail(f"{name} is {width}x{height}, expected {viewport['width']} wide")
        step(f"{out / name}: {width}x{height}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img", help="where to save")
    parser.add_argument("--project", type=Path, help="a project rendered with default answers")
    parser.add_argument("--in-project", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_project:
        shoot(args.in_project)
    elif args.project:
        take(args.project.resolve(), args.out.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="screenshots-") as work:
            project = Path(work) / "project"
            step(f"Rendering the template with default answers into {project}")
            render(project)
            take(project, args.out.resolve())


if __name__ == "__main__":
    main()
