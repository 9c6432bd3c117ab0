"""Fixtures for the framework tests: test templates, users, isolation, test URLs."""

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from component_framework.testing import (  # noqa: F401 - fixtures used by name
    component_client,
    component_isolation,
    make_component,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _framework_test_env(settings: Any, request: Any) -> None:
    """Test templates on the loader path; isolated cache and renderers for every test."""
    request.getfixturevalue("component_isolation")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES_DIR]}
    ]


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user("user", "user@example.com", "pw")


@pytest.fixture
def staff(db: None) -> Any:
    return get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)


@pytest.fixture
def superuser(db: None) -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture(autouse=True)
def _reset_call_logs() -> None:
    from tests.framework.components import CounterComponent, SignupFormComponent

    CounterComponent.calls.clear()
    SignupFormComponent.saved.clear()
