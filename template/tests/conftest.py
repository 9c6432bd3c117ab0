"""Finds the browser once for every test marked `browser` (see tests/chromium.py).

Without one the browser tests are skipped, reported on one line; under `CI=true` a missing
browser fails the run instead, so a CI job can never pass without running them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .chromium import CHROMIUM, ChromiumNotFound, find_chromium


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(trylast=True)  # after `-m`/`-k` deselection: look only if a browser test runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("browser") for item in items):
        return
    try:
        config.stash[CHROMIUM] = find_chromium()
    except ChromiumNotFound as missing:
        if running_in_ci():
            raise pytest.UsageError(f"CI=true: {missing}") from None
        config.stash[CHROMIUM] = missing


@pytest.hookimpl(tryfirst=True)  # before any fixture (the browser tests' server) is set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    found = item.config.stash.get(CHROMIUM, None)
    if isinstance(found, ChromiumNotFound) and item.get_closest_marker("browser"):
        # Raised here, for every test alike, so pytest folds the skips into one line.
        pytest.skip(str(found))


@pytest.fixture(scope="session")
def chromium_executable(pytestconfig: pytest.Config) -> Path:
    """The Chromium executable the browser fixtures launch."""
    found = pytestconfig.stash[CHROMIUM]
    assert isinstance(found, Path)
    return found
