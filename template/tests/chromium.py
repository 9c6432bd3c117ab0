"""The Chromium every browser test drives, found the way Playwright users expect.

`find_chromium()` looks, in this order, for:

1. the executable named by `PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH`;
2. Playwright's own Chromium (`uv run playwright install chromium`);
3. the system's Chromium or Chrome: `chromium`, `chromium-browser`, `google-chrome` or
   `google-chrome-stable` on `PATH`, or the macOS applications.

`tests/conftest.py` runs it once per test run that selects browser tests: with no browser
they are all skipped with one line saying how to get one, and under `CI=true` the run fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

EXECUTABLE_VARIABLE = "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH"
SYSTEM_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Where the run keeps what `find_chromium()` found (tests/conftest.py).
CHROMIUM = pytest.StashKey["Path | ChromiumNotFound"]()
MACOS_APPLICATIONS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
HOW_TO_GET_ONE = (
    f"run `uv run playwright install chromium`, install Chromium or Chrome, "
    f"or set {EXECUTABLE_VARIABLE} to a Chromium executable"
)


class ChromiumNotFound(LookupError):
    """No Chromium to drive; the message says why and how to get one."""


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def playwright_chromium() -> Path:
    """Where Playwright's own Chromium is (or would be, once installed)."""
    with sync_playwright() as playwright:
        return Path(playwright.chromium.executable_path)


def find_chromium() -> Path:
    """The Chromium executable to launch; raises ChromiumNotFound when there is none."""
    named = os.environ.get(EXECUTABLE_VARIABLE)
    if named:
        if is_executable(Path(named)):
            return Path(named)
        # Named but wrong: falling back to another browser would hide the mistake.
        raise ChromiumNotFound(
            f"{EXECUTABLE_VARIABLE}={named} is not an executable file; {HOW_TO_GET_ONE}"
        )
    candidates = [playwright_chromium()]
    candidates += [Path(found) for name in SYSTEM_COMMANDS if (found := shutil.which(name))]
    candidates += [Path(path) for path in MACOS_APPLICATIONS]
    for candidate in candidates:
        if is_executable(candidate):
            return candidate
    raise ChromiumNotFound(f"no Chromium for the browser tests: {HOW_TO_GET_ONE}")


def launch(playwright: Playwright, executable: Path) -> Browser:
    """Start `executable` headless (without the sandbox, which containers often lack)."""
    return playwright.chromium.launch(executable_path=executable, timeout=30_000)
