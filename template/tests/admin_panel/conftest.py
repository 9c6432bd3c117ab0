"""Fixtures of the admin panel tests: users of each role and a clean cache per test."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

PASSWORD = "correct-horse-battery-staple"


def clear_cache() -> None:
    """Empty this test process's cache keys (never FLUSHDB a shared Redis)."""
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Cached KPI/feed state and rate-limit keys must not leak from one test to the next.
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def make_user(db: Any, django_user_model: Any) -> Callable[..., Any]:
    """make_user("alice", is_staff=True) -> a saved user whose password is PASSWORD."""

    def make(username: str, **fields: Any) -> Any:
        fields.setdefault("email", f"{username}@example.com")
        return django_user_model.objects.create_user(username, password=PASSWORD, **fields)

    return make


@pytest.fixture
def superuser(make_user: Callable[..., Any]) -> Any:
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Any:
    return make_user("sam", is_staff=True)


@pytest.fixture
def member(make_user: Callable[..., Any]) -> Any:
    return make_user("mia")
