"""Fixtures of the security tests: users with a known password."""

from collections.abc import Callable
from typing import Any

import pytest

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_user(db: Any, django_user_model: Any) -> Callable[..., Any]:
    """make_user("alice", is_staff=True) -> a saved user whose password is PASSWORD."""

    def make(username: str, **fields: Any) -> Any:
        fields.setdefault("email", f"{username}@example.com")
        return django_user_model.objects.create_user(username, password=PASSWORD, **fields)

    return make
