"""Fixtures of the drills: one user per role, a target user, an isolated cache and a
snapshot of what a refused request must never change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from admin_panel.models import AuditEntry
from component_framework.testing import ComponentClient, isolated_components

from .cluster import Account, Cluster
from .endpoints import Targets

PASSWORD = "reliability-password-0123"
ROLES = ("anonymous", "non-staff", "staff", "superuser")


def pytest_configure(config: pytest.Config) -> None:
    # The project's own settings do not know this marker (its suite has no long scenarios).
    config.addinivalue_line("markers", "slow: long scenario drills with a bounded runtime")


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    # This process's cache keys only (never FLUSHDB a shared Redis); renderers restored.
    with isolated_components():
        yield


@pytest.fixture
def make_user(django_user_model: Any) -> Callable[..., Any]:
    """make_user("alice", is_staff=True) -> a saved user whose password is PASSWORD."""

    def make(username: str, **fields: Any) -> Any:
        fields.setdefault("email", f"{username}@example.com")
        return django_user_model.objects.create_user(username, password=PASSWORD, **fields)

    return make


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    """One user per role (None for anonymous), keyed like `ROLES`."""
    return {
        "anonymous": None,
        "non-staff": make_user("rel_member"),
        "staff": make_user("rel_staff", is_staff=True),
        "superuser": make_user("rel_root", is_staff=True, is_superuser=True),
    }


@pytest.fixture
def targets(make_user: Callable[..., Any], people: dict[str, Any]) -> Targets:
    """The users events act on: a plain member and the superuser."""
    return Targets(member=make_user("rel_target", first_name="Tina"), superuser=people["superuser"])


def client_for(user: Any) -> ComponentClient:
    """A CSRF-enforcing component client logged in as `user` (anonymous for None)."""
    return ComponentClient(user=user)


def db_snapshot() -> dict[str, Any]:
    """Every column of every user row, and the number of audit entries."""
    user_model = get_user_model()
    columns = [f.attname for f in user_model._meta.concrete_fields]
    return {
        "users": list(user_model.objects.order_by("pk").values_list(*columns)),
        "audit_entries": AuditEntry.objects.count(),
    }


# Accounts of the server clusters: an admin, staff who act and staff who watch the feed,
# and plain users to toggle.
CLUSTER_ACCOUNTS = [
    Account("rel_admin", is_staff=True, is_superuser=True),
    *(Account(f"rel_staff{i}", is_staff=True) for i in range(4)),
    *(Account(f"rel_t{i}") for i in range(40)),
]


@pytest.fixture(scope="package")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two server processes sharing the project's Redis and one database (made here)."""
    from django.conf import settings

    assert settings.REDIS_URL, "the multi-worker tests need Redis: REDIS_URL is empty"
    with Cluster(tmp_path_factory.mktemp("cluster"), redis_url=settings.REDIS_URL) as cluster:
        cluster.prepare(CLUSTER_ACCOUNTS)
        cluster.start_servers(2)
        yield cluster
