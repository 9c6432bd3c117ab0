"""CacheMixin: cache-first mount, zero SQL on a hit, permissions first, no stampede."""

import threading
from typing import Any, ClassVar
from unittest.mock import patch

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from component_framework.adapters.cache import FRESH_KEY
from component_framework.core.component import Component
from component_framework.testing import ComponentClient
from tests.framework.components import CachedComponent, ComputeLog

pytestmark = [pytest.mark.urls("tests.framework.urls")]

KEY = "test:cached"


@pytest.fixture(autouse=True)
def compute_log():
    CachedComponent.computes = ComputeLog()
    return CachedComponent.computes


def test_cache_hit_returns_cached_state_without_calling_the_subclass_mount(make_component):
    cached = {"users": 999, "secret": "from cache"}
    with (
        patch("django.core.cache.cache.get", return_value=cached) as cache_get,
        patch.object(CachedComponent, "_compute") as compute,
    ):
        component = make_component(CachedComponent)
        component.mount()
    compute.assert_not_called()
    cache_get.assert_called()
    assert component.state == cached
    assert component.cache_hit


@pytest.mark.django_db
def test_miss_computes_once_and_stores_state_with_freshness(make_component, compute_log):
    component = make_component(CachedComponent)
    component.mount()
    assert compute_log.count == 1
    assert not component.cache_hit
    entry = cache.get(KEY)
    assert entry["users"] == 0
    assert entry[FRESH_KEY] > 0
    assert FRESH_KEY not in component.state


@pytest.mark.django_db
def test_hit_runs_zero_sql(make_component, compute_log, django_assert_num_queries):
    make_component(CachedComponent).mount()
    with django_assert_num_queries(0):
        component = make_component(CachedComponent)
        component.mount()
    assert component.cache_hit
    assert component.state["users"] == 0
    assert compute_log.count == 1


def test_entry_without_freshness_key_is_fresh(make_component, compute_log):
    cache.set(KEY, {"users": 5, "secret": "s"}, 60)
    component = make_component(CachedComponent)
    component.mount()
    assert component.state == {"users": 5, "secret": "s"}
    assert compute_log.count == 0


@pytest.mark.django_db
def test_hard_timeout_outlives_the_ttl(make_component):
    with patch("django.core.cache.cache.set") as cache_set:
        make_component(CachedComponent).mount()
    (key, _entry, timeout), _ = cache_set.call_args
    assert key == KEY
    assert timeout > CachedComponent.cache_ttl


@pytest.mark.django_db
def test_invalidate_marks_stale_and_next_load_recomputes(make_component, compute_log):
    make_component(CachedComponent).mount()
    make_component(CachedComponent).invalidate_cache()
    assert cache.get(KEY)[FRESH_KEY] == 0
    assert cache.get(KEY)["users"] == 0  # the stale value is kept for other workers
    component = make_component(CachedComponent)
    component.mount()
    assert compute_log.count == 2
    assert cache.get(KEY)[FRESH_KEY] > 0


def test_nested_mount_in_a_subclass_computes_directly(make_component):
    class Base(Component):
        def mount(self) -> None:
            self.state["base"] = True

    from component_framework.adapters.cache import CacheMixin

    class Cached(CacheMixin, Base):
        def get_cache_key(self, name: str, params: Any, state: Any) -> str:
            return "test:nested"

        def mount(self) -> None:
            super().mount()
            self.state["own"] = True

    class Child(Cached):
        pass

    first = make_component(Child)
    first.mount()
    assert first.state == {"base": True, "own": True}
    second = make_component(Child)
    second.mount()
    assert second.cache_hit and second.state == first.state


def test_default_cache_key_depends_on_params(make_component):
    from component_framework.adapters.cache import CacheMixin

    class Keyed(CacheMixin, Component):
        def mount(self) -> None:
            self.state["n"] = self.params["n"]

    one = make_component(Keyed, params={"n": 1})
    two = make_component(Keyed, params={"n": 2})
    one.mount()
    two.mount()
    assert (one.state, two.state) == ({"n": 1}, {"n": 2})
    assert one._cf_key() != two._cf_key()


# -- permissions before cache --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_refused_users_never_read_the_cache(staff, user, who):
    assert ComponentClient(staff).load("/t/cached/").status_code == 200  # warm the cache
    client = ComponentClient(None if who == "anonymous" else user)
    with patch("django.core.cache.cache.get", wraps=cache.get) as cache_get:
        response = client.load("/t/cached/")
    assert response.status_code == 403
    assert response.json() == {"error": "Staff access required"}
    assert b"staff-eyes-only" not in response.content
    cache_get.assert_not_called()


@pytest.mark.django_db
def test_cached_view_load_runs_no_component_sql(staff, compute_log):
    client = ComponentClient(staff)
    client.load("/t/cached/")
    with CaptureQueriesContext(connection) as queries:
        response = client.load("/t/cached/")
    assert response.status_code == 200
    assert "<b>1</b>" in response.content.decode()  # the staff user
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert compute_log.count == 1


@pytest.mark.django_db
def test_events_bypass_the_cache(staff):
    client = ComponentClient(staff)
    client.load("/t/cached/")
    with patch("django.core.cache.cache.get", wraps=cache.get) as cache_get:
        response = client.event("/t/cached/", "bump")
    assert "<b>101</b>" in response.content.decode()
    cache_get.assert_not_called()


@pytest.mark.django_db
def test_refresh_event_writes_fresh_state_back(staff, compute_log, django_user_model):
    client = ComponentClient(staff)
    client.load("/t/cached/")
    django_user_model.objects.create_user("newcomer")
    response = client.event("/t/cached/", "refresh")
    assert "<b>2</b>" in response.content.decode()
    assert compute_log.count == 2
    after = client.load("/t/cached/")
    assert "<b>2</b>" in after.content.decode()
    assert compute_log.count == 2  # the load right after the refresh is a fresh hit


@pytest.mark.django_db
def test_loads_during_a_refresh_event_serve_the_previous_value(staff, compute_log):
    # invalidate_cache() inside an event leaves the entry fresh until the event stores the
    # new state, so a load that lands mid-refresh is a hit instead of a second recompute.
    client = ComponentClient(staff)
    client.load("/t/cached/")
    seen_mid_refresh = []

    def compute_and_look(self) -> None:
        CachedComponent._compute(self)
        other = CachedComponent(user=staff)
        other.mount()
        seen_mid_refresh.append(other.cache_hit)

    with patch.object(
        CachedComponent,
        "on_refresh",
        lambda self: (self.invalidate_cache(), compute_and_look(self)),
    ):
        client.event("/t/cached/", "refresh")
    assert seen_mid_refresh == [True]
    assert compute_log.count == 2  # the first load and the refresh, nothing else
    assert cache.get(KEY)[FRESH_KEY] > 0


# -- concurrency (counts, never timings) ---------------------------------------------------


class NoSqlCached(CachedComponent):
    """Same key; computes without the database so threads need no connection."""

    waiting: ClassVar[list[str]] = []
    all_waiting = threading.Condition()
    cache_fill_wait = 30.0  # generous: the test releases the winner as soon as all wait

    def _compute(self) -> None:
        type(self).computes.hit()
        self.state["users"] = "computed"

    def wait_for_cache_fill(self, key: str) -> Any:
        with self.all_waiting:
            self.waiting.append(threading.current_thread().name)
            self.all_waiting.notify_all()
        return super().wait_for_cache_fill(key)


def run_threads(count: int, target: Any) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, name=f"t{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def test_stale_entry_is_recomputed_once_while_others_serve_it(compute_log):
    cache.set(KEY, {"users": "stale", "secret": "s", FRESH_KEY: 1.0}, 600)
    compute_log.release.clear()
    served: list[Any] = []
    done = threading.Condition()

    def load() -> None:
        component = NoSqlCached()
        component.mount()
        with done:
            served.append(component.state["users"])
            done.notify_all()

    threads = run_threads(8, load)
    compute_log.started.wait()
    with done:
        done.wait_for(lambda: len(served) == 7)  # everyone but the recomputing worker
    assert served == ["stale"] * 7
    compute_log.release.set()
    for thread in threads:
        thread.join()
    assert compute_log.count == 1
    assert served[-1] == "computed"
    assert cache.get(KEY)["users"] == "computed"


@pytest.mark.parametrize(
    "entry", [{"users": "stale", "secret": "s", FRESH_KEY: 1.0}, None], ids=["stale", "cold"]
)
def test_a_load_that_locks_after_another_recomputed_uses_its_value(compute_log, entry):
    # The load reads the stale (or missing) entry, then, before it takes the lock, another
    # worker takes it, recomputes, stores and lets go: the lock is free again, but this
    # expiry has had its recomputation.
    if entry is not None:
        cache.set(KEY, entry, 600)
    add = cache.add
    others: list[NoSqlCached] = []

    def add_after_another_worker_recomputed(*args: Any, **kwargs: Any) -> Any:
        if not others:
            others.append(NoSqlCached())
            others[0].mount()  # its own cache.add goes straight through
        return add(*args, **kwargs)

    with patch.object(cache, "add", side_effect=add_after_another_worker_recomputed):
        late = NoSqlCached()
        late.mount()
    assert compute_log.count == 1
    assert others[0].state["users"] == late.state["users"] == "computed"
    assert late.cache_hit
    assert cache.add(f"{KEY}:lock", 1, 30)  # and the lock is free


def test_cold_miss_computes_once_while_others_wait(compute_log):
    NoSqlCached.waiting = []
    compute_log.release.clear()
    results: list[Any] = []

    def load() -> None:
        component = NoSqlCached()
        component.mount()
        results.append(component.state["users"])

    threads = run_threads(6, load)
    with NoSqlCached.all_waiting:
        NoSqlCached.all_waiting.wait_for(lambda: len(NoSqlCached.waiting) == 5)
    compute_log.release.set()
    for thread in threads:
        thread.join()
    assert compute_log.count == 1
    assert results == ["computed"] * 6


def test_cold_miss_loser_computes_itself_when_the_winner_never_fills(compute_log):
    cache.add(f"{KEY}:lock", 1, 30)  # a winner that died holding the lock

    class Impatient(NoSqlCached):
        cache_fill_wait = 0.0

    component = Impatient()
    component.mount()
    assert component.state["users"] == "computed"
    assert compute_log.count == 1


def test_a_failing_cache_backend_computes_at_once_without_waiting(compute_log):
    # django-redis with IGNORE_EXCEPTIONS answers None (not False) when Redis is down:
    # there is no lock holder to wait for, so the load computes straight away.
    with (
        patch.object(cache, "get", return_value=None),
        patch.object(cache, "add", return_value=None),
        patch.object(NoSqlCached, "wait_for_cache_fill") as waited,
    ):
        component = NoSqlCached()
        component.mount()
    assert component.state["users"] == "computed"
    assert compute_log.count == 1
    waited.assert_not_called()
